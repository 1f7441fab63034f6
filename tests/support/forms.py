"""Helpers for page tests: the CSRF token of a form, signing in through the form, posting forms."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response

from tests.support.api import Client
from tests.support.factories import DEFAULT_PASSWORD

CSRF_FIELD = re.compile(r'name="_csrf_token"\s+value="([^"]+)"')


async def csrf_token(client: Client, page: str = "/login") -> str:
    """The token a form on `page` carries (the CSRF cookie comes with it)."""
    response = await client.get(page)
    assert response.status_code == 200, response.text
    found = CSRF_FIELD.search(response.text)
    assert found is not None, response.text
    return found.group(1)


async def post_form(client: Client, url: str, data: dict[str, Any], *, form_page: str = "/login") -> Response:
    """Post a form as a browser does: with the CSRF token, without following the redirect."""
    token = await csrf_token(client, form_page)
    return await client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


async def sign_in_with_form(client: Client, email: str, password: str = DEFAULT_PASSWORD) -> Response:
    return await post_form(client, "/login", {"email": email, "password": password, "next": "/"})


async def sign_in(client: Client, email: str, password: str = DEFAULT_PASSWORD) -> None:
    response = await sign_in_with_form(client, email, password)
    assert response.status_code == 303, response.text


async def submit_form(
    client: Client, url: str, data: dict[str, Any], *, form_page: str = "/login", lands_on: str | None = None
) -> Response:
    """Post a form and follow its 303 as a browser does: the page shown next. The form must have
    been accepted (a 303), leading to `lands_on` when that is given."""
    response = await post_form(client, url, data, form_page=form_page)
    assert response.status_code == 303, response.text
    if lands_on is not None:
        assert response.headers["location"] == lands_on
    shown = await client.get(response.headers["location"])
    assert shown.status_code == 200, shown.text
    return shown
