"""Problems: errors with a stable code and a sentence a person understands (RFC 9457).

Domain functions raise `Problem`; the API turns it into `application/problem+json` in the
request's language, and the pages show the same sentence next to the field.
"""

from __future__ import annotations

from http import HTTPStatus
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
    "method_not_allowed": (
        "Diese Methode ist hier nicht erlaubt.",
        "This method is not allowed here.",
    ),
    "request_too_large": ("Die Anfrage ist zu groß.", "The request is too large."),
    "server_error": (
        "Ein interner Fehler ist aufgetreten. Er wurde protokolliert.",
        "An internal error occurred. It has been logged.",
    ),
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
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params or {}
        self.extra = extra or {}
        self.headers = headers or {}

    def detail(self, lang: Lang) -> str:
        return message(self.code, lang, **self.params)

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
    german, english = MESSAGES.get(code, (code, code))
    template = english if lang == "en" else german
    # A parameter may itself be bilingual: a (German, English) pair.
    values = {
        key: (value[1] if lang == "en" else value[0]) if isinstance(value, tuple) else value
        for key, value in params.items()
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def not_found(what_de: str, what_en: str) -> Problem:
    """A 404 whose sentence names the thing, in either language."""
    return Problem(404, "not_found", params={"what": (what_de, what_en)})
