"""Reporting a defect in a real browser: the unit's page from its QR code, a blocking report, and
staff closing it on the page Defects (both languages, phone and desktop, axe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import (
    assert_accessible,
    save_screenshots,
    sign_in_as_new_visitor,
    sign_in_as_staff,
)

RESOURCE = "e-piano"  # one unit in the demo catalogue, which no other browser test books


def fits_a_phone(page: Page) -> bool:
    page.set_viewport_size({"width": 375, "height": 800})
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    return width <= 375


def unit_code(page: Page) -> str:
    """The code on the unit's label, as staff read it from the API."""
    sign_in_as_staff(page)
    unit_id = page.request.get(f"/api/v1/resources/{RESOURCE}").json()["units"][0]["id"]
    answer = page.request.get(f"/api/v1/units/{unit_id}")
    assert answer.ok, answer.text()
    code: str = answer.json()["code"]
    page.context.clear_cookies()
    return code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_visitor_reports_a_defect_and_staff_close_it(page: Page, lang: Lang) -> None:
    de = lang == "de"
    code = unit_code(page)
    text = f"Taste C4 klemmt ({lang})"
    sign_in_as_new_visitor(page, lang, next=f"/u/{code}")

    page.goto(f"/u/{code}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator(".unit-state")).to_contain_text("In Betrieb" if de else "In service")
    form = page.locator(f"form[action='/u/{code}/report']")
    form.locator("button[type='submit']").click()  # nothing written: the error stands by the field
    expect(page.locator("#error-text")).to_be_visible()
    assert_accessible(page)
    page.locator("#field-text").fill(text)
    page.locator("#field-severity").select_option("blocking")
    page.locator(f"form[action='/u/{code}/report'] button[type='submit']").click()

    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator(".unit-state")).to_contain_text("Außer Betrieb" if de else "Out of service")
    assert_accessible(page)
    for screenshot in save_screenshots(page, "unit-page-reported", lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)

    page.context.clear_cookies()
    sign_in_as_staff(page, next="/staff/defects")
    page.goto("/staff/defects")
    card = page.locator(".defect-list li", has_text=text)
    expect(card).to_have_count(1)
    assert_accessible(page)
    for screenshot in save_screenshots(page, "staff-defects", lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)
    card.locator("textarea[name='note']").fill("Taste gereinigt")
    card.locator("button[type='submit']").click()

    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator(".defect-list li", has_text=text)).to_have_count(0)
    page.goto(f"/u/{code}")
    expect(page.locator(".unit-state")).to_contain_text("In Betrieb" if de else "In service")
