"""Accounts against API.md: registration, tokens, throttling, the profile, browser sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from library.accounts import service
from library.accounts.models import ApiToken, User
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from tests.support import factories
from tests.support.api import Client, client_from
from tests.support.factories import DEFAULT_PASSWORD, assert_problem, bearer
from tests.support.forms import sign_in_with_form

ENGLISH = {"Accept-Language": "en"}
REGISTER = "/api/v1/auth/register"
TOKENS = "/api/v1/auth/tokens"
ME = "/api/v1/me"
GOOD_PASSWORD = "Münster-Turm-768"


def registration(**changes: Any) -> dict[str, Any]:
    return {"email": "bert@example.org", "password": GOOD_PASSWORD, "name": "Bert Beispiel", **changes}


async def stored_user(db: Database, email: str) -> User | None:
    async with db.read() as session:
        return await session.scalar(select(User).where(User.email == email))


# --- registration ------------------------------------------------------------------------


async def test_register_creates_a_visitor(client: Client, db: Database) -> None:
    response = await client.post(REGISTER, json=registration(birth_date="2001-05-17", language="en"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {"id", "email", "name", "role"}
    assert isinstance(body["id"], int)
    assert body["email"] == "bert@example.org"
    assert body["name"] == "Bert Beispiel"
    assert body["role"] == "visitor"
    assert "password" not in response.text.lower()
    user = await stored_user(db, "bert@example.org")
    assert user is not None
    assert user.id == body["id"]
    assert user.birth_date == date(2001, 5, 17)


async def test_register_normalises_the_email(client: Client, db: Database) -> None:
    response = await client.post(REGISTER, json=registration(email="  Bert.Beispiel@Example.ORG "))
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "bert.beispiel@example.org"
    assert await stored_user(db, "bert.beispiel@example.org") is not None
    # Signing in works with any spelling of the address.
    token = await factories.get_token(client, "BERT.beispiel@example.org", GOOD_PASSWORD)
    me = await client.get(ME, headers=bearer(token))
    assert me.json()["email"] == "bert.beispiel@example.org"


@pytest.mark.parametrize("email", ["bert@example.org", "Bert@Example.org", "BERT@EXAMPLE.ORG"])
async def test_register_twice_is_409(client: Client, email: str) -> None:
    assert (await client.post(REGISTER, json=registration())).status_code == 201
    response = await client.post(REGISTER, json=registration(email=email, name="Someone Else"))
    assert_problem(response, 409, "email_taken")


@pytest.mark.parametrize(
    "password",
    [
        "kurz",
        "123456789",  # nine characters
        "Aa1!Aa1!A",  # nine characters, however mixed
        "password123",
        "Password123",
        "passwort1234",
        "1234567890",
        "bibliothek123",
    ],
)
async def test_weak_passwords_are_422(client: Client, db: Database, password: str) -> None:
    response = await client.post(REGISTER, json=registration(password=password))
    problem = assert_problem(response, 422, "weak_password")
    assert "password" in {error["field"] for error in problem.get("errors", [])}
    assert await stored_user(db, "bert@example.org") is None


async def test_ten_characters_are_enough(client: Client) -> None:
    response = await client.post(REGISTER, json=registration(password="Blau-Ulm-7"))
    assert response.status_code == 201, response.text


async def test_weak_password_detail_in_english(client: Client) -> None:
    german = assert_problem(
        await client.post(REGISTER, json=registration(password="kurz")), 422, "weak_password"
    )
    english = assert_problem(
        await client.post(REGISTER, json=registration(password="kurz"), headers=ENGLISH), 422, "weak_password"
    )
    assert german["detail"] != english["detail"]
    assert "password" in english["detail"].lower()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (registration(role="admin"), "role"),
        (registration(is_staff=True), "is_staff"),
    ],
)
async def test_unknown_fields_are_422(client: Client, db: Database, body: dict[str, Any], field: str) -> None:
    response = await client.post(REGISTER, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_input"
    # The problem names the offending field, not an internal name for the whole body.
    assert field in {error["field"] for error in problem["errors"]}
    assert field in problem["detail"]
    assert await stored_user(db, "bert@example.org") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "bert@example.org", "password": GOOD_PASSWORD}, "name"),
        (registration(email="not-an-address"), "email"),
        (registration(name="   "), "name"),
        (registration(birth_date="17.05.2001"), "birth_date"),
        (registration(language="fr"), "language"),
    ],
)
async def test_invalid_registrations_name_the_field(client: Client, body: dict[str, Any], field: str) -> None:
    response = await client.post(REGISTER, json=body)
    problem = assert_problem(response, 422, "invalid_input")
    assert field in {error["field"] for error in problem["errors"]}


# --- tokens ------------------------------------------------------------------------------


async def test_token_is_issued_with_an_expiry_with_offset(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await factories.create_user(db)
    response = await client.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {"token", "expires_at"}
    assert isinstance(body["token"], str)
    assert len(body["token"]) >= 32
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() is not None
    assert body["expires_at"].endswith("+01:00")  # Europe/Berlin in winter
    assert expires_at == clock.now() + timedelta(days=30)


async def test_two_sign_ins_give_different_tokens(client: Client, db: Database) -> None:
    await factories.create_user(db)
    assert await factories.get_token(client) != await factories.get_token(client)


async def test_wrong_password_and_unknown_email_are_both_401(client: Client, db: Database) -> None:
    await factories.create_user(db)
    wrong = await client.post(TOKENS, json={"email": "anna@example.org", "password": "falsches-passwort"})
    unknown = await client.post(TOKENS, json={"email": "niemand@example.org", "password": DEFAULT_PASSWORD})
    wrong_body = assert_problem(wrong, 401, "invalid_credentials")
    unknown_body = assert_problem(unknown, 401, "invalid_credentials")
    # Nothing tells the two apart.
    assert wrong_body == unknown_body


async def test_token_body_rejects_unknown_fields(client: Client, db: Database) -> None:
    await factories.create_user(db)
    response = await client.post(
        TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD, "remember": True}
    )
    assert response.status_code == 422


async def test_repeated_failures_throttle_the_account(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await factories.create_user(db)
    await factories.create_user(db, "bob@example.org", name="Bob")
    for attempt in range(5):
        email = "anna@example.org" if attempt % 2 else "ANNA@example.org"
        response = await client.post(TOKENS, json={"email": email, "password": f"falsch-{attempt}-xyz"})
        assert_problem(response, 401, "invalid_credentials")

    # The sixth attempt is refused even with the right password.
    sixth = await client.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert_problem(sixth, 429, "too_many_attempts")
    retry_after = int(sixth.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60 + 1  # the failures count for 15 minutes

    # Another account is not affected.
    assert await factories.get_token(client, "bob@example.org")

    clock.advance(timedelta(minutes=10))
    still = await client.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert_problem(still, 429, "too_many_attempts")

    clock.advance(timedelta(minutes=6))
    token = await factories.get_token(client)
    assert (await client.get(ME, headers=bearer(token))).status_code == 200


async def test_an_attacker_cannot_lock_the_owner_out(client: Client, db: Database) -> None:
    """Failures from the attacker's address throttle that address, never the owner elsewhere."""
    await factories.create_user(db)
    for attempt in range(service.MAX_FAILURES_PER_ACCOUNT):
        response = await client.post(
            TOKENS, json={"email": "anna@example.org", "password": f"rate-{attempt}"}
        )
        assert_problem(response, 401, "invalid_credentials")
    attacker = await client.post(TOKENS, json={"email": "anna@example.org", "password": "rate-again"})
    assert_problem(attacker, 429, "too_many_attempts")
    assert int(attacker.headers["Retry-After"]) > 0

    owner = client_from(client, "198.51.100.7")
    response = await owner.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, response.text
    # The owner's success does not free the attacker's address.
    again = await client.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert_problem(again, 429, "too_many_attempts")


