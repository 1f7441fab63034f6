"""Every page fits its window: a crawl from `/` as a visitor and as staff, at phone to wide-screen widths.

At each width no page is wider than the window and no card's content spills out of its card;
at one width each page is axe-clean. Pages a visitor or staff reach are photographed at 375,
768, 1280 and 1920 px into test-artifacts/screenshots/ (page-width-lang.png) for people to look at.
One browser context per crawl, one page reused, the shared demo server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from library.i18n import LANGUAGES, Lang
from tests.support.browser import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    SCREENSHOTS,
    assert_accessible,
    sign_in,
)

WIDTHS = (320, 375, 768, 1280, 1920)
SCREENSHOT_WIDTHS = (375, 768, 1280, 1920)
AXE_WIDTH = 1280
DEMO_VISITOR_EMAIL = "max.mustermann@demo.ulm.example"
DEMO_VISITOR_PASSWORD = "demo-visitor-2026"
# Enough to reach every kind of page; pages of the same kind (two resources) are alike.
MAX_PAGES = 60
PER_KIND = 3
# Not pages: signing out, downloads, feeds, the API and its documentation, static files.
SKIP = re.compile(r"^/(logout|api/|schema|static/|calendar/)|\.(ics|csv|json|xml)$|/export")

# In the page: everything that is wider than the window, or sticks out of a card.
OVERFLOW_SCRIPT = """
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    const wide = [...document.body.querySelectorAll('*')]
      .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll'))
      .slice(0, 3)
      .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className) : ''));
    problems.push(
      `page is ${root.scrollWidth}px wide in a ${window.innerWidth}px window (${wide.join(', ')})`);
  }
  for (const card of document.querySelectorAll('.card')) {
    const box = card.getBoundingClientRect();
    const name = (card.querySelector('h2, h3') || card).textContent.trim().slice(0, 40);
    if (card.scrollWidth > card.clientWidth + 1) problems.push(`card "${name}" scrolls sideways`);
    for (const el of card.querySelectorAll('*')) {
      if (el.closest('.visually-hidden, .table-scroll')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1) {
        const text = el.textContent.trim().slice(0, 30);
        problems.push(`in card "${name}", <${el.tagName.toLowerCase()}> "${text}" sticks out`);
        break;
      }
    }
  }
  return problems;
}
"""
LINKS_SCRIPT = "() => [...document.querySelectorAll('a[href]:not([download])')].map(a => a.href)"


def kind_of(path: str) -> str:
    """Pages of one kind: /resources/<slug>, /workshops/<slug>, /staff/resources/<slug>, …/<id>…"""
    segments = re.sub(r"/[^/]*\d[^/]*", "/#", path).strip("/").split("/")
    depth = 3 if segments[0] == "staff" else 2
    if len(segments) >= depth:
        segments[depth - 1] = "*"
    return "/" + "/".join(segments)


def crawl(page: Page, origin: str) -> Iterator[str]:
    """Same-origin GET links from `/`, breadth first, at most PER_KIND pages of a kind."""
    queue, seen = ["/"], {"/"}
    kinds: dict[str, int] = {}
    while queue and len(seen) - len(queue) < MAX_PAGES:
        target = queue.pop(0)
        response = page.goto(target)
        assert response is not None, target
        assert response.ok, f"{target} answered {response.status}"
        yield target
        for href in page.evaluate(LINKS_SCRIPT):
            url = urldefrag(href)[0]
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            kind = kind_of(parts.path) + ("?" if parts.query else "")
            if path in seen or kinds.get(kind, 0) >= PER_KIND:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            seen.add(path)
            queue.append(path)


def screenshot_name(role: str, path: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    return f"{role}-{slug}"[:80]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ["visitor", "staff"])
def test_no_page_is_wider_than_its_window_and_no_card_spills(
    demo_server: str, browser: Browser, role: str, lang: Lang
) -> None:
    context = browser.new_context(
        base_url=demo_server, locale=lang, extra_http_headers={"Accept-Language": lang}
    )
    page = context.new_page()
    if role == "staff":
        sign_in(page, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    else:
        sign_in(page, DEMO_VISITOR_EMAIL, DEMO_VISITOR_PASSWORD)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    crawled: list[str] = []
    try:
        for path in crawl(page, demo_server):
            crawled.append(path)
            shoot = role == "visitor" or path.startswith("/staff")
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                problems.extend(
                    f"{path} at {width}px: {problem}" for problem in page.evaluate(OVERFLOW_SCRIPT)
                )
                if width == AXE_WIDTH:
                    assert_accessible(page)
                if shoot and width in SCREENSHOT_WIDTHS:
                    page.screenshot(
                        path=SCREENSHOTS / f"{screenshot_name(role, path)}-{width}-{lang}.png", full_page=True
                    )
    finally:
        context.close()

    expected = {"/catalogue", "/workshops", "/my/bookings", "/account"}
    if role == "staff":
        expected |= {"/staff", "/staff/bookings", "/staff/resources", "/staff/hours", "/staff/users"}
    assert expected <= set(crawled), f"the crawl missed {sorted(expected - set(crawled))}"
    assert not problems, "\n".join(problems)
