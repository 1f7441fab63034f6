"""/static files are linked with a content hash and cached long only under that versioned URL."""

from __future__ import annotations

import hashlib
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from library.http.assets import STATIC_DIRECTORY, static_url


def test_the_version_is_the_files_content_hash() -> None:
    digest = hashlib.sha256((STATIC_DIRECTORY / "site.css").read_bytes()).hexdigest()[:12]

    assert static_url("site.css") == f"/static/site.css?v={digest}"
    assert static_url("no-such-file.css") == "/static/no-such-file.css"


async def test_pages_link_versioned_files_that_may_be_kept_a_year(client: AsyncTestClient[Litestar]) -> None:
    page = (await client.get("/catalogue")).text
    stylesheet = re.search(r'<link rel="stylesheet" href="(/static/site\.css\?v=[0-9a-f]{12})">', page)
    sprite = re.search(r'<use href="(/static/icons\.svg\?v=[0-9a-f]{12})#', page)
    assert stylesheet
    assert sprite

    for url in (stylesheet.group(1), sprite.group(1)):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_an_unversioned_file_is_kept_only_briefly(client: AsyncTestClient[Litestar]) -> None:
    font = await client.get("/static/fonts/atkinson-hyperlegible-latin-400-normal.woff2")
    missing = await client.get("/static/no-such-file.css?v=123")

    assert font.status_code == 200
    assert font.headers["cache-control"] == "public, max-age=3600"
    assert missing.status_code == 404
    assert "immutable" not in missing.headers.get("cache-control", "")
