"""The inventory CSV format: every problem of a file found at once, an export reads back, and
a file updates what exists (resources by slug, units by inventory number) as well as adding."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from library.accounts.models import Role, User
from library.audit.models import AuditEntry
from library.catalog import csv_io, inventory
from library.catalog.csv_io import Known, RowProblem
from library.catalog.inventory import Imported
from library.catalog.models import CatalogueVersion, Resource, Unit
from library.db import Database
from tests.support import factories

HEADER = (
    "slug,name,kind,factor,location,capacity,requires_approval,policy.max_minutes,"
    "unit_label,inventory_number,condition\n"
)
KNOWN = Known(
    locations=frozenset({"zentralbibliothek"}),
    certifications=frozenset(),
    inventory_numbers={"INV-1": "lesesaal"},
)


def test_a_good_file_gives_one_plan_per_resource_with_its_units() -> None:
    text = HEADER + (
        "drucker,3D-Drucker,device,technology,zentralbibliothek,1,ja,120,Drucker A,INV-2,new\n"
        "drucker,,,,,,,,Drucker B,,\n"
        "raum,Gruppenraum,room,space,zentralbibliothek,,,,,,\n"
    )

    plans, problems = csv_io.parse(text)

    assert problems == []
    assert [plan.values["slug"] for plan in plans] == ["drucker", "raum"]
    assert plans[0].values["requires_approval"] is True
    assert plans[0].values["policy"] == {"max_minutes": 120}
    assert [unit.label for unit in plans[0].units] == ["Drucker A", "Drucker B"]
    assert plans[0].units[0].inventory_number == "INV-2"
    assert plans[1].units == []
    assert csv_io.in_order(csv_io.check_references(plans, KNOWN)) == []


def test_every_bad_row_is_reported_with_its_row_and_column() -> None:
    text = HEADER + (
        "drucker,3D-Drucker,gadget,technology,zentralbibliothek,0,vielleicht,0,Drucker A,INV-2,kaputt\n"
        "drucker,Anderer Name,,,,,,,Drucker A,INV-2,\n"
        ",Ohne Slug,room,space,zentralbibliothek,,,,,,\n"
    )

    _, problems = csv_io.parse(text)

    found = {(p.row, p.column, p.kind) for p in problems}
    assert found == {
        (2, "kind", "choice"),
        (2, "capacity", "number"),
        (2, "requires_approval", "yes_no"),
        (2, "policy.max_minutes", "number"),
        (2, "condition", "choice"),
        (3, "name", "differs"),
        (3, "unit_label", "duplicate"),
        (3, "inventory_number", "duplicate"),
        (4, "slug", "required"),
    }


def test_references_to_the_database_are_checked() -> None:
    text = HEADER + (
        "lesesaal,Lesesaal,room,space,weststadt,,,,Platz 1,INV-1,\n"
        "drucker,Drucker,device,technology,zentralbibliothek,,,,Drucker A,INV-9,\n"
    )

    plans, problems = csv_io.parse(text)

    assert problems == []
    known = Known(KNOWN.locations, KNOWN.certifications, {**KNOWN.inventory_numbers, "INV-9": "lesesaal"})
    # A known slug and its own unit's number are an update; a number of another offer's unit is not.
    assert csv_io.in_order(csv_io.check_references(plans, known)) == [
        RowProblem(2, "location", "unknown_location", {"slug": "weststadt"}),
        RowProblem(
            3, "inventory_number", "inventory_number_elsewhere", {"number": "INV-9", "slug": "lesesaal"}
        ),
    ]


def test_a_wrong_header_is_reported_before_any_row() -> None:
    _, problems = csv_io.parse("slug;name;colour\nx;y;rot\n")

    assert {(p.row, p.column, p.kind) for p in problems} == {
        (1, "colour", "unknown_column"),
        (1, "kind", "missing_column"),
        (1, "factor", "missing_column"),
        (1, "location", "missing_column"),
    }


def test_an_empty_file_and_a_file_that_is_not_utf8() -> None:
    assert csv_io.parse(HEADER)[1] == [RowProblem(2, "", "no_rows")]
    assert csv_io.decode("Nähmaschine".encode("latin-1")) is None
    assert csv_io.decode("\ufeffslug".encode()) == "slug"


def test_control_characters_in_one_line_cells_are_row_problems() -> None:
    text = HEADER + (
        'drucker,"Drucker\r\nX-Injected: 1",device,technology,zentralbibliothek,1,no,,"A\u0000",,\n'
    )

    _, problems = csv_io.parse(text)

    assert {(p.row, p.column, p.kind) for p in problems} == {
        (2, "name", "one_line"),
        (2, "unit_label", "one_line"),
    }


def test_factor_kind_and_condition_are_read_in_german_and_english_in_any_case() -> None:
    text = HEADER + (
        "drucker,3D-Drucker,Gerät,Technologie,zentralbibliothek,1,,,Drucker A,INV-2,gut\n"
        "drucker,,,,,,,,Drucker B,INV-3,Beschädigt\n"
        "raum,Gruppenraum,ROOM,Raum & Begegnung,zentralbibliothek,,,,Tisch,INV-4,WORN\n"
        "labor,Labor,arbeitsplatz,Know-How,zentralbibliothek,,,,Platz,INV-5,Neu\n"
    )

    plans, problems = csv_io.parse(text)

    assert problems == []
    assert [(p.values["kind"], p.values["factor"]) for p in plans] == [
        ("device", "technology"),
        ("room", "space"),
        ("workspace", "knowhow"),
    ]
    assert [u.condition for p in plans for u in p.units] == ["good", "damaged", "worn", "new"]


def test_a_factor_in_neither_language_is_still_refused() -> None:
    _, problems = csv_io.parse(HEADER + "x,X,Gerät,Zauberei,zentralbibliothek,,,,,,\n")
    assert [(p.row, p.column) for p in problems] == [(2, "factor")]


def test_english_unit_labels_are_read_and_the_columns_given_are_known() -> None:
    text = "slug,name,kind,factor,location,unit_label,unit_label_en\n" + (
        "raum,Gruppenraum,room,space,zentralbibliothek,Arbeitsplatz 1,Workstation 1\n"
        "raum,,,,,Arbeitsplatz 2,\n"
    )

    plans, problems = csv_io.parse(text)

    assert problems == []
    assert [(u.label, u.label_en) for u in plans[0].units] == [
        ("Arbeitsplatz 1", "Workstation 1"),
        ("Arbeitsplatz 2", None),
    ]
    assert plans[0].given == {"slug", "name", "kind", "factor", "location", "label", "label_en"}


# Importing into the database: add, update, leave alone

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FILE = (
    "slug,name,name_en,kind,factor,location,capacity,policy.max_minutes,"
    "unit_label,unit_label_en,inventory_number,condition\n"
    "raum,Gruppenraum,Group room,room,space,zentralbibliothek,6,120,Tisch 1,Table 1,INV-1,good\n"
    "raum,,,,,,,,Tisch 2,,INV-2,gut\n"
)


async def staff(db: Database) -> User:
    await factories.create_location(db)
    return await factories.create_user(db, "sam@example.org", role=Role.STAFF)


async def import_text(db: Database, text: str, actor: User) -> list[tuple[Imported, list[Imported]]]:
    plans, problems = csv_io.parse(text)
    assert problems == []
    return await inventory.import_resources(db, [plan.wanted() for plan in plans], actor=actor, now=NOW)


async def counts(db: Database) -> tuple[int, int]:
    """The catalogue's version and the number of audit entries."""
    async with db.read() as session:
        version = await session.scalar(select(CatalogueVersion.version))
        entries = await session.scalar(select(func.count(AuditEntry.id)))
    return int(version or 0), int(entries or 0)


