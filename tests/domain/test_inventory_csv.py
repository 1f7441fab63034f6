"""The inventory CSV format: every problem of a file found at once, and an export reads back."""

from __future__ import annotations

from library.catalog import csv_io
from library.catalog.csv_io import Known, RowProblem

HEADER = (
    "slug,name,kind,factor,location,capacity,requires_approval,policy.max_minutes,"
    "unit_label,inventory_number,condition\n"
)
KNOWN = Known(
    locations=frozenset({"zentralbibliothek"}),
    certifications=frozenset(),
    slugs=frozenset({"lesesaal"}),
    inventory_numbers=frozenset({"INV-1"}),
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
    text = HEADER + "lesesaal,Lesesaal,room,space,weststadt,,,,Platz 1,INV-1,\n"

    plans, problems = csv_io.parse(text)

    assert problems == []
    assert csv_io.in_order(csv_io.check_references(plans, KNOWN)) == [
        RowProblem(2, "slug", "slug_taken", {"slug": "lesesaal"}),
        RowProblem(2, "location", "unknown_location", {"slug": "weststadt"}),
        RowProblem(2, "inventory_number", "inventory_number_taken", {"number": "INV-1"}),
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