async def test_an_account_under_attack_slows_down_to_one_try_per_failing_address(
    client: Client, db: Database
) -> None:
    await factories.create_user(db)
    wrong = {"email": "anna@example.org", "password": "nicht-richtig"}
    for number in range(service.ACCOUNT_UNDER_ATTACK):
        attacker = client_from(client, f"203.0.113.{number}")
        assert_problem(await attacker.post(TOKENS, json=wrong), 401, "invalid_credentials")
    # Under attack, an address that failed once on the account gets no second try ...
    attacker = client_from(client, "203.0.113.0")
    assert_problem(await attacker.post(TOKENS, json=wrong), 429, "too_many_attempts")
    # ... while a correct password from a clean address still signs in.
    owner = client_from(client, "198.51.100.7")
    right = await owner.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert right.status_code == 201, right.text


async def test_many_failures_throttle_the_address_for_every_account(client: Client, db: Database) -> None:
    await factories.create_user(db)
    for attempt in range(service.MAX_FAILURES_PER_ADDRESS):
        response = await client.post(TOKENS, json={"email": f"guess-{attempt}@example.org", "password": "x"})
        assert_problem(response, 401, "invalid_credentials")
    refused = await client.post(TOKENS, json={"email": "anna@example.org", "password": DEFAULT_PASSWORD})
    assert_problem(refused, 429, "too_many_attempts")


