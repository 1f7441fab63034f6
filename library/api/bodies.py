"""JSON request bodies are read as strictly as the OpenAPI document describes them.

Litestar converts bodies leniently: `"start": 0` would become 1970-01-01 and `"participants": "3"`
the number 3. A client that sends the wrong type has a bug it should hear about, so a body that
only the lenient reading accepts is refused with 422 naming the field. Bodies that are wrong either
way are left to Litestar, which reports them after the sign-in checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.routes import HTTPRoute

from library.api.problems import BODY_FIELD
from library.errors import InvalidInput


@dataclass(frozen=True)
class BodyReaders:
    lenient: msgspec.json.Decoder[Any]
    strict: msgspec.json.Decoder[Any]


@cache
def body_readers(annotation: Any) -> BodyReaders | None:
    """Both readings of one body type, built once per type; None for a type msgspec cannot read."""
    try:
        msgspec.json.schema(annotation)  # refuses types msgspec cannot describe, and so not read
    except (TypeError, ValueError):
        return None
    return BodyReaders(
        msgspec.json.Decoder(annotation, strict=False), msgspec.json.Decoder(annotation, strict=True)
    )


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: refuse a JSON body whose types are only right when coerced."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    if parameter is None or not request.headers.get("content-type", "").startswith("application/json"):
        return
    readers = body_readers(parameter.annotation)
    raw = await request.body()
    if readers is None or not raw:
        return
    try:
        readers.lenient.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return  # wrong however read: Litestar reports it, after authentication
    try:
        readers.strict.decode(raw)
    except msgspec.ValidationError as exc:
        found = BODY_FIELD.search(str(exc))
        field = found.group(1) if found else "body"
        raise InvalidInput(
            "invalid_input",
            field,
            extra={"errors": [{"field": field, "source": "body", "message": str(exc)}]},
        ) from exc


def optional_bodies(app: Litestar) -> set[tuple[str, str]]:
    """(path, method) of the API operations whose body may be left out."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            parameter = handler.parsed_fn_signature.parameters.get("data")
            if parameter is not None and parameter.has_default:
                found.update((route.path_format, method.lower()) for method in handler.http_methods)
    return found
