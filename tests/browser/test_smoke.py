"""The pages in a real browser: accessible in both languages, usable by keyboard, sign-in works."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import (
    DEMO_STAFF_EMAIL,
    assert_accessible,
    register_visitor,
    save_screenshots,
    sign_in,
    sign_in_as_new_visitor,
    sign_in_as_staff,
)

PAGES = {
    "home": "/",
    "login": "/login",
    "not-found": "/no-such-page",  # the error page every refusal uses
    "reset-link": "/password-reset/no-such-link",  # the page behind a reset mail's link
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_in_each_language(page: Page, lang: Lang, name: str) -> None:
    page.goto(PAGES[name])

    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
    for screenshot in save_screenshots(page, name, lang):
        assert screenshot.stat().st_size > 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_skip_link_is_the_first_tab_stop_and_leads_to_the_content(page: Page, lang: Lang) -> None:
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_demo_staff_signs_in_through_the_form(page: Page) -> None:
    sign_in_as_staff(page, next="/login")

    assert page.url.endswith("/login")
    expect(page.locator("header")).to_contain_text("Demo-Bibliothekarin")
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_wrong_password_is_explained_next_to_the_form(page: Page, lang: Lang) -> None:
    visitor = register_visitor(page, lang)
    page.goto("/login")
    page.locator("input[name='email']").fill(visitor.email)
    page.locator("input[name='password']").fill("not-the-password")
    page.locator("form[action='/login'] button[type='submit']").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("header a[href='/login']")).to_be_visible()
    expect(page.locator("input[name='email']")).to_have_value(visitor.email)
    assert_accessible(page)
    save_screenshots(page, "login-error", lang)


def test_a_new_visitor_signs_in_and_out(page: Page) -> None:
    visitor = sign_in_as_new_visitor(page)

    expect(page.locator("header")).to_contain_text(visitor.name)
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("header a[href='/login']")).to_be_visible()


def test_a_second_sign_in_replaces_the_first(page: Page) -> None:
    visitor = sign_in_as_new_visitor(page)
    sign_in(page, DEMO_STAFF_EMAIL, "demo-staff-2026")

    expect(page.locator("header")).to_contain_text("Demo-Bibliothekarin")
    expect(page.locator("header")).not_to_contain_text(visitor.name)


def test_the_accessibility_check_names_each_violation_even_under_a_strict_csp(page: Page) -> None:
    page.set_content(
        '<html><head><meta http-equiv="Content-Security-Policy" content="script-src \'none\'"></head>'
        '<body><main><img src="/static/site.css"><a href="/"></a></main></body></html>'
    )

    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)

    report = str(failure.value)
    assert "- html-has-lang (serious)" in report
    assert "- image-alt (critical): Images must have alternative text" in report
    assert (
        "    at img\n      Fix any of the following:\n        Element does not have an alt attribute"
        in report
    )
    assert "- link-name (serious)" in report
