"""Conditional answers for public feeds and open data: `ETag`, `Cache-Control`, and 304.

The ETag is a hash of the body, so it changes exactly when the answer does, whichever process
serves it; a client that sends it back in `If-None-Match` gets a bodiless 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response

PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-store"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in header.split(","))


def conditional(
    request: Request[Any, Any, Any],
    body: bytes,
    media_type: str,
    *,
    cache_control: str = PUBLIC_CACHE,
    headers: Mapping[str, str] | None = None,
) -> Response[bytes]:
    """The answer with its ETag and caching rule, or 304 when the client holds this very body."""
    etag = etag_of(body)
    common = {"ETag": etag, "Cache-Control": cache_control, **(headers or {})}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=common, media_type=media_type)
    return Response(content=body, media_type=media_type, headers=common)
