"""The seed catalogue in seed/ and its loader: loads, is idempotent, updates in place, explains errors."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from library.accounts.models import Certification, Role, User, UserCertification
from library.accounts.passwords import verify_password
from library.audit.models import AuditEntry
from library.booking.models import ACTIVE_STATUSES, Booking, BookingPurpose, BookingStatus
from library.booking.service import NewBooking, create_booking
from library.catalog.hours import DatedException, Period, WeeklyPeriod, hours_on
from library.catalog.models import (
    ExceptionPeriod,
    Factor,
    Location,
    OpeningException,
    OpeningPeriod,
    Policy,
    Resource,
    ResourceKind,
    Unit,
)
from library.catalog.policy import effective_policy
from library.db import Base, Database
from library.outbox.models import OutboxMessage
from library.seeding.catalogue import read_catalogue
from library.seeding.demo import read_demo
from library.seeding.files import SeedError, read_yaml
from library.seeding.load import load_seed
from library.seeding.workshops import SYSTEM_EMAIL
from library.workshops.models import SignupMode, Workshop, WorkshopSession
from tests.support.factories import create_user

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Ulm
COUNTED: tuple[type[Base], ...] = (
    Certification,
    Location,
    OpeningPeriod,
    OpeningException,
    ExceptionPeriod,
    Policy,
    Resource,
    Unit,
    User,
    UserCertification,
    Booking,
    AuditEntry,
    OutboxMessage,
    Workshop,
    WorkshopSession,
)


async def row_counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        return {
            model.__tablename__: (await session.scalar(select(func.count()).select_from(model))) or 0
            for model in COUNTED
        }


async def resource(db: Database, slug: str) -> Resource:
    async with db.read() as session:
        return (
            await session.scalars(
                select(Resource)
                .where(Resource.slug == slug)
                .options(
                    selectinload(Resource.units),
                    selectinload(Resource.policy),
                    selectinload(Resource.required_certification),
                    selectinload(Resource.location).selectinload(Location.policy),
                )
            )
        ).one()


async def location(db: Database, slug: str) -> Location:
    async with db.read() as session:
        return (
            await session.scalars(
                select(Location)
                .where(Location.slug == slug)
                .options(
                    selectinload(Location.opening_periods),
                    selectinload(Location.exceptions).selectinload(OpeningException.periods),
                )
            )
        ).one()


def copy_seed(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(SEED_DIR, target)
    return target


def edit(path: Path, change: Callable[[Any], None]) -> None:
    """Rewrite one seed file after changing its data (comments are lost; fine for a test copy)."""
    data = read_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def entry(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    return next(item for item in items if item[key] == value)


# --------------------------------------------------------------------------- the real catalogue


async def test_real_seed_loads(db: Database) -> None:
    catalogue = read_catalogue(SEED_DIR)
    report = await load_seed(db, SEED_DIR, now=NOW)

    assert report.tally("resources").created == len(catalogue.resources)
    assert report.tally("units").created == sum(len(spec.units) for spec in catalogue.resources)
    assert report.updated == 0
    counts = await row_counts(db)
    assert counts["locations"] == 5
    assert counts["certifications"] == 3
    assert counts["users"] == 1  # no demo data without --demo: only the system account
    assert counts["workshops"] == len(catalogue.workshops) == 10
    assert counts["workshop_sessions"] == sum(len(spec.sessions) for spec in catalogue.workshops) == 19
    assert counts["bookings"] == counts["workshop_sessions"]  # each session holds its room
    async with db.read() as session:
        slugs = set(await session.scalars(select(Location.slug)))
    assert slugs == {"zentralbibliothek", "boefingen", "weststadt", "eselsberg", "wiblingen"}
    assert "3 created" in report.summary()


async def test_second_load_changes_nothing(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    before = await row_counts(db)

    again = await load_seed(db, SEED_DIR, now=NOW)

    assert again.created == 0
    assert again.updated == 0
    tables = ("certifications", "locations", "resources", "units", "users", "workshops", "workshop_sessions")
    assert again.unchanged == sum(before[t] for t in tables) + before["opening_exceptions"]
    assert again.tally("workshop_sessions").unchanged == 19
    assert await row_counts(db) == before
    assert "0 created, 0 updated" in again.summary()


async def test_every_resource_has_a_factor_and_both_names(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    async with db.read() as session:
        resources = (await session.scalars(select(Resource).options(selectinload(Resource.units)))).all()
    assert resources
    for row in resources:
        assert isinstance(row.factor, Factor), row.slug
        assert isinstance(row.kind, ResourceKind), row.slug
        assert row.name.strip(), row.slug
        assert (row.name_en or "").strip(), row.slug
        assert row.description.strip(), row.slug
        assert (row.description_en or "").strip(), row.slug
        assert row.units, f"{row.slug} has no units"
    assert {row.factor for row in resources} == set(Factor)  # every factor has something to offer


async def test_saturday_afternoon_at_the_central_library_is_unstaffed(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    central = await location(db, "zentralbibliothek")

    saturday = sorted(
        (p.start_time, p.end_time, p.staffed) for p in central.opening_periods if p.weekday == 6
    )
    assert saturday == [(time(10), time(14), True), (time(14), time(19), False)]
    assert not [p for p in central.opening_periods if p.weekday == 7]  # closed on Sundays
    assert central.timezone == "Europe/Berlin"
    closed = {(e.date_from, e.date_to) for e in central.exceptions if e.closed}
    for year in (2026, 2027):
        assert (date(year, 12, 24), date(year, 12, 26)) in closed
        assert (date(year, 12, 31), date(year + 1, 1, 1)) in closed


async def test_laser_cutter_needs_induction_age_and_staff(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    laser = await resource(db, "lasercutter")

    assert laser.required_certification is not None
    assert laser.required_certification.key == "laser-cutter"
    assert laser.min_age == 16
    assert laser.needs_staff
    assert laser.kind is ResourceKind.DEVICE


async def test_3d_printer_keeps_a_cool_down_buffer(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    printer = await resource(db, "3d-drucker")

    policy = effective_policy(printer.location.policy, printer.policy)
    assert policy.buffer_minutes == 30
    assert printer.required_certification is not None
    assert printer.required_certification.key == "3d-printer"
    assert [unit.label for unit in printer.units] == ["Drucker 1", "Drucker 2"]


async def test_short_use_internet_places_allow_one_half_hour_a_day(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    places = await resource(db, "internet-kurzplatz")

    policy = effective_policy(places.location.policy, places.policy)
    assert (policy.slot_minutes, policy.min_minutes, policy.max_minutes) == (30, 30, 30)
    assert policy.max_bookings_per_day == 1
    assert policy.max_minutes_per_day == 30
    assert len(places.units) == 2


async def test_robots_are_named_and_units_carry_inventory_numbers(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    robots = await resource(db, "nao-roboter")
    assert [unit.label for unit in robots.units] == ["Nao", "Simone"]
    assert robots.needs_staff

    async with db.read() as session:
        numbers = list(await session.scalars(select(Unit.inventory_number)))
    assert None not in numbers
    assert len(numbers) == len(set(numbers))


async def test_the_things_to_lend_have_their_parts_in_english(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    camera = await resource(db, "kamera-set")
    assert camera.loan_parts == ["Akku", "Ladegerät", "Tasche"]
    assert camera.loan_parts_en == ["Battery", "Charger", "Bag"]
    async with db.read() as session:
        lent = (await session.scalars(select(Resource).where(Resource.kind == ResourceKind.LOAN))).all()
    assert lent
    assert all(len(thing.loan_parts_en or []) == len(thing.loan_parts or []) for thing in lent)


# --------------------------------------------------------------------------- editing files


async def test_a_changed_file_updates_in_place(db: Database, tmp_path: Path) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    laser_before = await resource(db, "lasercutter")
    before = await row_counts(db)
    seed_dir = copy_seed(tmp_path)

    def rename_laser(data: Any) -> None:
        laser = entry(data["resources"], "slug", "lasercutter")
        laser["name"] = "Lasercutter (Raum 0.12)"
        laser["units"][0]["serial_number"] = "LC-REAL-4711"

    def shorter_friday(data: Any) -> None:
        entry(data["locations"], "slug", "zentralbibliothek")["hours"]["friday"] = ["10:00-18:00"]

    edit(seed_dir / "resources.yaml", rename_laser)
    edit(seed_dir / "locations.yaml", shorter_friday)
    report = await load_seed(db, seed_dir, now=NOW)

    assert report.created == 0
    assert report.tally("resources").updated == 1
    assert report.tally("units").updated == 1
    assert report.tally("locations").updated == 1
    assert report.updated == 3
    assert await row_counts(db) == before
    laser = await resource(db, "lasercutter")
    assert laser.id == laser_before.id
    assert laser.name == "Lasercutter (Raum 0.12)"
    assert laser.units[0].serial_number == "LC-REAL-4711"
    central = await location(db, "zentralbibliothek")
    friday = [(p.start_time, p.end_time) for p in central.opening_periods if p.weekday == 5]
    assert friday == [(time(10), time(18))]

    again = await load_seed(db, seed_dir, now=NOW)
    assert (again.created, again.updated) == (0, 0)


async def test_policy_overrides_follow_the_file(db: Database, tmp_path: Path) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    seed_dir = copy_seed(tmp_path)

    def change_policies(data: Any) -> None:
        entry(data["resources"], "slug", "3d-drucker")["policy"] = {"buffer_minutes": 45}
        del entry(data["resources"], "slug", "vr-brille")["policy"]

    edit(seed_dir / "resources.yaml", change_policies)
    report = await load_seed(db, seed_dir, now=NOW)

    assert report.tally("resources").updated == 2
    printer = await resource(db, "3d-drucker")
    assert printer.policy is not None
    assert (printer.policy.buffer_minutes, printer.policy.max_minutes) == (45, None)
    vr = await resource(db, "vr-brille")
    assert vr.policy is None
    assert effective_policy(vr.location.policy, vr.policy).max_minutes == 240  # the location's default


async def test_special_hours_are_replaced_to_match_the_file(db: Database, tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)

    def add_special_hours(hours: list[str]) -> Callable[[Any], None]:
        def change(data: Any) -> None:
            central = entry(data["locations"], "slug", "zentralbibliothek")
            central["exceptions"] = [
                {"date": date(2026, 12, 23), "hours": hours, "reason": "Inventur", "reason_en": "Stocktaking"}
            ]

        return change

    edit(seed_dir / "locations.yaml", add_special_hours(["10:00-14:00"]))
    await load_seed(db, seed_dir, now=NOW)
    edit(seed_dir / "locations.yaml", add_special_hours(["10:00-12:00", "12:00-16:00 unstaffed"]))
    report = await load_seed(db, seed_dir, now=NOW)

    assert report.tally("exceptions").updated == 1
    assert report.tally("exceptions").created == 0
    central = await location(db, "zentralbibliothek")
    special = next(e for e in central.exceptions if e.date_from == date(2026, 12, 23))
    assert not special.closed
    assert sorted((p.start_time, p.end_time, p.staffed) for p in special.periods) == [
        (time(10), time(12), True),
        (time(12), time(16), False),
    ]
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ExceptionPeriod)) == 2


async def test_what_staff_added_is_left_alone(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    central = await location(db, "zentralbibliothek")
    laser = await resource(db, "lasercutter")
    async with db.write() as session:
        session.add(
            Resource(
                slug="staff-loetstation",
                location_id=central.id,
                kind=ResourceKind.DEVICE,
                factor=Factor.TECHNOLOGY,
                name="Lötstation",
                units=[Unit(label="Lötstation 1")],
            )
        )
        session.add(Unit(resource_id=laser.id, label="Ersatzgerät", inventory_number="ULM-MS-0699"))
        session.add(
            OpeningException(
                location_id=central.id,
                date_from=date(2027, 2, 3),
                date_to=date(2027, 2, 3),
                reason="Wasserschaden",
            )
        )
    before = await row_counts(db)

    report = await load_seed(db, SEED_DIR, now=NOW)

    assert (report.created, report.updated) == (0, 0)
    assert await row_counts(db) == before
    assert [unit.label for unit in (await resource(db, "lasercutter")).units] == [
        "Lasercutter",
        "Ersatzgerät",
    ]


# --------------------------------------------------------------------------- bad files


def _set(path: list[Any], value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        target = data
        for step in path[:-1]:
            target = (
                entry(target, "slug", step)
                if isinstance(step, str) and isinstance(target, list)
                else target[step]
            )
        target[path[-1]] = value

    return change


def _duplicate_first_resource(data: Any) -> None:
    data["resources"].append(dict(data["resources"][0]))


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("resources.yaml", _set(["resources", "lasercutter", "factor"], "magic"), "unknown factor 'magic'"),
        ("resources.yaml", _set(["resources", "lasercutter", "kind"], "robot"), "unknown kind 'robot'"),
        (
            "resources.yaml",
            _set(["resources", "kamera-set", "loan_parts_en"], ["Battery"]),
            "'loan_parts_en' must name the 3 parts of 'loan_parts' in English",
        ),
        (
            "resources.yaml",
            _set(["resources", "kamera-set", "loan_parts"], ["Akku | Kabel", "Ladegerät", "Tasche"]),
            "without control characters and without '|'",
        ),
        (
            "resources.yaml",
            _duplicate_first_resource,
            "duplicate resource slug 'makerspace-werkbank'",
        ),
        (
            "resources.yaml",
            _set(["resources", "lasercutter", "certification"], "laser"),
            "unknown certification key 'laser'",
        ),
        (
            "resources.yaml",
            _set(["resources", "lasercutter", "location"], "ulm-mitte"),
            "unknown location 'ulm-mitte'",
        ),
        ("resources.yaml", _set(["resources", "lasercutter", "min_agee"], 16), "unknown field min_agee"),
        ("resources.yaml", _set(["resources", "lasercutter", "name_en"], None), "'name_en' is missing"),
        ("resources.yaml", _set(["resources", "lasercutter", "policy", "slot_minutes"], 2), "slot_minutes"),
        (
            "resources.yaml",
            _set(["resources", "lasercutter", "min_age"], 130),
            "resource 'lasercutter': 'min_age' must be a whole number from 0 to 120, found int 130",
        ),
        (
            "resources.yaml",
            _set(["resources", "lasercutter", "capacity"], 20_000),
            "'capacity' must be a whole number from 1 to 10000",
        ),
        (
            "resources.yaml",
            _set(["resources", "lasercutter", "units", 0, "inventory_number"], "U" * 61),
            "resource 'lasercutter', unit #1: 'inventory_number' must be one line of at most 60 characters",
        ),
        (
            "resources.yaml",
            _set(["resources", "lasercutter", "units", 0, "label"], "Laser\r\nX-Injected: 1"),
            "resource 'lasercutter', unit #1: 'label' must be one line of at most 120 characters, "
            "without control characters",
        ),
        (
            "locations.yaml",
            _set(["locations", "zentralbibliothek", "policy"], {"horizon_days": -1}),
            "location 'zentralbibliothek', policy: 'horizon_days' must be a whole number from 0 to 100000",
        ),
        (
            "locations.yaml",
            _set(["locations", "zentralbibliothek", "hours", "saturday"], ["10:00-25:00"]),
            "bad time in saturday '25:00'",
        ),
        (
            "locations.yaml",
            _set(["locations", "zentralbibliothek", "hours", "saturday"], ["14:00-10:00"]),
            "ends before it starts",
        ),
        (
            "locations.yaml",
            _set(["locations", "zentralbibliothek", "hours", "sonnabend"], ["10:00-14:00"]),
            "unknown weekday 'sonnabend'",
        ),
        ("locations.yaml", _set(["locations", "boefingen", "timezone"], "Europe/Ulm"), "unknown time zone"),
        (
            "certifications.yaml",
            _set(["certifications", 0, "key"], "3d-printer"),
            "duplicate certification key '3d-printer'",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "einweisung-lasercutter", "sessions", 0, "room"], "lasercutter"),
            "'lasercutter' is not a room (its kind is device)",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "einweisung-lasercutter", "sessions", 0, "room"], "werkstatt"),
            "unknown room 'werkstatt'",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "einweisung-lasercutter", "grants_certification"], "laser"),
            "unknown certification key 'laser' in 'grants_certification'",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "einweisung-lasercutter", "sessions", 0, "intro_day"], 2),
            "give either 'in_days' (1 = tomorrow) or 'intro_day'",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "vr-abend-verschwoerhaus", "sessions", 0, "mode"], "auction"),
            "unknown mode 'auction'",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "vr-abend-verschwoerhaus", "sessions", 0, "closes_hours_before"], 720),
            "registration would close (720 hours before) before it opens (21 days before)",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "vr-abend-verschwoerhaus", "sessions", 0, "at"], "23:00"),
            "starts at 23:00 and lasts 120 minutes: it must end by midnight",
        ),
        (
            "workshops.yaml",
            _set(["workshops", "einweisung-lasercutter", "max_age"], 14),
            "'min_age' 16 is above 'max_age' 14",
        ),
    ],
)
def test_bad_files_are_explained(
    tmp_path: Path, file: str, change: Callable[[Any], None], expected: str
) -> None:
    seed_dir = copy_seed(tmp_path)
    edit(seed_dir / file, change)

    with pytest.raises(SeedError) as caught:
        read_catalogue(seed_dir)

    assert expected in str(caught.value)
    assert file in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)
    edit(seed_dir / "resources.yaml", _set(["resources", "lasercutter", "factor"], "magic"))
    edit(seed_dir / "resources.yaml", _set(["resources", "vr-brille", "kind"], "goggles"))

    with pytest.raises(SeedError) as caught:
        read_catalogue(seed_dir)

    assert len(caught.value.problems) == 2
    assert "resource 'lasercutter'" in caught.value.problems[0]
    assert "resource 'vr-brille'" in caught.value.problems[1]


def test_broken_yaml_and_missing_files_are_named(tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)
    (seed_dir / "certifications.yaml").write_text("certifications: [\n  - key: x\n", encoding="utf-8")
    with pytest.raises(SeedError, match=r"certifications\.yaml \(line \d+\): not valid YAML"):
        read_catalogue(seed_dir)

    (seed_dir / "certifications.yaml").unlink()
    with pytest.raises(SeedError, match=r"certifications\.yaml: file not found"):
        read_catalogue(seed_dir)


def test_unquoted_clock_times_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "times.yaml"
    path.write_text("start: 10:00\nend: 9:30\ncount: 12\nday: 2026-12-24\n", encoding="utf-8")
    assert read_yaml(path) == {"start": "10:00", "end": "9:30", "count": 12, "day": date(2026, 12, 24)}


async def test_a_bad_file_writes_nothing(db: Database, tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)
    edit(seed_dir / "resources.yaml", _set(["resources", "lasercutter", "factor"], "magic"))

    with pytest.raises(SeedError):
        await load_seed(db, seed_dir, now=NOW)

    assert set((await row_counts(db)).values()) == {0}


async def test_an_inventory_number_held_by_a_staff_unit_is_a_clear_error(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    laser = await resource(db, "lasercutter")
    async with db.write() as session:
        unit = await session.get_one(Unit, laser.units[0].id)
        unit.inventory_number = "ULM-MS-0699"
        session.add(Unit(resource_id=laser.id, label="Zweitgerät", inventory_number="ULM-MS-0601"))

    with pytest.raises(SeedError, match="'ULM-MS-0601' already belongs to unit 'Zweitgerät'"):
        await load_seed(db, SEED_DIR, now=NOW)


# --------------------------------------------------------------------------- demo data


def _periods_on(row: Location, day: date) -> tuple[Period, ...]:
    weekly = [
        WeeklyPeriod(p.weekday, Period(p.start_time, p.end_time, p.staffed)) for p in row.opening_periods
    ]
    exceptions = [
        DatedException(
            e.date_from,
            e.date_to,
            e.closed,
            periods=tuple(Period(p.start_time, p.end_time, p.staffed) for p in e.periods),
        )
        for e in row.exceptions
    ]
    return hours_on(day, weekly, exceptions).periods


def _open_at(row: Location, start: datetime, end: datetime, *, staffed_only: bool) -> bool:
    local_start, local_end = start.astimezone(BERLIN), end.astimezone(BERLIN)
    periods = _periods_on(row, local_start.date())
    usable = [p for p in periods if p.staffed or not staffed_only]
    return any(p.start <= local_start.time() and local_end.time() <= p.end for p in usable)


async def demo_bookings(db: Database) -> list[Booking]:
    """The visitors' bookings: not the rooms that the workshop sessions hold."""
    async with db.read() as session:
        return list(
            await session.scalars(
                select(Booking)
                .where(Booking.purpose == BookingPurpose.VISITOR)
                .options(
                    selectinload(Booking.resource).selectinload(Resource.policy),
                    selectinload(Booking.resource)
                    .selectinload(Resource.location)
                    .selectinload(Location.policy),
                    selectinload(Booking.unit),
                    selectinload(Booking.user),
                )
                .order_by(Booking.id)
            )
        )


