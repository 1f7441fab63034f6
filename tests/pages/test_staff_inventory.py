"""Staff inventory pages: resources with their rules, units, blocks for maintenance, retiring units."""

from __future__ import annotations

from sqlalchemy import select

from library.catalog.models import Resource, ResourceKind, Unit, UnitBlock, UnitCondition, UnitStatus
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import csrf_token, post_form, sign_in, submit_form
from tests.support.staff_pages import assert_staff_only, book, desk_world, utc

RESOURCE_FORM = {
    "name": "Nähmaschine",
    "name_en": "Sewing machine",
    "slug": "",
    "kind": "device",
    "factor": "technology",
    "location": "zentralbibliothek",
    "description": "Für Stoffe",
    "description_en": "",
    "capacity": "1",
    "features": "Overlock\nFreiarm",
    "requires_approval": "on",
    "required_certification": "",
    "min_age": "14",
    "units": "2",
    "policy.max_minutes": "180",
}


async def resource_row(db: Database, slug: str) -> Resource:
    async with db.read() as session:
        row = await session.scalar(select(Resource).where(Resource.slug == slug))
    assert row is not None
    return row


async def units_of(db: Database, resource_id: int) -> list[Unit]:
    async with db.read() as session:
        return list(
            await session.scalars(select(Unit).where(Unit.resource_id == resource_id).order_by(Unit.id))
        )


async def test_the_inventory_pages_are_for_staff_only(client: Client, db: Database) -> None:
    world = await desk_world(db)
    [unit, _] = await units_of(db, world.resource.id)
    await assert_staff_only(
        client,
        db,
        "/staff/resources",
        "/staff/resources/new",
        "/staff/resources/lesesaal",
        f"/staff/units/{unit.id}",
    )


