"""The OGC SensorThings API 1.1 (sensing, read-only) at /sta/v1.1, for the city's data platform.

Errors answer as FROST does (`{"code", "type": "error", "message"}`): 400 for a query option
that cannot be understood, 404 for a set or entity that does not exist.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import PathParameter

from library.http.caching import conditional
from library.http.deps import DatabaseDep, SettingsDep
from library.opendata.filters import FilterError
from library.opendata.options import Options, parse_options
from library.opendata.sta import RELATIONS, SETS, VERSION_PATH, NoEntity, Reader, Row, next_link

JSON = "application/json"
STA_CACHE = "public, max-age=60"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
]
PATH = re.compile(r"^(?P<set>[A-Za-z]+)(?:\((?P<id>\d+)\))?(?:/(?P<navigation>[A-Za-z]+))?/?$")


def _error(status: int, message: str) -> Response[bytes]:
    body = {"code": status, "type": "error", "message": message}
    return Response(content=json.dumps(body).encode(), status_code=status, media_type=JSON)


def _json(request: Request[Any, Any, Any], body: object) -> Response[bytes]:
    return conditional(request, json.dumps(body, ensure_ascii=False).encode(), JSON, cache_control=STA_CACHE)


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items()}


def _next_link(root: str, path: str, query: dict[str, str], options: Options) -> str:
    following = query | {"$skip": str(options.skip + options.top), "$top": str(options.top)}
    return next_link(f"{root}/{path}", following)


class SensorThingsController(Controller):
    path = VERSION_PATH
    tags = ("open data",)

    @get("/", summary="SensorThings API 1.1: the entity sets and conformance classes", media_type=JSON)
    async def index(self, request: Request[Any, Any, Any], settings: SettingsDep) -> Response[bytes]:
        root = settings.base_url.rstrip("/") + VERSION_PATH
        return _json(
            request,
            {
                "value": [{"name": name, "url": f"{root}/{name}"} for name in SETS],
                "serverSettings": {"conformance": CONFORMANCE},
            },
        )

    @get(
        "/{path:path}",
        summary="SensorThings entities: a set, one entity by @iot.id, or a navigation from it",
        description="Query options: $top (default 100, at most 1000), $skip, $count, $orderby, "
        "$select, $expand (nested, with options in parentheses) and $filter (eq ne gt ge lt le, "
        "and, or, not, parentheses; on phenomenonTime, resultTime, result, name, description).",
        media_type=JSON,
    )
    async def resource(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        settings: SettingsDep,
        path: Annotated[str, PathParameter(description="Set, Set(id) or Set(id)/Navigation")],
    ) -> Response[bytes]:
        match = PATH.match(path.lstrip("/"))
        if match is None or match["set"] not in SETS:
            return _error(404, f"No SensorThings resource at {path!r}")
        query = _query(request)
        try:
            options = parse_options(query)
            async with db.read() as session:
                reader = Reader(session, settings.base_url)
                body = await self._answer(reader, match["set"], match["id"], match["navigation"], options)
        except FilterError as error:
            return _error(400, str(error))
        except NoEntity as error:
            return _error(404, str(error))
        if "value" in body and body.pop("_more", False):
            body["@iot.nextLink"] = _next_link(reader.root, path.lstrip("/"), query, options)
        return _json(request, body)

    async def _answer(
        self, reader: Reader, name: str, entity_id: str | None, navigation: str | None, options: Options
    ) -> Row:
        scope: tuple[str, Any] | None = None
        if entity_id is not None:
            parent = await reader.entity(name, int(entity_id))
            if navigation is None:
                return await reader.render(name, parent, options)
            relation = RELATIONS[name].get(navigation)
            if relation is None:
                raise NoEntity(f"{name} has no navigation property {navigation!r}")
            scope = (relation.target_key, parent.get(relation.source_key))
            name = relation.target
            if not relation.many:
                page, _total, _more = await reader.collection(name, Options(), scope)
                if not page:
                    raise NoEntity(f"No {navigation} of {name}({entity_id})")
                return await reader.render(name, page[0], options)
        elif navigation is not None:
            raise NoEntity(f"Navigate from one entity, e.g. {name}(1)/{navigation}")
        page, total, more = await reader.collection(name, options, scope)
        body: Row = {} if total is None else {"@iot.count": total}
        body["value"] = [await reader.render(name, row, options) for row in page]
        body["_more"] = more
        return body
