"""The statistics pages in a real browser: accessible (axe) in German and English at phone and
desktop widths, the charts drawn without script, each table downloadable, the report printable."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from library.i18n import LANGUAGES, Lang
from tests.support.browser import assert_accessible, save_screenshots, sign_in_as_staff

PAGES = {
    "staff-stats": "/staff/stats?period=this_year",
    "staff-stats-weeks": "/staff/stats?period=this_year&trend=week",
    "staff-stats-report": "/staff/stats/report",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_statistics_pages_are_accessible_in_each_language(page: Page, lang: Lang, name: str) -> None:
    sign_in_as_staff(page, next=PAGES[name])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("#loans-heading")).to_be_visible()  # axe below checks the loans section too
    charts = page.locator("svg[role='img']")
    assert charts.count() >= 2
    for index in range(charts.count()):
        chart = charts.nth(index)
        labelled = (chart.get_attribute("aria-labelledby") or "").split()
        assert len(labelled) == 2
        for part in labelled:
            assert page.locator(f"[id='{part}']").text_content()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".staff-nav")).to_be_hidden()
    page.emulate_media(media="screen")
    for screenshot in save_screenshots(page, name, lang):
        assert screenshot.stat().st_size > 0


@pytest.mark.parametrize("lang", ["de"])
def test_a_custom_period_and_a_download(page: Page, lang: Lang) -> None:
    sign_in_as_staff(page, next="/staff/stats")
    page.select_option("select[name='period']", "custom")
    page.fill("input[name='date_from']", "2026-01-01")
    page.fill("input[name='date_to']", "2026-12-31")
    page.locator("form[action='/staff/stats'] button[type='submit']").click()
    page.wait_for_load_state()
    expect(page.locator("#utilisation-heading")).to_be_visible()
    with page.expect_download() as download:
        page.locator("#utilisation-heading ~ .downloads a[href*='format=csv']").first.click()
    path = download.value.path()
    assert path.read_bytes().startswith(b"\xef\xbb\xbffrom,to,key,label")
