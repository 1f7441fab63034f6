"""Open data answers: the DCAT-AP.de catalogue and the schema.org events feed (public, anonymous)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get

from library.http.caching import conditional
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.opendata.catalog import catalogue
from library.opendata.events import upcoming_events

JSON_LD = "application/ld+json"


def _json_ld(request: Request[Any, Any, Any], document: dict[str, Any]) -> Response[bytes]:
    return conditional(request, json.dumps(document, ensure_ascii=False).encode(), JSON_LD)


class OpenDataController(Controller):
    tags = ("open data",)

    @get(
        "/opendata/catalog.jsonld",
        summary="DCAT-AP.de catalogue of the open data (JSON-LD, inline @context)",
        media_type=JSON_LD,
    )
    async def catalog(self, request: Request[Any, Any, Any], settings: SettingsDep) -> Response[bytes]:
        return _json_ld(request, catalogue(settings.base_url))

    @get(
        "/api/v1/events.jsonld",
        summary="Upcoming workshop sessions as schema.org Events (JSON-LD, inline @context)",
        media_type=JSON_LD,
    )
    async def events(
        self, request: Request[Any, Any, Any], db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> Response[bytes]:
        async with db.read() as session:
            document = await upcoming_events(session, now=clock.now(), base_url=settings.base_url)
        return _json_ld(request, document)
