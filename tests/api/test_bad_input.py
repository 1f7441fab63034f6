"""Input the database cannot hold is refused with a problem, never a 500 (found by schemathesis)."""

from __future__ import annotations

from litestar.testing import RequestFactory
from sqlalchemy.exc import TimeoutError as PoolTimeout

from library.accounts.models import Role
from library.api.problems import EXCEPTION_HANDLERS, loggable_path
from library.db import Database
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


async def test_a_nul_character_in_text_is_never_a_500(client: Client, database_url: str) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "nul@example.org", "name": "Null\u0000Zeichen", "password": "ein-gutes-passwort-2026"},
    )
    if database_url.startswith("postgresql"):
        assert_problem(response, 422, "unstorable_value")  # PostgreSQL text cannot hold NUL
    else:
        assert response.status_code == 201, response.text


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
