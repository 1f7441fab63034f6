"""Changing and removing a location's dated exceptions through the API, as the staff pages do."""

from __future__ import annotations

from sqlalchemy import select

from library.accounts.models import Role
from library.audit.models import AuditEntry
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.factories import assert_problem, bearer, get_token

CHRISTMAS = {"date_from": "2026-12-24", "date_to": "2026-12-26", "closed": True, "reason": "Weihnachten"}


async def staff_and_visitor(db: Database, client: Client) -> tuple[dict[str, str], dict[str, str]]:
    await factories.create_location(db)
    await factories.create_user(db, "sam@example.org", role=Role.STAFF)
    await factories.create_user(db, "anna@example.org")
    return bearer(await get_token(client, "sam@example.org")), bearer(
        await get_token(client, "anna@example.org")
    )


async def actions(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_staff_change_an_exception_and_remove_it(db: Database, client: Client) -> None:
    staff, _ = await staff_and_visitor(db, client)
    created = await client.post(
        "/api/v1/locations/zentralbibliothek/exceptions", json=CHRISTMAS, headers=staff
    )
    exception_id = created.json()["id"]

    changed = await client.put(
        f"/api/v1/exceptions/{exception_id}",
        json={
            **CHRISTMAS,
            "date_to": "2026-12-24",
            "closed": False,
            "periods": [{"start": "10:00", "end": "13:00"}],
            "reason": "Heiligabend",
        },
        headers=staff,
    )

    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "id": exception_id,
        "date_from": "2026-12-24",
        "date_to": "2026-12-24",
        "closed": False,
        "periods": [{"start": "10:00", "end": "13:00", "staffed": True}],
        "reason": "Heiligabend",
        "reason_en": None,
    }
    removed = await client.delete(f"/api/v1/exceptions/{exception_id}", headers=staff)
    assert removed.status_code == 204
    again = await client.delete(f"/api/v1/exceptions/{exception_id}", headers=staff)
    assert_problem(again, 404, "not_found")
    assert await actions(db) == [
        "location.exception",
        "location.exception_change",
        "location.exception_remove",
    ]


async def test_a_change_is_checked_like_a_new_exception_and_needs_staff(db: Database, client: Client) -> None:
    staff, visitor = await staff_and_visitor(db, client)
    created = await client.post(
        "/api/v1/locations/zentralbibliothek/exceptions", json=CHRISTMAS, headers=staff
    )
    path = f"/api/v1/exceptions/{created.json()['id']}"

    backwards = await client.put(path, json={**CHRISTMAS, "date_to": "2026-12-23"}, headers=staff)
    no_hours = await client.put(path, json={**CHRISTMAS, "closed": False}, headers=staff)
    by_visitor = await client.put(path, json=CHRISTMAS, headers=visitor)
    removed_by_visitor = await client.delete(path, headers=visitor)

    assert_problem(backwards, 422, "dates_out_of_order")
    assert_problem(no_hours, 422, "periods_required")
    assert_problem(by_visitor, 403, "forbidden")
    assert_problem(removed_by_visitor, 403, "forbidden")
    assert await actions(db) == ["location.exception"]
