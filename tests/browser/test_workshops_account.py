"""Workshop and account pages in a real browser: a full session's waitlist, and every page accessible
in German and English."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, save_screenshots, sign_in_as_new_visitor

INDUCTION = "einweisung-overlock-naehmaschine"  # demo data: first come, three places, from age 12
PASSWORD = "a-long-test-password-26"

PUBLIC_PAGES = {
    "workshops": "/workshops",
    "workshop": f"/workshops/{INDUCTION}",
    "register": "/register",
    "privacy": "/privacy",
    "password-reset": "/password-reset",
}
ACCOUNT_PAGES = {"my-workshops": "/my/workshops", "account": "/account", "account-delete": "/account/delete"}


def first_session(request: APIRequestContext, slug: str) -> dict[str, Any]:
    response = request.get(f"/api/v1/workshops/{slug}")
    assert response.ok, response.text()
    session: dict[str, Any] = response.json()["sessions"][0]
    return session


def take_a_place(request: APIRequestContext, session_id: int) -> None:
    """Someone else, through the API, signs up for the session."""
    email = f"filler-{uuid.uuid4().hex[:12]}@example.org"
    person = {"email": email, "password": PASSWORD, "name": "Jemand", "birth_date": "1990-01-01"}
    assert request.post("/api/v1/auth/register", data=person).status == 201
    token = request.post("/api/v1/auth/tokens", data={"email": email, "password": PASSWORD}).json()["token"]
    signed_up = request.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers={"Authorization": f"Bearer {token}"}
    )
    assert signed_up.status == 201, signed_up.text()


def register_with_the_form(page: Page, email: str) -> None:
    page.goto("/register")
    form = page.locator("form[action='/register']")
    form.locator("input[name='name']").fill("Wartende Person")
    form.locator("input[name='email']").fill(email)
    form.locator("input[name='password']").fill(PASSWORD)
    form.locator("input[name='birth_date']").fill("1990-01-01")
    form.locator("button[type='submit']").click()
    page.wait_for_url("**/account?done=welcome")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_visitor_signs_up_for_a_full_session_and_sees_their_waitlist_place(page: Page, lang: Lang) -> None:
    session = first_session(page.request, INDUCTION)
    for _ in range(session["capacity"] - session["confirmed"]):
        take_a_place(page.request, session["id"])  # before signing in: the API takes no session cookie here
    place = first_session(page.request, INDUCTION)["waitlisted"] + 1
    register_with_the_form(page, f"waiting-{uuid.uuid4().hex[:12]}@example.org")

    page.goto(f"/workshops/{INDUCTION}")
    entry = page.locator(f"#session-{session['id']}")
    entry.locator("form button[type='submit']").click()

    page.wait_for_url(f"**/workshops/{INDUCTION}?done=waitlisted")
    expect(page.get_by_role("status")).to_be_visible()
    mine = page.locator(f"#session-{session['id']} .mine")
    expect(mine).to_contain_text(str(place))
    assert_accessible(page)
    save_screenshots(page, "workshop-waitlisted", lang)

    page.goto("/my/workshops")
    expect(page.locator(".mine").first).to_contain_text(str(place))
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_workshop_and_account_pages_are_accessible(page: Page, lang: Lang, name: str) -> None:
    page.goto(PUBLIC_PAGES[name])

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)
    save_screenshots(page, name, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_a_visitor_s_own_pages_are_accessible(page: Page, lang: Lang, name: str) -> None:
    sign_in_as_new_visitor(page, lang, next=ACCOUNT_PAGES[name])

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)
    save_screenshots(page, name, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_registration_errors_are_accessible_and_keep_what_was_typed(page: Page, lang: Lang) -> None:
    page.goto("/register")
    page.locator("input[name='name']").fill("Kurz")
    page.locator("input[name='email']").fill("kein-at-zeichen")
    page.locator("input[name='password']").fill("kurz")
    page.locator("form[action='/register'] button[type='submit']").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("input[name='email']")).to_have_value("kein-at-zeichen")
    expect(page.locator("input[name='password']")).to_have_value("")
    assert_accessible(page)
    save_screenshots(page, "register-errors", lang)