async def test_demo_adds_accounts_and_bookings(db: Database) -> None:
    report = await load_seed(db, SEED_DIR, demo=True, now=NOW)

    assert report.tally("users").created == 6  # five demo accounts and the system account
    async with db.read() as session:
        users = {
            user.email: user
            for user in await session.scalars(select(User).options(selectinload(User.certifications)))
        }
        certification_keys = {c.id: c.key for c in await session.scalars(select(Certification))}
    staff = users["staff@demo.ulm.example"]
    assert staff.role is Role.STAFF
    assert staff.name == "Demo-Bibliothekarin"
    assert verify_password(staff.password_hash, "demo-staff-2026")
    assert users["admin@demo.ulm.example"].role is Role.ADMIN
    teen = users["lena.beispiel@demo.ulm.example"]
    assert teen.birth_date is not None
    today = NOW.astimezone(BERLIN).date()
    age = (
        today.year
        - teen.birth_date.year
        - ((today.month, today.day) < (teen.birth_date.month, teen.birth_date.day))
    )
    assert age == 15
    holder = users["max.mustermann@demo.ulm.example"]
    assert [certification_keys[c.certification_id] for c in holder.certifications] == ["3d-printer"]
    assert holder.certifications[0].expires_at is not None

    bookings = await demo_bookings(db)
    assert len(bookings) == report.tally("bookings").created == 8
    for booking in bookings:
        rules = effective_policy(booking.resource.location.policy, booking.resource.policy)
        local_start = booking.start_at.astimezone(BERLIN)
        local_end = booking.end_at.astimezone(BERLIN)
        assert booking.start_at > NOW
        assert (local_start.hour * 60 + local_start.minute) % rules.slot_minutes == 0
        assert (local_end.hour * 60 + local_end.minute) % rules.slot_minutes == 0
        assert booking.occupied_start == booking.start_at - timedelta(minutes=rules.setup_minutes)
        assert booking.occupied_end == booking.end_at + timedelta(minutes=rules.buffer_minutes)
        assert _open_at(
            await location(db, booking.resource.location.slug),
            booking.start_at,
            booking.end_at,
            staffed_only=booking.resource.needs_staff,
        ), booking.resource.slug
        expected = BookingStatus.PENDING if booking.resource.requires_approval else BookingStatus.CONFIRMED
        assert booking.status is expected
        assert booking.unit.resource_id == booking.resource_id

    room = next(b for b in bookings if b.resource.slug == "gruppenraum-2")
    # Tomorrow is Wednesday, 2 December 2026: 14:00 in Ulm is 13:00 UTC.
    assert room.start_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert room.end_at == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    printer = next(b for b in bookings if b.resource.slug == "3d-drucker")
    assert printer.occupied_end - printer.end_at == timedelta(minutes=30)
    forum = next(b for b in bookings if b.resource.slug == "veranstaltungsforum")
    assert forum.status is BookingStatus.PENDING

    # Staff make the demo bookings, except the one that waits for approval: the visitor asks.
    for booking in bookings:
        assert booking.user is not None
        maker = booking.user if booking.resource.requires_approval else staff
        assert booking.created_by_id == maker.id, booking.resource.slug
    async with db.read() as session:
        audit = await session.execute(
            select(AuditEntry.object_id, AuditEntry.actor_id).where(AuditEntry.action == "booking.create")
        )
        audited = {object_id: actor_id for object_id, actor_id in audit}
        system = await session.scalar(select(User.id).where(User.email == SYSTEM_EMAIL))
        room_bookings = set(
            await session.scalars(select(Booking.id).where(Booking.purpose == BookingPurpose.WORKSHOP))
        )
        queued = [
            (to, kind)
            for to, kind in await session.execute(select(OutboxMessage.recipient, OutboxMessage.kind))
        ]
    # The workshop sessions' rooms are booked by the system account and tell no one.
    assert {audited.pop(str(b)) for b in room_bookings} == {system}
    assert audited == {str(b.id): b.created_by_id for b in bookings}
    assert sorted(queued) == sorted(
        (b.user.email, f"booking.{b.status.value}") for b in bookings if b.user is not None
    )


