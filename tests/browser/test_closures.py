"""The closure flow in a real browser: the form for several locations, the page that shows what a
closure touches (both languages, phone and desktop, axe), and a closure entered for a later year."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, save_screenshots, sign_in_as_staff

# Demo data: a workshop with sessions; its second one (the first fills up in other browser tests).
INDUCTION = "einweisung-overlock-naehmaschine"
FORM = "form[action$='/exceptions'][aria-labelledby='new-exception']"


def session_day(page: Page) -> date:
    response = page.request.get(f"/api/v1/workshops/{INDUCTION}")
    assert response.ok, response.text()
    return date.fromisoformat(response.json()["sessions"][1]["start"][:10])


def fits_a_phone(page: Page) -> bool:
    page.set_viewport_size({"width": 375, "height": 800})
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    return width <= 375


def fill_closure(page: Page, day: date, reason: str) -> None:
    form = page.locator(FORM)
    form.locator("input[name='date_from']").fill(day.isoformat())
    form.locator("input[name='reason']").fill(reason)
    for box in form.locator("input[type='checkbox'][name^='loc-']").all():
        box.check()
    form.locator("button[type='submit']").click()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_closure_first_shows_the_sessions_it_touches(page: Page, lang: Lang) -> None:
    day = session_day(page)
    sign_in_as_staff(page, next="/staff/hours")

    fill_closure(page, day, "Wasserschaden")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(
        "Was die Schließung betrifft" if lang == "de" else "What the closure touches"
    )
    sessions = page.locator("section[aria-labelledby='touched-sessions']")
    expect(sessions.locator("tbody tr")).not_to_have_count(0)
    expect(sessions.locator("input[name='sessions'][value='keep']")).to_be_checked()
    assert_accessible(page)
    for screenshot in save_screenshots(page, "staff-closure-impact", lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)

    page.locator("a.button", has_text="Zurück" if lang == "de" else "Back").click()  # nothing entered
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("table", has_text="Wasserschaden")).to_have_count(0)


def test_a_closure_that_touches_nothing_is_listed_with_its_year(page: Page) -> None:
    sign_in_as_staff(page, next="/staff/hours")

    fill_closure(page, date(2031, 3, 4), "Inventur 2031")

    expect(page.get_by_role("status")).to_be_visible()
    row = page.locator("tr", has_text="Inventur 2031")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text("2031")
    assert_accessible(page)
