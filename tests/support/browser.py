"""Helpers for page tests in a real browser: headless Chromium driven by Playwright.

The fixtures that use them are in conftest.py: `browser` (one Chromium for the session),
`demo_server` (`library serve` on a database with the Ulm catalogue and demo data), `lang`
(the page language, German unless a test parametrises it) and `page` (a fresh browser context
per test, asking for `lang` and opening paths relative to the demo server).

A page test opens a page, checks what a person sees and does, and calls `assert_accessible`;
`save_screenshots` keeps pictures in test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from library.config import PROJECT_ROOT
from library.i18n import Lang

# Debian's Chromium, installed by `make test`; Playwright never downloads a browser here.
CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium keeps trying to reach Google's services, which a closed network refuses.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
SCREENSHOT_WIDTHS = (375, 1280)

DEMO_STAFF_EMAIL = "staff@demo.ulm.example"
DEMO_STAFF_PASSWORD = "demo-staff-2026"
DEMO_ADMIN_EMAIL = "admin@demo.ulm.example"
DEMO_ADMIN_PASSWORD = "demo-admin-2026"


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium; skips the test when it is not installed (CI forbids that skip)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (`make test` installs it as root)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def assert_accessible(page: Page) -> None:
    """Run axe-core in the page against WCAG 2.1 A and AA; fail listing every violation.

    The script is evaluated through the browser's debugging protocol, not added as a script
    tag, so a strict Content-Security-Policy of the page cannot block it.
    """
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is missing: `make test` installs it, or run `npm ci`", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate("() => {\n" + AXE_SCRIPT.read_text() + "\n}")
    results = page.evaluate(
        "tags => window.axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations: list[dict[str, Any]] = results["violations"]
    if violations:
        pytest.fail(f"{page.url} breaks WCAG 2.1 AA:\n" + describe_violations(violations), pytrace=False)


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            lines.extend(f"      {line}" for line in node["failureSummary"].splitlines() if line.strip())
    return "\n".join(lines)


def save_screenshots(page: Page, name: str, lang: Lang) -> list[Path]:
    """Full-page screenshots at a phone's and a desktop's width, named page-lang-width.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size or {"width": 1280, "height": 720}
    paths = []
    for width in SCREENSHOT_WIDTHS:
        page.set_viewport_size({"width": width, "height": viewport["height"]})
        path = SCREENSHOTS / f"{name}-{lang}-{width}.png"
        page.screenshot(path=path, full_page=True)
        paths.append(path)
    page.set_viewport_size(viewport)
    return paths


def sign_in(page: Page, email: str, password: str, next: str = "/") -> None:
    """Sign in through the login form as a person would, and land on `next`."""
    page.goto(f"/login?next={quote(next)}")
    form = page.locator("form[action='/login']")
    form.locator("input[name='email']").fill(email)
    form.locator("input[name='password']").fill(password)
    form.locator("button[type='submit']").click()
    page.wait_for_load_state()
    expect(page.locator("form[action='/logout']"), f"signing in as {email} failed").to_be_attached()


def sign_in_as_staff(page: Page, next: str = "/") -> None:
    sign_in(page, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, next)


@dataclass(frozen=True)
class Visitor:
    id: int
    email: str
    password: str
    name: str


def register_visitor(page: Page, lang: Lang = "de") -> Visitor:
    """A new visitor account, made through the API (until a page form exists)."""
    email = f"visitor-{uuid.uuid4().hex[:12]}@example.org"
    password = "a-long-test-password-26"
    name = "Testbesucherin"
    response = page.request.post(
        "/api/v1/auth/register", data={"email": email, "password": password, "name": name, "language": lang}
    )
    assert response.status == 201, response.text()
    return Visitor(id=response.json()["id"], email=email, password=password, name=name)


def sign_in_as_new_visitor(page: Page, lang: Lang = "de", next: str = "/") -> Visitor:
    visitor = register_visitor(page, lang)
    sign_in(page, visitor.email, visitor.password, next)
    return visitor
