"""Input the database cannot hold is refused with a problem, never a 500 (found by schemathesis)."""

from __future__ import annotations

from library.accounts.models import Role
from library.db import Database
from tests import factories
from tests.factories import assert_problem, bearer
from tests.pages import Client

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
