"""Pieces every API controller uses: the request language, pagination and date ranges."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request
from litestar.params import PathParameter, QueryParameter

from library.errors import InvalidInput
from library.i18n import Lang, negotiate_language

T = TypeVar("T")
Row = TypeVar("Row")

MAX_ROW_ID = 2**63 - 1  # a 64-bit key: larger numbers cannot name a row on either engine

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size (at most 500).")]
Offset = Annotated[int, QueryParameter(ge=0, le=10**9, description="How many items to skip.")]
RowId = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID, description="The number of a record.")]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next: str | None


def language(request: Request[Any, Any, Any]) -> Lang:
    return negotiate_language(request.headers.get("accept-language"))


def next_page_url(request: Request[Any, Any, Any], *, limit: int, offset: int, has_more: bool) -> str | None:
    if not has_more:
        return None
    query = {key: value for key, value in request.query_params.items() if key not in ("limit", "offset")}
    query.update(limit=str(limit), offset=str(offset + limit))
    return f"{request.url.path}?{urlencode(query)}"


def page_of(
    request: Request[Any, Any, Any], rows: Sequence[Row], out: Callable[[Row], T], *, limit: int, offset: int
) -> Page[T]:
    """A page of rows fetched with `limit + 1`: the one row more says that there is a next page."""
    return Page(
        items=[out(row) for row in rows[:limit]],
        next=next_page_url(request, limit=limit, offset=offset, has_more=len(rows) > limit),
    )


def checked_range(first: date, last: date, *, max_days: int) -> tuple[date, date]:
    if last < first:
        raise InvalidInput("end_before_start", "to", source="query")
    if (last - first).days + 1 > max_days:
        raise InvalidInput("range_too_long", "to", source="query", max_days=max_days)
    return first, last


def iso_local(moment: datetime, zone: Any) -> str:
    """An instant as RFC 3339 in the location's zone (API.md: responses in local time)."""
    return moment.astimezone(zone).isoformat()