async def test_demo_is_idempotent(db: Database) -> None:
    await load_seed(db, SEED_DIR, demo=True, now=NOW)
    before = await row_counts(db)

    again = await load_seed(db, SEED_DIR, demo=True, now=NOW)

    assert (again.created, again.updated) == (0, 0)
    assert await row_counts(db) == before

    next_day = await load_seed(db, SEED_DIR, demo=True, now=NOW + timedelta(days=1))
    assert next_day.tally("users").updated == 0  # the 15-year-old keeps her birth date


async def test_demo_bookings_skip_closed_days(db: Database) -> None:
    before_christmas = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)  # Wednesday

    await load_seed(db, SEED_DIR, demo=True, now=before_christmas)

    bookings = await demo_bookings(db)
    room = next(b for b in bookings if b.resource.slug == "gruppenraum-2")
    # 24-26 December closed, Sunday closed, Monday closed: Tuesday 29 December.
    assert room.start_at.astimezone(BERLIN) == datetime(2026, 12, 29, 14, 0, tzinfo=BERLIN)


def _add_bookings(*bookings: dict[str, Any]) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["bookings"].extend(bookings)

    return change


LENA, MAX = "lena.beispiel@demo.ulm.example", "max.mustermann@demo.ulm.example"
LASER = {"resource": "lasercutter", "day": 1}


