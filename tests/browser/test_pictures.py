"""Photos in a real browser: the resource page with a seeded photo at phone and desktop width,
in both languages, accessible; the picture loads and is never wider than its window; staff see
the photo form on the resource edit page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, save_screenshots, sign_in_as_staff

ALT = {
    "de": "Zeichnung: Gruppenraum mit Fenster, Whiteboard und einem Tisch mit vier Stühlen",
    "en": "Drawing: group room with a window, a whiteboard and a table with four chairs",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", [375, 1280])
def test_the_resource_page_shows_its_photo(page: Page, lang: Lang, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/resources/gruppenraum-1")

    photo = page.get_by_role("img", name=ALT[lang])
    expect(photo).to_be_visible()
    loaded = photo.evaluate("img => [img.complete, img.naturalWidth, img.currentSrc]")
    assert loaded[0] is True
    assert loaded[1] > 0
    assert loaded[2].endswith(".webp")  # Chromium takes WebP
    box = photo.bounding_box()
    assert box is not None
    assert box["width"] <= width
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    save_screenshots(page, "resource-photo", lang)


def test_an_offer_without_photo_shows_its_factors_drawing(page: Page) -> None:
    page.goto("/resources/gruppenraum-2")
    drawing = page.locator("img.placeholder")
    expect(drawing).to_be_visible()
    assert drawing.evaluate("img => img.naturalWidth") > 0
    assert_accessible(page)


def test_staff_see_the_photo_form_on_the_edit_page(page: Page) -> None:
    sign_in_as_staff(page, "/staff/resources/gruppenraum-1")
    section = page.locator("#photos")
    expect(section.get_by_role("img", name=ALT["de"])).to_be_visible()
    expect(section.get_by_label("Bilddatei")).to_have_attribute("type", "file")
    expect(section.get_by_role("button", name="Foto hinzufügen")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("width", [375, 1280])
def test_catalogue_cards_show_photos_or_drawings_within_their_cards(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/catalogue")
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    pictures = page.locator(".card .card-photo img")
    assert pictures.count() == cards.count()  # every card has its photo or its factor's drawing
    expect(page.locator(".card-photo img:not(.placeholder)").first).to_be_attached()
    # Each picture stays inside its card (the page's own width is the catalogue layout's business).
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.card')].filter(card => {
            const img = card.querySelector('.card-photo img');
            return img.getBoundingClientRect().width > card.getBoundingClientRect().width + 0.5;
        }).length"""
    )
    assert overflowing == 0
    assert_accessible(page)
    save_screenshots(page, "catalogue-photos", "de")


def test_a_workshop_page_shows_its_photo(page: Page) -> None:
    page.goto("/workshops/einfuehrungswoche-elektronik")
    photo = page.get_by_role("img", name="Zeichnung: Laptop auf einem Tisch, mit einer Platine verbunden")
    expect(photo).to_be_visible()
    assert_accessible(page)


def test_the_workshop_list_shows_small_pictures(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto("/workshops")
    thumbnails = page.locator(".session .card-photo img")
    expect(thumbnails.first).to_be_visible()
    assert thumbnails.count() == page.locator(".session").count()
    box = thumbnails.first.bounding_box()
    assert box is not None
    assert box["width"] <= 375 * 0.35 + 1  # a thumbnail beside the text, not a banner
    assert_accessible(page)
    save_screenshots(page, "workshops-photos", "de")
