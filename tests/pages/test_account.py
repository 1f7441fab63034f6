"""Account pages: register, profile, calendar address, export and deletion, password reset, privacy."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from library.accounts.models import EmailVerification, Language, User
from library.accounts.verification import verification_token
from library.audit.models import AuditEntry
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support import factories
from tests.support.api import Client, client_from
from tests.support.factories import DEFAULT_PASSWORD
from tests.support.forms import post_form, sign_in, sign_in_with_form, submit_form

EN = {"accept-language": "en"}
NEW_PASSWORD = "Donau-Ufer-Morgen-7"


def register_data(**fields: str) -> dict[str, str]:
    return {
        "name": "Berta Beispiel",
        "email": "berta@example.org",
        "password": NEW_PASSWORD,
        "birth_date": "1995-03-14",
        "language": "en",
        **fields,
    }


async def test_registering_signs_in_and_keeps_the_chosen_language(client: Client, db: Database) -> None:
    form = await client.get("/register")
    assert form.status_code == 200
    assert '<html lang="de">' in form.text
    assert 'for="field-birth_date"' in form.text

    account = await submit_form(
        client, "/register", register_data(), form_page="/register", lands_on="/account?done=welcome"
    )
    assert account.status_code == 200
    assert '<html lang="en">' in account.text  # the language chosen
    assert "Welcome! Your account is ready and you are signed in." in account.text
    assert 'value="1995-03-14"' in account.text
    async with db.read() as session:
        user = await session.scalar(select(User).where(User.email == "berta@example.org"))
    assert user is not None
    assert user.name == "Berta Beispiel"
    assert user.language.value == "en"
    # Signed in already: the form is not shown again.
    again = await client.get("/register", follow_redirects=False)
    assert again.headers["location"] == "/account"


async def test_registering_many_accounts_from_one_address_is_refused_for_a_while(
    client: Client, settings: Settings
) -> None:
    for number in range(settings.registrations_per_hour):
        made = await post_form(
            client, "/register", register_data(email=f"person-{number}@example.org"), form_page="/register"
        )
        assert made.status_code == 303, made.text
        client.cookies.clear()  # signed out again, to register the next one
    refused = await post_form(client, "/register", register_data(), form_page="/register")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Zu viele neue Konten" in refused.text
    elsewhere = client_from(client, "198.51.100.7")
    other = await post_form(elsewhere, "/register", register_data(), form_page="/register")
    assert other.status_code == 303, other.text


async def test_an_attacker_at_the_sign_in_page_does_not_lock_the_owner_out(
    client: Client, db: Database
) -> None:
    await factories.create_user(db)
    for attempt in range(5):
        failed = await sign_in_with_form(client, "anna@example.org", f"geraten-{attempt}")
        assert failed.status_code == 401
    attacker = await sign_in_with_form(client, "anna@example.org", DEFAULT_PASSWORD)
    assert attacker.status_code == 429
    owner = await sign_in_with_form(client_from(client, "198.51.100.7"), "anna@example.org")
    assert owner.status_code == 303, owner.text


async def test_registration_errors_stand_next_to_their_fields_and_the_password_is_never_shown(
    client: Client, db: Database
) -> None:
    await factories.create_user(db, "taken@example.org")

    bad_email = await post_form(
        client, "/register", register_data(email="not-an-address"), form_page="/register"
    )
    assert bad_email.status_code == 422
    assert 'id="error-email"' in bad_email.text
    assert 'value="not-an-address"' in bad_email.text
    assert NEW_PASSWORD not in bad_email.text

    weak = await post_form(client, "/register", register_data(password="password"), form_page="/register")
    assert weak.status_code == 422
    assert re.search(r'id="error-password">Das Passwort ist zu schwach', weak.text)
    assert 'value="Berta Beispiel"' in weak.text

    taken = await post_form(
        client, "/register", register_data(email="Taken@example.org"), form_page="/register"
    )
    assert taken.status_code == 409
    assert re.search(r'id="error-email">Für diese E-Mail-Adresse gibt es schon ein Konto', taken.text)
    assert NEW_PASSWORD not in taken.text

    missing = await post_form(
        client,
        "/register",
        {"name": "", "email": "", "password": "", "birth_date": "1.2.3"},
        form_page="/register",
    )
    assert missing.status_code == 422
    for field in ("name", "email", "password", "birth_date"):
        assert f'id="error-{field}"' in missing.text
    future = await post_form(
        client, "/register", register_data(birth_date="2030-01-01"), form_page="/register"
    )
    assert future.status_code == 422
    assert 'id="error-birth_date"' in future.text


async def test_the_account_page_needs_a_sign_in_and_shows_certifications(
    client: Client, db: Database
) -> None:
    anonymous = await client.get("/account", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Faccount"

    anna = await factories.create_user(db, birth_date=date(1990, 5, 1))
    laser = await factories.create_certification(db, "laser-cutter", name="Einweisung Lasercutter")
    sewing = await factories.create_certification(
        db, "sewing", name="Einweisung Nähmaschine", name_en="Sewing"
    )
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    await factories.grant_certification(
        db, anna, laser, granted_at=now, expires_at=datetime(2027, 6, 1, tzinfo=UTC)
    )
    await factories.grant_certification(
        db, anna, sewing, granted_at=now - timedelta(days=400), expires_at=now - timedelta(days=30)
    )
    await sign_in(client, "anna@example.org")

    page = await client.get("/account", headers=EN)
    assert page.status_code == 200
    assert "anna@example.org" in page.text
    assert "Einweisung Lasercutter:" in page.text
    assert "valid until Tuesday, 1 June 2027" in page.text
    assert "Sewing:" in page.text
    assert "expired on Sunday, 1 November 2026" in page.text
    german = await client.get("/account")
    assert "Dienstag, 1. Juni 2027" in german.text


async def test_the_profile_is_saved_and_a_bad_birth_date_is_explained(client: Client, db: Database) -> None:
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    bad = await post_form(
        client,
        "/account",
        {"name": "Anna M.", "birth_date": "31.12.90", "language": "de"},
        form_page="/account",
    )
    assert bad.status_code == 422
    assert 'id="error-birth_date"' in bad.text
    assert "TT.MM.JJJJ" in bad.text  # how to write it, in the page's language
    assert 'value="31.12.90"' in bad.text
    assert 'value="Anna M."' in bad.text

    page = await submit_form(
        client,
        "/account",
        {"name": "Anna M.", "birth_date": "1990-12-31", "language": "en"},
        form_page="/account",
        lands_on="/account?done=profile_saved",
    )
    assert "Your details have been saved." in page.text
    assert 'value="1990-12-31"' in page.text
    me = (await client.get("/api/v1/me")).json()
    assert (me["name"], me["birth_date"], me["language"]) == ("Anna M.", "1990-12-31", "en")


async def test_every_birth_date_change_is_in_the_audit_log(client: Client, db: Database) -> None:
    user = await factories.create_user(db, birth_date=date(2010, 4, 1))
    await sign_in(client, "anna@example.org")
    for birth_date in ("1990-04-01", "1990-04-01", ""):
        saved = await post_form(
            client,
            "/account",
            {"name": "Anna", "birth_date": birth_date, "language": "de"},
            form_page="/account",
        )
        assert saved.status_code == 303, saved.text
    async with db.read() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "user.birth_date").order_by(AuditEntry.id)
            )
        ).all()
    # Saving the same date again changes nothing and records nothing.
    assert [(e.actor_id, e.object_id, e.before, e.after) for e in entries] == [
        (user.id, str(user.id), {"birth_date": "2010-04-01"}, {"birth_date": "1990-04-01"}),
        (user.id, str(user.id), {"birth_date": "1990-04-01"}, {"birth_date": None}),
    ]


async def test_the_calendar_address_is_shown_once_and_renewed(
    client: Client, db: Database, settings: Settings
) -> None:
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    first = await post_form(client, "/account/calendar", {}, form_page="/account")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    url = re.search(r'value="(http[^"]+\.ics)"', first.text)
    assert url is not None
    path = url.group(1).removeprefix(settings.base_url)
    assert (await client.get(path)).status_code == 200
    assert "Make a new calendar address" in (await client.get("/account", headers=EN)).text

    second = await post_form(client, "/account/calendar", {}, form_page="/account")
    renewed = re.search(r'value="(http[^"]+\.ics)"', second.text)
    assert renewed is not None
    assert renewed.group(1) != url.group(1)
    assert (await client.get(path)).status_code == 404  # the old address stopped working

    # The buttons' addresses lead to the account page (after signing in again, say).
    assert (await client.get("/account/calendar", follow_redirects=False)).headers["location"] == "/account"
    off = await post_form(client, "/account/calendar/off", {}, form_page="/account")
    assert off.headers["location"] == "/account?done=calendar_off"
    assert "Make my calendar address" in (await client.get("/account", headers=EN)).text


async def test_my_data_is_exported_as_a_json_download(client: Client, db: Database) -> None:
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    response = await client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="library-data-')
    data = json.loads(response.text)
    assert data["profile"]["email"] == "anna@example.org"
    assert "password_hash" not in response.text


async def test_deleting_the_account_asks_for_the_password_then_signs_out(
    client: Client, db: Database
) -> None:
    anna = await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    form = await client.get("/account/delete", headers=EN)
    assert form.status_code == 200
    assert "This cannot be undone." in form.text

    wrong = await post_form(
        client, "/account/delete", {"password": "not-my-password"}, form_page="/account/delete"
    )
    assert wrong.status_code == 422
    assert re.search(r'id="error-password">Das Passwort stimmt nicht', wrong.text)
    assert (await client.get("/account")).status_code == 200  # still there

    done = await post_form(
        client, "/account/delete", {"password": DEFAULT_PASSWORD}, form_page="/account/delete"
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/?done=account_deleted"
    home = await client.get("/?done=account_deleted", headers=EN)
    assert "Your account has been deleted and you have been signed out." in home.text
    assert 'href="/login"' in home.text
    assert (await client.get("/account", follow_redirects=False)).status_code == 303
    async with db.read() as session:
        gone = await session.get(User, anna.id)
    assert gone is not None
    assert gone.deleted_at is not None
    assert gone.email != "anna@example.org"


async def test_a_password_reset_answers_the_same_and_the_link_sets_a_new_password(
    client: Client, db: Database, settings: Settings
) -> None:
    from library.accounts.resets import reset_token

    anna = await factories.create_user(db)
    page = await client.get("/password-reset", headers=EN)
    assert page.status_code == 200
    assert 'for="field-email"' in page.text

    for email in ("anna@example.org", "nobody@example.org"):
        response = await post_form(client, "/password-reset", {"email": email}, form_page="/password-reset")
        assert response.status_code == 303
        assert response.headers["location"] == "/password-reset?done=reset_requested"
    notice = await client.get("/password-reset?done=reset_requested", headers=EN)
    # No mail server is set in the tests: the notice promises no e-mail now (web.common.mail_on).
    assert (
        "If there is an account with this e-mail address, a link to set a new password goes out"
        in notice.text
    )
    assert "valid for 30 minutes" in notice.text
    empty = await post_form(client, "/password-reset", {"email": ""}, form_page="/password-reset")
    assert empty.status_code == 422
    assert 'id="error-email"' in empty.text

    async with db.read() as session:
        from library.accounts.models import PasswordReset

        reset = await session.scalar(select(PasswordReset).where(PasswordReset.user_id == anna.id))
        assert reset is not None
        queued = await session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == anna.id))
        assert queued is not None
    token = reset_token(settings.secret_key, reset.nonce)
    link = f"/password-reset/{token}"
    form = await client.get(link, headers=EN)
    assert form.status_code == 200
    assert form.headers["referrer-policy"] == "no-referrer"

    differ = await post_form(
        client, link, {"password": NEW_PASSWORD, "password_repeat": "other"}, form_page=link
    )
    assert differ.status_code == 422
    assert 'id="error-password_repeat"' in differ.text
    assert NEW_PASSWORD not in differ.text
    weak = await post_form(
        client, link, {"password": "password", "password_repeat": "password"}, form_page=link
    )
    assert weak.status_code == 422
    assert 'id="error-password"' in weak.text

    done = await post_form(
        client, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}, form_page=link
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=password_changed"
    assert (await client.get("/account")).status_code == 200  # signed in with the new password's session
    await sign_in(client, "anna@example.org", NEW_PASSWORD)

    used = await post_form(
        client, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}, form_page=link
    )
    assert used.status_code == 400
    assert "Dieser Link zum Zurücksetzen des Passworts ist ungültig" in used.text
    assert 'href="/password-reset"' in used.text


async def test_the_privacy_page_names_the_retention_period_and_no_person(
    client: Client, db: Database, clock: SettableClock
) -> None:
    page = await client.get("/privacy", headers=EN)
    assert page.status_code == 200
    assert "90 days after they are over" in page.text
    assert 'href="/account"' in page.text
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    signed_in = await client.get("/privacy")
    main = signed_in.text.split('<main id="main"', 1)[1]
    assert "anna@example.org" not in main
    assert "Anna Muster" not in main


async def latest_verification_link(db: Database, settings: Settings, email: str) -> str:
    async with db.read() as session:
        found = await session.scalar(
            select(EmailVerification)
            .join(User, User.id == EmailVerification.user_id)
            .where(User.email == email)
            .order_by(EmailVerification.id.desc())
        )
    assert found is not None
    return f"/verify-email/{verification_token(settings.secret_key, found.nonce)}"


async def test_the_account_page_asks_to_confirm_the_address_and_sends_the_link_again(
    client: Client, db: Database, settings: Settings
) -> None:
    registered = await post_form(client, "/register", register_data(language="de"), form_page="/register")
    assert registered.status_code == 303
    page = await client.get("/account")
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in page.text
    assert 'action="/account/verification"' in page.text
    assert "Sobald Sie ihn angeklickt haben" not in page.text  # booking needs no confirmation here
    assert (
        "Ihr Link geht hinaus, sobald es wieder geht"  # no mail server in the tests: no promise
        in (await submit_form(client, "/account/verification", {}, form_page="/account")).text
    )

    link = await latest_verification_link(db, settings, "berta@example.org")
    button = await client.get(link)
    assert button.status_code == 200
    assert button.headers["referrer-policy"] == "no-referrer"
    done = await submit_form(client, link, {}, form_page=link)
    assert "Ihre E-Mail-Adresse ist bestätigt" in done.text
    assert "Link erneut senden" not in done.text
    used = await post_form(client, link, {}, form_page="/account")
    assert used.status_code == 400
    assert "Bestätigungslink ist ungültig" in used.text


async def test_with_verification_on_the_booking_form_refuses_an_unverified_account(
    verifying_client: Client, db: Database, settings: Settings
) -> None:
    location = await factories.create_location(db)
    await factories.create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1")
    registered = await post_form(
        verifying_client, "/register", register_data(language="de"), form_page="/register"
    )
    assert registered.status_code == 303
    form = {"date": "2026-12-02", "start": "14:00", "length": "60"}
    refused = await post_form(
        verifying_client, "/resources/gruppenraum-1/book", form, form_page="/resources/gruppenraum-1"
    )
    assert refused.status_code == 403
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in refused.text
    assert 'action="/account/verification"' in refused.text  # the link, sent again at a click
    account = await verifying_client.get("/account")
    assert "Sobald Sie ihn angeklickt haben, können Sie buchen" in account.text

    link = await latest_verification_link(db, settings, "berta@example.org")
    assert (await post_form(verifying_client, link, {}, form_page=link)).status_code == 303
    booked = await post_form(
        verifying_client, "/resources/gruppenraum-1/book", form, form_page="/resources/gruppenraum-1"
    )
    assert booked.status_code == 303, booked.text


async def test_the_accounts_language_applies_right_after_signing_in(client: Client, db: Database) -> None:
    await factories.create_user(db, "eve@example.org", language=Language.EN)

    german_form = await client.get("/login")
    assert '<html lang="de">' in german_form.text  # the browser asks for nothing: German
    signed = await post_form(
        client, "/login", {"email": "eve@example.org", "password": factories.DEFAULT_PASSWORD, "next": "/"}
    )
    assert signed.status_code == 303
    home = await client.get(signed.headers["location"])
    assert '<html lang="en">' in home.text
