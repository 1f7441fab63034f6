"""Every response carries the security headers; pages and the API docs run no inline script."""

from __future__ import annotations

import re

import pytest

from tests.factories import assert_problem
from tests.pages import Client

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