async def test_a_file_imported_twice_changes_nothing_the_second_time(db: Database) -> None:
    actor = await staff(db)
    first = await import_text(db, FILE, actor)
    assert first == [(Imported("added"), [Imported("added"), Imported("added")])]
    before = await counts(db)

    second = await import_text(db, FILE, actor)

    assert second == [(Imported("unchanged"), [Imported("unchanged"), Imported("unchanged")])]
    assert await counts(db) == before  # not a row written: no version bump, no audit entry


async def test_a_changed_file_updates_the_resource_and_units_it_names(db: Database) -> None:
    actor = await staff(db)
    await import_text(db, FILE, actor)
    version, entries = await counts(db)
    changed = (
        "slug,name,name_en,kind,factor,location,capacity,policy.max_minutes,"
        "unit_label,unit_label_en,inventory_number,condition\n"
        "raum,Gruppenraum,Group room,Raum,Raum,zentralbibliothek,8,,Tisch 1,Table 1,INV-1,abgenutzt\n"
        "raum,,,,,,,,Tisch zwei,Table two,INV-2,good\n"
        "raum,,,,,,,,Tisch 3,,INV-3,\n"
    )

    done = await import_text(db, changed, actor)

    assert done == [
        (
            Imported("updated", ("capacity", "policy.max_minutes")),
            [
                Imported("updated", ("condition",)),
                Imported("updated", ("label", "label_en")),
                Imported("added"),
            ],
        )
    ]
    async with db.read() as session:
        room = await session.scalar(select(Resource).where(Resource.slug == "raum"))
        assert room is not None
        assert room.capacity == 8
        units = (
            await session.scalars(select(Unit).where(Unit.resource_id == room.id).order_by(Unit.id))
        ).all()
        actions = (
            await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id).offset(entries))
        ).all()
    assert [(u.label, u.label_en, u.inventory_number, u.condition.value) for u in units] == [
        ("Tisch 1", "Table 1", "INV-1", "worn"),
        ("Tisch zwei", "Table two", "INV-2", "good"),
        ("Tisch 3", None, "INV-3", "good"),
    ]
    assert actions == ["resource.update", "unit.update", "unit.update", "unit.create"]
    assert (await counts(db))[0] > version


