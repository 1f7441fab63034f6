"""Staff inventory endpoints against API.md (Inventory and house rules): resources, units,
weekly hours and dated exceptions, with their checks, permissions and audit entries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from library.accounts.models import Role
from library.audit.models import AuditEntry
from library.catalog.inventory import slugify
from library.catalog.models import Location
from library.db import Database
from library.errors import MESSAGES, message
from tests.support.api import Client
from tests.support.factories import (
    assert_problem,
    bearer,
    create_certification,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.times import THURSDAY, WEDNESDAY, at

ENGLISH = {"Accept-Language": "en"}
NEW_CODES = (
    "slug_taken",
    "inventory_number_taken",
    "label_taken",
    "unit_has_bookings",
    "unknown_location",
    "unknown_certification",
    "policy_out_of_range",
    "policy_min_above_max",
    "invalid_time",
    "invalid_weekday",
    "periods_overlap",
    "periods_required",
    "closed_with_periods",
    "dates_out_of_order",
    "loan_parts_en_count",
)


async def setup_library(db: Database, client: Client) -> dict[str, Any]:
    """A location, a certification, a room with one unit; tokens of a visitor and of staff."""
    location = await create_location(db, policy={"max_minutes": 180})
    await create_location(db, slug="boefingen", name="Stadtteilbibliothek Böfingen", position=1)
    await create_certification(db, "laser-cutter", name="Einweisung Lasercutter")
    room = await create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1")
    await create_user(db, "anna@example.org")
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    return {
        "location": location,
        "room": room,
        "visitor": await get_token(client),
        "staff": await get_token(client, "staff@example.org"),
    }


async def audit(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def named(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


NEW_DEVICE = {
    "name": "Plotter Süd",
    "name_en": "Plotter south",
    "kind": "device",
    "factor": "technology",
    "location": "zentralbibliothek",
    "description": "Ein Großformatdrucker.",
    "description_en": "A large-format printer.",
    "features": ["A0", "Farbe"],
    "required_certification": "laser-cutter",
    "min_age": 14,
    "policy": {"slot_minutes": 60, "buffer_minutes": 15},
    "units": [
        {"label": "Plotter A", "inventory_number": "ULM-PL-0001", "serial_number": "SN-1"},
        {"label": "Plotter B", "inventory_number": "ULM-PL-0002"},
    ],
}


# --- pure helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Gruppenraum 3", "gruppenraum-3"),
        ("Größe & Übung – Raum Ä", "groesse-uebung-raum-ae"),
        ("  3D-Drucker (Prusa MK4)  ", "3d-drucker-prusa-mk4"),
        ("Café Né", "cafe-ne"),
        ("!!!", ""),
        ("x" * 100, "x" * 80),
    ],
)
def test_slugs_are_made_from_names(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_every_new_code_speaks_german_and_english() -> None:
    for code in NEW_CODES:
        assert code in MESSAGES
        german, english = message(code, "de"), message(code, "en")
        assert german
        assert english
        assert german != english


# --- permissions -------------------------------------------------------------------------

STAFF_CALLS = [
    ("POST", "/api/v1/resources", NEW_DEVICE),
    ("PATCH", "/api/v1/resources/gruppenraum-1", {"capacity": 4}),
    ("POST", "/api/v1/resources/gruppenraum-1/units", {"label": "Zweiter"}),
    ("PATCH", "/api/v1/units/1", {"condition": "worn"}),
    ("PUT", "/api/v1/locations/zentralbibliothek/weekly-hours", []),
    (
        "POST",
        "/api/v1/locations/zentralbibliothek/exceptions",
        {"date_from": "2026-12-24", "date_to": "2026-12-26", "closed": True, "reason": "Weihnachten"},
    ),
]


async def test_staff_endpoints_refuse_anonymous_and_visitors(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    for method, path, body in STAFF_CALLS:
        anonymous = await client.request(method, path, json=body)
        assert_problem(anonymous, 401, "unauthenticated")
        visitor = await client.request(method, path, json=body, headers=bearer(things["visitor"]))
        assert_problem(visitor, 403, "forbidden")
    async with db.read() as session:
        assert (await session.scalars(select(AuditEntry))).all() == []
    # Nothing changed: the room is as it was, no resource was added.
    assert (await client.get("/api/v1/resources/gruppenraum-1")).json()["capacity"] == 1
    assert (await client.get("/api/v1/resources")).json()["items"][0]["slug"] == "gruppenraum-1"


async def test_admins_count_as_staff(db: Database, client: Client) -> None:
    await setup_library(db, client)
    await create_user(db, "admin@example.org", role=Role.ADMIN)
    admin = await get_token(client, "admin@example.org")
    response = await client.post("/api/v1/resources", json=NEW_DEVICE, headers=bearer(admin))
    assert response.status_code == 201, response.text


# --- resources ---------------------------------------------------------------------------


async def test_staff_add_a_resource_that_can_be_booked_at_once(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    body = {
        "name": "Besprechungsraum Ärztehaus",
        "kind": "room",
        "factor": "networking",
        "location": "zentralbibliothek",
        "capacity": 8,
        "units": 2,
        "policy": {"max_minutes": 120},
    }
    response = await client.post("/api/v1/resources", json=body, headers=bearer(things["staff"]))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["slug"] == "besprechungsraum-aerztehaus"
    assert created["unit_count"] == 2
    assert [u["label"] for u in created["units"]] == [
        "Besprechungsraum Ärztehaus 1",
        "Besprechungsraum Ärztehaus 2",
    ]
    assert created["policy"]["max_minutes"] == 120
    assert created["capacity"] == 8
    # The answer is exactly what the public catalogue shows.
    shown = await client.get(f"/api/v1/resources/{created['slug']}")
    assert shown.json() == created

    for _ in range(2):
        booked = await client.post(
            "/api/v1/bookings",
            json={"resource": created["slug"], "start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 16)},
            headers=bearer(things["visitor"]),
        )
        assert booked.status_code == 201, booked.text
        assert booked.json()["status"] == "confirmed"
    too_long = await client.post(
        "/api/v1/bookings",
        json={"resource": created["slug"], "start": at(THURSDAY, 10), "end": at(THURSDAY, 13)},
        headers=bearer(things["visitor"]),
    )
    assert_problem(too_long, 403, "too_long")

    [entry] = await audit(db, "resource.create")
    assert entry.object_type == "resource"
    assert entry.after is not None
    assert entry.after["slug"] == "besprechungsraum-aerztehaus"
    assert entry.after["policy"] == {"max_minutes": 120}
    assert [u["label"] for u in entry.after["units"]] == [u["label"] for u in created["units"]]


async def test_a_new_resource_with_every_field(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    response = await client.post(
        "/api/v1/resources",
        json={**NEW_DEVICE, "slug": "plotter"},
        headers={**bearer(things["staff"]), **ENGLISH},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["slug"] == "plotter"
    assert created["name"] == "Plotter south"
    assert created["description"] == "A large-format printer."
    assert created["kind"] == "device"
    assert created["factor"] == "technology"
    assert created["location"] == "zentralbibliothek"
    assert created["required_certification"] == "laser-cutter"
    assert created["min_age"] == 14
    assert created["features"] == ["A0", "Farbe"]
    assert created["requires_approval"] is False
    assert created["needs_staff"] is False
    # Its own overrides over the location's defaults over the built-in ones.
    assert created["policy"]["slot_minutes"] == 60
    assert created["policy"]["buffer_minutes"] == 15
    assert created["policy"]["max_minutes"] == 180
    assert created["policy"]["min_minutes"] == 30
    assert [u["label"] for u in created["units"]] == ["Plotter A", "Plotter B"]


async def test_a_new_resource_is_refused_with_the_field_named(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    first = await client.post("/api/v1/resources", json=NEW_DEVICE, headers=staff)
    assert first.status_code == 201, first.text
    assert first.json()["slug"] == "plotter-sued"

    def without_numbers(**changes: Any) -> dict[str, Any]:
        return {**NEW_DEVICE, "units": 1, **changes}

    cases: list[tuple[dict[str, Any], int, str, str]] = [
        (without_numbers(), 409, "slug_taken", "slug"),
        (without_numbers(slug="gruppenraum-1"), 409, "slug_taken", "slug"),
        (without_numbers(slug="Not A Slug"), 422, "invalid_input", "slug"),
        (without_numbers(name="!!!"), 422, "invalid_input", "slug"),
        (without_numbers(slug="p2", location="mars"), 422, "unknown_location", "location"),
        (
            without_numbers(slug="p2", required_certification="x"),
            422,
            "unknown_certification",
            "required_certification",
        ),
        (without_numbers(slug="p2", policy={"colour": 3}), 422, "invalid_input", "policy"),
        (
            without_numbers(slug="p2", policy={"lead_minutes": -5}),
            422,
            "invalid_input",
            "policy.lead_minutes",
        ),
        (without_numbers(slug="p2", policy={"slot_minutes": 1}), 422, "invalid_input", "policy.slot_minutes"),
        (
            without_numbers(slug="p2", policy={"min_minutes": 240}),
            422,
            "policy_min_above_max",
            "policy.min_minutes",
        ),
        (without_numbers(slug="p2", kind="spaceship"), 422, "invalid_input", "kind"),
        (without_numbers(slug="p2", capacity=0), 422, "invalid_input", "capacity"),
        (without_numbers(slug="p2", units=-1), 422, "invalid_input", "units"),
        (without_numbers(slug="p2", colour="red"), 422, "invalid_input", "body"),
        (
            {**NEW_DEVICE, "slug": "p2", "units": [{"label": "X", "inventory_number": "ULM-PL-0002"}]},
            409,
            "inventory_number_taken",
            "units[0].inventory_number",
        ),
        (
            {
                **NEW_DEVICE,
                "slug": "p2",
                "units": [
                    {"label": "X", "inventory_number": "N-1"},
                    {"label": "Y", "inventory_number": "N-1"},
                ],
            },
            409,
            "inventory_number_taken",
            "units[1].inventory_number",
        ),
        (
            {**NEW_DEVICE, "slug": "p2", "units": [{"label": "X"}, {"label": "X"}]},
            409,
            "label_taken",
            "units[1].label",
        ),
    ]
    for body, status, code, field in cases:
        problem = assert_problem(
            await client.post("/api/v1/resources", json=body, headers=staff), status, code
        )
        if field != "body":
            assert field in named(problem), (body, problem)
    missing = {key: value for key, value in NEW_DEVICE.items() if key != "name"}
    assert "name" in named(
        assert_problem(
            await client.post("/api/v1/resources", json=missing, headers=staff), 422, "invalid_input"
        )
    )
    # Nothing of the refused ones was written.
    assert [entry.after["slug"] for entry in await audit(db, "resource.create") if entry.after] == [
        "plotter-sued"
    ]
    assert (await client.get("/api/v1/resources/p2")).status_code == 404


async def test_problems_speak_english_on_request(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    body = {**NEW_DEVICE, "slug": "gruppenraum-1"}
    english = await client.post(
        "/api/v1/resources", json=body, headers={**bearer(things["staff"]), **ENGLISH}
    )
    german = await client.post("/api/v1/resources", json=body, headers=bearer(things["staff"]))
    assert "already taken" in assert_problem(english, 409, "slug_taken")["detail"]
    assert "schon vergeben" in assert_problem(german, 409, "slug_taken")["detail"]


async def test_staff_change_a_resource_and_its_house_rules(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    created = await client.post("/api/v1/resources", json=NEW_DEVICE, headers=staff)
    slug = created.json()["slug"]

    response = await client.patch(
        f"/api/v1/resources/{slug}",
        json={
            "capacity": 2,
            "name_en": None,
            "required_certification": None,
            "location": "boefingen",
            "needs_staff": True,
            "policy": {"slot_minutes": None, "max_minutes": 90},
        },
        headers={**staff, **ENGLISH},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["capacity"] == 2
    assert changed["name"] == "Plotter Süd"  # no English name any more
    assert changed["required_certification"] is None
    assert changed["location"] == "boefingen"
    assert changed["needs_staff"] is True
    assert changed["slug"] == slug  # a new name or place keeps the slug
    assert changed["policy"]["slot_minutes"] == 30  # override removed: the built-in default
    assert changed["policy"]["buffer_minutes"] == 15  # untouched override stays
    assert changed["policy"]["max_minutes"] == 90
    assert changed["description"] == "A large-format printer."  # fields not named stay
    assert (await client.get(f"/api/v1/resources/{slug}", headers=ENGLISH)).json() == changed

    [entry] = await audit(db, "resource.update")
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["capacity"] == 1
    assert entry.after["capacity"] == 2
    assert entry.before["policy"] == {"slot_minutes": 60, "buffer_minutes": 15}
    assert entry.after["policy"] == {"buffer_minutes": 15, "max_minutes": 90}
    assert "description" not in entry.after  # only what changed

    renamed = await client.patch(
        f"/api/v1/resources/{slug}", json={"slug": "plotter", "policy": None}, headers=staff
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["slug"] == "plotter"
    assert renamed.json()["policy"]["buffer_minutes"] == 0
    assert (await client.get(f"/api/v1/resources/{slug}")).status_code == 404


async def test_a_change_to_a_resource_is_refused_with_the_field_named(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    await client.post("/api/v1/resources", json=NEW_DEVICE, headers=staff)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"slug": "gruppenraum-1"}, 409, "slug_taken", "slug"),
        ({"location": "mars"}, 422, "unknown_location", "location"),
        ({"required_certification": "diving"}, 422, "unknown_certification", "required_certification"),
        ({"policy": {"horizon_days": -1}}, 422, "invalid_input", "policy.horizon_days"),
        ({"policy": {"colour": 1}}, 422, "invalid_input", "policy"),
        ({"policy": {"min_minutes": 500}}, 422, "policy_min_above_max", "policy.min_minutes"),
        ({"name": None}, 422, "invalid_input", "name"),
        ({"units": 3}, 422, "invalid_input", "body"),
    ]
    for body, status, code, field in cases:
        response = await client.patch("/api/v1/resources/plotter-sued", json=body, headers=staff)
        problem = assert_problem(response, status, code)
        if field != "body":
            assert field in named(problem), (body, problem)
    assert await audit(db, "resource.update") == []
    unknown = await client.patch("/api/v1/resources/nothing-here", json={"capacity": 2}, headers=staff)
    assert_problem(unknown, 404, "not_found")


async def test_the_parts_of_a_thing_lent_go_in_and_out_in_german_and_english(
    db: Database, client: Client
) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    camera = {
        "name": "Kamera",
        "kind": "loan",
        "factor": "technology",
        "location": "zentralbibliothek",
        "loan_parts": ["Akku", "Ladegerät", "Tasche"],
        "loan_parts_en": ["Battery", "Charger", "Bag"],
    }
    created = await client.post("/api/v1/resources", json=camera, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["loan_parts"] == ["Akku", "Ladegerät", "Tasche"]
    assert created.json()["loan_parts_en"] == ["Battery", "Charger", "Bag"]
    refused: list[tuple[dict[str, Any], str, str]] = [
        ({**camera, "slug": "k2", "loan_parts_en": ["Battery"]}, "loan_parts_en_count", "loan_parts_en"),
        ({**camera, "slug": "k2", "loan_parts": ["Akku | Kabel", "A", "B"]}, "invalid_input", "loan_parts"),
        (
            {**camera, "slug": "k2", "loan_parts_en": ["Bat\ntery", "C", "B"]},
            "invalid_input",
            "loan_parts_en",
        ),
        ({**camera, "slug": "k2", "loan_parts": ["Akku", "\x00", "B"]}, "invalid_input", "loan_parts"),
    ]
    for body, code, field in refused:
        problem = assert_problem(await client.post("/api/v1/resources", json=body, headers=staff), 422, code)
        assert any(name.startswith(field) for name in named(problem)), (body, problem)
    # A change keeps the English parts in step with the German ones, or drops them.
    shorter = await client.patch("/api/v1/resources/kamera", json={"loan_parts": ["Akku"]}, headers=staff)
    assert_problem(shorter, 422, "loan_parts_en_count")
    both = {"loan_parts": ["Akku", "Tasche"], "loan_parts_en": ["Battery", "Bag"]}
    changed = await client.patch("/api/v1/resources/kamera", json=both, headers=staff)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["loan_parts"], changed.json()["loan_parts_en"]) == (
        ["Akku", "Tasche"],
        ["Battery", "Bag"],
    )
    dropped = await client.patch("/api/v1/resources/kamera", json={"loan_parts_en": None}, headers=staff)
    assert dropped.json()["loan_parts_en"] is None
    shown = await client.get("/api/v1/resources/kamera", headers=ENGLISH)
    assert shown.json()["loan_parts"] == ["Akku", "Tasche"]


# --- units -------------------------------------------------------------------------------


async def test_staff_add_a_unit(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    response = await client.post(
        "/api/v1/resources/gruppenraum-1/units",
        json={
            "label": "Gruppenraum 1b",
            "inventory_number": "ULM-R-1B",
            "serial_number": "S1",
            "condition": "new",
        },
        headers=staff,
    )
    assert response.status_code == 201, response.text
    unit = response.json()
    assert unit == {
        "id": unit["id"],
        "label": "Gruppenraum 1b",
        "label_en": None,
        "inventory_number": "ULM-R-1B",
        "serial_number": "S1",
        "condition": "new",
        "status": "available",
    }
    shown = (await client.get("/api/v1/resources/gruppenraum-1")).json()
    assert shown["unit_count"] == 2
    assert {"id": unit["id"], "label": "Gruppenraum 1b"} in shown["units"]
    [entry] = await audit(db, "unit.create")
    assert entry.object_id == str(unit["id"])
    assert entry.after is not None
    assert entry.after["inventory_number"] == "ULM-R-1B"

    plain = await client.post(
        "/api/v1/resources/gruppenraum-1/units", json={"label": "Dritter"}, headers=staff
    )
    assert plain.json()["condition"] == "good"
    assert plain.json()["inventory_number"] is None

    taken_label = await client.post(
        "/api/v1/resources/gruppenraum-1/units", json={"label": "Dritter"}, headers=staff
    )
    assert named(assert_problem(taken_label, 409, "label_taken")) == ["label"]
    taken_number = await client.post(
        "/api/v1/resources/gruppenraum-1/units",
        json={"label": "Vierter", "inventory_number": "ULM-R-1B"},
        headers=staff,
    )
    assert named(assert_problem(taken_number, 409, "inventory_number_taken")) == ["inventory_number"]
    bad_condition = await client.post(
        "/api/v1/resources/gruppenraum-1/units",
        json={"label": "Vierter", "condition": "shiny"},
        headers=staff,
    )
    assert "condition" in named(assert_problem(bad_condition, 422, "invalid_input"))
    unknown = await client.post("/api/v1/resources/nothing/units", json={"label": "X"}, headers=staff)
    assert_problem(unknown, 404, "not_found")


async def test_staff_rename_and_assess_a_unit(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    unit_id = things["room"].units[0].id
    other = (
        await client.post(
            "/api/v1/resources/gruppenraum-1/units",
            json={"label": "Zweiter", "inventory_number": "N-2"},
            headers=staff,
        )
    ).json()
    response = await client.patch(
        f"/api/v1/units/{unit_id}", json={"label": "Erster", "condition": "damaged"}, headers=staff
    )
    assert response.status_code == 200, response.text
    assert response.json()["label"] == "Erster"
    assert response.json()["condition"] == "damaged"
    assert response.json()["status"] == "available"
    [entry] = await audit(db, "unit.update")
    assert entry.before == {"label": "gruppenraum-1-1", "condition": "good"}
    assert entry.after == {"label": "Erster", "condition": "damaged"}

    clash = await client.patch(f"/api/v1/units/{unit_id}", json={"label": "Zweiter"}, headers=staff)
    assert_problem(clash, 409, "label_taken")
    number = await client.patch(f"/api/v1/units/{unit_id}", json={"inventory_number": "N-2"}, headers=staff)
    assert_problem(number, 409, "inventory_number_taken")
    wrong = await client.patch(f"/api/v1/units/{unit_id}", json={"status": "lost"}, headers=staff)
    assert "status" in named(assert_problem(wrong, 422, "invalid_input"))
    assert_problem(
        await client.patch("/api/v1/units/999999", json={"label": "X"}, headers=staff), 404, "not_found"
    )
    assert other["label"] == "Zweiter"


async def test_a_units_english_label_goes_in_and_out_and_the_catalogue_shows_it_in_english(
    db: Database, client: Client
) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    added = await client.post(
        "/api/v1/resources/gruppenraum-1/units",
        json={"label": "Arbeitsplatz 2", "label_en": "Workstation 2"},
        headers=staff,
    )
    assert added.status_code == 201, added.text
    unit = added.json()
    assert (unit["label"], unit["label_en"]) == ("Arbeitsplatz 2", "Workstation 2")

    renamed = await client.patch(f"/api/v1/units/{unit['id']}", json={"label_en": "Desk 2"}, headers=staff)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["label"], renamed.json()["label_en"]) == ("Arbeitsplatz 2", "Desk 2")
    [entry] = await audit(db, "unit.update")
    assert (entry.before, entry.after) == ({"label_en": "Workstation 2"}, {"label_en": "Desk 2"})

    english = (await client.get("/api/v1/resources/gruppenraum-1", headers=ENGLISH)).json()
    german = (await client.get("/api/v1/resources/gruppenraum-1")).json()
    assert {"id": unit["id"], "label": "Desk 2"} in english["units"]
    assert {"id": unit["id"], "label": "Arbeitsplatz 2"} in german["units"]
    # A unit without an English label keeps its label in English too.
    first = things["room"].units[0]
    assert {"id": first.id, "label": first.label} in english["units"]

    cleared = await client.patch(f"/api/v1/units/{unit['id']}", json={"label_en": None}, headers=staff)
    assert cleared.json()["label_en"] is None
    too_long = await client.patch(f"/api/v1/units/{unit['id']}", json={"label_en": "x" * 121}, headers=staff)
    assert "label_en" in named(assert_problem(too_long, 422, "invalid_input"))


async def test_retiring_a_unit_with_bookings_lists_them_unless_forced(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    visitor = bearer(things["visitor"])
    unit_id = things["room"].units[0].id
    booked = await client.post(
        "/api/v1/bookings",
        json={"resource": "gruppenraum-1", "start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 15)},
        headers=visitor,
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()

    refused = await client.patch(
        f"/api/v1/units/{unit_id}", json={"status": "retired", "label": "Alt"}, headers=staff
    )
    problem = assert_problem(refused, 409, "unit_has_bookings")
    assert [b["id"] for b in problem["bookings"]] == [booking["id"]]
    assert problem["bookings"][0]["start"] == "2026-12-02T14:00:00+01:00"
    assert problem["bookings"][0]["unit"] == {"id": unit_id, "label": "gruppenraum-1-1"}
    assert problem["bookings"][0]["status"] == "confirmed"
    # Nothing changed, not even the label that came along.
    assert (await client.get("/api/v1/resources/gruppenraum-1")).json()["units"] == [
        {"id": unit_id, "label": "gruppenraum-1-1"}
    ]
    assert await audit(db, "unit.update") == []

    forced = await client.patch(
        f"/api/v1/units/{unit_id}", json={"status": "retired", "force": True}, headers=staff
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["status"] == "retired"
    assert [b["id"] for b in forced.json()["bookings"]] == [booking["id"]]
    # The booking stays for staff to move or cancel; nobody learns of it at the desk.
    again = await client.get(f"/api/v1/bookings/{booking['id']}", headers=visitor)
    assert again.json()["status"] == "confirmed"
    shown = (await client.get("/api/v1/resources/gruppenraum-1")).json()
    assert shown["unit_count"] == 0
    assert shown["units"] == []
    [entry] = await audit(db, "unit.update")
    assert entry.before == {"status": "available"}
    assert entry.after == {"status": "retired", "kept_bookings": [booking["id"]]}

    back = await client.patch(f"/api/v1/units/{unit_id}", json={"status": "available"}, headers=staff)
    assert back.json()["status"] == "available"
    assert "bookings" not in back.json()


async def test_a_unit_without_upcoming_bookings_retires_at_once(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    visitor = bearer(things["visitor"])
    unit_id = things["room"].units[0].id
    booking = (
        await client.post(
            "/api/v1/bookings",
            json={"resource": "gruppenraum-1", "start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 15)},
            headers=visitor,
        )
    ).json()
    await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=visitor)
    response = await client.patch(f"/api/v1/units/{unit_id}", json={"status": "retired"}, headers=staff)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "retired"
    assert "bookings" not in response.json()
    refused = await client.post(
        "/api/v1/bookings",
        json={"resource": "gruppenraum-1", "start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 15)},
        headers=visitor,
    )
    assert_problem(refused, 403, "resource_unavailable")


# --- weekly hours and exceptions ---------------------------------------------------------


async def opening_hours(client: Client, first: date, last: date, **headers: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/locations/zentralbibliothek/opening-hours",
        params={"from": first.isoformat(), "to": last.isoformat()},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    days: list[dict[str, Any]] = response.json()
    return days


async def test_staff_replace_the_weekly_hours(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    week = [
        {"weekday": 3, "start": "14:00", "end": "18:00", "staffed": False},
        {"weekday": 3, "start": "08:00", "end": "14:00", "staffed": True},
        {"weekday": 1, "start": "09:00", "end": "12:00", "staffed": True},
        {"weekday": 7, "start": "12:00", "end": "17:00"},
    ]
    response = await client.put("/api/v1/locations/zentralbibliothek/weekly-hours", json=week, headers=staff)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"weekday": 1, "start": "09:00", "end": "12:00", "staffed": True},
        {"weekday": 3, "start": "08:00", "end": "14:00", "staffed": True},
        {"weekday": 3, "start": "14:00", "end": "18:00", "staffed": False},
        {"weekday": 7, "start": "12:00", "end": "17:00", "staffed": True},
    ]
    days = {d["date"]: d for d in await opening_hours(client, date(2026, 11, 30), date(2026, 12, 6))}
    assert days["2026-12-01"]["periods"] == []  # Tuesday: was open, now closed
    assert days["2026-12-02"]["periods"] == [
        {"start": at(WEDNESDAY, 8), "end": at(WEDNESDAY, 14), "staffed": True},
        {"start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 18), "staffed": False},
    ]
    assert days["2026-11-30"]["periods"] == [
        {"start": at(date(2026, 11, 30), 9), "end": at(date(2026, 11, 30), 12), "staffed": True}
    ]
    assert len(days["2026-12-06"]["periods"]) == 1  # Sunday now open

    # Bookings follow the new hours.
    early = await client.post(
        "/api/v1/bookings",
        json={"resource": "gruppenraum-1", "start": at(WEDNESDAY, 8), "end": at(WEDNESDAY, 9)},
        headers=bearer(things["visitor"]),
    )
    assert early.status_code == 201, early.text

    [entry] = await audit(db, "location.weekly_hours")
    assert entry.object_id == str(things["location"].id)
    assert entry.before is not None
    assert entry.after is not None
    assert len(entry.before["weekly"]) == 7
    assert entry.after["weekly"] == response.json()


async def test_weekly_hours_are_checked_item_by_item(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    good = {"weekday": 1, "start": "09:00", "end": "12:00"}
    cases: list[tuple[list[dict[str, Any]], str, str]] = [
        ([good, {**good, "weekday": 8}], "invalid_weekday", "[1].weekday"),
        ([good, {**good, "weekday": 0}], "invalid_weekday", "[1].weekday"),
        ([{**good, "start": "12:00", "end": "09:00"}], "end_before_start", "[0].end"),
        ([{**good, "start": "12:00", "end": "12:00"}], "end_before_start", "[0].end"),
        (
            [good, {**good, "weekday": 2}, {**good, "start": "11:00", "end": "13:00"}],
            "periods_overlap",
            "[2].start",
        ),
        (
            [{**good, "start": "11:00", "end": "13:00"}, {**good, "weekday": 2}, good],
            "periods_overlap",
            "[2].start",
        ),
        ([{**good, "start": "9:00"}], "invalid_time", "[0].start"),
        ([good, {**good, "end": "24:00"}], "invalid_time", "[1].end"),
    ]
    for week, code, field in cases:
        response = await client.put(
            "/api/v1/locations/zentralbibliothek/weekly-hours", json=week, headers=staff
        )
        problem = assert_problem(response, 422, code)
        assert named(problem) == [field], (week, problem)
        assert field in problem["detail"] or code == "end_before_start"
    # Adjacent periods do not overlap: [start, end).
    adjacent = [good, {**good, "start": "12:00", "end": "14:00", "staffed": False}]
    response = await client.put(
        "/api/v1/locations/zentralbibliothek/weekly-hours", json=adjacent, headers=staff
    )
    assert response.status_code == 200, response.text
    assert len(await audit(db, "location.weekly_hours")) == 1
    unknown_field = await client.put(
        "/api/v1/locations/zentralbibliothek/weekly-hours", json=[{**good, "colour": "red"}], headers=staff
    )
    assert_problem(unknown_field, 422, "invalid_input")
    unknown = await client.put("/api/v1/locations/mars/weekly-hours", json=[good], headers=staff)
    assert_problem(unknown, 404, "not_found")


async def test_an_empty_week_closes_the_location(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    response = await client.put(
        "/api/v1/locations/zentralbibliothek/weekly-hours", json=[], headers=bearer(things["staff"])
    )
    assert response.status_code == 200
    assert response.json() == []
    days = await opening_hours(client, WEDNESDAY, THURSDAY)
    assert all(d["periods"] == [] for d in days)
    async with db.read() as session:
        assert (
            await session.scalar(select(Location.id).where(Location.slug == "zentralbibliothek")) is not None
        )


async def test_staff_add_a_closure_and_special_hours(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    closure = await client.post(
        "/api/v1/locations/zentralbibliothek/exceptions",
        json={
            "date_from": "2026-12-24",
            "date_to": "2026-12-26",
            "closed": True,
            "reason": "Weihnachten",
            "reason_en": "Christmas",
        },
        headers=staff,
    )
    assert closure.status_code == 201, closure.text
    created = closure.json()
    assert created == {
        "id": created["id"],
        "date_from": "2026-12-24",
        "date_to": "2026-12-26",
        "closed": True,
        "periods": [],
        "reason": "Weihnachten",
        "reason_en": "Christmas",
    }
    special = await client.post(
        "/api/v1/locations/zentralbibliothek/exceptions",
        json={
            "date_from": "2026-12-03",
            "date_to": "2026-12-03",
            "closed": False,
            "periods": [
                {"start": "15:00", "end": "20:00", "staffed": False},
                {"start": "12:00", "end": "15:00"},
            ],
            "reason": "Lange Lesenacht",
        },
        headers=staff,
    )
    assert special.status_code == 201, special.text
    assert special.json()["periods"] == [
        {"start": "12:00", "end": "15:00", "staffed": True},
        {"start": "15:00", "end": "20:00", "staffed": False},
    ]

    days = {
        d["date"]: d for d in await opening_hours(client, date(2026, 12, 23), date(2026, 12, 27), **ENGLISH)
    }
    assert days["2026-12-23"]["periods"] != []
    for closed_day in ("2026-12-24", "2026-12-25", "2026-12-26"):
        assert days[closed_day]["periods"] == []
        assert days[closed_day]["closed_reason"] == "Christmas"
    [thursday] = await opening_hours(client, THURSDAY, THURSDAY)
    assert thursday["periods"] == [
        {"start": at(THURSDAY, 12), "end": at(THURSDAY, 15), "staffed": True},
        {"start": at(THURSDAY, 15), "end": at(THURSDAY, 20), "staffed": False},
    ]
    assert "closed_reason" not in thursday

    christmas = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum-1",
            "start": at(date(2026, 12, 24), 10),
            "end": at(date(2026, 12, 24), 11),
        },
        headers=bearer(things["visitor"]),
    )
    assert_problem(christmas, 403, "closed")

    entries = await audit(db, "location.exception")
    assert [e.reason for e in entries] == ["Weihnachten", "Lange Lesenacht"]
    assert entries[0].after is not None
    assert entries[0].after["id"] == created["id"]
    assert entries[1].after is not None
    assert entries[1].after["periods"][0] == {"start": "12:00", "end": "15:00", "staffed": True}


async def test_exceptions_are_checked(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    base = {"date_from": "2026-12-24", "date_to": "2026-12-24", "reason": "Grund"}
    period = {"start": "10:00", "end": "12:00"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({**base, "date_to": "2026-12-23", "closed": True}, "dates_out_of_order", "date_to"),
        ({**base, "closed": False}, "periods_required", "periods"),
        ({**base, "closed": True, "periods": [period]}, "closed_with_periods", "periods"),
        (
            {**base, "closed": False, "periods": [{"start": "12:00", "end": "10:00"}]},
            "end_before_start",
            "periods[0].end",
        ),
        (
            {**base, "closed": False, "periods": [period, {"start": "11:00", "end": "13:00"}]},
            "periods_overlap",
            "periods[1].start",
        ),
        (
            {**base, "closed": False, "periods": [{"start": "25:00", "end": "26:00"}]},
            "invalid_time",
            "periods[0].start",
        ),
        ({**base, "closed": True, "reason": ""}, "invalid_input", "reason"),
        ({**base, "date_from": "2026-02-30", "closed": True}, "invalid_input", "date_from"),
    ]
    for body, code, field in cases:
        response = await client.post(
            "/api/v1/locations/zentralbibliothek/exceptions", json=body, headers=staff
        )
        problem = assert_problem(response, 422, code)
        assert field in named(problem), (body, problem)
    assert await audit(db, "location.exception") == []
    unknown = await client.post(
        "/api/v1/locations/mars/exceptions", json={**base, "closed": True}, headers=staff
    )
    assert_problem(unknown, 404, "not_found")


# --- the contract document ---------------------------------------------------------------


async def test_the_openapi_document_lists_the_staff_endpoints(db: Database, client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert set(paths["/api/v1/resources"]) >= {"get", "post"}
    assert set(paths["/api/v1/resources/{slug}"]) >= {"get", "patch"}
    assert "post" in paths["/api/v1/resources/{slug}/units"]
    assert "patch" in paths["/api/v1/units/{unit_id}"]
    assert "put" in paths["/api/v1/locations/{slug}/weekly-hours"]
    assert "post" in paths["/api/v1/locations/{slug}/exceptions"]


CONTROL_CHARACTERS = [
    ("name", "Raum\r\nX-Injected: 1"),
    ("name", "Null\u0000Raum"),
    ("name_en", "Room\u0085next line"),
    ("features", ["Beamer\u000b"]),
    ("description", "Zwei\nZeilen und eine Glocke\u0007"),
]


@pytest.mark.parametrize(("field", "value"), CONTROL_CHARACTERS)
async def test_one_line_texts_refuse_control_characters_naming_the_field(
    db: Database, client: Client, field: str, value: Any
) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    created = await client.post("/api/v1/resources", json={**NEW_DEVICE, field: value}, headers=staff)
    assert_problem(created, 422, "invalid_input")
    assert [error["field"].partition("[")[0] for error in created.json()["errors"]] == [field]
    changed = await client.patch("/api/v1/resources/gruppenraum-1", json={field: value}, headers=staff)
    assert_problem(changed, 422, "invalid_input")
    unit = await client.post("/api/v1/resources/gruppenraum-1/units", json={"label": "A\nB"}, headers=staff)
    assert_problem(unit, 422, "invalid_input")


async def test_a_description_may_hold_line_breaks(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    body = {**NEW_DEVICE, "description": "Erste Zeile\r\nzweite\ndritte"}
    response = await client.post("/api/v1/resources", json=body, headers=bearer(things["staff"]))
    assert response.status_code == 201, response.text


async def test_features_in_two_languages_keep_the_field_shape(db: Database, client: Client) -> None:
    things = await setup_library(db, client)
    staff = bearer(things["staff"])
    response = await client.post(
        "/api/v1/resources",
        json={**NEW_DEVICE, "slug": "plotter", "features_en": ["A0", "Colour"]},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    assert response.json()["features"] == ["A0", "Farbe"]  # German by default, a list of texts as ever
    english = (await client.get("/api/v1/resources/plotter", headers=ENGLISH)).json()
    assert english["features"] == ["A0", "Colour"]
    page = await client.get("/resources/plotter", headers=ENGLISH)
    assert "<li>Colour</li>" in page.text
    assert "<li>Farbe</li>" in (await client.get("/resources/plotter")).text
    # Without English features the German ones serve in English too.
    cleared = await client.patch("/api/v1/resources/plotter", json={"features_en": None}, headers=staff)
    assert cleared.status_code == 200, cleared.text
    assert (await client.get("/api/v1/resources/plotter", headers=ENGLISH)).json()["features"] == [
        "A0",
        "Farbe",
    ]
