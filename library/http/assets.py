"""The service's own static files (/static): versioned URLs and how long browsers may keep them.

Templates link a file as `static_url("site.css")`, which adds `?v=` and a hash of the file's
content. A changed file gets a new URL, so a versioned response may be cached for a year and
marked immutable; an unversioned one (the fonts named in site.css, a stale link) is kept only an
hour, so a deployment reaches every browser.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from library.config import PROJECT_ROOT

STATIC_PATH = "/static"
STATIC_DIRECTORY = PROJECT_ROOT / "library" / "web" / "static"
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, max-age=3600"


@lru_cache(maxsize=256)
def _content_hash(name: str, mtime_ns: int) -> str:
    """The first hex digits of the file's SHA-256; the mtime in the key drops a stale entry."""
    return hashlib.sha256((STATIC_DIRECTORY / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """`/static/<name>?v=<content hash>`; without `?v=` when the file does not exist."""
    path = STATIC_DIRECTORY / name
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return f"{STATIC_PATH}/{name}"
    return f"{STATIC_PATH}/{name}?v={_content_hash(name, mtime_ns)}"


def cache_hook() -> Any:
    """A `before_send` hook: long immutable caching for versioned /static URLs, short otherwise."""

    async def add_cache_control(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or message["status"] != 200:
            return
        path = scope.get("path", "")
        if not path.startswith(f"{STATIC_PATH}/"):
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        headers = MutableScopeHeaders.from_message(message)
        headers["Cache-Control"] = VERSIONED_CACHE if query.get("v") else UNVERSIONED_CACHE

    return add_cache_control
