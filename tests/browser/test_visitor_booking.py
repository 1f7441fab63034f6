"""A visitor in a real browser finds a free VR headset, books it, sees it and cancels it; accessible pages.

Runs against the demo server (the Ulm catalogue with demo bookings), at the real time of day.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import Visitor, assert_accessible, save_screenshots, sign_in

PUBLIC_PAGES = {
    "catalogue": "/catalogue",
    "catalogue-filtered": "/catalogue?factor=technology&kind=device&free=on",
    "resource": "/resources/vr-brille",
    "display": "/display/zentralbibliothek",
}


def register_adult(page: Page, lang: Lang) -> Visitor:
    """A new visitor old enough for the VR headsets (from 13), made through the API."""
    email = f"visitor-{uuid.uuid4().hex[:12]}@example.org"
    password = "a-long-test-password-26"
    response = page.request.post(
        "/api/v1/auth/register",
        data={
            "email": email,
            "password": password,
            "name": "Testbesucherin",
            "language": lang,
            "birth_date": date(1990, 5, 1).isoformat(),
        },
    )
    assert response.status == 201, response.text()
    return Visitor(id=response.json()["id"], email=email, password=password, name="Testbesucherin")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_booking_pages_are_accessible(page: Page, lang: Lang, name: str) -> None:
    page.goto(PUBLIC_PAGES[name])

    expect(page.locator("html")).to_have_attribute("lang", lang if name != "display" else "de")
    assert_accessible(page)
    for screenshot in save_screenshots(page, name, lang):
        assert screenshot.stat().st_size > 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_display_speaks_english_when_asked(page: Page, lang: Lang) -> None:
    page.goto(f"/display/zentralbibliothek?lang={lang}")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text("Zentralbibliothek" if lang == "de" else "Central Library")
    assert_accessible(page)
    save_screenshots(page, "display-asked", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_visitor_books_a_vr_headset_sees_it_and_cancels_it(page: Page, lang: Lang) -> None:
    visitor = register_adult(page, lang)
    sign_in(page, visitor.email, visitor.password, next="/catalogue")

    # Find: devices of the technology factor, and the VR headset among them.
    page.locator("select[name='factor']").select_option("technology")
    page.locator("select[name='kind']").select_option("device")
    page.locator("form.filters button[type='submit']").click()
    headset = page.locator("a[href='/resources/vr-brille']").first
    expect(headset).to_be_visible()
    headset.click()
    expect(page.locator("h1")).to_have_text("VR-Brille" if lang == "de" else "VR headset")
    assert_accessible(page)

    # Next week's first free period fills in the form; book it (or, if taken, the first alternative).
    page.locator(".week-nav a[href*='week=']").last.click()
    page.locator(".free-days a[href*='start=']").first.click()
    expect(page.locator("#field-start")).not_to_have_value("")
    page.locator("form[action^='/resources/vr-brille/book'] button[type='submit']").click()
    if "/my/bookings" not in page.url:
        assert_accessible(page)
        save_screenshots(page, "resource-alternatives", lang)
        page.locator(".alternatives button").first.click()
    expect(page).to_have_url(re.compile(r"/my/bookings\?done=booked"))

    # See it under my bookings, with the notice, then cancel it.
    booking = page.locator("#upcoming-title + ul li.booking").first
    expect(booking).to_contain_text("VR-Brille" if lang == "de" else "VR headset")
    expect(page.get_by_role("status")).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "my-bookings", lang)
    booking.locator("a[href$='/cancel']").click()
    # Cancelling asks first, on a page of its own.
    expect(page).to_have_url(re.compile(r"/my/bookings/\d+/cancel$"))
    assert_accessible(page)
    page.locator("form[action$='/cancel'] button.danger").click()
    expect(page).to_have_url(re.compile(r"/my/bookings\?done=cancelled"))
    expect(page.locator("#past-title + ul li.booking").first).to_contain_text(
        "VR-Brille" if lang == "de" else "VR headset"
    )
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_taken_room_offers_alternatives_that_book_in_one_click(page: Page, lang: Lang) -> None:
    visitor = register_adult(page, lang)
    sign_in(page, visitor.email, visitor.password, next="/resources/gruppenraum-3")
    save_screenshots(page, "resource-signed-in", lang)
    page.locator(".week-nav a[href*='week=']").last.click()
    page.locator(".free-days a[href*='start=']").first.click()
    day = page.locator("#field-date").input_value()
    start = page.locator("#field-start").input_value()
    page.locator("form[action^='/resources/gruppenraum-3/book'] button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/my/bookings\?done="))

    # The same room at the same time again: now it is taken, by this very visitor.
    page.goto(f"/resources/gruppenraum-3?date={day}&start={start}")
    page.locator("form[action^='/resources/gruppenraum-3/book'] button[type='submit']").click()
    expect(page.get_by_role("alert")).to_be_visible()
    alternatives = page.locator(".alternatives button")
    expect(alternatives.first).to_be_visible()
    assert alternatives.count() <= 5
    assert_accessible(page)
    save_screenshots(page, "resource-alternatives", lang)
    alternatives.first.click()
    expect(page).to_have_url(re.compile(r"/my/bookings\?done="))
    expect(page.locator("#upcoming-title + ul li.booking")).to_have_count(2)