@pytest.mark.parametrize(
    ("booking", "code"),
    [
        (
            {"user": LENA, "resource": "lasercutter", "day": 1, "start": "10:15", "end": "11:00"},
            "not_aligned",
        ),
        ({"user": LENA, "resource": "lasercutter", "day": 1, "start": "10:00", "end": "11:00"}, "min_age"),
        (
            {"user": MAX, "resource": "lasercutter", "day": 1, "start": "10:00", "end": "11:00"},
            "certification_required",
        ),
        (  # the forum's only unit is held for Alex's meetup
            {"user": MAX, "resource": "veranstaltungsforum", "day": 10, "start": "17:00", "end": "19:00"},
            "slot_taken",
        ),
    ],
)
async def test_demo_booking_against_the_rules_is_refused(
    db: Database, tmp_path: Path, booking: dict[str, Any], code: str
) -> None:
    seed_dir = copy_seed(tmp_path)
    edit(seed_dir / "demo.yaml", _add_bookings(booking))

    with pytest.raises(SeedError) as caught:
        await load_seed(db, seed_dir, demo=True, now=NOW)

    assert len(caught.value.problems) == 1
    message = str(caught.value)
    assert f"demo.yaml, booking #9 ({booking['user']}, '{booking['resource']}')" in message
    assert message.endswith(f"refused by the house rules: {code}")
    assert set((await row_counts(db)).values()) == {0}  # one transaction: nothing is written


