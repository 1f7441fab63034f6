"""A domain error as an HTTP answer: its status, its headers and its problem details (RFC 9457).

The one place where kinds of refusal become HTTP statuses, for the API's problem JSON and for
the pages alike.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from library.errors import (
    Busy,
    Conflict,
    InvalidInput,
    InvalidLink,
    LibraryError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    TooLarge,
    TooManyAttempts,
    TryLater,
)
from library.i18n import Lang

STATUSES: dict[type[LibraryError], HTTPStatus] = {
    InvalidLink: HTTPStatus.BAD_REQUEST,
    NotSignedIn: HTTPStatus.UNAUTHORIZED,
    NotAllowed: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    InvalidInput: HTTPStatus.UNPROCESSABLE_ENTITY,
    TooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    TooManyAttempts: HTTPStatus.TOO_MANY_REQUESTS,
    Busy: HTTPStatus.SERVICE_UNAVAILABLE,
}


class HttpProblem(LibraryError):
    """What only HTTP can say: the framework's own refusals (a method not allowed, a body too large) and a
    failure of the server itself."""

    def __init__(
        self, status: int, code: str, *, headers: dict[str, str] | None = None, **params: Any
    ) -> None:
        super().__init__(code, **params)
        self.status = status
        self.headers = headers or {}


def status_of(error: LibraryError) -> int:
    """The status a kind of refusal answers with; the same on a page as in the API."""
    if isinstance(error, HttpProblem):
        return error.status
    return next(int(status) for kind, status in STATUSES.items() if isinstance(error, kind))


def headers_of(error: LibraryError) -> dict[str, str]:
    """When to try again; which credentials a missing or refused token wants (RFC 6750)."""
    if isinstance(error, HttpProblem):
        return error.headers
    if isinstance(error, TryLater):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, NotSignedIn) and error.code == "unauthenticated":
        return {"WWW-Authenticate": "Bearer"}
    return {}


def problem_body(error: LibraryError, lang: Lang) -> dict[str, Any]:
    """The problem details: the fields concerned, then any further members the error brings."""
    status = status_of(error)
    named = [{"field": field, "source": error.source} for field in error.fields]
    return {
        "type": "about:blank",
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": error.detail(lang),
        "code": error.code,
        **({"errors": named} if named else {}),
        **error.extra,
    }
