"""The desk's day grid in a real browser, in German and English, at a phone's and a desktop's
width: it is accessible, a free cell books for a visitor, the booking moves, and a cancel asks
before it cancels."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, register_visitor, save_screenshots, sign_in_as_staff

ULM = ZoneInfo("Europe/Berlin")
WIDTHS = (375, 1280)


def next_weekday(after: int = 1) -> date:
    """A Tuesday to Friday at least `after` days ahead: the central library is open and staffed."""
    day = datetime.now(ULM).date() + timedelta(days=after)
    while not 2 <= day.isoweekday() <= 5:
        day += timedelta(days=1)
    return day


def at_width(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_grid_is_accessible_and_scrolls_inside_its_box(page: Page, lang: Lang, width: int) -> None:
    at_width(page, width)
    sign_in_as_staff(page, next=f"/staff/desk?date={next_weekday()}")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("table.day-grid tbody tr").first).to_be_visible()
    expect(page.locator("table.day-grid th[scope='row']").first).to_be_visible()
    expect(page.locator("td.band-staffed").first).to_be_attached()
    # The page never scrolls sideways: the grid scrolls in its own box.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    box = page.locator(".day-grid-scroll")
    assert box.evaluate("box => box.scrollWidth >= box.clientWidth")
    assert_accessible(page)
    for screenshot in save_screenshots(page, "staff-day-grid", lang):
        assert screenshot.stat().st_size > 0


@pytest.mark.parametrize(("lang", "width"), [("de", 375), ("en", 1280)])
def test_book_from_a_free_cell_move_and_cancel_with_confirmation(page: Page, lang: Lang, width: int) -> None:
    at_width(page, width)
    visitor = register_visitor(page, lang)
    day = next_weekday(2)
    sign_in_as_staff(page, next=f"/staff/desk?date={day}&kind=room")

    free = page.locator("td.grid-free a").first
    href = free.get_attribute("href")
    assert href is not None
    assert f"date={day}" in href
    assert "unit=" in href
    free.click()
    form = page.locator("form[action='/staff/bookings/new']")
    expect(form.locator("input[name='date']")).to_have_value(day.isoformat())
    form.locator("input[name='email']").fill(visitor.email)
    form.locator("input[name='override_reason']").fill("Am Empfang gebucht")
    form.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_be_visible()

    page.goto(f"/staff/desk?date={day}&kind=room")
    booked = page.locator("td.grid-item a", has_text=visitor.name)
    expect(booked).to_have_count(1)
    assert_accessible(page)
    box = booked.bounding_box()
    assert box is not None
    assert box["width"] >= 40  # a quarter hour keeps its width: the grid scrolls, it does not squeeze
    booked.click()
    expect(page).to_have_url(re.compile(r"/staff/bookings/\d+$"))
    assert_accessible(page)

    later = day + timedelta(days=7)
    move = page.locator("form[action$='/move']")
    move.locator("input[name='date']").fill(later.isoformat())
    move.locator("input[name='reason']").fill("Wunsch der Besucherin")
    move.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_be_visible()
    booking_page = page.url.split("?")[0]
    assert_accessible(page)
    save_screenshots(page, "staff-booking-moved", lang)

    page.locator("form[action$='/cancel'] button").click()
    confirm = page.locator("form[action$='/cancel']:has(input[name='confirm'])")
    expect(confirm).to_be_visible()
    expect(confirm.locator("button.danger")).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "staff-booking-cancel-confirm", lang)
    confirm.locator("input[name='reason']").fill("Doppelt gebucht")
    confirm.locator("button.danger").click()

    expect(page.get_by_role("status")).to_be_visible()
    assert page.url.split("?")[0] == booking_page
    expect(page.locator(".badge.status-cancelled")).to_be_visible()
    expect(page.locator("form[action$='/move']")).to_have_count(0)
