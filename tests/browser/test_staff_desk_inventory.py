"""The staff desk, bookings, inventory, CSV import and opening hours in a real browser:
accessible in German and English, staff check in a booking at the desk, block a unit, and a
bad CSV file is refused with a readable report."""

from __future__ import annotations

import time as walltime
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, register_visitor, save_screenshots, sign_in_as_staff

ULM = ZoneInfo("Europe/Berlin")
PAGES = {
    "staff-desk": "/staff",
    "staff-bookings": "/staff/bookings",
    "staff-booking-new": "/staff/bookings/new",
    "staff-resources": "/staff/resources",
    "staff-resource-new": "/staff/resources/new",
    "staff-resource": "/staff/resources/3d-drucker",
    "staff-resources-import": "/staff/resources/import",
    "staff-hours": "/staff/hours",
}


def check_page(page: Page, name: str, lang: Lang) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)
    for screenshot in save_screenshots(page, name, lang):
        assert screenshot.stat().st_size > 0


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_staff_page_is_accessible_in_each_language(page: Page, lang: Lang, name: str) -> None:
    sign_in_as_staff(page)
    page.goto(PAGES[name])
    check_page(page, name, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_unit_page_is_accessible_in_each_language(page: Page, lang: Lang) -> None:
    sign_in_as_staff(page, next="/staff/resources/3d-drucker")
    page.locator("a[href^='/staff/units/']").first.click()
    check_page(page, "staff-unit", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_exception_page_is_accessible_in_each_language(page: Page, lang: Lang) -> None:
    sign_in_as_staff(page, next="/staff/hours")
    page.locator("a[href^='/staff/hours/exceptions/']").first.click()
    check_page(page, "staff-hours-exception", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_form_with_mistakes_stays_accessible(page: Page, lang: Lang) -> None:
    sign_in_as_staff(page, next="/staff/resources/new")
    form = page.locator("form[action='/staff/resources/new']")
    form.locator("input[name='name']").fill("Testgerät")
    form.locator("input[name='capacity']").fill("0")
    form.locator("button[type='submit']").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(form.locator("input[name='name']")).to_have_value("Testgerät")
    expect(page.locator("#error-capacity")).to_be_visible()
    check_page(page, "staff-resource-new-error", lang)


def test_staff_book_for_a_visitor_and_check_them_in_at_the_desk(page: Page) -> None:
    visitor = register_visitor(page)
    sign_in_as_staff(page, next="/staff/bookings/new")
    # A few minutes from now, so that the check-in is due; the exception lets it be booked at any hour.
    # The form books within one day and the desk shows today's bookings that are not over: near
    # midnight the half hour ends at the day's last minute, and in its last minutes the test waits
    # for the new day.
    now = datetime.now(ULM)
    if now.time() >= time(23, 56):
        walltime.sleep(
            (datetime.combine(now.date() + timedelta(days=1), time(0), ULM) - now).total_seconds() + 1
        )
    start = datetime.now(ULM).replace(second=0, microsecond=0) + timedelta(minutes=2)
    end = min(start + timedelta(minutes=30), datetime.combine(start.date(), time(23, 59), ULM))
    form = page.locator("form[action='/staff/bookings/new']")
    form.locator("input[name='email']").fill(visitor.email)
    form.locator("select[name='resource']").select_option("lernplatz")
    form.locator("input[name='date']").fill(start.date().isoformat())
    form.locator("input[name='start']").fill(f"{start:%H:%M}")
    form.locator("input[name='end']").fill(f"{end:%H:%M}")
    form.locator("input[name='override_reason']").fill("Browsertest")
    form.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("tr", has_text=visitor.email)).to_have_count(1)

    page.goto("/staff")
    due = page.locator("section[aria-labelledby='due-now'] tr", has_text=visitor.email)
    expect(due).to_have_count(1)
    due.locator("form[action$='/check-in'] button").click()

    expect(page.get_by_role("status")).to_be_visible()
    arrival = page.locator("section[aria-labelledby='arrivals'] tr", has_text=visitor.email)
    expect(arrival.locator("form[action$='/check-in']")).to_have_count(0)
    expect(page.locator("section[aria-labelledby='due-now'] tr", has_text=visitor.email)).to_have_count(0)
    assert_accessible(page)
    save_screenshots(page, "staff-desk-checked-in", "de")


def test_staff_block_a_unit_for_maintenance(page: Page) -> None:
    sign_in_as_staff(page, next="/staff/resources/lasercutter")
    page.locator("a[href^='/staff/units/']").first.click()
    form = page.locator("form[action$='/blocks']")
    form.locator("input[name='start']").fill("2027-02-01T09:00")
    form.locator("input[name='end']").fill("2027-02-01T17:00")
    form.locator("input[name='reason']").fill("Linse tauschen")
    form.locator("button[type='submit']").click()

    expect(page.get_by_role("status")).to_be_visible()
    block = page.locator("ul.blocks > li", has_text="Linse tauschen")
    expect(block).to_have_count(1)
    expect(block.locator("form[action$='/lift'] button")).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "staff-unit-blocked", "de")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_bad_csv_file_is_refused_with_a_readable_report(page: Page, lang: Lang) -> None:
    sign_in_as_staff(page, next="/staff/resources/import")
    bad = (
        "slug,name,kind,factor,location,capacity,unit_label\n"
        "testgeraet,Testgerät,gadget,technology,zentralbibliothek,0,Gerät 1\n"
        "3d-drucker,3D-Drucker,device,technology,nirgendwo,,\n"
    )
    page.locator("input[name='file']").set_input_files(
        {"name": "inventar.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.locator("form[action='/staff/resources/import'] button[type='submit']").click()

    expect(page.get_by_role("alert")).to_be_visible()
    report = page.locator("table[aria-labelledby='report-title'] tbody tr")
    # kind and capacity in row 2; in row 3 the location (3d-drucker exists: the row would update it)
    expect(report).to_have_count(3)
    expect(report.nth(0).locator("th")).to_have_text("2")
    expect(report.nth(0).locator("td").first).to_have_text("kind")
    expect(report.nth(2).locator("td").first).to_have_text("location")
    assert_accessible(page)
    save_screenshots(page, "staff-import-report", lang)
    page.goto("/staff/resources?q=testger")
    expect(page.locator("a[href='/staff/resources/testgeraet']")).to_have_count(0)


def test_a_good_csv_file_is_imported_and_listed(page: Page) -> None:
    slug = f"testgeraet-{uuid.uuid4().hex[:8]}"
    sign_in_as_staff(page, next="/staff/resources/import")
    good = (
        "slug,name,kind,factor,location,unit_label\n"
        f"{slug},Testgerät,device,technology,zentralbibliothek,Gerät 1\n"
        f"{slug},,,,,Gerät 2\n"
    )
    page.locator("input[name='file']").set_input_files(
        {"name": "inventar.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    page.locator("form[action='/staff/resources/import'] button[type='submit']").click()

    expect(page.get_by_role("status")).to_be_visible()
    result = page.locator("section[aria-labelledby='done-title']")
    expect(result.locator(f"a[href='/staff/resources/{slug}']")).to_be_visible()
    expect(result.locator("tbody tr")).to_have_count(3)  # the resource and its two units
    assert_accessible(page)
    # The same file again: nothing to do, and the page says so.
    page.locator("input[name='file']").set_input_files(
        {"name": "inventar.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    page.locator("form[action='/staff/resources/import'] button[type='submit']").click()
    expect(page.locator("#done-title")).to_have_text("Nichts geändert")
    assert_accessible(page)
    save_screenshots(page, "staff-import-unchanged", "de")
    page.goto(f"/staff/resources/{slug}")
    expect(page.locator("a[href^='/staff/units/']")).to_have_count(2)