async def test_a_demo_booking_no_opening_hours_hold_is_refused(db: Database, tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)
    edit(
        seed_dir / "demo.yaml",
        _add_bookings({"user": MAX, "resource": "gruppenraum-2", "day": 3, "start": "07:00", "end": "08:00"}),
    )
    with pytest.raises(SeedError) as caught:
        await load_seed(db, seed_dir, demo=True, now=NOW)
    assert "booking #9" in str(caught.value)
    assert "no opening hours hold it" in str(caught.value)


async def test_a_later_run_notes_what_earlier_demo_bookings_stand_in_the_way_of(db: Database) -> None:
    await load_seed(db, SEED_DIR, demo=True, now=NOW)
    for days in range(1, 15):  # make run on any later day must not fail
        report = await load_seed(db, SEED_DIR, demo=True, now=NOW + timedelta(days=days, hours=days))
        assert report.summary()


async def test_every_refused_demo_booking_is_reported_at_once(db: Database, tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)
    laser = {**LASER, "start": "10:00", "end": "11:00"}
    edit(seed_dir / "demo.yaml", _add_bookings({"user": LENA, **laser}, {"user": MAX, **laser}))

    with pytest.raises(SeedError) as caught:
        await load_seed(db, seed_dir, demo=True, now=NOW)

    assert [problem.rsplit(": ", 1)[1] for problem in caught.value.problems] == [
        "min_age",
        "certification_required",
    ]
    assert "booking #9" in caught.value.problems[0]
    assert "booking #10" in caught.value.problems[1]


