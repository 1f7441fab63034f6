"""Domain errors: refusals with a stable code and a sentence a person understands.

Domain functions raise a `LibraryError` of the kind that fits; `library.http.problems` turns it
into an HTTP status and `application/problem+json` in the request's language, and the pages show
the same sentence next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from library.i18n import N_, Lang, format_numeric_date, pick, translate

MESSAGES: dict[str, str] = {
    # code: the English sentence, a msgid of the catalogues; %(placeholders)s come from the
    # problem's params.
    "not_found": N_("%(what)s was not found."),
    "unauthenticated": N_("Please sign in (a valid token or session is required)."),
    "forbidden": N_("You do not have permission to do this."),
    "csrf_failed": N_("The security token (CSRF) is missing or invalid. Please reload the page."),
    "invalid_input": N_("The input is invalid: %(fields)s."),
    "invalid_query": N_("Invalid value for the parameter %(fields)s."),
    "naive_datetime": N_("The instant %(field)s needs a time zone offset, e.g. 2026-12-03T14:00:00+01:00."),
    "end_before_start": N_("The end must be after the start."),
    "stream_url_not_https": N_("The stream address must be an https:// address."),
    "stream_needs_online_mode": N_("A stream needs the attendance mode online or hybrid."),
    "online_capacity_needs_hybrid": N_("Online places of their own are for hybrid sessions only."),
    "participation_not_offered": N_("This session cannot be attended that way."),
    "range_too_long": N_("The period is too long: at most %(max_days)s days."),
    "email_taken": N_("An account with this e-mail address already exists."),
    "card_taken": N_("Another account already has this library card number."),
    "birth_date_verified": N_(
        "The library has verified your birth date, so it can no longer be changed here. "
        "Please ask at the desk if it is wrong."
    ),
    "weak_password": N_("The password is too weak: at least 10 characters and not a common password."),
    "invalid_credentials": N_("E-mail address or password is wrong."),
    "too_many_attempts": N_("Too many failed sign-in attempts. Please wait %(minutes)s minutes."),
    "too_many_reset_requests": N_("Too many password reset requests. Please wait %(minutes)s minutes."),
    "too_many_registrations": N_("Too many new accounts from this address. Please wait %(minutes)s minutes."),
    "too_many_verification_requests": N_(
        "Too many requests for a confirmation link. Please wait %(minutes)s minutes."
    ),
    "email_unverified": N_(
        "Please confirm your e-mail address first: click the link in the mail we sent you. "
        "Your account page can send the link again."
    ),
    "verification_link_invalid": N_(
        "This confirmation link is invalid, has expired or has already been used. Please ask for a new one."
    ),
    "reset_link_invalid": N_(
        "This password reset link is invalid, has expired or has already been used. Please request a new one."
    ),
    "wrong_password": N_("The password is wrong."),
    "last_admin": N_("You are the last administrator. Please make someone else an administrator first."),
    "still_on_loan": N_(
        "You still have something from the library on loan. Please bring it back first; "
        "then you can delete your account."
    ),
    "own_admin_role": N_("You cannot give up your own admin role; another administrator has to do that."),
    "own_account_active": N_("You cannot deactivate your own account."),
    "method_not_allowed": N_("This method is not allowed here."),
    "request_too_large": N_("The request is too large."),
    "malformed_body": N_("The request body cannot be read: it must be well-formed JSON or a form, in UTF-8."),
    "busy": N_("The service is very busy right now. Please try again in a few seconds."),
    "unstorable_value": N_(
        "A value cannot be stored: a number is too large or a text contains a NUL character."
    ),
    # Booking rules (API.md, Bookings)
    "slot_taken": N_("Nothing is free at that time. One of the alternatives may suit you."),
    "outside_opening_hours": N_("The time is outside the opening hours."),
    "closed": N_("The library is closed that day. %(reason)s"),
    "needs_staff": N_("This offer needs library staff and can only be booked in staffed hours."),
    "beyond_horizon": N_("You cannot book that far ahead: at most %(horizon_days)s days."),
    "too_soon": N_("That is too soon: please book at least %(lead_minutes)s minutes ahead."),
    "too_short": N_("The booking is too short: at least %(min_minutes)s minutes."),
    "too_long": N_("The booking is too long: at most %(max_minutes)s minutes."),
    "not_aligned": N_(
        "Start and end must be on the %(slot_minutes)s-minute grid, counted from midnight (e.g. 14:00)."
    ),
    "quota_active": N_("You already hold %(max_active_bookings)s upcoming bookings of this offer."),
    "quota_week": N_("This would take you over %(max_minutes_per_week)s minutes this week."),
    "quota_day": N_("This offer can be booked at most %(max_bookings_per_day)s times a day."),
    "quota_day_minutes": N_("This would take you over %(max_minutes_per_day)s minutes that day."),
    "certification_required": N_("This device needs the induction '%(certification)s'."),
    "certification_expired": N_(
        "Your induction '%(certification)s' expired on %(expired_at)s. A refresher renews it."
    ),
    "certification_required_workshop": N_(
        "This device needs the induction '%(certification)s'. The workshop '%(workshop_title)s' gives it."
    ),
    "certification_expired_workshop": N_(
        "Your induction '%(certification)s' expired on %(expired_at)s. The workshop "
        "'%(workshop_title)s' renews it."
    ),
    "max_age": N_("This offer is for ages up to %(max_age)s."),
    "registration_closed": N_("Registration for this session is not open."),
    "already_registered": N_("You are already registered for this session."),
    "person_registered": N_("This person is already registered for this session."),
    "over_capacity_needs_reason": N_(
        "All %(capacity)s places are taken: a place beyond them needs a reason, "
        "which is kept in the audit log."
    ),
    "session_cancelled": N_("This session has been cancelled and can no longer be changed."),
    "capacity_below_taken": N_(
        "%(taken)s places are already taken, so the session needs at least %(taken)s places. "
        "To have fewer, cancel registrations first."
    ),
    "no_sessions_to_copy": N_("This workshop has no sessions to copy."),
    "copy_refused": N_(
        "Nothing was copied: the rooms of some sessions cannot be booked on the new dates (see each session)."
    ),
    "lottery_not_drawn": N_("In a lottery, places are added by hand only after the draw."),
    "not_a_lottery": N_("This session has no lottery."),
    "already_drawn": N_("The places have already been drawn."),
    "registration_open": N_("The draw happens after registration closes."),
    "min_age": N_("This offer is for ages %(min_age)s and up."),
    "min_age_unknown": N_(
        "This offer is for ages %(min_age)s and up. Please add your birth date to your account."
    ),
    "unit_blocked": N_("The device is blocked at that time (e.g. maintenance)."),
    "resource_unavailable": N_("This offer cannot be booked at the moment."),
    "cancel_too_late": N_(
        "Cancelling is possible until %(minutes)s minutes before the start. Please ask at the desk."
    ),
    "checkin_window": N_("Check-in is only possible shortly before and after the start."),
    "move_too_late": N_(
        "Moving is possible until %(minutes)s minutes before the start. Please ask at the desk."
    ),
    "move_not_yours": N_(
        "You can change the time of your booking; another unit or offer only the desk can give."
    ),
    "undo_too_late": N_("A check-in can be undone only within %(minutes)s minutes."),
    "unit_not_of_resource": N_("This unit does not belong to the chosen offer (field %(fields)s)."),
    "message_not_dead": N_("Only a message that was given up can be tried again; this one is '%(status)s'."),
    "invalid_state": N_("This is not possible for a booking in the state '%(status)s'."),
    "reason_required": N_("Please give a reason (field %(fields)s)."),
    "override_needs_reason": N_("An exception to the rules needs a reason."),
    "unknown_user": N_("There is no account with that e-mail address."),
    "override_out_of_bounds": N_(
        "An exception to the rules stays within bounds: at most 31 days long, from a year ago to five "
        "years ahead (field %(fields)s)."
    ),
    "series_out_of_bounds": N_("A series may reach at most two years ahead."),
    "series_conflicts": N_("Some dates of the series cannot be booked; nothing was booked."),
    # Holds (API.md, Loans, holds and defects)
    "hold_whole_days": N_("A thing is lent for whole days: the length must be a multiple of 1440 minutes."),
    "hold_window_too_few_days": N_(
        "The period must hold the whole loan: a pickup day and the %(days)s days after it."
    ),
    "hold_minutes_grid": N_("The length must be a multiple of %(slot_minutes)s minutes."),
    "hold_window_past": N_("This period is already over. Please choose a later one."),
    "hold_window_too_short": N_("The period must be at least as long as the wanted %(minutes)s minutes."),
    "hold_exists": N_("You are already waiting for this offer in that period."),
    "hold_closed": N_("This hold has ended already ('%(status)s')."),
    "not_offered": N_("Nothing is offered to you on this hold at the moment ('%(status)s')."),
    "offer_expired": N_("The offer has expired and has passed to the next person waiting."),
    # Loans (API.md, Loans, holds and defects)
    "lent_by_days": N_("This thing is lent for whole days: please reserve it for pickup."),
    "not_for_loan": N_("This offer is not lent to take home; please book a time instead."),
    "pickup_in_past": N_("The pickup day has passed: please choose today or a later day."),
    "due_before_pickup": N_("The return day must not be before the pickup day."),
    "loan_too_long": N_("A loan lasts at most %(loan_days)s days."),
    "pickup_closed": N_("The library is closed on the pickup day: please choose an opening day."),
    "due_closed": N_("The library is closed on the return day: please choose an opening day."),
    "unknown_part": N_("This is not one of the parts of the thing (field %(fields)s)."),
    "loan_taken": N_("Nothing is free for those days. Please try other days."),
    "renewal_refused": N_("The loan cannot be renewed."),
    "renewal_max_renewals": N_("The loan has already been renewed %(max_renewals)s times."),
    "renewal_held_by_others": N_(
        "The loan cannot be renewed: someone else has reserved the thing after you."
    ),
    # Inventory and house rules (API.md, staff)
    "slug_taken": N_("The slug '%(slug)s' is already taken. Please choose another one (field slug)."),
    "inventory_number_taken": N_("The inventory number '%(number)s' is already taken."),
    "label_taken": N_("A unit of this offer is already called '%(label)s'."),
    "unit_has_bookings": N_(
        "This unit still has %(count)s upcoming bookings. Please move or cancel them first, or "
        "confirm with force that you will handle them."
    ),
    "unknown_location": N_("There is no location '%(slug)s'."),
    "unknown_certification": N_("There is no certification '%(key)s'."),
    "policy_out_of_range": N_("The value of %(fields)s must be a whole number between %(low)s and %(high)s."),
    "policy_min_above_max": N_(
        "The minimum length (%(min_minutes)s minutes) is longer than the maximum (%(max_minutes)s minutes)."
    ),
    "invalid_time": N_("The time in %(fields)s is invalid: please write it as HH:MM, e.g. 09:30."),
    "invalid_weekday": N_("The weekday in %(fields)s must be between 1 (Monday) and 7 (Sunday)."),
    "periods_overlap": N_("The periods of one day overlap (%(fields)s)."),
    "periods_required": N_("Special hours need at least one period (or closed: true for a closure)."),
    "closed_with_periods": N_(
        "A closure has no opening periods: please leave out periods or set closed: false."
    ),
    "dates_out_of_order": N_("The last date must not be before the first."),
    "loan_parts_en_count": N_(
        "Please give the parts in English in the order of the German ones, one for each of the "
        "%(count)s parts, or none (field %(fields)s)."
    ),
    # Defects and maintenance (library.booking.defects, library.booking.maintenance)
    "report_text_required": N_("Please describe the problem (field %(fields)s)."),
    "report_text_too_long": N_("The text is too long: at most %(max_chars)s characters (field %(fields)s)."),
    "report_closed": N_("This report has already been closed."),
    "plan_empty": N_("A maintenance plan needs at least one of every_hours, every_bookings or every_days."),
    "no_quiet_time": N_("There is no free time for this unit within %(days)s days."),
    # Photos (library.pictures)
    "photo_too_large": N_("The picture is too large: at most %(max_mib)s MiB."),
    "photo_type": N_("This file is not a picture we can use. Please upload a JPEG, PNG or WebP image."),
    "photo_too_many_pixels": N_("The picture has too many pixels: at most %(max_megapixels)s megapixels."),
    "alt_required": N_("Please describe what the picture shows, for people who cannot see it."),
    "alt_too_long": N_("The description is too long: at most %(max_chars)s characters."),
    "server_error": N_("An internal error occurred. It has been logged."),
}


class LibraryError(Exception):
    """A refusal a person can act on: a stable code, the fields concerned, the values its sentence needs.

    Each subclass says what kind of refusal it is; how that is answered (an HTTP status, a message
    next to a field) is the presenters' business. `extra` holds further answer members, e.g. the
    alternatives to a taken slot; a presenter that knows more per field may give its own `errors`.
    """

    def __init__(
        self,
        code: str,
        *fields: str,
        source: str = "body",
        extra: dict[str, Any] | None = None,
        message_key: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields
        self.source = source
        self.message_key = message_key or code
        self.params = params
        self.extra = extra or {}

    def detail(self, lang: Lang) -> str:
        return message(self.message_key, lang, **{"fields": ", ".join(self.fields), **self.params})


@dataclass(frozen=True)
class Phrase:
    """A text of the catalogues (an English msgid) with its values, for a sentence's placeholder:
    it is translated with the sentence, into the sentence's language."""

    msgid: str
    values: Mapping[str, Any]


