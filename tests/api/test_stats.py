"""GET /api/v1/stats/*: staff only, the figures of the definitions, suppression, CSV and XLSX, and
figures that stay the same after retention (API.md, "Statistics (staff)")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from library.accounts.models import User, UserCertification
from library.booking.models import BookingStatus
from library.catalog.models import Factor, ResourceKind
from library.db import Database
from library.privacy import anonymise_expired, delete_account
from library.stats import tables
from library.stats.models import PersonKey
from library.workshops.models import Registration, RegistrationStatus, Workshop, WorkshopSession
from tests.support.api import Client, book, setup_library
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import assert_problem, bearer, create_resource, create_user, get_token
from tests.support.times import BERLIN, FRIDAY, at

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(UTC)


async def staff_token(client: Client) -> str:
    return await get_token(client, "staff@example.org")


async def stats(client: Client, token: str, figure: str, **query: str) -> Any:
    response = await client.get(f"/api/v1/stats/{figure}", params=query, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json() if query.get("format") is None else response


async def visitors(db: Database, count: int, prefix: str, birth: date) -> list[User]:
    return [
        await create_user(db, f"{prefix}{n}@example.org", name=f"{prefix} {n}", birth_date=birth)
        for n in range(count)
    ]


async def test_statistics_are_for_staff_only(client: Client, db: Database) -> None:
    await setup_library(db)
    visitor = await get_token(client)
    for figure in ("utilisation", "heatmap", "people", "workshops", "demand"):
        assert_problem(await client.get(f"/api/v1/stats/{figure}", headers=bearer(visitor)), 403, "forbidden")
        assert (await client.get(f"/api/v1/stats/{figure}")).status_code == 401
    staff = await staff_token(client)
    bad = await client.get("/api/v1/stats/utilisation", params={"group_by": "colour"}, headers=bearer(staff))
    assert bad.status_code == 422
    backwards = await client.get(
        "/api/v1/stats/people", params={"from": "2026-11-30", "to": "2026-11-01"}, headers=bearer(staff)
    )
    assert_problem(backwards, 422, "end_before_start")
    far = await client.get("/api/v1/stats/heatmap", params={"to": "9999-12-31"}, headers=bearer(staff))
    assert_problem(far, 422, "invalid_query")
    document = (await client.get("/schema/openapi.json")).json()
    for figure in ("utilisation", "heatmap", "people", "workshops", "demand"):
        content = document["paths"][f"/api/v1/stats/{figure}"]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/csv", tables.XLSX_MEDIA_TYPE} <= set(content)
    unknown = await client.get(
        "/api/v1/stats/utilisation", params={"location": "nowhere"}, headers=bearer(staff)
    )
    assert unknown.status_code == 404


async def test_refused_attempts_are_counted_without_a_person(client: Client, db: Database) -> None:
    await setup_library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    assert (await book(client, anna, "gruppenraum-1", at(FRIDAY, 10), at(FRIDAY, 11))).status_code == 201
    assert_problem(
        await book(client, ben, "gruppenraum-1", at(FRIDAY, 10), at(FRIDAY, 11)), 409, "slot_taken"
    )
    refused = await book(client, anna, "lasercutter", at(FRIDAY, 12), at(FRIDAY, 13))
    assert refused.status_code == 403, refused.text
    staff = await staff_token(client)
    week = {"from": "2026-12-01", "to": "2026-12-06"}
    by_code = await stats(client, staff, "demand", group_by="code", **week)
    assert {r["key"]: r["refused"] for r in by_code["rows"]} == {
        "slot_taken": 1,
        refused.json()["code"]: 1,
    }
    by_resource = await stats(client, staff, "demand", **week)
    assert {r["key"]: r["refused"] for r in by_resource["rows"]} == {"gruppenraum-1": 1, "lasercutter": 1}
    earlier = await stats(client, staff, "demand", **{"from": "2026-11-01", "to": "2026-11-30"})
    assert earlier["rows"] == []


async def people_in_november(db: Database) -> dict[str, Any]:
    """Six adults use a room (space) on 10 November, two of them again on the 20th; three children
    use the plotter (technology) on the 20th, one of whom had come on the 10th."""
    made = await setup_library(db)
    room = made["room"]
    printer = await create_resource(
        db, made["location"], "plotter", kind=ResourceKind.DEVICE, factor=Factor.TECHNOLOGY, units=2
    )
    adults = await visitors(db, 6, "adult", date(1980, 1, 1))
    children = await visitors(db, 3, "child", date(2016, 6, 1))
    tenth, twentieth = date(2026, 11, 10), date(2026, 11, 20)
    for n, person in enumerate(adults):
        await insert_booking(
            db,
            row(
                room.id,
                room.units[0].id,
                local(tenth, 8 + n),
                local(tenth, 9 + n),
                user_id=person.id,
                status=BookingStatus.COMPLETED,
            ),
        )
    for n, person in enumerate(adults[:2]):
        await insert_booking(
            db,
            row(
                room.id, room.units[0].id, local(twentieth, 8 + n), local(twentieth, 9 + n), user_id=person.id
            ),
        )
    await insert_booking(
        db, row(printer.id, printer.units[0].id, local(tenth, 15), local(tenth, 16), user_id=children[0].id)
    )
    for n, person in enumerate(children):
        await insert_booking(
            db,
            row(
                printer.id,
                printer.units[n % 2].id,
                local(twentieth, 10 + n),
                local(twentieth, 11 + n),
                user_id=person.id,
                status=BookingStatus.NO_SHOW,
            ),
        )
    return made


async def test_unique_people_are_counted_and_small_counts_are_suppressed(
    client: Client, db: Database
) -> None:
    await people_in_november(db)
    staff = await staff_token(client)
    period = {"from": NOVEMBER[0].isoformat(), "to": NOVEMBER[1].isoformat()}
    answer = await stats(client, staff, "people", **period)
    # Nothing kept by retention: counted over exactly the period.
    assert (answer["counted_from"], answer["counted_to"]) == (period["from"], period["to"])
    by_factor = {r["key"]: r for r in answer["rows"]}
    # Space: 6 people on the 10th, 2 of them again on the 20th: 6 people, all new.
    assert by_factor["space"] == {
        "key": "space",
        "people": 6,
        "new_people": 6,
        "returning_people": 0,
        "suppressed": False,
    }
    # Technology: 1 child on the 10th and again on the 20th with 2 more = 3: shown as nothing.
    assert by_factor["technology"]["people"] is None
    assert by_factor["technology"]["suppressed"] is True
    assert by_factor["knowhow"] == {
        "key": "knowhow",
        "people": 0,
        "new_people": 0,
        "returning_people": 0,
        "suppressed": False,
    }
    by_age = {
        r["key"]: r for r in (await stats(client, staff, "people", group_by="age_band", **period))["rows"]
    }
    assert by_age["27_64"]["people"] == 6
    assert by_age["under_12"]["people"] is None
    assert by_age["under_12"]["suppressed"]
    assert set(by_age) == {"under_12", "12_17", "18_26", "27_64", "65_plus", "unknown"}
    only_tenth = {"from": "2026-11-10", "to": "2026-11-10"}
    tenth = {r["key"]: r for r in (await stats(client, staff, "people", **only_tenth))["rows"]}
    assert (tenth["space"]["people"], tenth["space"]["new_people"], tenth["space"]["returning_people"]) == (
        6,
        6,
        0,
    )

    exported = await stats(client, staff, "people", format="csv", **period)
    assert exported.headers["content-type"] == "text/csv; header=present; charset=utf-8"
    assert exported.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    csv_by_key = {line["key"]: line for line in lines}
    assert csv_by_key["space"]["people"] == "6"
    assert csv_by_key["space"]["new_people"] == "6"
    assert (csv_by_key["space"]["counted_from"], csv_by_key["space"]["counted_to"]) == (
        "2026-11-01",
        "2026-11-30",
    )
    assert csv_by_key["technology"]["people"] == ""
    assert csv_by_key["technology"]["suppressed"] == "true"
    assert csv_by_key["space"]["from"] == "2026-11-01"

    workbook = await stats(client, staff, "people", format="xlsx", group_by="age_band", **period)
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    header, *values = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("from", "to", "key", "people")
    xlsx_by_key = {v[2]: v for v in values}
    assert xlsx_by_key["27_64"][3] == 6
    assert header[-2:] == ("counted_from", "counted_to")
    counted_to = xlsx_by_key["27_64"][-1]
    assert isinstance(counted_to, datetime)
    assert counted_to.date() == NOVEMBER[1]
    assert isinstance(xlsx_by_key["27_64"][3], int)
    assert xlsx_by_key["under_12"][3] is None
    assert isinstance(xlsx_by_key["27_64"][0], datetime)
    assert xlsx_by_key["27_64"][0].date() == NOVEMBER[0]
    for line in lines + [dict(zip(header, v, strict=True)) for v in values]:
        for column in ("people", "new_people", "returning_people"):
            assert line[column] in ("", None, "0", 0) or int(line[column]) >= 5


async def test_utilisation_exports_read_back_as_numbers(client: Client, db: Database) -> None:
    made = await setup_library(db)
    room = made["room"]
    await insert_booking(
        db,
        row(
            room.id,
            room.units[0].id,
            local(date(2026, 11, 2), 10),
            local(date(2026, 11, 2), 12),
            status=BookingStatus.CHECKED_IN,
        ),
    )
    staff = await staff_token(client)
    period = {"from": "2026-11-02", "to": "2026-11-02"}
    answer = await stats(client, staff, "utilisation", group_by="resource", **period)
    rows = {r["key"]: r for r in answer["rows"]}
    # Monday 10-19: 540 open minutes per unit.
    assert rows["gruppenraum-1"]["open_minutes"] == 540
    assert rows["gruppenraum-1"]["booked_minutes"] == rows["gruppenraum-1"]["used_minutes"] == 120
    assert rows["gruppenraum-1"]["booked_share"] == round(120 / 540, 4)
    assert rows["3d-drucker"]["open_minutes"] == 2 * 540
    assert (answer["from"], answer["to"]) == ("2026-11-02", "2026-11-02")

    workbook = await stats(client, staff, "utilisation", group_by="resource", format="xlsx", **period)
    assert workbook.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    header, *values = list(sheet.iter_rows(values_only=True))
    by_key = {v[header.index("key")]: dict(zip(header, v, strict=True)) for v in values}
    assert by_key["gruppenraum-1"]["booked_minutes"] == 120
    assert by_key["gruppenraum-1"]["booked_share"] == round(120 / 540, 4)
    first_cell = by_key["gruppenraum-1"]["from"]
    assert isinstance(first_cell, datetime)
    assert first_cell.date() == date(2026, 11, 2)

    heat = await stats(client, staff, "heatmap", **period)
    cells = {(c["weekday"], c["hour"]): c["booked_share"] for c in heat["cells"]}
    # Monday 10-12 in the first of the location's resources' units: 120 of (units x 60) per hour.
    units = 1 + 1 + 1 + 2 + 1 + 2
    assert cells[(1, 10)] == round(60 / (units * 60), 4)
    assert cells[(1, 9)] is None  # closed
    assert cells[(1, 12)] == 0


async def add_workshop(db: Database, made: dict[str, Any], people: list[User]) -> None:
    """A laser-cutter course in November: 6 places, 5 confirmed of whom 4 attended, 2 waiting;
    the 4 who attended are certified, and 2 of them book the cutter within 60 days."""
    async with db.write() as session:
        workshop = Workshop(
            slug="laser-kurs",
            title="Laserkurs",
            factor=Factor.KNOWHOW,
            grants_certification_id=made["laser"].id,
        )
        session.add(workshop)
        await session.flush()
        course = WorkshopSession(
            workshop_id=workshop.id,
            resource_id=made["room"].id,
            start_at=local(date(2026, 8, 12), 14),
            end_at=local(date(2026, 8, 12), 16),
            capacity=6,
            registration_opens=local(date(2026, 7, 1), 8),
            registration_closes=local(date(2026, 8, 12), 8),
        )
        session.add(course)
        await session.flush()
        for n, person in enumerate(people[:7]):
            status = (
                RegistrationStatus.ATTENDED
                if n < 4
                else RegistrationStatus.CONFIRMED
                if n == 4
                else RegistrationStatus.WAITLISTED
            )
            session.add(
                Registration(
                    session_id=course.id,
                    user_id=person.id,
                    status=status,
                    waitlist_position=n - 4 if status is RegistrationStatus.WAITLISTED else None,
                )
            )
        for person in people[:4]:
            session.add(
                UserCertification(
                    user_id=person.id,
                    certification_id=made["laser"].id,
                    granted_at=local(date(2026, 8, 12), 16),
                    source="workshop",
                )
            )
    cutter = made["cutter"]
    for n, person in enumerate(people[:2]):
        day = date(2026, 9, 1) + timedelta(days=n * 20)  # 20 and 40 days after
        await insert_booking(
            db,
            row(
                cutter.id,
                cutter.units[0].id,
                local(day, 10),
                local(day, 11),
                user_id=person.id,
                status=BookingStatus.COMPLETED,
            ),
        )
    # Too late to count: 80 days after.
    await insert_booking(
        db,
        row(
            cutter.id,
            cutter.units[0].id,
            local(date(2026, 10, 31), 10),
            local(date(2026, 10, 31), 11),
            user_id=people[2].id,
        ),
    )


async def test_figures_stay_the_same_after_retention(client: Client, db: Database) -> None:
    made = await people_in_november(db)
    course_people = await visitors(db, 7, "maker", date(2000, 2, 2))
    await add_workshop(db, made, course_people)
    staff = await staff_token(client)
    year = {"from": "2026-01-01", "to": "2026-12-31"}
    november = {"from": "2026-11-01", "to": "2026-11-30"}
    queries = [
        ("people", {"group_by": "factor"}),
        ("people", {"group_by": "age_band"}),
        ("people", {"group_by": "factor", **november}),
        ("people", {"group_by": "age_band", **november}),
        ("people", {"group_by": "factor", "from": "2026-08-01", "to": "2026-10-31"}),
        ("workshops", {}),
        ("utilisation", {"group_by": "factor"}),
    ]

    async def report() -> list[Any]:
        return [await stats(client, staff, figure, **{**year, **query}) for figure, query in queries]

    before = await report()
    workshop = before[5]["rows"][0]
    assert {
        k: workshop[k] for k in ("slug", "sessions", "places", "confirmed", "attended", "waitlist_peak")
    } == {"slug": "laser-kurs", "sessions": 1, "places": 6, "confirmed": 5, "attended": 4, "waitlist_peak": 2}
    assert (workshop["certifications_granted"], workshop["certified_then_booked"]) == (4, 2)
    assert workshop["fill_rate"] == round(5 / 6, 4)
    # The year: 6 adults in the room in November, 3 makers on the cutter (a space resource
    # here), each once; all new in the year (the makers came first to the course in August).
    year_by_factor = {r["key"]: r for r in before[0]["rows"]}
    assert (year_by_factor["space"]["people"], year_by_factor["space"]["new_people"]) == (9, 9)
    # The course: 5 took part (knowhow); 7 makers came in the year, all aged 26 then.
    assert (year_by_factor["knowhow"]["people"], year_by_factor["knowhow"]["new_people"]) == (5, 5)
    year_by_age = {r["key"]: r for r in before[1]["rows"]}
    assert (year_by_age["27_64"]["people"], year_by_age["18_26"]["people"]) == (6, 5)
    # August to October: 5 at the course (new), 3 of them again on the cutter (space: returning).
    autumn = {r["key"]: r for r in before[4]["rows"]}
    assert autumn["knowhow"]["people"] == 5
    assert autumn["space"]["suppressed"]
    # A single day before retention is counted exactly.
    day = {**year, "group_by": "factor", "from": "2026-11-20", "to": "2026-11-20"}
    twentieth = await stats(client, staff, "people", **day)
    assert (twentieth["counted_from"], twentieth["counted_to"]) == ("2026-11-20", "2026-11-20")
    assert {r["key"]: r["suppressed"] for r in twentieth["rows"]}["space"]  # 2 adults

    # Retention reaches past all of it, in two steps: first to late August, then the rest.
    for now in (datetime(2026, 11, 25, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)):
        async with db.write() as session:
            done = await anonymise_expired(session, now, 90)
            assert done.total > 0
    assert await report() == before
    # Kept days are known by month: the single day is widened to its month, and says so.
    widened = await stats(client, staff, "people", **day)
    assert (widened["counted_from"], widened["counted_to"]) == ("2026-11-01", "2026-11-30")
    assert widened["rows"] == before[2]["rows"]

    # An adult deletes their account: the figures stay, and once retention runs past the
    # deletion their key is gone while the markers keep counting them.
    async with db.read() as session:
        adult = await session.scalar(select(User).where(User.email == "adult0@example.org"))
    assert adult is not None
    await delete_account(db, adult, datetime(2027, 6, 2, tzinfo=UTC))
    assert await report() == before
    async with db.write() as session:
        await anonymise_expired(session, datetime(2027, 9, 10, tzinfo=UTC), 90)
    async with db.read() as session:
        assert await session.scalar(select(PersonKey).where(PersonKey.user_id == adult.id)) is None
        # 6 adults, 3 children, 5 makers who took part: 14 keys, less the deleted one.
        assert await session.scalar(select(func.count()).select_from(PersonKey)) == 13
    assert await report() == before
