"""Staff pages about people: certifications held (grant, revoke) and, for admins, accounts and roles."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from library.accounts.models import Role, User, UserCertification
from library.audit.models import AuditEntry
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in, submit_form


async def people(db: Database, clock: SettableClock) -> dict[str, User]:
    """An admin, staff, two visitors; Anna holds the laser-cutter induction, Ben the sewing one."""
    laser = await factories.create_certification(
        db, "laser-cutter", name="Einweisung Lasercutter", name_en="Laser cutter induction", valid_months=12
    )
    sewing = await factories.create_certification(db, "sewing", name="Einweisung Nähmaschine")
    found = {
        "admin": await factories.create_user(db, "admin@example.org", name="Ada Admin", role=Role.ADMIN),
        "staff": await factories.create_user(db, "staff@example.org", name="Sabine Staff", role=Role.STAFF),
        "anna": await factories.create_user(db, "anna@example.org", name="Anna Muster"),
        "ben": await factories.create_user(db, "ben@example.org", name="Ben Beispiel"),
    }
    now = clock.now()
    await factories.grant_certification(
        db, found["anna"], laser, granted_at=now - timedelta(days=30), expires_at=now + timedelta(days=335)
    )
    await factories.grant_certification(db, found["ben"], sewing, granted_at=now - timedelta(days=400))
    return found


async def test_certification_and_user_pages_need_staff_and_the_user_page_an_admin(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await people(db, clock)
    for page in ("/staff/certifications", "/staff/users"):
        anonymous = await client.get(page, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=%2Fstaff%2F")
    await sign_in(client, "anna@example.org")
    assert (await client.get("/staff/certifications")).status_code == 403
    assert (await client.get("/staff/users")).status_code == 403
    await sign_in(client, "staff@example.org")
    assert (await client.get("/staff/certifications")).status_code == 200
    users = await client.get("/staff/users")
    assert users.status_code == 403  # staff are not administrators
    assert "/staff/users" not in (await client.get("/staff/certifications")).text  # nor offered the link
    ben = await post_form(client, "/staff/users/4/role", {"role": "admin"}, form_page="/staff/certifications")
    assert ben.status_code == 403
    await sign_in(client, "admin@example.org")
    admin_view = await client.get("/staff/users")
    assert admin_view.status_code == 200
    assert 'href="/staff/users" aria-current="page"' in admin_view.text


async def test_staff_see_who_holds_which_certification_until_when(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await people(db, clock)
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/certifications")
    assert page.status_code == 200
    laser, sewing = page.text.split(">Einweisung Nähmaschine</h2>")
    assert "anna@example.org" in laser
    assert "1. November 2027" in laser
    assert "ben@example.org" in sewing
    assert "Kein Ablauf" in sewing
    english = await client.get("/staff/certifications", headers={"accept-language": "en"})
    assert "Laser cutter induction" in english.text
    assert "Valid for 12 months." in english.text


async def test_staff_grant_a_certification_by_e_mail_with_a_reason(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await people(db, clock)
    await sign_in(client, "staff@example.org")
    form = {"email": "nobody@example.org", "key": "laser-cutter", "expires": "", "reason": ""}
    bad = await post_form(client, "/staff/certifications/grant", form, form_page="/staff/certifications")
    assert bad.status_code == 422
    assert 'id="error-reason"' in bad.text
    assert 'value="nobody@example.org"' in bad.text
    unknown = await post_form(
        client,
        "/staff/certifications/grant",
        {**form, "reason": "Am Tresen"},
        form_page="/staff/certifications",
    )
    assert unknown.status_code == 422
    assert 'id="error-email"' in unknown.text
    assert "Es gibt kein Konto mit dieser E-Mail-Adresse." in unknown.text
    past = await post_form(
        client,
        "/staff/certifications/grant",
        {**form, "email": "Ben@Example.org", "reason": "Am Tresen", "expires": "2026-11-30"},
        form_page="/staff/certifications",
    )
    assert past.status_code == 422
    assert 'id="error-expires"' in past.text
    shown = await submit_form(
        client,
        "/staff/certifications/grant",
        {**form, "email": "Ben@Example.org", "reason": "Einweisung am Tresen", "expires": "2027-06-30"},
        form_page="/staff/certifications",
        lands_on="/staff/certifications?done=granted",
    )
    laser = shown.text.split(">Einweisung Nähmaschine</h2>")[0]
    assert "ben@example.org" in laser
    assert "30. Juni 2027" in laser
    async with db.read() as session:
        held = await session.scalar(
            select(UserCertification).where(
                UserCertification.user_id == found["ben"].id, UserCertification.certification_id == 1
            )
        )
        assert held is not None
        assert held.note == "Einweisung am Tresen"
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "certification.grant"))
        assert audit is not None
        assert audit.reason == "Einweisung am Tresen"
        assert audit.actor_id == found["staff"].id
        assert await session.scalar(
            select(OutboxMessage.kind).where(OutboxMessage.user_id == found["ben"].id)
        ) == ("certification.granted")


async def test_staff_revoke_a_certification_with_a_reason(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await people(db, clock)
    await sign_in(client, "staff@example.org")
    revoke = {"user_id": str(found["anna"].id), "key": "laser-cutter"}
    no_reason = await post_form(
        client, "/staff/certifications/revoke", {**revoke, "reason": ""}, form_page="/staff/certifications"
    )
    assert no_reason.status_code == 422
    assert "Bitte füllen Sie dieses Feld aus." in no_reason.text
    assert 'aria-invalid="true"' in no_reason.text
    revoked = await post_form(
        client,
        "/staff/certifications/revoke",
        {**revoke, "reason": "Gerät unsachgemäß benutzt"},
        form_page="/staff/certifications",
    )
    assert revoked.status_code == 303
    shown = await client.get(revoked.headers["location"], headers={"accept-language": "en"})
    assert "The certification was revoked." in shown.text
    assert "anna@example.org" not in shown.text
    async with db.read() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "certification.revoke"))
        assert audit is not None
        assert audit.reason == "Gerät unsachgemäß benutzt"
    again = await post_form(
        client,
        "/staff/certifications/revoke",
        {**revoke, "reason": "noch mal"},
        form_page="/staff/certifications",
    )
    assert again.status_code == 404


async def test_admins_find_people_by_name_or_e_mail(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await people(db, clock)
    await sign_in(client, "admin@example.org")
    by_name = await client.get("/staff/users?q=muster")
    assert "anna@example.org" in by_name.text
    assert "ben@example.org" not in by_name.text
    assert 'value="muster"' in by_name.text
    by_mail = await client.get("/staff/users?q=BEN@")
    assert "Ben Beispiel" in by_mail.text
    assert "Anna Muster" not in by_mail.text
    nobody = await client.get("/staff/users?q=%25")
    assert "Kein Konto passt." in nobody.text
    english = await client.get("/staff/users", headers={"accept-language": "en"})
    assert "Users and roles" in english.text
    assert "Administrator" in english.text


async def test_admins_change_roles_but_not_their_own_admin_role(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await people(db, clock)
    await sign_in(client, "admin@example.org")
    assert (
        "Die Rolle wurde geändert."
        in (
            await submit_form(
                client,
                f"/staff/users/{found['ben'].id}/role",
                {"role": "staff", "q": "ben"},
                form_page="/staff/users",
                lands_on="/staff/users?q=ben&done=role_changed",
            )
        ).text
    )
    own = await post_form(
        client, f"/staff/users/{found['admin'].id}/role", {"role": "staff"}, form_page="/staff/users"
    )
    assert own.status_code == 409
    assert "Ihre eigenen Admin-Rechte können Sie nicht abgeben" in own.text
    nonsense = await post_form(
        client, f"/staff/users/{found['ben'].id}/role", {"role": "king"}, form_page="/staff/users"
    )
    assert nonsense.status_code == 422
    async with db.read() as session:
        roles = {u.email: u.role for u in await session.scalars(select(User))}
        assert roles["ben@example.org"] is Role.STAFF
        assert roles["admin@example.org"] is Role.ADMIN
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.role"))).all()
    assert [(a.object_id, a.before, a.after, a.actor_id) for a in audit] == [
        (str(found["ben"].id), {"role": "visitor"}, {"role": "staff"}, found["admin"].id)
    ]
    await sign_in(client, "ben@example.org")
    assert (await client.get("/staff/certifications")).status_code == 200  # Ben is staff now


async def test_a_deactivated_account_cannot_sign_in_until_it_is_reactivated(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await people(db, clock)
    await sign_in(client, "admin@example.org")
    myself = await post_form(
        client, f"/staff/users/{found['admin'].id}/active", {"active": "no"}, form_page="/staff/users"
    )
    assert myself.status_code == 409
    assert "Ihr eigenes Konto können Sie nicht deaktivieren." in myself.text
    listed = await submit_form(
        client, f"/staff/users/{found['anna'].id}/active", {"active": "no"}, form_page="/staff/users"
    )
    assert "Das Konto wurde deaktiviert" in listed.text
    anna_row = next(row for row in listed.text.split("<tr>") if "anna@example.org" in row)
    assert "Reaktivieren" in anna_row
    refused = await post_form(
        client, "/login", {"email": "anna@example.org", "password": factories.DEFAULT_PASSWORD, "next": "/"}
    )
    assert refused.status_code == 401
    await sign_in(client, "admin@example.org")
    on = await post_form(
        client, f"/staff/users/{found['anna'].id}/active", {"active": "yes"}, form_page="/staff/users"
    )
    assert on.status_code == 303
    await sign_in(client, "anna@example.org")
    async with db.read() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_type == "user").order_by(AuditEntry.id)
            )
        )
    assert actions == ["user.deactivate", "user.activate"]
