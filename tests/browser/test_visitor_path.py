"""The visitor's path in a real browser: the week as a grid of free times (one day at a time on a
phone), a series cancelled as a whole after a confirmation, and the door screens at 1920x1080."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from library.i18n import LANGUAGES, Lang
from tests.browser.test_visitor_booking import register_adult
from tests.support.browser import assert_accessible, save_screenshots, sign_in

PHONE = ViewportSize(width=375, height=800)
DESKTOP = ViewportSize(width=1280, height=900)
SCREEN = ViewportSize(width=1920, height=1080)


def next_week(page: Page) -> None:
    page.locator(".week-nav a[href*='week=']").last.click()


def visible_days(page: Page) -> int:
    return page.locator(".week-grid-day:visible").count()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_week_grid_opens_the_form_filled_in_on_a_phone_and_a_desktop(page: Page, lang: Lang) -> None:
    visitor = register_adult(page, lang)
    sign_in(page, visitor.email, visitor.password, next="/resources/gruppenraum-2")
    next_week(page)

    page.set_viewport_size(DESKTOP)
    assert visible_days(page) == 7
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert visible_days(page) == 1  # a phone shows one day at a time, the first unless chosen
    wednesday = page.locator(".week-grid-days a").nth(2)
    target = wednesday.get_attribute("href")
    assert target is not None
    wednesday.click()
    expect(page.locator(f".week-grid-day{target}")).to_be_visible()
    assert visible_days(page) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    save_screenshots(page, "resource-week-grid", lang)

    page.set_viewport_size(PHONE)
    free = page.locator(f".week-grid-day{target} .slot-free a").first
    expect(free).to_be_visible()
    free.click()
    expect(page.locator("#field-date")).to_have_value(target.removeprefix("#day-"))
    expect(page.locator("#field-start")).not_to_have_value("")
    taken_or_closed = page.locator(".week-grid .slot-busy, .week-grid .slot-closed").first
    expect(taken_or_closed).to_contain_text(
        re.compile("belegt|geschlossen" if lang == "de" else "taken|closed")
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_series_is_one_item_and_cancelled_whole_after_asking(page: Page, lang: Lang) -> None:
    visitor = register_adult(page, lang)
    sign_in(page, visitor.email, visitor.password, next="/resources/gruppenraum-3")
    next_week(page)
    page.locator(".free-days a[href*='start=']").first.click()
    form = page.locator("form[action^='/resources/gruppenraum-3/book']")
    form.locator("select[name='repeat']").select_option("weekly")
    form.locator("input[name='times']").fill("3")
    form.locator("input[name='skip']").check()
    form.locator("button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/my/bookings\?done=series"))

    series = page.locator("li.series").first
    expect(series.locator(".series-dates > li")).not_to_have_count(0)
    assert_accessible(page)
    save_screenshots(page, "my-bookings-series", lang)
    series.locator("a[href^='/my/series/']").click()
    expect(page).to_have_url(re.compile(r"/my/series/\d+/cancel$"))
    assert_accessible(page)
    save_screenshots(page, "series-cancel-confirm", lang)
    page.locator("form[action^='/my/series/'] button.danger").click()
    expect(page).to_have_url(re.compile(r"/my/bookings\?done=series_cancelled"))
    expect(page.locator("li.series")).to_have_count(0)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["/display/zentralbibliothek", "/display/zentralbibliothek/gruppenraum-1"])
def test_the_door_screens_fit_1920_by_1080_without_scrolling(page: Page, lang: Lang, path: str) -> None:
    page.set_viewport_size(SCREEN)
    page.goto(f"{path}?lang={lang}")

    sizes = page.evaluate(
        "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})"
    )
    assert sizes["w"] <= SCREEN["width"], sizes
    assert sizes["h"] <= SCREEN["height"], sizes
    assert_accessible(page)
    page.screenshot(path=f"test-artifacts/screenshots/door{path.replace('/', '-')}-{lang}-1920.png")