async def test_staff_list_and_filter_resources(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await factories.create_resource(
        db, world.location, "3d-drucker", name="3D-Drucker", kind=ResourceKind.DEVICE
    )
    await sign_in(client, "sam@example.org")

    everything = await client.get("/staff/resources")
    devices = await client.get("/staff/resources?kind=device")
    wrong = await client.get("/staff/resources?kind=boat")

    assert everything.status_code == 200
    assert "Lesesaal" in everything.text
    assert "3D-Drucker" in everything.text
    assert "3D-Drucker" in devices.text
    assert "Lesesaal" not in devices.text
    assert wrong.status_code == 422
    assert 'id="error-kind"' in wrong.text
    assert "Bestand" in everything.text


async def test_staff_add_a_resource_with_its_units_and_rules(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    page = await submit_form(
        client,
        "/staff/resources/new",
        RESOURCE_FORM,
        form_page="/staff/resources/new",
        lands_on="/staff/resources/naehmaschine?done=created",
    )

    resource = await resource_row(db, "naehmaschine")
    assert resource.requires_approval
    assert resource.min_age == 14
    assert resource.features == ["Overlock", "Freiarm"]
    assert [u.label for u in await units_of(db, resource.id)] == ["Nähmaschine 1", "Nähmaschine 2"]
    assert 'value="180"' in page.text
    assert "Das Angebot wurde hinzugefügt." in page.text


async def test_staff_add_a_thing_to_lend_with_its_parts(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    page = await submit_form(
        client,
        "/staff/resources/new",
        {**RESOURCE_FORM, "kind": "loan", "requires_approval": "", "loan_parts": "Fußpedal\n\nNetzkabel\n"},
        form_page="/staff/resources/new",
        lands_on="/staff/resources/naehmaschine?done=created",
    )

    resource = await resource_row(db, "naehmaschine")
    assert resource.loan_parts == ["Fußpedal", "Netzkabel"]
    assert "Fußpedal\nNetzkabel</textarea>" in page.text


async def test_staff_give_the_parts_in_english_next_to_the_german_ones(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    thing = {**RESOURCE_FORM, "kind": "loan", "requires_approval": "", "loan_parts": "Fußpedal\nNetzkabel"}

    one_short = await post_form(
        client,
        "/staff/resources/new",
        {**thing, "loan_parts_en": "Foot pedal"},
        form_page="/staff/resources/new",
    )
    token = await csrf_token(client, "/staff/resources/new")
    with_separator = await client.post(
        "/staff/resources/new",
        data={**thing, "loan_parts": "Fußpedal | Kabel", "_csrf_token": token},
        headers={"accept-language": "en"},
    )
    page = await submit_form(
        client,
        "/staff/resources/new",
        {**thing, "loan_parts_en": "Foot pedal\nPower cable\n"},
        form_page="/staff/resources/new",
        lands_on="/staff/resources/naehmaschine?done=created",
    )

    assert one_short.status_code == 422
    assert 'id="error-loan_parts_en"' in one_short.text
    assert "eines für jedes der 2 Teile" in one_short.text
    assert with_separator.status_code == 422
    assert 'id="error-loan_parts"' in with_separator.text
    assert "without control characters and without |" in with_separator.text
    resource = await resource_row(db, "naehmaschine")
    assert resource.loan_parts_en == ["Foot pedal", "Power cable"]
    assert "Foot pedal\nPower cable</textarea>" in page.text


async def test_wrong_resource_input_is_explained_next_to_each_field(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    response = await post_form(
        client,
        "/staff/resources/new",
        {
            **RESOURCE_FORM,
            "name": "",
            "capacity": "null",
            "slug": "Mit Leerzeichen",
            "policy.slot_minutes": "2",
        },
        form_page="/staff/resources/new",
    )
    taken = await post_form(
        client,
        "/staff/resources/new",
        {**RESOURCE_FORM, "slug": "lesesaal"},
        form_page="/staff/resources/new",
    )

    assert response.status_code == 422
    for name in ("name", "capacity", "slug", "policy.slot_minutes"):
        assert f'id="error-{name}"' in response.text
    assert "Bitte geben Sie eine ganze Zahl von 1 bis 10000 ein." in response.text
    assert 'value="Mit Leerzeichen"' in response.text
    assert taken.status_code == 409
    assert 'id="error-slug"' in taken.text


async def test_control_characters_in_a_name_are_explained_next_to_the_field(
    client: Client, db: Database
) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    form = {**RESOURCE_FORM, "name": "Raum\r\nX-Injected: 1", "slug": "raum-neu"}

    response = await post_form(client, "/staff/resources/new", form, form_page="/staff/resources/new")

    assert response.status_code == 422
    assert 'id="error-name">Bitte eine Zeile mit höchstens 200 Zeichen, ohne Steuerzeichen.' in response.text


async def test_staff_change_a_resource_and_remove_a_rule(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await sign_in(client, "sam@example.org")
    edit = "/staff/resources/lesesaal"
    form = await client.get(edit)
    assert form.status_code == 200
    assert 'value="Lesesaal"' in form.text

    response = await post_form(
        client,
        edit,
        {
            **RESOURCE_FORM,
            "name": "Großer Lesesaal",
            "slug": "lesesaal",
            "kind": "room",
            "units": "",
            "min_age": "",
        },
        form_page=edit,
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/staff/resources/lesesaal?done=saved"
    resource = await resource_row(db, "lesesaal")
    assert resource.name == "Großer Lesesaal"
    assert resource.min_age is None
    assert len(await units_of(db, world.resource.id)) == 2  # units are changed one by one
    cleared = await post_form(
        client, edit, {**RESOURCE_FORM, "slug": "lesesaal", "capacity": ""}, form_page=edit
    )
    assert cleared.status_code == 422
    assert 'id="error-capacity"' in cleared.text


async def test_staff_add_and_edit_a_unit(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await sign_in(client, "sam@example.org")

    added = await post_form(
        client,
        "/staff/resources/lesesaal/units",
        {"label": "Platz 3", "inventory_number": "INV-7", "serial_number": "", "condition": "new"},
        form_page="/staff/resources/lesesaal",
    )
    duplicate = await post_form(
        client,
        "/staff/resources/lesesaal/units",
        {"label": "Platz 3", "inventory_number": "", "serial_number": "", "condition": "good"},
        form_page="/staff/resources/lesesaal",
    )

    assert added.status_code == 303
    units = await units_of(db, world.resource.id)
    assert units[-1].inventory_number == "INV-7"
    assert units[-1].condition is UnitCondition.NEW
    assert duplicate.status_code == 409
    assert 'id="error-label"' in duplicate.text

    page = f"/staff/units/{units[0].id}"
    changed = await post_form(
        client,
        page,
        {
            "label": "Fensterplatz",
            "label_en": "Window seat",
            "inventory_number": "",
            "serial_number": "SN-1",
            "condition": "worn",
        },
        form_page=page,
    )
    assert changed.status_code == 303
    [first, *_] = await units_of(db, world.resource.id)
    assert first.label == "Fensterplatz"
    assert first.label_en == "Window seat"
    assert 'value="Window seat"' in (await client.get(page)).text
    assert first.serial_number == "SN-1"
    assert first.condition is UnitCondition.WORN


async def test_staff_block_a_unit_and_see_the_bookings_it_touches(client: Client, db: Database) -> None:
    world = await desk_world(db)
    [unit, _] = await units_of(db, world.resource.id)
    await book(db, world.resource, world.visitor, utc(2026, 12, 2, 9))
    await sign_in(client, "sam@example.org")
    page = f"/staff/units/{unit.id}"

    response = await post_form(
        client,
        f"{page}/blocks",
        {"start": "2026-12-02T08:00", "end": "2026-12-02T18:00", "reason": "Neue Lampe"},
        form_page=page,
    )
    wrong = await post_form(
        client,
        f"{page}/blocks",
        {"start": "2026-12-02T18:00", "end": "2026-12-02T08:00", "reason": ""},
        form_page=page,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?done=blocked"
    async with db.read() as session:
        block = await session.scalar(select(UnitBlock).where(UnitBlock.unit_id == unit.id))
    assert block is not None
    assert block.start_at == utc(2026, 12, 2, 7)
    shown = await client.get(response.headers["location"])
    assert "Neue Lampe" in shown.text
    in_block = shown.text.split('id="blocks"')[1].split("</section>")[0]
    assert "Anna Muster" in in_block
    assert f'name="back" value="{page}"' in in_block  # staff cancel or move it from here
    assert wrong.status_code == 422
    assert 'id="error-end"' in wrong.text
    assert 'id="error-reason"' in wrong.text

    lifted = await post_form(client, f"/staff/blocks/{block.id}/lift", {"unit": str(unit.id)}, form_page=page)
    assert lifted.status_code == 303
    async with db.read() as session:
        assert await session.scalar(select(UnitBlock.id).where(UnitBlock.unit_id == unit.id)) is None


async def test_retiring_a_unit_with_bookings_asks_to_confirm(client: Client, db: Database) -> None:
    world = await desk_world(db)
    [unit, spare] = await units_of(db, world.resource.id)
    await book(db, world.resource, world.visitor, utc(2026, 12, 3, 9))
    await sign_in(client, "sam@example.org")
    page = f"/staff/units/{unit.id}"

    confirm = await post_form(client, f"{page}/retire", {}, form_page=page)
    assert confirm.status_code == 200
    assert 'name="confirm" value="yes"' in confirm.text
    assert "button danger" in confirm.text
    assert (await units_of(db, world.resource.id))[0].status is UnitStatus.AVAILABLE
    asked = await post_form(client, f"{page}/retire", {"confirm": "yes"}, form_page=page)

    assert asked.status_code == 409
    assert "Anna Muster" in asked.text
    assert 'name="force" value="yes"' in asked.text
    assert (await units_of(db, world.resource.id))[0].status is UnitStatus.AVAILABLE

    forced = await post_form(client, f"{page}/retire", {"force": "yes"}, form_page=page)
    plain = await post_form(client, f"/staff/units/{spare.id}/retire", {"confirm": "yes"}, form_page=page)

    assert forced.status_code == 303
    assert plain.status_code == 303
    assert [u.status for u in await units_of(db, world.resource.id)] == [
        UnitStatus.RETIRED,
        UnitStatus.RETIRED,
    ]


async def test_an_unknown_unit_or_resource_is_a_readable_404_page(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    unit = await client.get("/staff/units/999999")
    resource = await client.get("/staff/resources/no-such-thing")

    assert unit.status_code == 404
    assert "Die Einheit 999999 wurde nicht gefunden." in unit.text
    assert resource.status_code == 404
    assert resource.headers["content-type"].startswith("text/html")


async def test_visitors_cannot_post_any_staff_form(client: Client, db: Database) -> None:
    world = await desk_world(db)
    [unit, _] = await units_of(db, world.resource.id)
    await sign_in(client, "anna@example.org")
    forms = [
        "/staff/resources/new",
        "/staff/resources/lesesaal",
        "/staff/resources/lesesaal/units",
        f"/staff/units/{unit.id}",
        f"/staff/units/{unit.id}/blocks",
        f"/staff/units/{unit.id}/retire",
        "/staff/hours/zentralbibliothek/week",
        "/staff/hours/zentralbibliothek/exceptions",
        "/staff/bookings/new",
    ]

    for path in forms:
        response = await post_form(client, path, {"label": "X", "rows": "0"}, form_page="/login")
        assert response.status_code == 403, path
    upload = await post_form(client, "/staff/resources/import", {}, form_page="/login")
    assert upload.status_code == 403
    assert [u.status for u in await units_of(db, world.resource.id)] == [UnitStatus.AVAILABLE] * 2
