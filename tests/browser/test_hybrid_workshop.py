"""A hybrid session in a real browser: staff add it with its online places and stream (an http
address is refused next to its field), a visitor takes an online place and finds the link; every
page accessible in German and English."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import (
    assert_accessible,
    save_screenshots,
    sign_in,
    sign_in_as_staff,
)

WORKSHOP = "einweisung-overlock-naehmaschine"  # demo data
STREAM = "https://stream.example.org/overlock"


def a_tuesday(weeks_ahead: int) -> date:
    """A Tuesday some weeks ahead: the central library is open 10-19, the demo week is long past."""
    today = datetime.now(UTC).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 + 7 * weeks_ahead)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_add_a_hybrid_session_and_a_visitor_takes_an_online_place(page: Page, lang: Lang) -> None:
    day = a_tuesday(9 if lang == "de" else 10)
    sign_in_as_staff(page, next="/staff/workshops")
    form = page.locator("form[action='/staff/workshops/sessions']")
    form.locator("select[name='workshop']").select_option(WORKSHOP)
    form.locator("select[name='room']").select_option("gruppenraum-1")
    form.locator("input[name='day']").fill(day.isoformat())
    form.locator("input[name='start']").fill("11:00")
    form.locator("input[name='end']").fill("12:00")
    form.locator("input[name='capacity']").fill("4")
    form.locator("select[name='attendance_mode']").select_option("hybrid")
    form.locator("input[name='online_capacity']").fill("20")
    form.locator("input[name='stream_url']").fill("http://stream.example.org/overlock")
    form.locator("button[type='submit']").click()

    expect(page.locator("#error-stream_url")).to_be_visible()
    expect(page.locator("input[name='online_capacity']")).to_have_value("20")
    assert_accessible(page)
    save_screenshots(page, "staff-hybrid-session-error", lang)

    form = page.locator("form[action='/staff/workshops/sessions']")
    form.locator("input[name='stream_url']").fill(STREAM)
    form.locator("button[type='submit']").click()
    page.wait_for_url("**/staff/workshops/sessions/*?done=session_added")
    session_id = int(page.url.split("/sessions/")[1].split("?")[0])
    assert_accessible(page)

    page.context.clear_cookies()
    email, password = f"online-{uuid.uuid4().hex[:12]}@example.org", "a-long-test-password-26"
    person = {
        "email": email,
        "password": password,
        "name": "Online",
        "birth_date": "1990-01-01",
        "language": lang,
    }
    assert page.request.post("/api/v1/auth/register", data=person).status == 201
    sign_in(page, email, password, next=f"/workshops/{WORKSHOP}")
    entry = page.locator(f"#session-{session_id}")
    entry.locator("button[name='participation'][value='online']").click()
    page.wait_for_url(f"**/workshops/{WORKSHOP}?done=confirmed")
    expect(page.locator(f"#session-{session_id} a[href='{STREAM}']")).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "workshop-hybrid-online-place", lang)
