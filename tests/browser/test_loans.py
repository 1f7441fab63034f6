"""Lend and return in a real browser, in both languages, at a phone's and a desktop's width,
axe-clean: a visitor reserves a thing from its page, the desk finds it by its inventory number,
hands it out ticking its parts and takes it back with its condition and a missing part."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import (
    assert_accessible,
    save_screenshots,
    sign_in_as_new_visitor,
    sign_in_as_staff,
)

THING = "kamera-set"  # seed: two units, ULM-BDD-0101 and ULM-BDD-0102, parts Akku, Ladegerät, Tasche


def next_open_day(page: Page) -> date:
    """The first day from tomorrow on which the central library opens (pickup is at the desk)."""
    first = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=1)
    response = page.request.get(
        f"/api/v1/locations/zentralbibliothek/opening-hours?from={first}&to={first + timedelta(days=13)}"
    )
    assert response.ok, response.text()
    return next(date.fromisoformat(day["date"]) for day in response.json() if day["periods"])


def fits_a_phone(page: Page) -> bool:
    page.set_viewport_size({"width": 375, "height": 800})
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    return width <= 375


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_thing_is_reserved_lent_and_taken_back(page: Page, lang: Lang) -> None:
    pickup = next_open_day(page)
    sign_in_as_new_visitor(page, lang, next=f"/resources/{THING}")
    form = page.locator(f"form[action^='/resources/{THING}/loan']")
    form.locator("input[name='pickup']").fill(pickup.isoformat())
    form.locator("button[type='submit']").click()

    expect(page).to_have_url(re.compile(r"/my/loans\?done=reserved"))
    card = page.locator("li[id^='loan-']").first
    expect(card).to_contain_text("Kamera-Set" if lang == "de" else "Camera kit")
    assert_accessible(page)
    for screenshot in save_screenshots(page, "my-loans", lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)
    unit = page.request.get("/api/v1/loans").json()["items"][0]["unit"]["label"]
    number = f"ULM-BDD-010{unit[-1]}"

    page.context.clear_cookies()
    sign_in_as_staff(page, next=f"/staff/loans?number={number}")
    expect(page.locator("h1")).to_have_text("Ausleihe und Rückgabe" if lang == "de" else "Lend and return")
    pickup_form = page.locator("form[action$='/checkout']").last
    for box in pickup_form.locator("input[type='checkbox']").all():
        box.check()
    assert_accessible(page)
    for screenshot in save_screenshots(page, "staff-lend", lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)
    pickup_form.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_be_visible()

    page.goto(f"/staff/loans?number={number}")
    back = page.locator("form[action$='/return']")
    back.locator("select[name='condition']").select_option("worn")
    back.locator("input[name='missing-2']").check()
    assert_accessible(page)
    for screenshot in save_screenshots(page, "staff-return", lang):
        assert screenshot.stat().st_size > 0
    back.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_contain_text("Zurückgenommen" if lang == "de" else "Taken back")
    assert_accessible(page)
