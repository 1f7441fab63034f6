"""Bad input is refused with a problem, never a 500: input the database cannot hold (found by
schemathesis) and bodies that are no JSON or form at all.

Schemathesis fuzzes what the OpenAPI document describes; the malformed bodies below are what no
schema describes: bytes that are not UTF-8, JSON nested past any decoder's stack, cut-off JSON,
the wrong kind of value, numbers past any type, NUL bytes. They go to every route that takes a
body, read from the application itself (as in test_access), so a new route is tried without
anyone adding it here.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import RequestFactory
from sqlalchemy.exc import TimeoutError as PoolTimeout

from library.accounts.models import Role
from library.api.problems import EXCEPTION_HANDLERS, loggable_path
from library.clock import SettableClock
from library.db import Database
from tests.api.test_access import PARAMETER, build_world, concrete, credentials, is_page
from tests.support import factories
from tests.support.api import Client
from tests.support.factories import assert_problem, bearer

TOO_BIG = 2**64 + 5


async def test_an_offset_past_any_row_is_refused(client: Client) -> None:
    response = await client.get("/api/v1/workshops", params={"offset": str(TOO_BIG)})
    assert_problem(response, 422, "invalid_query")


async def test_a_record_number_past_64_bits_is_refused(client: Client, db: Database) -> None:
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    token = await factories.get_token(client, "staff@example.org")
    for path in (f"/api/v1/bookings/{TOO_BIG}", f"/api/v1/workshop-sessions/{2**63}/registrations"):
        response = await client.get(path, headers=bearer(token))
        assert response.status_code == 422, (path, response.text)


async def test_a_nul_character_in_text_is_refused_naming_the_field(client: Client) -> None:
    """A NUL is refused on both engines (it used to be stored on SQLite), as a 422 naming the field."""
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "nul@example.org", "name": "Null\u0000Zeichen", "password": "ein-gutes-passwort-2026"},
    )
    problem = assert_problem(response, 422, "invalid_input")
    assert [error["field"] for error in problem["errors"]] == ["name"]


CONTROL_IN_TEXTS = [
    (
        "/api/v1/auth/register",
        {"email": "a@example.org", "name": "Anna\r\nBcc: x", "password": "ein-gutes-passwort-2026"},
        "name",
    ),
    (
        "/api/v1/auth/register",
        {"email": "a@example.org", "name": "Anna\u0085", "password": "ein-gutes-passwort-2026"},
        "name",
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), CONTROL_IN_TEXTS)
async def test_one_line_texts_refuse_line_breaks_and_control_characters(
    client: Client, path: str, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(await client.post(path, json=body), 422, "invalid_input")
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_staff_texts_refuse_control_characters(client: Client, db: Database) -> None:
    """Workshop titles and hosts are one line; a booking note may hold line breaks but no NUL."""
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    token = await factories.get_token(client, "staff@example.org")
    workshop = {"title": "Löten\nlernen", "description": "Zwei\nZeilen\tmit Tab", "factor": "technology"}
    problem = assert_problem(
        await client.post("/api/v1/workshops", json=workshop, headers=bearer(token)), 422, "invalid_input"
    )
    assert [error["field"] for error in problem["errors"]] == ["title"]
    host = {**workshop, "title": "Löten", "host": "Anna\u0007"}
    problem = assert_problem(
        await client.post("/api/v1/workshops", json=host, headers=bearer(token)), 422, "invalid_input"
    )
    assert [error["field"] for error in problem["errors"]] == ["host"]
    note = {"resource": "raum", "start": "2026-12-02T10:00:00+01:00", "end": "2026-12-02T11:00:00+01:00"}
    problem = assert_problem(
        await client.post("/api/v1/bookings", json={**note, "note": "a\u0000b"}, headers=bearer(token)),
        422,
        "invalid_input",
    )
    assert [error["field"] for error in problem["errors"]] == ["note"]


async def test_a_body_of_the_wrong_type_is_not_coerced(client: Client, db: Database) -> None:
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    token = await factories.get_token(client, "staff@example.org")
    location = await factories.create_location(db)
    resource = await factories.create_resource(db, location, "raum")
    body = {"resource": "raum", "start": 0, "end": "2026-12-02T11:00:00+01:00"}
    response = await client.post("/api/v1/bookings", json=body, headers=bearer(token))
    problem = assert_problem(response, 422, "invalid_input")
    assert problem["errors"][0]["field"] == "start"
    block = {"start": 0, "end": "2000-01-01T00:00:00Z", "reason": "x"}
    unit = resource.units[0].id
    response = await client.post(f"/api/v1/units/{unit}/blocks", json=block, headers=bearer(token))
    assert_problem(response, 422, "invalid_input")
    # The same body with the right types reaches the rules (here: a block in the past is fine).
    block["start"] = "1999-12-31T00:00:00Z"
    assert (
        await client.post(f"/api/v1/units/{unit}/blocks", json=block, headers=bearer(token))
    ).status_code == 201


async def test_a_cancel_without_a_body_is_documented_as_allowed(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    cancel = document["paths"]["/api/v1/bookings/{booking_id}/cancel"]["post"]
    assert cancel["requestBody"]["required"] is False
    register = document["paths"]["/api/v1/auth/register"]["post"]
    assert register["requestBody"]["required"] is True
    assert document["components"]["schemas"]["RegisterIn"]["additionalProperties"] is False


def test_logs_keep_paths_without_their_secret_tokens() -> None:
    assert loggable_path("/calendar/users/s3cr3t.ics") == "/calendar/users/…"
    assert loggable_path("/api/v1/auth/password-reset/abc/x") == "/api/v1/auth/password-reset/…/x"
    assert loggable_path("/api/v1/bookings/7") == "/api/v1/bookings/7"


def test_no_free_database_connection_is_a_503_with_retry_after() -> None:
    request = RequestFactory().get("/api/v1/resources", headers={"accept-language": "en"})
    response = EXCEPTION_HANDLERS[PoolTimeout](request, PoolTimeout("QueuePool limit reached"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.content["code"] == "busy"


# --- bodies that are no body at all ----------------------------------------------------------

DEEP = 100_000
MALFORMED: dict[str, bytes] = {
    "invalid UTF-8": b'{"email": "\xff\xfe", "name": "\xc3\x28"}',
    "invalid UTF-8 alone": b"\xff\xfe\xfd",
    "deep array": b"[" * DEEP + b"]" * DEEP,
    "deep object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "truncated": b'{"email": "a@example.org", "pass',
    "an array": b"[1, 2, 3]",
    "a string": b'"just a string"',
    "a huge integer": b'{"start": ' + b"9" * 5_000 + b', "capacity": ' + b"9" * 5_000 + b"}",
    "a huge float": b'{"start": 1e999999, "capacity": -1e999999}',
    "NUL bytes": b'{"name": "a\x00b"}\x00\x00',
    "only NUL": b"\x00" * 64,
    "form with bad bytes": b"name=%FF%FE&title=\xff\x00&_csrf_token=%00",
}
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")


def routes_taking_a_body(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every handler that reads a body: the ones with a `data` parameter."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = PARAMETER.sub(lambda match: "{" + match.group(1) + "}", route.path)
        for handler in route.route_handlers:
            if "data" in handler.parsed_fn_signature.parameters:
                found.update((method, path) for method in handler.http_methods)
    return sorted(found)


async def test_malformed_bodies_are_a_problem_on_every_route(
    client: Client, db: Database, clock: SettableClock, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world(client, db)
    routes = routes_taking_a_body(client.app)
    assert ("POST", "/api/v1/auth/tokens") in routes
    assert ("POST", "/login") in routes
    await client.get("/login")  # the CSRF cookie that unsafe page requests echo
    client.follow_redirects = False
    wrong: list[str] = []
    for method, path in routes:
        for name, body in MALFORMED.items():
            for content_type in CONTENT_TYPES:
                # Signed in as an admin: the body is read only once the door is open.
                token, session_id = await credentials(db, world.people["admin"], clock)
                headers = {"content-type": content_type, "x-csrftoken": client.cookies.get("csrftoken") or ""}
                client.cookies.pop("library_session", None)
                if is_page(path):
                    client.cookies.set("library_session", session_id or "")
                else:
                    headers.update(bearer(token or ""))
                response = await client.request(method, concrete(path, world), content=body, headers=headers)
                status = response.status_code
                problem = response.headers.get("content-type", "").startswith("application/problem+json")
                # A page may take a form with odd bytes in it (percent escapes are read as text);
                # the API must answer with a problem.
                refused = status < 500 if is_page(path) else 400 <= status < 500 and problem
                if not refused:
                    wrong.append(f"{method} {path} with {name} as {content_type}: {status}")
    assert not wrong, "\n".join(wrong)
    tracebacks = [record.getMessage() for record in caplog.records if record.exc_info]
    assert not tracebacks, tracebacks


@pytest.mark.parametrize("path", ["/api/v1/auth/tokens", "/api/v1/auth/register", "/api/v1/bookings"])
@pytest.mark.parametrize("kind", ["invalid UTF-8", "deep array", "deep object", "truncated"])
async def test_undecodable_json_is_a_malformed_body_problem_for_anyone(
    client: Client, path: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """400, not 422: the bytes are no JSON, so there is no field to name (RFC 9110, 15.5.21)."""
    response = await client.post(path, content=MALFORMED[kind], headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "malformed_body"
    assert not [record for record in caplog.records if record.exc_info], "no traceback in the log"
