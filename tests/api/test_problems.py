"""Each kind of domain error answers with one HTTP status, chosen in library.http alone."""

from __future__ import annotations

import pytest

from library.errors import (
    Busy,
    Conflict,
    InvalidInput,
    InvalidLink,
    LibraryError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    TooManyAttempts,
)
from library.http.problems import HttpProblem, headers_of, problem_body, status_of
from library.i18n import N_


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidLink("reset_link_invalid"), 400),
        (NotSignedIn("unauthenticated"), 401),
        (NotAllowed("forbidden"), 403),
        (NotFound(N_("The account")), 404),
        (Conflict("email_taken"), 409),
        (InvalidInput("weak_password", "password"), 422),
        (TooManyAttempts("too_many_attempts", retry_after=90, minutes=2), 429),
        (Busy("busy", retry_after=5), 503),
        (HttpProblem(405, "method_not_allowed"), 405),
    ],
)
def test_each_kind_has_its_status(error: LibraryError, status: int) -> None:
    assert status_of(error) == status
    assert problem_body(error, "en")["status"] == status


def test_waiting_says_when_to_try_again() -> None:
    throttled = TooManyAttempts("too_many_attempts", retry_after=90, minutes=2)
    assert headers_of(throttled) == {"Retry-After": "90"}
    assert headers_of(Busy("busy", retry_after=5)) == {"Retry-After": "5"}


def test_only_a_missing_or_refused_token_is_challenged() -> None:
    assert headers_of(NotSignedIn("unauthenticated")) == {"WWW-Authenticate": "Bearer"}
    assert headers_of(NotSignedIn("invalid_credentials")) == {}


def test_the_body_names_the_fields_and_carries_the_extra_members() -> None:
    body = problem_body(InvalidInput("range_too_long", "to", source="query", max_days=31), "en")
    assert body["errors"] == [{"field": "to", "source": "query"}]
    assert body["detail"] == "The period is too long: at most 31 days."
    taken = problem_body(Conflict("slot_taken", extra={"alternatives": []}), "en")
    assert taken["alternatives"] == []
    assert "errors" not in taken


def test_what_was_not_found_is_named_in_the_answers_language() -> None:
    missing = NotFound(N_("The workshop '%(slug)s'"), slug="laser-1")
    assert missing.detail("de") == "Der Workshop „laser-1“ wurde nicht gefunden."
    assert missing.detail("en") == "The workshop 'laser-1' was not found."
    assert NotFound(N_("The booking %(id)s"), id=7).detail("de") == "Die Buchung 7 wurde nicht gefunden."
