"""Every response carries the security headers; pages and the API docs run no inline script."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient

from library.app import create_app
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.factories import assert_problem
from tests.support.forms import post_form, sign_in_with_form

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/factors", "/schema", "/no-such-page"])
async def test_security_headers_on_pages_api_and_errors(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("style-src")[0], "scripts must never be inline"
    # Plain HTTP in tests: no HSTS promise that the site cannot keep.
    assert "strict-transport-security" not in response.headers


async def test_only_the_api_docs_may_use_inline_styles(client: Client) -> None:
    assert "style-src 'self';" in (await client.get("/")).headers["content-security-policy"]
    docs = await client.get("/schema")
    assert "style-src 'self' 'unsafe-inline'" in docs.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/", "/login", "/schema", "/no-such-page"])
async def test_no_inline_script_on_html_pages(client: Client, path: str) -> None:
    html = (await client.get(path)).text
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_HANDLER.search(html)


async def test_the_api_docs_start_from_a_script_file(client: Client) -> None:
    html = (await client.get("/schema")).text
    assert '<script src="/static/api-docs.js">' in html
    script = await client.get("/static/api-docs.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text


async def test_a_body_over_the_limit_is_refused_with_413(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b"{" + b" " * (3 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413, "request_too_large")


@pytest.fixture
async def https_client(settings: Settings, clock: SettableClock) -> AsyncIterator[Client]:
    """The service as deployed behind HTTPS (LIBRARY_BASE_URL=https://…)."""
    behind_https = dataclasses.replace(settings, base_url="https://bibliothek.ulm.example")
    async with AsyncTestClient(
        app=create_app(behind_https, clock), base_url="https://testserver.local"
    ) as test_client:
        yield test_client


def set_cookie(response: Response, name: str) -> str:
    found = [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0].lower()


async def test_cookies_are_http_only_same_site_and_secure_behind_https(
    https_client: Client, db: Database
) -> None:
    await factories.create_user(db)
    csrf = set_cookie(await https_client.get("/login"), "csrftoken")
    assert "secure" in csrf
    assert "samesite=lax" in csrf
    login = await sign_in_with_form(https_client, "anna@example.org")
    assert login.status_code == 303
    session = set_cookie(login, "library_session")
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "secure" in session
    assert "strict-transport-security" in login.headers
    language = await post_form(https_client, "/language", {"lang": "en", "next": "/"})
    cookie = set_cookie(language, "lang")
    assert "secure" in cookie
    assert "httponly" in cookie


async def test_signing_in_again_gives_a_new_session_id(client: Client, db: Database) -> None:
    await factories.create_user(db)
    first = set_cookie(await sign_in_with_form(client, "anna@example.org"), "library_session")
    second = set_cookie(await sign_in_with_form(client, "anna@example.org"), "library_session")
    assert first.split(";")[0] != second.split(";")[0]
    # The first id no longer works once the second sign-in replaced it.
    client.cookies.set("library_session", first.split(";")[0].split("=", 1)[1])
    assert (await client.get("/api/v1/me")).status_code == 401
