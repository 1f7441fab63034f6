"""The staff back office's workshop, certification, outbox, user and audit pages in a real
browser: accessible in German and English, and staff marking attendance for a session."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    assert_accessible,
    save_screenshots,
    sign_in,
    sign_in_as_staff,
)

# Demo data: first come, three places, grants the sewing-machine certification. The second
# session, because other browser tests fill the first one.
INDUCTION = "einweisung-overlock-naehmaschine"
PASSWORD = "a-long-test-password-26"

STAFF_PAGES = {
    "staff-workshops": "/staff/workshops",
    "staff-certifications": "/staff/certifications",
    "staff-outbox": "/staff/outbox",
    "staff-audit": "/staff/audit",
}
ADMIN_PAGES = {"staff-users": "/staff/users"}


def second_session(request: APIRequestContext) -> dict[str, Any]:
    response = request.get(f"/api/v1/workshops/{INDUCTION}")
    assert response.ok, response.text()
    session: dict[str, Any] = response.json()["sessions"][1]
    return session


def signed_up_visitor(request: APIRequestContext, session_id: int) -> str:
    """A new visitor who signs up for the session through the API; their name."""
    name = f"Teilnehmerin {uuid.uuid4().hex[:8]}"
    email = f"participant-{uuid.uuid4().hex[:12]}@example.org"
    person = {"email": email, "password": PASSWORD, "name": name, "birth_date": "1990-01-01"}
    assert request.post("/api/v1/auth/register", data=person).status == 201
    token = request.post("/api/v1/auth/tokens", data={"email": email, "password": PASSWORD}).json()["token"]
    signed_up = request.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers={"Authorization": f"Bearer {token}"}
    )
    assert signed_up.status == 201, signed_up.text()
    return name


def fits_a_phone(page: Page) -> bool:
    """At 375 px the page does not scroll sideways (wide tables scroll inside their own box)."""
    page.set_viewport_size({"width": 375, "height": 800})
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width <= 375


def check_page(page: Page, path: str, name: str, lang: Lang) -> None:
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)
    for screenshot in save_screenshots(page, name, lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_page_is_accessible_in_each_language(page: Page, lang: Lang, name: str) -> None:
    sign_in_as_staff(page)
    check_page(page, STAFF_PAGES[name], name, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_session_page_is_accessible_in_each_language(page: Page, lang: Lang) -> None:
    session = second_session(page.request)
    sign_in_as_staff(page)
    check_page(page, f"/staff/workshops/sessions/{session['id']}", "staff-workshop-session", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_page_is_accessible_in_each_language(page: Page, lang: Lang, name: str) -> None:
    sign_in(page, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    check_page(page, ADMIN_PAGES[name], name, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_form_with_mistakes_stays_accessible(page: Page, lang: Lang) -> None:
    sign_in_as_staff(page)
    page.goto("/staff/certifications")
    form = page.locator("form[action='/staff/certifications/grant']")
    form.locator("input[name='email']").fill("nobody@example.org")
    form.locator("button[type='submit']").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(form.locator("input[name='email']")).to_have_value("nobody@example.org")
    assert_accessible(page)
    save_screenshots(page, "staff-certifications-error", lang)
    assert fits_a_phone(page)


def test_staff_mark_attendance_and_the_participant_holds_the_certification(page: Page) -> None:
    session = second_session(page.request)
    name = signed_up_visitor(page.request, session["id"])
    sign_in_as_staff(page, next="/staff/workshops")
    page.locator(f"a[href='/staff/workshops/sessions/{session['id']}']").first.click()

    row = page.locator("tr", has_text=name)
    expect(row.get_by_role("checkbox")).not_to_be_checked()
    expect(row.locator("td").last).not_to_contain_text(re.compile(r"20\d\d"))  # no certification yet
    row.get_by_role("checkbox").check()
    page.locator(
        f"form[action='/staff/workshops/sessions/{session['id']}/attendance'] button[type='submit']"
    ).click()

    expect(page.get_by_role("status")).to_be_visible()
    row = page.locator("tr", has_text=name)
    expect(row.get_by_role("checkbox")).to_be_checked()
    expect(row.get_by_role("checkbox")).to_be_disabled()
    expect(row.locator("td").last).to_contain_text(re.compile(r"20\d\d"))  # held until a date
    assert_accessible(page)
    save_screenshots(page, "staff-attendance-marked", "de")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_attendance_at_the_door_by_name_and_keyboard(page: Page, lang: Lang) -> None:
    session = second_session(page.request)
    name = signed_up_visitor(page.request, session["id"])
    sign_in_as_staff(page, next=f"/staff/workshops/sessions/{session['id']}")
    page.locator(f"a[href='/staff/workshops/sessions/{session['id']}/door']").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
    assert fits_a_phone(page)

    search = page.get_by_role("searchbox")
    search.fill(name)
    search.press("Enter")  # no script: the search is a plain GET form
    box = page.get_by_role("checkbox")
    expect(box).to_have_count(1)
    expect(page.get_by_label(name)).not_to_be_checked()
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    page.locator(f"form[action='/staff/workshops/sessions/{session['id']}/attendance'] button").press("Enter")

    expect(page.get_by_role("status").first).to_be_visible()
    expect(page.get_by_role("searchbox")).to_have_value(name)
    expect(page.get_by_label(name, exact=False)).to_be_checked()
    expect(page.get_by_label(name, exact=False)).to_be_disabled()
    assert_accessible(page)
    save_screenshots(page, "staff-door-attendance", lang)
    assert fits_a_phone(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_participant_list_prints_without_its_forms_and_downloads_as_csv(page: Page, lang: Lang) -> None:
    session = second_session(page.request)
    sign_in_as_staff(page, next=f"/staff/workshops/sessions/{session['id']}")
    move = page.locator(f"form[action='/staff/workshops/sessions/{session['id']}/move']")
    expect(move).to_be_visible()
    page.emulate_media(media="print")
    expect(move).to_be_hidden()
    expect(page.locator("table").first).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "staff-participant-list-print", lang)
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.locator(f"a[href='/staff/workshops/sessions/{session['id']}/participants.csv']").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert content.splitlines()[0] == (
        "Name,E-Mail,Status,Warteliste" if lang == "de" else "Name,E-mail,Status,Waitlist"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_audit_reads_as_sentences_and_a_message_as_it_arrives(page: Page, lang: Lang) -> None:
    """A visitor signs up; staff read it as a sentence in the log and open the mail it queued."""
    name = signed_up_visitor(page.request, second_session(page.request)["id"])
    sign_in_as_staff(page)
    page.goto(f"/staff/audit?action=registration.create&actor={name}")
    signed_up = {"de": "hat sich für", "en": "registered for"}[lang]
    expect(page.locator("td.audit-sentence").first).to_contain_text(f"{name} {signed_up}")
    page.goto("/staff/outbox")
    page.locator("a[href^='/staff/outbox/']").first.click()
    expect(page.locator(".mail-text")).to_be_visible()
    expect(page.locator(".mail-text")).to_have_css("white-space", "pre-wrap")  # the mail's own lines
    assert_accessible(page)
    for screenshot in save_screenshots(page, "staff-outbox-message", lang):
        assert screenshot.stat().st_size > 0
    assert fits_a_phone(page)
