"""The unit's public page from its QR code, reporting a problem there, and the staff page Defects."""

from __future__ import annotations

from datetime import timedelta

import pypdfium2
import zxingcpp
from sqlalchemy import select

from library.catalog.models import MaintenancePlan, Unit, UnitBlock, UnitReport, UnitService
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support.api import Client, setup_library
from tests.support.factories import bearer, get_token
from tests.support.forms import post_form, sign_in, submit_form
from tests.support.times import TEST_NOW


async def printer_unit(db: Database) -> Unit:
    async with db.read() as session:
        unit = await session.scalar(
            select(Unit).where(Unit.resource.has(slug="3d-drucker")).order_by(Unit.id)
        )
    assert unit is not None
    return unit


async def test_the_unit_page_says_what_it_is_and_that_it_works_without_personal_data(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    unit = await printer_unit(db)

    page = await client.get(f"/u/{unit.code}")
    upper = await client.get(f"/u/{unit.code.upper()}")
    missing = await client.get("/u/zzzzzzzz")

    assert page.status_code == 200
    assert unit.label in page.text
    assert "In Betrieb" in page.text
    assert 'href="/resources/3d-drucker"' in page.text
    assert f"/login?next=/u/{unit.code}" in page.text  # no report form for anonymous people
    assert 'name="text"' not in page.text
    assert "@example.org" not in page.text
    assert upper.status_code == 200
    assert missing.status_code == 404


async def test_a_report_with_errors_shows_them_next_to_the_fields(db: Database, client: Client) -> None:
    await setup_library(db)
    unit = await printer_unit(db)
    await sign_in(client, "anna@example.org")

    response = await post_form(
        client, f"/u/{unit.code}/report", {"text": " ", "severity": "broken"}, form_page=f"/u/{unit.code}"
    )

    assert response.status_code == 422
    assert 'id="error-text"' in response.text
    assert 'id="error-severity"' in response.text
    async with db.read() as session:
        assert (await session.scalars(select(UnitReport))).all() == []


async def test_a_blocking_report_takes_the_unit_out_until_staff_close_it(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    unit = await printer_unit(db)
    await sign_in(client, "anna@example.org")

    shown = await submit_form(
        client,
        f"/u/{unit.code}/report",
        {"text": "Der Drucker raucht.", "severity": "blocking"},
        form_page=f"/u/{unit.code}",
        lands_on=f"/u/{unit.code}?done=blocked",
    )

    assert "Außer Betrieb: ein Problem wurde gemeldet" in shown.text
    await client.post("/logout", follow_redirects=False)
    await sign_in(client, "staff@example.org")
    staff_page = await client.get("/staff/defects")
    assert "Der Drucker raucht." in staff_page.text
    async with db.read() as session:
        report = await session.scalar(select(UnitReport))
        staff_mail = list(
            await session.scalars(
                select(OutboxMessage.recipient).where(OutboxMessage.kind == "unit.reported")
            )
        )
    assert report is not None
    assert staff_mail == ["staff@example.org"]  # the staff hear of it by mail too

    closed = await submit_form(
        client,
        f"/staff/defects/{report.id}/close",
        {"note": "Lüfter getauscht"},
        form_page="/staff/defects",
        lands_on="/staff/defects?done=closed",
    )

    assert "Keine offenen Meldungen." in closed.text
    assert "In Betrieb" in (await client.get(f"/u/{unit.code}")).text


async def test_staff_print_a_label_sheet_for_a_resource(db: Database, client: Client) -> None:
    await setup_library(db)
    unit = await printer_unit(db)
    await sign_in(client, "staff@example.org")

    sheet = await client.get("/staff/labels?resource=3d-drucker")

    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("image/svg+xml")
    assert sheet.text.count("<path ") == 2  # both printer units
    assert f"/u/{unit.code}" in sheet.text
    one = await client.get(f"/staff/labels?resource=3d-drucker&unit={unit.id}")
    assert one.text.count("<path ") == 1
    unit_page = await client.get(f"/staff/units/{unit.id}")
    assert f"/staff/labels?resource=3d-drucker&amp;unit={unit.id}" in unit_page.text
    assert f"/staff/labels?resource=3d-drucker&amp;unit={unit.id}&amp;format=pdf" in unit_page.text


async def test_staff_print_the_labels_as_a_pdf_whose_codes_lead_to_the_units(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    unit = await printer_unit(db)
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/defects")
    assert 'name="format" value="pdf"' in page.text
    assert "Alle Bogen als PDF" in page.text
    assert "All sheets as PDF" in (await client.get("/staff/defects", headers={"accept-language": "en"})).text

    answer = await client.get("/staff/labels?resource=3d-drucker&format=pdf")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert 'filename="labels-3d-drucker.pdf"' in answer.headers["content-disposition"]
    document = pypdfium2.PdfDocument(answer.content)
    try:
        assert len(document) == 1
        picture = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    found = [result.text for result in zxingcpp.read_barcodes(picture)]
    assert len(found) == 2  # both printer units
    assert f"http://testserver.local/u/{unit.code}" in found or any(
        text.endswith(f"/u/{unit.code}") for text in found
    )


async def test_staff_see_due_units_record_a_service_and_block_at_a_quiet_time(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    unit = await printer_unit(db)
    staff = await get_token(client, "staff@example.org")
    plan = await client.put(
        "/api/v1/resources/3d-drucker/maintenance", json={"every_days": 1}, headers=bearer(staff)
    )
    assert plan.status_code == 200
    async with db.write() as session:  # serviced three days ago: due by days
        session.add(UnitService(unit_id=unit.id, at=TEST_NOW - timedelta(days=3), note=""))
    await sign_in(client, "staff@example.org")

    page = await client.get("/staff/defects")
    assert "Fällig" in page.text
    assert f"/staff/defects/units/{unit.id}/serviced" in page.text

    blocked = await submit_form(
        client,
        f"/staff/defects/units/{unit.id}/quiet-block",
        {},
        form_page="/staff/defects",
        lands_on="/staff/defects?done=quiet_block",
    )
    assert "Die Einheit ist zur nächsten freien Zeit gesperrt." in blocked.text
    serviced = await submit_form(
        client,
        f"/staff/defects/units/{unit.id}/serviced",
        {"note": "Düse gereinigt"},
        form_page="/staff/defects",
        lands_on="/staff/defects?done=serviced",
    )
    assert "Keine Einheit ist zur Wartung fällig." in serviced.text
    async with db.read() as session:
        blocks = (await session.scalars(select(UnitBlock).where(UnitBlock.unit_id == unit.id))).all()
    assert [b.reason for b in blocks] == ["Wartung"]


async def test_staff_set_a_maintenance_plan_with_errors_next_to_the_fields(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    await sign_in(client, "staff@example.org")

    wrong = await post_form(
        client,
        "/staff/defects/plan",
        {
            "resource": "3d-drucker",
            "every_hours": "0",
            "every_bookings": "",
            "every_days": "",
            "warn_before_percent": "10",
        },
        form_page="/staff/defects",
    )
    empty = await post_form(
        client,
        "/staff/defects/plan",
        {
            "resource": "3d-drucker",
            "every_hours": "",
            "every_bookings": "",
            "every_days": "",
            "warn_before_percent": "",
        },
        form_page="/staff/defects",
    )
    saved = await submit_form(
        client,
        "/staff/defects/plan",
        {
            "resource": "3d-drucker",
            "every_hours": "200",
            "every_bookings": "",
            "every_days": "90",
            "warn_before_percent": "",
        },
        form_page="/staff/defects",
        lands_on="/staff/defects?done=plan",
    )

    assert wrong.status_code == 422
    assert 'id="error-every_hours"' in wrong.text
    assert empty.status_code == 422
    assert 'id="error-every_hours"' in empty.text  # at least one meter, said at the first
    assert "Der Wartungsplan ist gespeichert." in saved.text
    async with db.read() as session:
        plan = await session.scalar(select(MaintenancePlan))
    assert plan is not None
    assert (plan.every_hours, plan.every_bookings, plan.every_days, plan.warn_before_percent) == (
        200,
        None,
        90,
        10,
    )
