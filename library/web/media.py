"""The photos' files, `/media/<key>-<width>.<ext>`: immutable, so browsers and proxies keep them a year."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import File

from library.errors import NotFound
from library.http.deps import SettingsDep
from library.i18n import N_
from library.pictures.images import MEDIA_TYPES
from library.pictures.queries import MEDIA_PATH
from library.pictures.store import existing

CACHE_FOREVER = "public, max-age=31536000, immutable"


class MediaFiles(Controller):
    path = MEDIA_PATH
    include_in_schema = False

    @get("/{name:str}", name="media")
    async def file(
        self, request: Request[Any, Any, Any], settings: SettingsDep, name: FromPath[str]
    ) -> Response[Any]:
        path = existing(settings.media_root, name)
        if path is None:
            raise NotFound(N_("The picture %(name)s"), name=name)
        etag = f'"{path.stem}"'  # a key is never reused and a file never rewritten
        headers = {"Cache-Control": CACHE_FOREVER, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(content=b"", status_code=304, headers=headers)
        return File(
            path=path,
            media_type=MEDIA_TYPES[path.suffix.removeprefix(".")],
            content_disposition_type="inline",
            headers=headers,
            etag=None,
        )