async def test_success_resets_the_failure_count(client: Client, db: Database) -> None:
    await factories.create_user(db)
    for _ in range(2):
        for attempt in range(4):
            response = await client.post(
                TOKENS, json={"email": "anna@example.org", "password": f"nein-{attempt}"}
            )
            assert response.status_code == 401
        await factories.get_token(client)


async def test_registrations_from_one_address_are_throttled(client: Client, settings: Settings) -> None:
    for number in range(settings.registrations_per_hour):
        response = await client.post(REGISTER, json=registration(email=f"person-{number}@example.org"))
        assert response.status_code == 201, response.text
    refused = await client.post(REGISTER, json=registration(email="one-more@example.org"))
    assert_problem(refused, 429, "too_many_attempts")
    assert 0 < int(refused.headers["Retry-After"]) <= 3600 + 1
    elsewhere = client_from(client, "198.51.100.7")
    other = await elsewhere.post(REGISTER, json=registration(email="one-more@example.org"))
    assert other.status_code == 201, other.text


# --- the profile -------------------------------------------------------------------------


async def test_me_shows_the_profile_and_current_certifications(
    client: Client, db: Database, clock: SettableClock
) -> None:
    user = await factories.create_user(db, birth_date=date(1990, 2, 3), name="Anna Muster")
    now = clock.now()
    laser = await factories.create_certification(
        db, "lasercutter", name="Lasercutter-Einweisung", name_en="Laser cutter induction"
    )
    printer = await factories.create_certification(db, "3d-druck", name="3D-Druck-Einweisung")
    sewing = await factories.create_certification(db, "naehmaschine", name="Nähmaschine")
    soldering = await factories.create_certification(db, "loetstation", name="Lötstation")
    await factories.grant_certification(db, user, laser, granted_at=now - timedelta(days=100))
    await factories.grant_certification(
        db, user, printer, granted_at=now - timedelta(days=10), expires_at=now + timedelta(days=355)
    )
    await factories.grant_certification(
        db, user, sewing, granted_at=now - timedelta(days=400), expires_at=now - timedelta(minutes=1)
    )
    await factories.grant_certification(
        db, user, soldering, granted_at=now - timedelta(days=30), revoked_at=now - timedelta(days=1)
    )
    token = await factories.get_token(client)

    response = await client.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["id"] == user.id
    assert me["email"] == "anna@example.org"
    assert me["name"] == "Anna Muster"
    assert me["role"] == "visitor"
    assert me["birth_date"] == "1990-02-03"
    held = {c["key"]: c for c in me["certifications"]}
    assert set(held) == {"lasercutter", "3d-druck"}
    assert held["lasercutter"]["name"] == "Lasercutter-Einweisung"
    assert held["lasercutter"]["expires_at"] is None
    expires_at = datetime.fromisoformat(held["3d-druck"]["expires_at"])
    assert expires_at.utcoffset() is not None
    assert expires_at == now + timedelta(days=355)

    english = (await client.get(ME, headers={**bearer(token), **ENGLISH})).json()
    assert {c["key"]: c["name"] for c in english["certifications"]}["lasercutter"] == "Laser cutter induction"

    # Once the clock passes its expiry, the 3D printing induction is gone too.
    clock.advance(timedelta(days=356))
    token = await factories.get_token(client)
    later = (await client.get(ME, headers=bearer(token))).json()
    assert [c["key"] for c in later["certifications"]] == ["lasercutter"]


async def test_me_without_credentials_is_401(client: Client) -> None:
    assert_problem(await client.get(ME), 401, "unauthenticated")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer ", "Basic YW5uYUBleGFtcGxlLm9yZzpwdw==", "garbage"],
)
async def test_me_with_bad_credentials_is_401(client: Client, db: Database, authorization: str) -> None:
    await factories.create_user(db)
    await factories.get_token(client)
    response = await client.get(ME, headers={"Authorization": authorization})
    assert_problem(response, 401, "unauthenticated")


async def test_token_expires_after_30_days(client: Client, db: Database, clock: SettableClock) -> None:
    await factories.create_user(db)
    token = await factories.get_token(client)
    clock.advance(timedelta(days=29, hours=23))
    assert (await client.get(ME, headers=bearer(token))).status_code == 200
    clock.advance(timedelta(hours=1, seconds=1))
    assert_problem(await client.get(ME, headers=bearer(token)), 401, "unauthenticated")


async def test_signing_out_revokes_only_that_token(client: Client, db: Database) -> None:
    await factories.create_user(db)
    token = await factories.get_token(client)
    other = await factories.get_token(client)
    response = await client.delete("/api/v1/auth/tokens/current", headers=bearer(token))
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(ME, headers=bearer(token)), 401, "unauthenticated")
    assert_problem(
        await client.delete("/api/v1/auth/tokens/current", headers=bearer(token)), 401, "unauthenticated"
    )
    assert (await client.get(ME, headers=bearer(other))).status_code == 200


