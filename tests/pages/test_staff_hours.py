"""Staff opening hours: the weekly periods and the dated exceptions of each location."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library.accounts.models import Role
from library.catalog.models import Location, OpeningException, OpeningPeriod
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in
from tests.support.staff_pages import assert_staff_only

HOURS = "/staff/hours"
WEEK = "/staff/hours/zentralbibliothek/week"
EXCEPTIONS = "/staff/hours/zentralbibliothek/exceptions"


async def staff_world(db: Database) -> None:
    await factories.create_location(
        db, weekly=[factories.hours(1, "10:00", "19:00"), factories.hours(6, "10:00", "14:00")]
    )
    await factories.create_location(
        db, slug="weststadt", name="Weststadt", name_en=None, position=1, weekly=[]
    )
    await factories.create_user(db, "sam@example.org", role=Role.STAFF)


async def weekly(db: Database) -> list[tuple[int, time, time, bool]]:
    async with db.read() as session:
        rows = await session.scalars(
            select(OpeningPeriod).order_by(OpeningPeriod.location_id, OpeningPeriod.weekday)
        )
        return [(r.weekday, r.start_time, r.end_time, r.staffed) for r in rows]


async def locations(db: Database) -> list[Location]:
    async with db.read() as session:
        return list(await session.scalars(select(Location)))


async def exceptions(db: Database) -> list[OpeningException]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(OpeningException)
                .options(selectinload(OpeningException.periods))
                .order_by(OpeningException.id)
            )
        )


async def test_the_hours_pages_are_for_staff_only(client: Client, db: Database) -> None:
    await staff_world(db)
    await assert_staff_only(client, db, HOURS)


async def test_staff_see_the_week_of_the_chosen_location(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")

    central = await client.get(HOURS)
    west = await client.get(HOURS + "?location=weststadt")
    english = await client.get(HOURS, headers={"accept-language": "en"})

    assert central.status_code == 200
    assert 'value="19:00"' in central.text
    assert '<option value="6" selected>' in central.text
    assert 'value="19:00"' not in west.text
    assert "Öffnungszeiten" in central.text
    assert "Every week at Central Library" in english.text


async def test_staff_change_add_and_remove_weekly_periods(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    form = {
        "rows": "5",
        "weekday-0": "1",
        "start-0": "09:00",
        "end-0": "18:00",
        "staffed-0": "on",
        "weekday-1": "6",
        "start-1": "10:00",
        "end-1": "14:00",
        "staffed-1": "on",
        "remove-1": "on",
        "weekday-2": "3",
        "start-2": "12:00",
        "end-2": "20:00",
        "weekday-3": "",
        "start-3": "",
        "end-3": "",
    }

    response = await post_form(client, WEEK, form, form_page=HOURS)

    assert response.status_code == 303
    assert response.headers["location"] == "/staff/hours?location=zentralbibliothek&done=week_saved"
    assert await weekly(db) == [(1, time(9), time(18), True), (3, time(12), time(20), False)]
    shown = await client.get(response.headers["location"])
    assert "Die wöchentlichen Öffnungszeiten wurden gespeichert." in shown.text


async def test_wrong_weekly_periods_are_explained_in_their_row(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    form = {
        "rows": "3",
        "weekday-0": "1",
        "start-0": "09:00",
        "end-0": "13:00",
        "weekday-1": "",
        "start-1": "halb neun",
        "end-1": "12:00",
        "weekday-2": "1",
        "start-2": "12:00",
        "end-2": "18:00",
    }

    wrong = await post_form(client, WEEK, form, form_page=HOURS)
    overlapping = await post_form(
        client, WEEK, {**form, "weekday-1": "", "start-1": "", "end-1": ""}, form_page=HOURS
    )

    assert wrong.status_code == 422
    assert 'id="error-weekday-1"' in wrong.text
    assert 'id="error-start-1"' in wrong.text
    assert 'value="halb neun"' in wrong.text
    assert overlapping.status_code == 422
    assert 'id="error-start-2"' in overlapping.text
    assert await weekly(db) == [(1, time(10), time(19), True), (6, time(10), time(14), True)]


async def test_staff_add_change_and_remove_an_exception(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")

    closed = await post_form(
        client,
        EXCEPTIONS,
        {
            "date_from": "2026-12-24",
            "date_to": "2026-12-26",
            "kind": "closed",
            "reason": "Weihnachten",
            "reason_en": "Christmas",
        },
        form_page=HOURS,
    )
    special = await post_form(
        client,
        EXCEPTIONS,
        {
            "date_from": "2026-12-31",
            "date_to": "",
            "kind": "special",
            "reason": "Silvester",
            "pstart-0": "10:00",
            "pend-0": "12:00",
            "pstaffed-0": "on",
            "pstart-1": "12:00",
            "pend-1": "14:00",
        },
        form_page=HOURS,
    )

    assert closed.status_code == 303
    assert special.status_code == 303
    [christmas, new_year] = await exceptions(db)
    assert (christmas.date_from, christmas.date_to, christmas.closed) == (
        date(2026, 12, 24),
        date(2026, 12, 26),
        True,
    )
    assert new_year.date_to == date(2026, 12, 31)
    assert [(p.start_time, p.end_time, p.staffed) for p in new_year.periods] == [
        (time(10), time(12), True),
        (time(12), time(14), False),
    ]
    page = await client.get(HOURS)
    assert "Weihnachten" in page.text
    assert f"/staff/hours/exceptions/{christmas.id}/remove" in page.text

    edit = f"/staff/hours/exceptions/{christmas.id}"
    form = await client.get(edit)
    assert 'value="2026-12-26"' in form.text
    changed = await post_form(
        client,
        edit,
        {
            "date_from": "2026-12-24",
            "date_to": "2026-12-24",
            "kind": "special",
            "reason": "Heiligabend",
            "pstart-0": "10:00",
            "pend-0": "13:00",
        },
        form_page=edit,
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == "/staff/hours?location=zentralbibliothek&done=exception_saved"
    [christmas, _] = await exceptions(db)
    assert (christmas.date_to, christmas.closed, christmas.reason) == (
        date(2026, 12, 24),
        False,
        "Heiligabend",
    )

    asked = await post_form(
        client,
        f"/staff/hours/exceptions/{christmas.id}/remove",
        {"location": "zentralbibliothek"},
        form_page=HOURS,
    )
    assert asked.status_code == 200
    assert 'name="location" value="zentralbibliothek"' in asked.text
    assert len(await exceptions(db)) == 2
    removed = await post_form(
        client,
        f"/staff/hours/exceptions/{christmas.id}/remove",
        {"location": "zentralbibliothek", "confirm": "yes"},
        form_page=HOURS,
    )
    assert removed.status_code == 303
    assert [e.reason for e in await exceptions(db)] == ["Silvester"]


async def test_wrong_exceptions_are_explained_next_to_the_field(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")

    backwards = await post_form(
        client,
        EXCEPTIONS,
        {"date_from": "2026-12-26", "date_to": "2026-12-24", "kind": "closed", "reason": ""},
        form_page=HOURS,
    )
    no_hours = await post_form(
        client,
        EXCEPTIONS,
        {"date_from": "2026-12-31", "kind": "special", "reason": "Silvester"},
        form_page=HOURS,
    )
    overlapping = await post_form(
        client,
        EXCEPTIONS,
        {
            "date_from": "2026-12-31",
            "kind": "special",
            "reason": "Silvester",
            "pstart-0": "10:00",
            "pend-0": "12:00",
            "pstart-1": "11:00",
            "pend-1": "13:00",
        },
        form_page=HOURS,
    )

    assert backwards.status_code == 422
    assert 'id="error-reason"' in backwards.text
    assert no_hours.status_code == 422
    assert 'id="error-pstart-0"' in no_hours.text
    assert overlapping.status_code == 422
    assert 'id="error-pstart-1"' in overlapping.text
    assert 'value="Silvester"' in overlapping.text
    assert await exceptions(db) == []
    dates = await post_form(
        client,
        EXCEPTIONS,
        {"date_from": "2026-12-26", "date_to": "2026-12-24", "kind": "closed", "reason": "X"},
        form_page=HOURS,
    )
    assert 'id="error-date_to"' in dates.text


async def test_changing_an_exception_keeps_all_its_periods(client: Client, db: Database) -> None:
    await staff_world(db)
    [location] = [loc for loc in await locations(db) if loc.slug == "zentralbibliothek"]
    quarters = [
        ("08:00", "09:00", True),
        ("10:00", "11:00", True),
        ("12:00", "13:00", False),
        ("14:00", "15:00", True),
    ]
    exception = await factories.add_exception(
        db, location, date(2026, 12, 31), closed=False, reason="Silvester", periods=quarters
    )
    await sign_in(client, "sam@example.org")
    edit = f"/staff/hours/exceptions/{exception.id}"

    form = await client.get(edit)
    assert 'name="prows" value="5"' in form.text
    assert 'value="14:00"' in form.text
    typed = {
        "prows": "5",
        "date_from": "2026-12-31",
        "kind": "special",
        "reason": "Jahreswechsel",
        **{f"pstart-{i}": start for i, (start, _, _) in enumerate(quarters)},
        **{f"pend-{i}": end for i, (_, end, _) in enumerate(quarters)},
        "pstart-4": "16:00",
        "pend-4": "17:00",
    }
    changed = await post_form(client, edit, typed, form_page=edit)

    assert changed.status_code == 303
    [saved] = await exceptions(db)
    assert [f"{p.start_time:%H:%M}" for p in saved.periods] == ["08:00", "10:00", "12:00", "14:00", "16:00"]
