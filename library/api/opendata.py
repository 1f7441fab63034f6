"""Open data answers: the DCAT-AP.de catalogue and the schema.org events feed (public, anonymous)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from library.api.common import checked_range
from library.http.caching import conditional
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.opendata.catalog import catalogue
from library.opendata.events import upcoming_events
from library.opendata.utilisation import COLUMNS, to_csv, utilisation_rows

JSON_LD = "application/ld+json"
CSV = "text/csv"
MAX_CSV_DAYS = 366


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

    @get(
        "/opendata/utilisation.csv",
        summary="Daily utilisation per location, factor and kind (CSV, UTF-8, open data)",
        description="Columns: " + ", ".join(COLUMNS) + ". Per local day; default the last 30 days "
        f"up to yesterday; at most {MAX_CSV_DAYS} days. Counts only.",
        media_type=CSV,
    )
    async def utilisation(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: Annotated[date | None, QueryParameter(name="from", description="First local date")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Last local date")] = None,
    ) -> Response[bytes]:
        yesterday = clock.now().astimezone(settings.zone).date() - timedelta(days=1)
        last = date_to or yesterday
        first, last = checked_range(date_from or last - timedelta(days=29), last, max_days=MAX_CSV_DAYS)
        async with db.read() as session:
            rows = await utilisation_rows(session, first, last)
        return conditional(request, to_csv(rows), CSV)