def test_demo_file_is_checked_against_the_catalogue(tmp_path: Path) -> None:
    seed_dir = copy_seed(tmp_path)

    def break_demo(data: Any) -> None:
        data["users"] = [user for user in data["users"] if user["role"] != "staff"]
        data["bookings"].append({"user": "nobody@demo.ulm.example", "resource": "lasercutter", "day": 1})
        data["bookings"].append(
            {"user": MAX, "resource": "3d-drucker", "day": 1, "start": "12:00", "end": "10:00"}
        )

    edit(seed_dir / "demo.yaml", break_demo)

    with pytest.raises(SeedError) as caught:
        read_demo(seed_dir, read_catalogue(seed_dir))
    message = str(caught.value)
    assert "demo.yaml, booking #9: unknown user 'nobody@demo.ulm.example'" in message
    assert "demo.yaml, booking #10: ends at 10:00, before it starts at 12:00" in message
    assert "demo.yaml: bookings need a user with role staff" in message


# --------------------------------------------------------------------------- workshops

INDUCTIONS = {
    "einweisung-lasercutter": "laser-cutter",
    "einweisung-3d-drucker": "3d-printer",
    "einweisung-overlock-naehmaschine": "sewing-machine",
}
INTRODUCTION_WEEK = (  # in the order of their days
    "einfuehrungswoche-fotografie",
    "einfuehrungswoche-robotik",
    "einfuehrungswoche-elektronik",
    "einfuehrungswoche-medien",
    "einfuehrungswoche-textil",
    "einfuehrungswoche-3d-druck",
)


async def seeded_sessions(db: Database) -> list[WorkshopSession]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(WorkshopSession)
                .options(
                    joinedload(WorkshopSession.workshop).joinedload(Workshop.grants_certification),
                    joinedload(WorkshopSession.resource).joinedload(Resource.location),
                    joinedload(WorkshopSession.booking),
                )
                .order_by(WorkshopSession.start_at, WorkshopSession.id)
            )
        )


async def workshops_by_slug(db: Database) -> dict[str, Workshop]:
    async with db.read() as session:
        rows = await session.scalars(
            select(Workshop).options(
                joinedload(Workshop.grants_certification),
                joinedload(Workshop.required_certification),
                selectinload(Workshop.sessions),
            )
        )
        return {row.slug: row for row in rows.unique()}


def _local(instant: datetime) -> datetime:
    return instant.astimezone(BERLIN)


async def test_workshops_and_sessions_load(db: Database) -> None:
    report = await load_seed(db, SEED_DIR, now=NOW)  # without --demo: workshops are catalogue

    assert report.tally("workshops").created == 10
    assert report.tally("workshop_sessions").created == 19
    workshops = await workshops_by_slug(db)
    assert set(workshops) == {*INDUCTIONS, *INTRODUCTION_WEEK, "vr-abend-verschwoerhaus"}
    for workshop in workshops.values():
        assert workshop.title.strip(), workshop.slug
        assert (workshop.title_en or "").strip(), workshop.slug
        assert workshop.description.strip(), workshop.slug
        assert (workshop.description_en or "").strip(), workshop.slug
        assert workshop.language == "de"
        assert workshop.sessions, f"{workshop.slug} has no sessions"
        assert all(session.start_at > NOW for session in workshop.sessions), workshop.slug
    assert {w.factor for w in workshops.values()} == {Factor.KNOWHOW, Factor.NETWORKING}
    async with db.read() as session:
        system = await session.scalar(select(User).where(User.email == SYSTEM_EMAIL))
    assert system is not None
    assert (system.name, system.role, system.password_hash, system.is_active) == (
        "Bibliothek (System)",
        Role.ADMIN,
        None,
        False,
    )


