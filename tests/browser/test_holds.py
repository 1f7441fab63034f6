"""A visitor in a real browser waits for a taken group room, is offered it when the booking is
cancelled, and books it with one button; the pages are accessible at phone and desktop width.

Runs against the demo server, at the real time of day: the slot is found next week."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, register_visitor, save_screenshots, sign_in

ROOM = "gruppenraum-3"
BERLIN = ZoneInfo("Europe/Berlin")


def token_of(request: APIRequestContext, email: str, password: str) -> dict[str, str]:
    response = request.post("/api/v1/auth/tokens", data={"email": email, "password": password})
    assert response.status == 201, response.text()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def free_hour(request: APIRequestContext, day: date) -> datetime:
    """The first free hour of the room that day."""
    response = request.get(f"/api/v1/resources/{ROOM}/availability?from={day}&to={day}")
    assert response.status == 200, response.text()
    for interval in response.json()["days"][0]["free"]:
        start, end = datetime.fromisoformat(interval["start"]), datetime.fromisoformat(interval["end"])
        if end - start >= timedelta(hours=1):
            return start
    raise AssertionError(f"{ROOM} has no free hour on {day}: {response.text()}")


def weekday_ahead(days: int) -> date:
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    while day.weekday() in (0, 5, 6):  # Tuesday to Friday: the central library opens all day
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_visitor_waits_for_a_taken_room_and_books_it_when_it_frees_up(page: Page, lang: Lang) -> None:
    day = weekday_ahead(8 if lang == "de" else 11)
    start = free_hour(page.request, day).astimezone(BERLIN)
    first = register_visitor(page, lang)
    first_token = token_of(page.request, first.email, first.password)
    taken = page.request.post(
        "/api/v1/bookings",
        data={"resource": ROOM, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        headers=first_token,
    )
    assert taken.status == 201, taken.text()
    second = register_visitor(page, lang)
    sign_in(page, second.email, second.password, next=f"/resources/{ROOM}")

    # The wanted time is taken: the form to wait for it, filled in with that time.
    page.goto(f"/resources/{ROOM}/hold?date={day.isoformat()}&start={start:%H:%M}&length=60")
    expect(page.locator("h1")).to_have_text(
        "Auf einen freien Termin warten" if lang == "de" else "Wait for a free slot"
    )
    expect(page.locator("input[name='to']")).to_have_value(f"{start + timedelta(hours=1):%H:%M}")
    assert_accessible(page)
    save_screenshots(page, "hold-form", lang)
    page.locator("form[action$='/hold'] button[type='submit']").click()
    page.wait_for_load_state()
    position = "Wartend, Nummer 1 in der Warteschlange" if lang == "de" else "Waiting, number 1 in the queue"
    expect(page.locator("main")).to_contain_text(position)
    assert_accessible(page)
    save_screenshots(page, "holds-waiting", lang)

    # The booking is cancelled: the slot is offered to the person waiting, at once.
    cancelled = page.request.post(f"/api/v1/bookings/{taken.json()['id']}/cancel", headers=first_token)
    assert cancelled.status == 200, cancelled.text()
    page.goto("/my/holds")
    accept = page.locator("form[action$='/accept'] button")
    expect(accept).to_have_text("Annehmen und buchen" if lang == "de" else "Accept and book")
    assert_accessible(page)
    save_screenshots(page, "holds-offered", lang)
    accept.click()
    page.wait_for_load_state()
    expect(page).to_have_url("/my/bookings?done=booked")
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Gruppenraum 3" if lang == "de" else "Group room 3")
    assert_accessible(page)


SEWING_MACHINE = "naehmaschine-ausleihe"  # seed: one unit to take home


def open_day_ahead(page: Page, days: int) -> date:
    """The first day at least `days` ahead on which the central library opens and the next one does too."""
    first = datetime.now(BERLIN).date() + timedelta(days=days)
    response = page.request.get(
        f"/api/v1/locations/zentralbibliothek/opening-hours?from={first}&to={first + timedelta(days=13)}"
    )
    assert response.ok, response.text()
    open_days = [date.fromisoformat(day["date"]) for day in response.json() if day["periods"]]
    return next(day for day in open_days if day + timedelta(days=1) in open_days)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_visitor_waits_for_a_taken_thing_and_reserves_it_when_it_frees_up(page: Page, lang: Lang) -> None:
    pickup = open_day_ahead(page, 12 if lang == "de" else 5)
    first = register_visitor(page, lang)
    first_token = token_of(page.request, first.email, first.password)
    taken = page.request.post(
        "/api/v1/loans",
        data={"resource": SEWING_MACHINE, "pickup": pickup.isoformat(), "due": pickup.isoformat()},
        headers=first_token,
    )
    assert taken.status == 201, taken.text()
    second = register_visitor(page, lang)
    sign_in(page, second.email, second.password, next=f"/resources/{SEWING_MACHINE}")

    # The thing's page leads to waiting for it; the form asks for days.
    page.locator(f"a[href^='/resources/{SEWING_MACHINE}/hold']").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Darauf warten" if lang == "de" else "Wait for it")
    form = page.locator("form[action$='/hold']")
    form.locator("input[name='first']").fill(pickup.isoformat())
    form.locator("input[name='last']").fill((pickup + timedelta(days=1)).isoformat())
    form.locator("select[name='days']").select_option("1")
    assert_accessible(page)
    save_screenshots(page, "hold-thing-form", lang)
    form.locator("button[type='submit']").click()
    page.wait_for_load_state()
    position = "Wartend, Nummer 1 in der Warteschlange" if lang == "de" else "Waiting, number 1 in the queue"
    expect(page.locator("main")).to_contain_text(position)

    # The reservation is given up: the thing is offered to the person waiting, at once.
    cancelled = page.request.post(f"/api/v1/loans/{taken.json()['id']}/cancel", headers=first_token)
    assert cancelled.status == 200, cancelled.text()
    page.goto("/my/holds")
    expect(page.locator("main")).to_contain_text("Abholtag" if lang == "de" else "Pickup day")
    accept = page.locator("form[action$='/accept'] button")
    expect(accept).to_have_text("Annehmen und reservieren" if lang == "de" else "Accept and reserve")
    assert_accessible(page)
    save_screenshots(page, "holds-thing-offered", lang)
    accept.click()
    page.wait_for_load_state()
    expect(page).to_have_url("/my/loans?done=reserved")
    expect(page.locator("main")).to_contain_text("Nähmaschine" if lang == "de" else "Sewing machine")
    assert_accessible(page)
