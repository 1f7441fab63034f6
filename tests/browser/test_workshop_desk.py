"""Workshops at the desk in a real browser: staff change a session's places, write to its
participants and copy its workshop to new dates (both languages, phone and desktop, axe)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, save_screenshots, sign_in_as_staff

# Demo data no other browser test touches: two sessions of ten places in a group room.
ROBOTICS = "einfuehrungswoche-robotik"
SESSION_OF = {"de": 0, "en": 1}  # each language run changes its own session
WEEKS_LATER = {"de": 4, "en": 5}  # and copies to its own dates (the same weekday, so open)


def workshop(page: Page) -> dict[str, Any]:
    response = page.request.get(f"/api/v1/workshops/{ROBOTICS}")
    assert response.ok, response.text()
    found: dict[str, Any] = response.json()
    return found


def accessible_at_both_widths(page: Page) -> None:
    """axe at a phone's width and a desktop's; nothing wider than the phone's screen."""
    page.set_viewport_size({"width": 375, "height": 800})
    assert_accessible(page)
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a phone"
    page.set_viewport_size({"width": 1280, "height": 800})
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_change_a_session_and_write_to_its_participants(page: Page, lang: Lang) -> None:
    session = workshop(page)["sessions"][SESSION_OF[lang]]
    sign_in_as_staff(page, next=f"/staff/workshops/sessions/{session['id']}")
    edit = page.locator("form[action$='/edit']")
    expect(edit.locator("input[name='capacity']")).to_have_value(str(session["capacity"]))
    accessible_at_both_widths(page)

    edit.locator("input[name='capacity']").fill("0")
    edit.locator("button[type='submit']").click()
    error = page.locator("form[action$='/edit'] .field-error")
    expect(error).to_be_visible()
    accessible_at_both_widths(page)

    page.locator("form[action$='/edit'] input[name='capacity']").fill("12")
    page.locator("form[action$='/edit'] button[type='submit']").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Der Termin wurde gespeichert" if lang == "de" else "The session was saved"
    )
    assert workshop(page)["sessions"][SESSION_OF[lang]]["capacity"] == 12

    mail = page.locator("form[action$='/mail']")
    mail.locator("input[name='subject']").fill("Bitte Laptop mitbringen")
    mail.locator("textarea[name='body']").fill("Wir programmieren die Roboter am eigenen Gerät.")
    mail.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Die Nachricht" if lang == "de" else "The message was queued"
    )
    accessible_at_both_widths(page)
    for screenshot in save_screenshots(page, "staff-workshop-session-edit", lang):
        assert screenshot.stat().st_size > 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_copy_a_workshop_to_new_dates(page: Page, lang: Lang) -> None:
    first = date.fromisoformat(workshop(page)["sessions"][0]["start"][:10])
    new_day = first + timedelta(weeks=WEEKS_LATER[lang])
    sign_in_as_staff(page, next="/staff/workshops")
    page.locator(f"a[href='/staff/workshops/{ROBOTICS}/copy']").click()
    expect(page.locator("h1")).to_contain_text("kopieren" if lang == "de" else "Copy")
    accessible_at_both_widths(page)
    for screenshot in save_screenshots(page, "staff-workshop-copy", lang):
        assert screenshot.stat().st_size > 0

    form = page.locator(f"form[action='/staff/workshops/{ROBOTICS}/copy']")
    form.locator("button[type='submit']").click()  # no date: said next to the field
    expect(page.locator("#error-first_day, .field-error").first).to_be_visible()
    accessible_at_both_widths(page)

    form.locator("input[name='first_day']").fill(new_day.isoformat())
    form.locator("button[type='submit']").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Der Workshop wurde kopiert" if lang == "de" else "The workshop was copied"
    )
    copied = page.request.get(f"/api/v1/workshops/{ROBOTICS}-{new_day.isoformat()}")
    assert copied.ok, copied.text()
    assert [s["start"][:10] for s in copied.json()["sessions"]] == [new_day.isoformat()] * 2
    accessible_at_both_widths(page)
