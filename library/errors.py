"""Domain errors: refusals with a stable code and a sentence a person understands.

Domain functions raise a `LibraryError` of the kind that fits; `library.http.problems` turns it
into an HTTP status and `application/problem+json` in the request's language, and the pages show
the same sentence next to the field.
"""

from __future__ import annotations

from typing import Any

from library.i18n import Lang

MESSAGES: dict[str, tuple[str, str]] = {
    # code: (German, English); {placeholders} come from the problem's params.
    "not_found": ("{what} wurde nicht gefunden.", "{what} was not found."),
    "unauthenticated": (
        "Bitte melden Sie sich an (gültiges Token oder Sitzung erforderlich).",
        "Please sign in (a valid token or session is required).",
    ),
    "forbidden": (
        "Dafür fehlen Ihnen die Berechtigungen.",
        "You do not have permission to do this.",
    ),
    "csrf_failed": (
        "Das Sicherheitstoken (CSRF) fehlt oder ist ungültig. Bitte laden Sie die Seite neu.",
        "The security token (CSRF) is missing or invalid. Please reload the page.",
    ),
    "invalid_input": (
        "Die Eingabe ist ungültig: {fields}.",
        "The input is invalid: {fields}.",
    ),
    "invalid_query": (
        "Ungültiger Wert für den Parameter {fields}.",
        "Invalid value for the parameter {fields}.",
    ),
    "naive_datetime": (
        "Der Zeitpunkt {field} braucht eine Zeitzone, z. B. 2026-12-03T14:00:00+01:00.",
        "The instant {field} needs a time zone offset, e.g. 2026-12-03T14:00:00+01:00.",
    ),
    "end_before_start": (
        "Das Ende muss nach dem Beginn liegen.",
        "The end must be after the start.",
    ),
    "range_too_long": (
        "Der Zeitraum ist zu lang: höchstens {max_days} Tage.",
        "The period is too long: at most {max_days} days.",
    ),
    "email_taken": (
        "Für diese E-Mail-Adresse gibt es schon ein Konto.",
        "An account with this e-mail address already exists.",
    ),
    "weak_password": (
        "Das Passwort ist zu schwach: mindestens 10 Zeichen und kein gängiges Passwort.",
        "The password is too weak: at least 10 characters and not a common password.",
    ),
    "invalid_credentials": (
        "E-Mail-Adresse oder Passwort stimmen nicht.",
        "E-mail address or password is wrong.",
    ),
    "too_many_attempts": (
        "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {minutes} Minuten.",
        "Too many failed sign-in attempts. Please wait {minutes} minutes.",
    ),
    "too_many_reset_requests": (
        "Zu viele Anfragen zum Zurücksetzen des Passworts. Bitte warten Sie {minutes} Minuten.",
        "Too many password reset requests. Please wait {minutes} minutes.",
    ),
    "reset_link_invalid": (
        "Dieser Link zum Zurücksetzen des Passworts ist ungültig, abgelaufen oder schon benutzt. "
        "Bitte fordern Sie einen neuen an.",
        "This password reset link is invalid, has expired or has already been used. "
        "Please request a new one.",
    ),
    "wrong_password": (
        "Das Passwort stimmt nicht.",
        "The password is wrong.",
    ),
    "last_admin": (
        "Sie sind die letzte Person mit Admin-Rechten. Geben Sie diese Rechte zuerst jemand anderem.",
        "You are the last administrator. Please make someone else an administrator first.",
    ),
    "own_admin_role": (
        "Ihre eigenen Admin-Rechte können Sie nicht abgeben; "
        "das muss eine andere Person mit Admin-Rechten tun.",
        "You cannot give up your own admin role; another administrator has to do that.",
    ),
    "own_account_active": (
        "Ihr eigenes Konto können Sie nicht deaktivieren.",
        "You cannot deactivate your own account.",
    ),
    "method_not_allowed": (
        "Diese Methode ist hier nicht erlaubt.",
        "This method is not allowed here.",
    ),
    "request_too_large": ("Die Anfrage ist zu groß.", "The request is too large."),
    "busy": (
        "Gerade ist sehr viel los. Bitte versuchen Sie es in ein paar Sekunden noch einmal.",
        "The service is very busy right now. Please try again in a few seconds.",
    ),
    "unstorable_value": (
        "Ein Wert lässt sich nicht speichern: eine Zahl ist zu groß oder ein Text enthält ein Nullzeichen.",
        "A value cannot be stored: a number is too large or a text contains a NUL character.",
    ),
    # Booking rules (API.md, Bookings)
    "slot_taken": (
        "Zu dieser Zeit ist kein Exemplar frei. Vielleicht passt eine der Alternativen.",
        "Nothing is free at that time. One of the alternatives may suit you.",
    ),
    "outside_opening_hours": (
        "Die Zeit liegt außerhalb der Öffnungszeiten.",
        "The time is outside the opening hours.",
    ),
    "closed": ("An diesem Tag ist geschlossen. {reason}", "The library is closed that day. {reason}"),
    "needs_staff": (
        "Dieses Angebot braucht Personal der Bibliothek und ist nur in betreuten Zeiten buchbar.",
        "This offer needs library staff and can only be booked in staffed hours.",
    ),
    "beyond_horizon": (
        "So weit im Voraus kann nicht gebucht werden: höchstens {horizon_days} Tage.",
        "You cannot book that far ahead: at most {horizon_days} days.",
    ),
    "too_soon": (
        "Das ist zu kurzfristig: bitte mindestens {lead_minutes} Minuten im Voraus buchen.",
        "That is too soon: please book at least {lead_minutes} minutes ahead.",
    ),
    "too_short": (
        "Die Buchung ist zu kurz: mindestens {min_minutes} Minuten.",
        "The booking is too short: at least {min_minutes} minutes.",
    ),
    "too_long": (
        "Die Buchung ist zu lang: höchstens {max_minutes} Minuten.",
        "The booking is too long: at most {max_minutes} minutes.",
    ),
    "not_aligned": (
        "Beginn und Ende müssen auf dem {slot_minutes}-Minuten-Raster liegen, "
        "gezählt ab Mitternacht (z. B. 14:00).",
        "Start and end must be on the {slot_minutes}-minute grid, counted from midnight (e.g. 14:00).",
    ),
    "quota_active": (
        "Sie haben schon {max_active_bookings} offene Buchungen für dieses Angebot.",
        "You already hold {max_active_bookings} upcoming bookings of this offer.",
    ),
    "quota_week": (
        "Damit würden Sie mehr als {max_minutes_per_week} Minuten in dieser Woche buchen.",
        "This would take you over {max_minutes_per_week} minutes this week.",
    ),
    "quota_day": (
        "Dieses Angebot ist höchstens {max_bookings_per_day}-mal am Tag buchbar.",
        "This offer can be booked at most {max_bookings_per_day} times a day.",
    ),
    "quota_day_minutes": (
        "Damit würden Sie mehr als {max_minutes_per_day} Minuten an diesem Tag buchen.",
        "This would take you over {max_minutes_per_day} minutes that day.",
    ),
    "certification_required": (
        "Für dieses Gerät brauchen Sie die Einweisung „{certification}“.",
        "This device needs the induction '{certification}'.",
    ),
    "certification_expired": (
        "Ihre Einweisung „{certification}“ ist am {expired_at:%d.%m.%Y} abgelaufen. "
        "Eine Auffrischung erneuert sie.",
        "Your induction '{certification}' expired on {expired_at:%Y-%m-%d}. A refresher renews it.",
    ),
    "certification_required_workshop": (
        "Für dieses Gerät brauchen Sie die Einweisung „{certification}“. "
        "Der Workshop „{workshop_title}“ vermittelt sie.",
        "This device needs the induction '{certification}'. The workshop '{workshop_title}' gives it.",
    ),
    "certification_expired_workshop": (
        "Ihre Einweisung „{certification}“ ist am {expired_at:%d.%m.%Y} abgelaufen. "
        "Der Workshop „{workshop_title}“ erneuert sie.",
        "Your induction '{certification}' expired on {expired_at:%Y-%m-%d}. "
        "The workshop '{workshop_title}' renews it.",
    ),
    "max_age": ("Dieses Angebot ist bis {max_age} Jahre.", "This offer is for ages up to {max_age}."),
    "registration_closed": (
        "Die Anmeldung für diesen Termin ist nicht offen.",
        "Registration for this session is not open.",
    ),
    "already_registered": (
        "Sie sind für diesen Termin schon angemeldet.",
        "You are already registered for this session.",
    ),
    "not_a_lottery": ("Dieser Termin wird nicht verlost.", "This session has no lottery."),
    "already_drawn": ("Die Plätze sind schon verlost.", "The places have already been drawn."),
    "registration_open": (
        "Verlost wird erst nach dem Ende der Anmeldung.",
        "The draw happens after registration closes.",
    ),
    "min_age": ("Dieses Angebot ist erst ab {min_age} Jahren.", "This offer is for ages {min_age} and up."),
    "min_age_unknown": (
        "Dieses Angebot ist ab {min_age} Jahren. Bitte tragen Sie Ihr Geburtsdatum in Ihrem Konto ein.",
        "This offer is for ages {min_age} and up. Please add your birth date to your account.",
    ),
    "unit_blocked": (
        "Das Gerät ist zu dieser Zeit gesperrt (z. B. Wartung).",
        "The device is blocked at that time (e.g. maintenance).",
    ),
    "resource_unavailable": (
        "Dieses Angebot ist derzeit nicht buchbar.",
        "This offer cannot be booked at the moment.",
    ),
    "cancel_too_late": (
        "Stornieren ist nur bis {minutes} Minuten vor Beginn möglich. Bitte wenden Sie sich an die Theke.",
        "Cancelling is possible until {minutes} minutes before the start. Please ask at the desk.",
    ),
    "checkin_window": (
        "Einchecken ist nur kurz vor und nach dem Beginn möglich.",
        "Check-in is only possible shortly before and after the start.",
    ),
    "message_not_dead": (
        "Nur eine aufgegebene Nachricht kann erneut versucht werden; diese ist „{status}“.",
        "Only a message that was given up can be tried again; this one is '{status}'.",
    ),
    "invalid_state": (
        "Das geht bei einer Buchung im Zustand „{status}“ nicht.",
        "This is not possible for a booking in the state '{status}'.",
    ),
    "reason_required": (
        "Bitte geben Sie einen Grund an (Feld {fields}).",
        "Please give a reason (field {fields}).",
    ),
    "override_needs_reason": (
        "Eine Ausnahme von den Regeln braucht eine Begründung.",
        "An exception to the rules needs a reason.",
    ),
    "unknown_user": (
        "Es gibt kein Konto mit dieser E-Mail-Adresse.",
        "There is no account with that e-mail address.",
    ),
    "series_conflicts": (
        "Einige Termine der Serie sind nicht buchbar; es wurde nichts gebucht.",
        "Some dates of the series cannot be booked; nothing was booked.",
    ),
    # Inventory and house rules (API.md, staff)
    "slug_taken": (
        "Die Kurzbezeichnung „{slug}“ ist schon vergeben. Bitte wählen Sie eine andere (Feld slug).",
        "The slug '{slug}' is already taken. Please choose another one (field slug).",
    ),
    "inventory_number_taken": (
        "Die Inventarnummer „{number}“ ist schon vergeben.",
        "The inventory number '{number}' is already taken.",
    ),
    "label_taken": (
        "Ein Exemplar dieses Angebots heißt schon „{label}“.",
        "A unit of this offer is already called '{label}'.",
    ),
    "unit_has_bookings": (
        "Für dieses Exemplar gibt es noch {count} anstehende Buchungen. Bitte verlegen oder "
        "stornieren Sie sie zuerst, oder bestätigen Sie mit force, dass Sie sie selbst regeln.",
        "This unit still has {count} upcoming bookings. Please move or cancel them first, or confirm "
        "with force that you will handle them.",
    ),
    "unknown_location": (
        "Es gibt keinen Standort „{slug}“.",
        "There is no location '{slug}'.",
    ),
    "unknown_certification": (
        "Es gibt keine Einweisung „{key}“.",
        "There is no certification '{key}'.",
    ),
    "policy_out_of_range": (
        "Der Wert für {fields} muss eine ganze Zahl zwischen {low} und {high} sein.",
        "The value of {fields} must be a whole number between {low} and {high}.",
    ),
    "policy_min_above_max": (
        "Die Mindestdauer ({min_minutes} Minuten) ist länger als die Höchstdauer ({max_minutes} Minuten).",
        "The minimum length ({min_minutes} minutes) is longer than the maximum ({max_minutes} minutes).",
    ),
    "invalid_time": (
        "Die Uhrzeit in {fields} ist ungültig: bitte als HH:MM schreiben, z. B. 09:30.",
        "The time in {fields} is invalid: please write it as HH:MM, e.g. 09:30.",
    ),
    "invalid_weekday": (
        "Der Wochentag in {fields} muss zwischen 1 (Montag) und 7 (Sonntag) liegen.",
        "The weekday in {fields} must be between 1 (Monday) and 7 (Sunday).",
    ),
    "periods_overlap": (
        "Die Zeiträume eines Tages überschneiden sich ({fields}).",
        "The periods of one day overlap ({fields}).",
    ),
    "periods_required": (
        "Sonderöffnungszeiten brauchen mindestens einen Zeitraum (oder closed: true für eine Schließung).",
        "Special hours need at least one period (or closed: true for a closure).",
    ),
    "closed_with_periods": (
        "Eine Schließung hat keine Öffnungszeiten: bitte periods weglassen oder closed: false setzen.",
        "A closure has no opening periods: please leave out periods or set closed: false.",
    ),
    "dates_out_of_order": (
        "Das letzte Datum darf nicht vor dem ersten liegen.",
        "The last date must not be before the first.",
    ),
    "server_error": (
        "Ein interner Fehler ist aufgetreten. Er wurde protokolliert.",
        "An internal error occurred. It has been logged.",
    ),
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


class NotFound(LibraryError):
    """The thing asked for does not exist (or the asker may not know that it does)."""

    def __init__(self, what_de: str, what_en: str) -> None:
        super().__init__("not_found", what=(what_de, what_en))


class NotSignedIn(LibraryError):
    """Nobody is signed in, or the credentials given do not sign anyone in."""


class NotAllowed(LibraryError):
    """A role or a house rule forbids this to the person asking."""


class Conflict(LibraryError):
    """The current state does not allow it: a taken slot, a used name, a booking already cancelled."""


class InvalidInput(LibraryError):
    """What was given cannot be used; the fields concerned are named."""


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
    german, english = MESSAGES.get(code, (code, code))
    template = english if lang == "en" else german
    # A parameter may itself be bilingual: a (German, English) pair.
    values = {
        key: (value[1] if lang == "en" else value[0]) if isinstance(value, tuple) else value
        for key, value in params.items()
    }
    try:
        return template.format(**values).strip()
    except (KeyError, IndexError, ValueError):
        return template
