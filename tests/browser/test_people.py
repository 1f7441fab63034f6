"""People at the desk in a real browser: staff make a visitor account, find it by part of the
name and by card number, and open the person page; and the page that confirms an e-mail
address. Both languages, axe-clean at a phone's and a desktop's width, with screenshots."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, save_screenshots, sign_in_as_staff

WIDTHS = (1280, 375)


def accessible_at_both_widths(page: Page) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert_accessible(page)
        scroll_width: int = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{page.url} scrolls sideways at {width} px"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_make_find_and_open_a_person(page: Page, lang: Lang) -> None:
    tag = uuid.uuid4().hex[:6]
    name = f"Paula Probe {tag}"
    card = f"UL-{tag.upper()}"
    sign_in_as_staff(page, next="/staff/people")
    expect(page.locator("h1")).to_be_visible()
    accessible_at_both_widths(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    form = page.locator("form[method='post'][action='/staff/people']")
    form.locator("input[name='name']").fill(name)
    form.locator("input[name='email']").fill(f"paula-{tag}@example.org")
    form.locator("input[name='library_card']").fill(card.lower())
    form.locator("input[name='birth_date']").fill("2001-02-03")
    form.locator("button[type='submit']").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".flash[role='status']")).to_be_visible()
    expect(page.get_by_text(card, exact=True)).to_be_visible()
    accessible_at_both_widths(page)
    save_screenshots(page, "staff-person", lang)

    page.goto(f"/staff/people?q=probe+{tag}")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    page.goto(f"/staff/people?q={tag[1:5]}")  # a part of the card number, any case
    link = page.get_by_role("link", name=name)
    expect(link).to_be_visible()
    accessible_at_both_widths(page)
    save_screenshots(page, "staff-people", lang)
    page.set_viewport_size({"width": 375, "height": 800})
    link.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(name)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_confirm_address_page_and_a_dead_link(page: Page, lang: Lang) -> None:
    page.goto("/verify-email/not-a-real-token")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    button = page.locator("form[action='/verify-email/not-a-real-token'] button[type='submit']")
    expect(button).to_be_visible()
    accessible_at_both_widths(page)
    save_screenshots(page, "verify-email", lang)
    button.click()
    page.wait_for_load_state()
    expect(page.locator("a[href='/account']").first).to_be_visible()
    expect(button).to_have_count(0)
    accessible_at_both_widths(page)
    save_screenshots(page, "verify-email-dead-link", lang)
