"""Problems: errors with a stable code and a sentence a person understands (RFC 9457).

Domain functions raise `Problem`; the API turns it into `application/problem+json` in the
request's language, and the pages show the same sentence next to the field.
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
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
    "range_too_long": N_("The period is too long: at most %(max_days)s days."),
    "email_taken": N_("An account with this e-mail address already exists."),
    "weak_password": N_("The password is too weak: at least 10 characters and not a common password."),
    "invalid_credentials": N_("E-mail address or password is wrong."),
    "too_many_attempts": N_("Too many failed sign-in attempts. Please wait %(minutes)s minutes."),
    "too_many_reset_requests": N_("Too many password reset requests. Please wait %(minutes)s minutes."),
    "reset_link_invalid": N_(
        "This password reset link is invalid, has expired or has already been used. Please request a new one."
    ),
    "wrong_password": N_("The password is wrong."),
    "last_admin": N_("You are the last administrator. Please make someone else an administrator first."),
    "own_admin_role": N_("You cannot give up your own admin role; another administrator has to do that."),
    "own_account_active": N_("You cannot deactivate your own account."),
    "method_not_allowed": N_("This method is not allowed here."),
    "request_too_large": N_("The request is too large."),
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
    "message_not_dead": N_("Only a message that was given up can be tried again; this one is '%(status)s'."),
    "invalid_state": N_("This is not possible for a booking in the state '%(status)s'."),
    "reason_required": N_("Please give a reason (field %(fields)s)."),
    "override_needs_reason": N_("An exception to the rules needs a reason."),
    "unknown_user": N_("There is no account with that e-mail address."),
    "series_conflicts": N_("Some dates of the series cannot be booked; nothing was booked."),
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
    "server_error": N_("An internal error occurred. It has been logged."),
}


class Problem(Exception):
    """An error a client can act on: an HTTP status, a stable code and a localised sentence."""

    def __init__(
        self,
        status: int,
        code: str,
        *,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        message_key: str | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message_key = message_key or code
        self.params = params or {}
        self.extra = extra or {}
        self.headers = headers or {}

    def detail(self, lang: Lang) -> str:
        return message(self.message_key, lang, **self.params)

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase

    def body(self, lang: Lang) -> dict[str, Any]:
        return {
            "type": "about:blank",
            "status": self.status,
            "title": self.title,
            "detail": self.detail(lang),
            "code": self.code,
            **self.extra,
        }


def message(code: str, lang: Lang, **params: Any) -> str:
    """The sentence for a code in a language, its placeholders filled in that language.

    A date is written in the language's format; a parameter may itself be bilingual, a
    (German, English) pair.
    """
    values = {key: _in_language(value, lang) for key, value in params.items()}
    try:
        return translate(lang, MESSAGES.get(code, code), **values).strip()
    except (KeyError, TypeError, ValueError):
        return translate(lang, MESSAGES.get(code, code))


def _in_language(value: Any, lang: Lang) -> Any:
    if isinstance(value, tuple):
        return pick(lang, *value)
    if isinstance(value, date):
        return format_numeric_date(value, lang)
    return value


def field_problem(status: int, code: str, field: str, *, source: str = "body", **params: Any) -> Problem:
    """A problem that names the offending field (API.md: a 422 names the fields)."""
    return Problem(
        status,
        code,
        params={"fields": field, **params},
        extra={"errors": [{"field": field, "source": source}]},
    )


def not_found(what_de: str, what_en: str) -> Problem:
    """A 404 whose sentence names the thing, in either language."""
    return Problem(404, "not_found", params={"what": (what_de, what_en)})