async def test_columns_a_file_leaves_out_stay_as_they_are(db: Database) -> None:
    actor = await staff(db)
    await import_text(db, FILE, actor)

    done = await import_text(
        db,
        "slug,name,kind,factor,location,unit_label,inventory_number\n"
        "raum,Gruppenraum,room,space,zentralbibliothek,Tisch 1,INV-1\n",
        actor,
    )

    assert done == [(Imported("unchanged"), [Imported("unchanged")])]
    async with db.read() as session:
        room = await session.scalar(select(Resource).where(Resource.slug == "raum"))
        assert room is not None
        assert (room.name_en, room.capacity) == ("Group room", 6)
        label_en = await session.scalar(select(Unit.label_en).where(Unit.inventory_number == "INV-1"))
    assert label_en == "Table 1"


# The parts of a thing lent, in German and English

PARTS_HEADER = "slug,name,kind,factor,location,loan_parts,loan_parts_en\n"


def test_parts_are_read_in_order_in_both_languages() -> None:
    text = (
        PARTS_HEADER
        + "kamera,Kamera,Ausleihe,technology,zentralbibliothek,Akku | Ladegerät|Tasche,Battery|Charger|Bag\n"
    )

    plans, problems = csv_io.parse(text)

    assert problems == []
    assert plans[0].values["loan_parts"] == ["Akku", "Ladegerät", "Tasche"]
    assert plans[0].values["loan_parts_en"] == ["Battery", "Charger", "Bag"]


def test_an_empty_part_a_control_character_and_english_parts_that_do_not_match_are_row_problems() -> None:
    text = PARTS_HEADER + (
        "a,A,loan,technology,zentralbibliothek,Akku || Tasche,\n"
        'b,B,loan,technology,zentralbibliothek,"Akku\u0007",\n'
        "c,C,loan,technology,zentralbibliothek,Akku | Tasche,Battery\n"
        "d,D,loan,technology,zentralbibliothek,,Battery\n"
    )

    _, problems = csv_io.parse(text)

    assert [(p.row, p.column, p.kind) for p in csv_io.in_order(problems)] == [
        (2, "loan_parts", "parts"),
        (3, "loan_parts", "parts"),
        (4, "loan_parts_en", "loan_parts_en_count"),
        (5, "loan_parts_en", "loan_parts_en_count"),
    ]
    assert problems[2].params["count"] == 2


async def test_a_file_changes_the_parts_and_an_unchanged_one_changes_nothing(db: Database) -> None:
    actor = await staff(db)
    first = PARTS_HEADER + "kamera,Kamera,loan,technology,zentralbibliothek,Akku | Tasche,\n"
    await import_text(db, first, actor)
    changed = PARTS_HEADER + "kamera,Kamera,loan,technology,zentralbibliothek,Akku | Tasche,Battery | Bag\n"

    assert await import_text(db, changed, actor) == [(Imported("updated", ("loan_parts_en",)), [])]
    before = await counts(db)
    assert await import_text(db, changed, actor) == [(Imported("unchanged"), [])]
    assert await counts(db) == before
    emptied = PARTS_HEADER + "kamera,Kamera,loan,technology,zentralbibliothek,,\n"
    assert await import_text(db, emptied, actor) == [
        (Imported("updated", ("loan_parts", "loan_parts_en")), [])
    ]
    async with db.read() as session:
        thing = await session.scalar(select(Resource).where(Resource.slug == "kamera"))
        assert thing is not None
        assert (thing.loan_parts, thing.loan_parts_en) == (None, None)
