"""GET /api/v1/stats/loans: loan figures against hand-computed expectations, on both engines, and
loans kept out of the utilisation figures (API.md "Statistics (staff)"; library.stats.queries)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from typing import Any

from openpyxl import load_workbook

from library.booking.models import BookingPurpose, BookingStatus, Loan, LoanStatus
from library.catalog.models import Factor, ResourceKind, UnitCondition
from library.db import Database
from library.opendata.observations import record_observations
from library.privacy import anonymise_expired
from library.stats import queries
from library.stats.rollup import roll_up
from tests.support.api import Client, setup_library
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import assert_problem, bearer, create_resource, get_token
from tests.support.times import BERLIN, TEST_NOW

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
TO_THE_END_OF_DECEMBER = {"from": "2026-11-01", "to": "2026-12-31"}  # the test clock: 1 December


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


async def lend(
    db: Database,
    thing: Any,
    unit: int,
    pickup: date,
    due: date,
    *,
    out: datetime | None,
    back: datetime | None = None,
    renewals: int = 0,
    condition: UnitCondition | None = None,
    missing: tuple[str, ...] = (),
    user_id: int | None = None,
) -> None:
    """A loan with its booking row (purpose loan) holding the unit from pickup to the due day."""
    status = (
        LoanStatus.RESERVED if out is None else LoanStatus.ON_LOAN if back is None else LoanStatus.RETURNED
    )
    booking_status = {
        LoanStatus.RESERVED: BookingStatus.CONFIRMED,
        LoanStatus.ON_LOAN: BookingStatus.CHECKED_IN,
        LoanStatus.RETURNED: BookingStatus.COMPLETED,
    }[status]
    start = local(pickup, 0)
    end = back if back is not None else local(date.fromordinal(due.toordinal() + 1), 0)
    booking_id = await insert_booking(
        db,
        row(
            thing.id,
            thing.units[unit].id,
            start,
            end,
            purpose=BookingPurpose.LOAN,
            status=booking_status,
            checked_in_at=out,
            user_id=user_id,
        ),
    )
    async with db.write() as session:
        session.add(
            Loan(
                booking_id=booking_id,
                user_id=user_id,
                pickup=pickup,
                due=due,
                status=status,
                renewals=renewals,
                checked_out_at=out,
                returned_at=back,
                condition=condition,
                missing_parts=list(missing),
                checklist=[],
                note="",
            )
        )


async def things_lent(db: Database) -> dict[str, Any]:
    """Two cameras (technology) and a sewing machine (innovation), and their loans:

    A camera 1, 2 to 9 Nov, back on the due day at 17:00 (8 days, on time);
    B camera 2, out 26 Oct (renewed once), due 5 Nov, back 7 Nov damaged without its battery
      (7 days in November, late);
    C camera 1, out 20 Nov, due 27 Nov, renewed twice, still out (overdue);
    D sewing machine reserved for 25 Nov, never picked up (not counted);
    E sewing machine out at 00:30 on 1 December (23:30 UTC on 30 November: a December loan),
      back the same morning without its spool.
    """
    made = await setup_library(db)
    camera = await create_resource(
        db, made["location"], "kamera", kind=ResourceKind.LOAN, factor=Factor.TECHNOLOGY, units=2
    )
    sewing = await create_resource(
        db, made["location"], "naehmaschine", kind=ResourceKind.LOAN, factor=Factor.INNOVATION
    )
    await lend(
        db, camera, 0, date(2026, 11, 2), date(2026, 11, 9), out=local(date(2026, 11, 2), 10),
        back=local(date(2026, 11, 9), 17), condition=UnitCondition.GOOD, user_id=made["visitor"].id,
    )  # fmt: skip
    await lend(
        db, camera, 1, date(2026, 10, 26), date(2026, 11, 5), out=local(date(2026, 10, 26), 11),
        back=local(date(2026, 11, 7), 11), renewals=1, condition=UnitCondition.DAMAGED, missing=("Akku",),
    )  # fmt: skip
    await lend(
        db, camera, 0, date(2026, 11, 20), date(2026, 11, 27), out=local(date(2026, 11, 20), 9, 30),
        renewals=2,
    )  # fmt: skip
    await lend(db, sewing, 0, date(2026, 11, 25), date(2026, 11, 28), out=None)
    await lend(
        db, sewing, 0, date(2026, 12, 1), date(2026, 12, 7), out=local(date(2026, 12, 1), 0, 30),
        back=local(date(2026, 12, 1), 9, 30), condition=UnitCondition.GOOD, missing=("Spule",),
    )  # fmt: skip
    return {**made, "camera": camera, "sewing": sewing}


async def stats(client: Client, token: str, **query: str) -> Any:
    response = await client.get("/api/v1/stats/loans", params=query, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json() if query.get("format") is None else response


def figures(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["key"]: {k: v for k, v in r.items() if k not in ("key", "label")} for r in document["rows"]}


ZERO = dict.fromkeys(queries.LOAN_FIGURES, 0)
CAMERAS_IN_NOVEMBER = {
    "loans": 2,  # A and C (B was picked up in October)
    "loan_days": 8 + 7 + 11,  # A 2-9, B 1-7, C 20-30 November
    "renewals": 2,  # C's (B's belong to October)
    "returned_on_time": 1,
    "returned_late": 1,
    "overdue_now": 1,  # C at the end of 30 November
    "overdue_days": 3,  # 27 to 30 November
    "damaged_returns": 1,
    "missing_parts_returns": 1,
}


async def test_loan_figures_follow_the_definitions(client: Client, db: Database) -> None:
    made = await things_lent(db)
    staff = await get_token(client, "staff@example.org")
    by_resource = figures(await stats(client, staff, group_by="resource", **NOVEMBER))
    assert by_resource == {"kamera": CAMERAS_IN_NOVEMBER, "naehmaschine": ZERO}
    by_factor = figures(await stats(client, staff, **NOVEMBER))
    assert by_factor == {"technology": CAMERAS_IN_NOVEMBER, "innovation": ZERO}
    by_location = figures(await stats(client, staff, group_by="location", **NOVEMBER))
    assert by_location == {made["location"].slug: CAMERAS_IN_NOVEMBER}
    # Up to today (1 December): C is out one more day and one day later; E was lent and is back.
    longer = figures(await stats(client, staff, group_by="resource", **TO_THE_END_OF_DECEMBER))
    assert longer["kamera"] == {**CAMERAS_IN_NOVEMBER, "loan_days": 8 + 7 + 12, "overdue_days": 4}
    assert longer["naehmaschine"] == {
        **ZERO,
        "loans": 1,
        "loan_days": 1,
        "returned_on_time": 1,
        "missing_parts_returns": 1,
    }
    technology = figures(await stats(client, staff, factor="technology", **NOVEMBER))
    assert list(technology) == ["technology"]


async def test_a_loan_is_not_a_booking_nor_booked_time(client: Client, db: Database) -> None:
    made = await things_lent(db)
    room = made["room"]
    await insert_booking(
        db, row(room.id, room.units[0].id, local(date(2026, 11, 3), 10), local(date(2026, 11, 3), 12))
    )
    for rolled_up in (False, True):  # from the bookings, then from the daily roll-up alike
        if rolled_up:
            async with db.write() as session:
                assert await roll_up(session, TEST_NOW) > 0
        async with db.read() as session:
            by_resource = {
                r.key: r
                for r in await queries.utilisation(
                    session, date(2026, 11, 1), date(2026, 11, 30), group_by="resource"
                )
            }
            cells = await queries.heatmap(session, date(2026, 11, 1), date(2026, 11, 30))
        camera = by_resource["kamera"]
        assert (camera.booked_minutes, camera.used_minutes, camera.bookings) == (0, 0, 0)
        assert (camera.open_minutes, camera.booked_share) == (0, None)  # never booked by the hour
        room_row = by_resource["gruppenraum-1"]
        assert (room_row.booked_minutes, room_row.bookings) == (120, 1)
        assert sum(c.booked_minutes for c in cells) == 120
        assert sum(c.open_minutes for c in cells) == sum(r.open_minutes for r in by_resource.values())


async def test_loan_figures_download_and_are_for_staff(client: Client, db: Database) -> None:
    await things_lent(db)
    visitor = await get_token(client)
    assert_problem(await client.get("/api/v1/stats/loans", headers=bearer(visitor)), 403, "forbidden")
    staff = await get_token(client, "staff@example.org")
    bad = await client.get("/api/v1/stats/loans", params={"group_by": "kind"}, headers=bearer(staff))
    assert bad.status_code == 422
    nowhere = await client.get("/api/v1/stats/loans", params={"location": "nowhere"}, headers=bearer(staff))
    assert nowhere.status_code == 404
    text = (await stats(client, staff, group_by="resource", format="csv", **NOVEMBER)).content.decode(
        "utf-8-sig"
    )
    read = list(csv.DictReader(io.StringIO(text)))
    assert read[0]["from"] == "2026-11-01"
    assert {r["key"]: (r["loans"], r["loan_days"], r["overdue_days"]) for r in read} == {
        "kamera": ("2", "26", "3"),
        "naehmaschine": ("0", "0", "0"),
    }
    workbook = load_workbook(
        io.BytesIO((await stats(client, staff, group_by="resource", format="xlsx", **NOVEMBER)).content)
    )
    sheet = workbook.active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("from", "to", "key", "label")
    camera = dict(zip(header, next(r for r in rows if r[2] == "kamera"), strict=True))
    assert (camera["loans"], camera["loan_days"], camera["overdue_now"]) == (2, 26, 1)
    assert isinstance(camera["from"], datetime)
    document = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/stats/loans" in document["paths"]


async def test_a_thing_out_on_loan_is_not_a_person_present(client: Client, db: Database) -> None:
    made = await things_lent(db)
    await lend(
        db, made["camera"], 1, date(2026, 11, 30), date(2026, 12, 3), out=local(date(2026, 11, 30), 10)
    )
    assert await record_observations(db, now=TEST_NOW, keep_days=730) > 0
    response = await client.get("/sta/v1.1/Datastreams", params={"$expand": "Observations"})
    assert response.status_code == 200, response.text
    technology = {
        stream["properties"]["kind"]: stream["Observations"][0]["result"]
        for stream in response.json()["value"]
        if stream["properties"]["factor"] == "technology"
    }
    assert technology["people_present"] == 0
    # Nor booked time: the camera's loan and its unit count neither way in the booked share.
    assert technology["booked_share"] == 0


async def test_loan_figures_stay_the_same_after_retention(client: Client, db: Database) -> None:
    await things_lent(db)
    staff = await get_token(client, "staff@example.org")
    before = await stats(client, staff, group_by="resource", **TO_THE_END_OF_DECEMBER)
    async with db.write() as session:
        assert (await anonymise_expired(session, datetime(2027, 6, 1, tzinfo=UTC), 90)).total > 0
    assert await stats(client, staff, group_by="resource", **TO_THE_END_OF_DECEMBER) == before