async def test_the_inductions_grant_their_certifications(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    workshops = await workshops_by_slug(db)
    central = await location(db, "zentralbibliothek")

    granted = {
        slug: workshop.grants_certification.key
        for slug, workshop in workshops.items()
        if workshop.grants_certification is not None
    }
    assert granted == INDUCTIONS
    laser = workshops["einweisung-lasercutter"]
    assert (laser.title, laser.title_en, laser.min_age) == (
        "Einweisung Lasercutter",
        "Laser cutter induction",
        16,
    )
    for slug in INDUCTIONS:
        workshop = workshops[slug]
        assert workshop.factor is Factor.KNOWHOW
        assert workshop.host == "Stadtbibliothek Ulm"
        assert workshop.required_certification is None
        assert workshop.offer_hours == 24
        assert len(workshop.sessions) == 2
        for session in workshop.sessions:
            assert session.mode is SignupMode.FIRST_COME
            assert session.end_at - session.start_at == timedelta(minutes=90)
            # Library staff give the inductions: never in the unstaffed Saturday afternoon.
            assert _open_at(central, session.start_at, session.end_at, staffed_only=True), slug
    # Friday 4 December, three days after the Tuesday the seed is loaded on.
    assert _local(laser.sessions[0].start_at) == datetime(2026, 12, 4, 11, 30, tzinfo=BERLIN)


async def test_the_introduction_week_has_an_area_a_day_at_half_past_nine_and_two(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    central = await location(db, "zentralbibliothek")
    sessions = [s for s in await seeded_sessions(db) if s.workshop.slug in INTRODUCTION_WEEK]

    days: dict[str, date] = {}
    for slug in INTRODUCTION_WEEK:
        held = [s for s in sessions if s.workshop.slug == slug]
        assert [_local(s.start_at).time() for s in held] == [time(9, 30), time(14, 0)], slug
        assert all(s.end_at - s.start_at == timedelta(minutes=90) for s in held), slug
        assert len({_local(s.start_at).date() for s in held}) == 1, f"{slug}: both sessions on one day"
        days[slug] = _local(held[0].start_at).date()
        assert _periods_on(central, days[slug]), f"{slug} on {days[slug]}, a closed day"
        assert held[0].workshop.factor is Factor.KNOWHOW
        assert {s.resource.slug for s in held} == {"gruppenraum-3"}
    assert list(days.values()) == sorted(days.values())
    assert len(set(days.values())) == len(INTRODUCTION_WEEK)  # a different area each day
    # From the Monday after the Tuesday of loading; Mondays are closed, so photography is on the
    # Tuesday (as in 2022), and the sixth area on the Tuesday after.
    assert list(days.values()) == [
        date(2026, 12, 8),
        date(2026, 12, 9),
        date(2026, 12, 10),
        date(2026, 12, 11),
        date(2026, 12, 12),
        date(2026, 12, 15),
    ]
    assert days["einfuehrungswoche-fotografie"].isoweekday() == 2


async def test_the_introduction_week_skips_closed_days(db: Database) -> None:
    before_christmas = datetime(2026, 12, 17, 9, 0, tzinfo=UTC)  # Thursday

    await load_seed(db, SEED_DIR, now=before_christmas)

    central = await location(db, "zentralbibliothek")
    sessions = [s for s in await seeded_sessions(db) if s.workshop.slug in INTRODUCTION_WEEK]
    days = sorted({_local(s.start_at).date() for s in sessions})
    # 24-26 and 31 December and 1 January are closed, and every Sunday and Monday.
    assert days == [
        date(2026, 12, 22),
        date(2026, 12, 23),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2027, 1, 2),
        date(2027, 1, 5),
    ]
    assert all(_periods_on(central, day) for day in days)


async def test_the_partner_evening_is_a_lottery(db: Database) -> None:
    await load_seed(db, SEED_DIR, now=NOW)

    [evening] = [s for s in await seeded_sessions(db) if s.workshop.slug == "vr-abend-verschwoerhaus"]
    assert evening.workshop.host == "Verschwörhaus"
    assert evening.workshop.title == "VR-Abend mit dem Verschwörhaus"
    assert evening.mode is SignupMode.LOTTERY
    assert evening.capacity == 20
    assert evening.resource.slug == "veranstaltungsforum"
    assert _local(evening.start_at).hour >= 18
    assert evening.registration_closes == evening.start_at - timedelta(days=1)
    assert evening.registration_opens <= NOW < evening.registration_closes  # people can enter now
    assert evening.drawn_at is None


async def test_each_session_holds_its_room_with_a_workshop_booking(db: Database) -> None:
    await load_seed(db, SEED_DIR, demo=True, now=NOW)
    async with db.read() as session:
        system = await session.scalar(select(User.id).where(User.email == SYSTEM_EMAIL))

    sessions = await seeded_sessions(db)
    assert len(sessions) == 19
    for held in sessions:
        booking = held.booking
        assert held.resource.kind is ResourceKind.ROOM
        assert held.resource.location.slug == "zentralbibliothek"
        assert booking is not None, held.workshop.slug
        assert booking.purpose is BookingPurpose.WORKSHOP
        assert booking.status is BookingStatus.CONFIRMED  # even in the forum, which visitors request
        assert booking.status in ACTIVE_STATUSES
        assert booking.resource_id == held.resource_id
        assert booking.occupied_start <= held.start_at
        assert held.end_at <= booking.occupied_end
        assert (booking.start_at, booking.end_at) == (held.start_at, held.end_at)
        assert booking.user_id is None
        assert booking.created_by_id == system
    for one, other in ((a, b) for a in sessions for b in sessions if a.id < b.id):
        if one.resource_id == other.resource_id:
            assert one.booking is not None
            assert other.booking is not None
            apart = (
                one.booking.occupied_end <= other.booking.occupied_start
                or other.booking.occupied_end <= one.booking.occupied_start
            )
            assert apart, (one.workshop.slug, other.workshop.slug)


async def test_loading_again_creates_no_workshop_or_session(db: Database) -> None:
    await load_seed(db, SEED_DIR, demo=True, now=NOW)
    before = await row_counts(db)

    later_that_day = await load_seed(db, SEED_DIR, demo=True, now=NOW + timedelta(hours=5))

    assert (later_that_day.created, later_that_day.updated) == (0, 0)
    assert later_that_day.tally("workshops").unchanged == 10
    assert later_that_day.tally("workshop_sessions").unchanged == 19
    assert await row_counts(db) == before


async def test_a_changed_workshop_updates_in_place(db: Database, tmp_path: Path) -> None:
    await load_seed(db, SEED_DIR, now=NOW)
    laser_before = (await workshops_by_slug(db))["einweisung-lasercutter"]
    before = await row_counts(db)
    seed_dir = copy_seed(tmp_path)

    def change_laser(data: Any) -> None:
        laser = entry(data["workshops"], "slug", "einweisung-lasercutter")
        laser["title"] = "Lasercutter-Führerschein"
        laser["sessions"][0]["capacity"] = 6

    edit(seed_dir / "workshops.yaml", change_laser)
    report = await load_seed(db, seed_dir, now=NOW)

    assert report.created == 0
    assert report.tally("workshops").updated == 1
    assert report.tally("workshop_sessions").updated == 1
    assert report.updated == 2
    assert await row_counts(db) == before
    laser = (await workshops_by_slug(db))["einweisung-lasercutter"]
    assert laser.id == laser_before.id
    assert laser.title == "Lasercutter-Führerschein"
    assert [s.capacity for s in laser.sessions] == [6, 4]
    assert [s.id for s in laser.sessions] == [s.id for s in laser_before.sessions]


async def test_loading_on_later_days_adds_sessions_without_clashes(db: Database) -> None:
    """`make run` seeds on every start: later days add sessions, never a clash with earlier ones."""
    for days in (0, 1, 2, 4, 6, 7, 13, 16, 23):
        now = NOW + timedelta(days=days, hours=days % 5)
        await load_seed(db, SEED_DIR, now=now)
        upcoming = {s.workshop.slug for s in await seeded_sessions(db) if s.start_at > now}
        assert upcoming == {*INDUCTIONS, *INTRODUCTION_WEEK, "vr-abend-verschwoerhaus"}, days


async def _catalogue_without_workshops(db: Database, tmp_path: Path) -> User:
    seed_dir = copy_seed(tmp_path)
    (seed_dir / "workshops.yaml").write_text("workshops: []\n", encoding="utf-8")
    await load_seed(db, seed_dir, now=NOW)
    return await create_user(db)


async def _book_room(db: Database, visitor: User, day: date, start: time, end: time) -> None:
    request = NewBooking(
        resource_slug="gruppenraum-3",
        start=datetime.combine(day, start, tzinfo=BERLIN),
        end=datetime.combine(day, end, tzinfo=BERLIN),
    )
    await create_booking(db, request, booker=visitor, actor=visitor, now=NOW)


async def test_a_taken_room_is_a_clear_error(db: Database, tmp_path: Path) -> None:
    visitor = await _catalogue_without_workshops(db, tmp_path)
    await _book_room(db, visitor, date(2026, 12, 4), time(11), time(12))
    before = await row_counts(db)

    with pytest.raises(SeedError) as caught:
        await load_seed(db, SEED_DIR, now=NOW)

    assert caught.value.problems == [
        "workshops.yaml, workshop 'einweisung-lasercutter', session #1 on 2026-12-04 11:30: "
        "the room 'gruppenraum-3' is already booked at that time (slot_taken)"
    ]
    assert await row_counts(db) == before  # one transaction: nothing is written


async def test_the_introduction_week_gives_way_to_a_taken_room(db: Database, tmp_path: Path) -> None:
    visitor = await _catalogue_without_workshops(db, tmp_path)
    await _book_room(db, visitor, date(2026, 12, 9), time(10), time(11))  # robotics, 9:30-11:00

    report = await load_seed(db, SEED_DIR, now=NOW)

    assert "the introduction week starts on 2026-12-15" in report.summary()
    sessions = [s for s in await seeded_sessions(db) if s.workshop.slug in INTRODUCTION_WEEK]
    assert min(_local(s.start_at).date() for s in sessions) == date(2026, 12, 15)


async def test_the_seed_workshops_are_listed_by_the_api(
    db: Database, client: AsyncTestClient[Litestar]
) -> None:
    await load_seed(db, SEED_DIR, now=NOW)  # the client's clock stands at the same NOW

    response = await client.get("/api/v1/workshops")

    assert response.status_code == 200, response.text
    listed = {item["slug"]: item for item in response.json()["items"]}
    assert set(listed) == {*INDUCTIONS, *INTRODUCTION_WEEK, "vr-abend-verschwoerhaus"}
    laser = listed["einweisung-lasercutter"]
    assert (laser["title"], laser["grants_certification"], laser["min_age"]) == (
        "Einweisung Lasercutter",
        "laser-cutter",
        16,
    )
    assert [(s["room"], s["capacity"], s["state"]) for s in laser["sessions"]] == [
        ("gruppenraum-3", 4, "open"),
        ("gruppenraum-3", 4, "open"),
    ]
    evening = listed["vr-abend-verschwoerhaus"]
    assert evening["host"] == "Verschwörhaus"
    assert [(s["mode"], s["capacity"], s["state"]) for s in evening["sessions"]] == [("lottery", 20, "open")]
    photo = listed["einfuehrungswoche-fotografie"]
    assert [s["start"] for s in photo["sessions"]] == [
        "2026-12-08T09:30:00+01:00",
        "2026-12-08T14:00:00+01:00",
    ]

    english = await client.get("/api/v1/workshops?factor=knowhow", headers={"Accept-Language": "en"})
    titles = {item["slug"]: item["title"] for item in english.json()["items"]}
    assert titles["einweisung-lasercutter"] == "Laser cutter induction"
    assert "vr-abend-verschwoerhaus" not in titles  # a networking evening


async def test_a_birth_date_the_seed_changes_is_in_the_audit_log(db: Database, tmp_path: Path) -> None:
    """Age rules rely on the birth date: a demo file that changes one leaves an audit entry."""
    seed_dir = copy_seed(tmp_path)
    await load_seed(db, seed_dir, demo=True, now=NOW)

    def older(data: Any) -> None:
        person = entry(data["users"], "email", "max.mustermann@demo.ulm.example")
        person.pop("age", None)
        person["birth_date"] = "1970-01-02"

    edit(seed_dir / "demo.yaml", older)
    await load_seed(db, seed_dir, demo=True, now=NOW)
    async with db.read() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.birth_date"))
        )
    assert len(entries) == 1
    assert entries[0].after == {"birth_date": "1970-01-02"}


def test_seed_texts_refuse_control_characters(tmp_path: Path) -> None:
    """One-line texts (titles, names) refuse line breaks; descriptions hold them but no NUL."""
    seed_dir = copy_seed(tmp_path)

    def broken(data: Any) -> None:
        data["users"][0]["name"] = "Sabine\nStaff"

    edit(seed_dir / "demo.yaml", broken)
    with pytest.raises(SeedError) as caught:
        read_demo(seed_dir, read_catalogue(seed_dir))
    assert "'name' holds control characters" in str(caught.value)
    seed_dir = copy_seed(tmp_path / "second")

    def nul_in_description(data: Any) -> None:
        data["workshops"][0]["description"] = "Zwei\nZeilen\u0000"
        data["workshops"][1]["description"] = "Zwei\nZeilen\tsind erlaubt"

    edit(seed_dir / "workshops.yaml", nul_in_description)
    with pytest.raises(SeedError) as caught:
        read_catalogue(seed_dir)
    message = str(caught.value)
    assert message.count("holds control characters") == 1
    assert "'description' holds control characters" in message