class NotFound(LibraryError):
    """The thing asked for does not exist (or the asker may not know that it does).

    `what` names it, a msgid such as `N_("The booking %(id)s")` with its values.
    """

    def __init__(self, what: str, **values: Any) -> None:
        super().__init__("not_found", what=Phrase(what, values))


class NotSignedIn(LibraryError):
    """Nobody is signed in, or the credentials given do not sign anyone in."""


class NotAllowed(LibraryError):
    """A role or a house rule forbids this to the person asking."""


class Conflict(LibraryError):
    """The current state does not allow it: a taken slot, a used name, a booking already cancelled."""


class InvalidInput(LibraryError):
    """What was given cannot be used; the fields concerned are named."""


class TooLarge(LibraryError):
    """What was given is larger than the service takes (an uploaded file)."""


class InvalidLink(LibraryError):
    """A link from a mail that no longer works: unknown, expired or already used."""


class TryLater(LibraryError):
    """Not now: `retry_after` says in how many seconds asking again can succeed."""

    def __init__(self, code: str, *, retry_after: int, message_key: str | None = None, **params: Any) -> None:
        super().__init__(code, message_key=message_key, **params)
        self.retry_after = retry_after


class TooManyAttempts(TryLater):
    """Too many tries in a short time (sign-ins, reset requests): a brake against guessing."""


class Busy(TryLater):
    """The service is overloaded for a moment; nothing is broken."""


def message(code: str, lang: Lang, **params: Any) -> str:
    """The sentence for a code in a language, its placeholders filled in that language.

    A date is written in the language's format; a parameter may itself be a `Phrase`.
    """
    values = {key: _in_language(value, lang) for key, value in params.items()}
    try:
        return translate(lang, MESSAGES.get(code, code), **values).strip()
    except (KeyError, TypeError, ValueError):
        return translate(lang, MESSAGES.get(code, code))


@dataclass(frozen=True)
class Bilingual:
    """Data kept in two languages (a certification's name, a workshop's title) for a sentence's
    placeholder: the sentence's language picks, German where there is no English."""

    name: str
    name_en: str | None = None  # the pair a template's `localised(value, "name")` reads too


def _in_language(value: Any, lang: Lang) -> Any:
    if isinstance(value, Phrase):
        return translate(lang, value.msgid, **value.values)
    if isinstance(value, Bilingual):
        return pick(lang, value.name, value.name_en)
    if isinstance(value, date):
        return format_numeric_date(value, lang)
    return value