async def test_signing_out_without_a_token_is_401(client: Client) -> None:
    assert_problem(await client.delete("/api/v1/auth/tokens/current"), 401, "unauthenticated")


async def test_secrets_are_not_stored_in_plain_text(client: Client, db: Database) -> None:
    response = await client.post(REGISTER, json=registration())
    assert response.status_code == 201
    token = await factories.get_token(client, "bert@example.org", GOOD_PASSWORD)
    async with db.read() as session:
        user = await session.scalar(select(User).where(User.email == "bert@example.org"))
        rows = (await session.scalars(select(ApiToken))).all()
    assert user is not None
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2")
    assert GOOD_PASSWORD not in user.password_hash
    assert len(rows) == 1
    assert rows[0].token_hash != token
    assert token not in rows[0].token_hash


# --- browser sessions --------------------------------------------------------------------


async def test_form_login_sets_an_http_only_session_cookie(client: Client, db: Database) -> None:
    await factories.create_user(db)
    response = await sign_in_with_form(client, "anna@example.org", DEFAULT_PASSWORD)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    session_cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("library_session=")]
    assert len(session_cookies) == 1
    assert "httponly" in session_cookies[0].lower()

    me = await client.get(ME)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "anna@example.org"


async def test_cookie_requests_to_the_api_need_the_csrf_header(client: Client, db: Database) -> None:
    await factories.create_user(db)
    assert (await sign_in_with_form(client, "anna@example.org", DEFAULT_PASSWORD)).status_code == 303
    assert "csrftoken" in client.cookies
    assert_problem(await client.delete("/api/v1/auth/tokens/current"), 403, "csrf_failed")
    wrong = await client.delete("/api/v1/auth/tokens/current", headers={"x-csrftoken": "not-the-cookie"})
    assert_problem(wrong, 403, "csrf_failed")
    # The same request that echoes the cookie gets past the CSRF check.
    echoed = await client.delete(
        "/api/v1/auth/tokens/current", headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert echoed.status_code != 403
    # Safe methods need no header; the session still works.
    assert (await client.get(ME)).status_code == 200


async def test_a_csrf_pair_of_another_session_is_refused_by_the_api(client: Client, db: Database) -> None:
    await factories.create_user(db)
    await factories.create_user(db, "mallory@example.org", name="Mallory")
    assert (await sign_in_with_form(client, "anna@example.org")).status_code == 303
    mallory = client_from(client, "198.51.100.66")
    assert (await sign_in_with_form(mallory, "mallory@example.org")).status_code == 303
    lent = mallory.cookies["csrftoken"]
    client.cookies.set("csrftoken", lent, domain="testserver.local")  # the one the server set
    forged = await client.request(
        "DELETE", "/api/v1/me", json={"password": DEFAULT_PASSWORD}, headers={"x-csrftoken": lent}
    )
    assert_problem(forged, 403, "csrf_failed")
    assert (await client.get(ME)).status_code == 200


async def test_bearer_requests_need_no_csrf_header(client: Client, db: Database) -> None:
    await factories.create_user(db)
    token = await factories.get_token(client)
    response = await client.delete("/api/v1/auth/tokens/current", headers=bearer(token))
    assert response.status_code == 204


async def test_form_login_with_wrong_password_shows_the_form_again(client: Client, db: Database) -> None:
    await factories.create_user(db)
    response = await sign_in_with_form(client, "anna@example.org", "falsches-passwort")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert 'value="anna@example.org"' in response.text
    assert "falsches-passwort" not in response.text
    assert 'class="error-summary"' in response.text
    assert "E-Mail-Adresse oder Passwort stimmen nicht." in response.text
    assert "library_session" not in client.cookies
    assert_problem(await client.get(ME), 401, "unauthenticated")


async def test_form_login_without_csrf_token_is_403(client: Client, db: Database) -> None:
    await factories.create_user(db)
    await client.get("/login")  # has the CSRF cookie, but does not send the token
    response = await client.post(
        "/login",
        data={"email": "anna@example.org", "password": DEFAULT_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "library_session" not in client.cookies


async def test_session_expires(client: Client, db: Database, clock: SettableClock) -> None:
    await factories.create_user(db)
    assert (await sign_in_with_form(client, "anna@example.org", DEFAULT_PASSWORD)).status_code == 303
    assert (await client.get(ME)).status_code == 200
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert_problem(await client.get(ME), 401, "unauthenticated")
