"""Request bodies are read as strictly as the OpenAPI document describes them.

Bytes that are not a body at all (not UTF-8, JSON that is cut off or nested deeper than any
decoder's stack) are refused with 400 `malformed_body` before anything else looks at them: there
is no field to name, and Litestar's decoder would fail with a RecursionError or
UnicodeDecodeError, a 500.

Litestar converts bodies leniently: `"start": 0` would become 1970-01-01 and `"participants": "3"`
the number 3. A client that sends the wrong type has a bug it should hear about, so a body that
only the lenient reading accepts is refused with 422 naming the field. Bodies whose types are wrong
either way are left to Litestar, which reports them after the sign-in checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.enums import RequestEncodingType
from litestar.routes import HTTPRoute

from library import texts
from library.api.problems import BODY_FIELD
from library.errors import InvalidInput
from library.http.problems import HttpProblem


@dataclass(frozen=True)
class BodyReaders:
    lenient: msgspec.json.Decoder[Any]
    strict: msgspec.json.Decoder[Any]


@cache
def body_readers(annotation: Any) -> BodyReaders:
    """Both readings of one body type, built once per type; any JSON for a type msgspec cannot read."""
    try:
        msgspec.json.schema(annotation)  # refuses types msgspec cannot describe, and so not read
    except (TypeError, ValueError):
        annotation = Any
    return BodyReaders(
        msgspec.json.Decoder(annotation, strict=False), msgspec.json.Decoder(annotation, strict=True)
    )


TEXT_BODIES = (RequestEncodingType.JSON, RequestEncodingType.URL_ENCODED)
"""The bodies that are text, and so UTF-8 (a multipart body may carry a file in any encoding)."""


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: refuse a body that cannot be read, or whose types are only right
    when coerced."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return
    # The handler decides how a body is read; Litestar reads JSON whatever the content type says.
    encoding = getattr(parameter.kwarg_definition, "media_type", RequestEncodingType.JSON)
    if encoding not in TEXT_BODIES:
        return  # a multipart body is streamed to its parser, so it is not read here
    raw = await request.body()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpProblem(400, "malformed_body") from exc
    if encoding != RequestEncodingType.JSON or not raw:
        return
    readers = body_readers(parameter.annotation)
    try:
        readers.lenient.decode(raw)
    except msgspec.ValidationError:
        _as_any_json(raw)  # the typed reading may stop early; Litestar's reads it all
        return  # JSON, but wrong however read: Litestar reports it, after authentication
    except (msgspec.DecodeError, RecursionError) as exc:
        raise HttpProblem(400, "malformed_body") from exc
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
    unclean = first_unclean_text(msgspec.json.decode(raw), "")
    if unclean is not None:
        raise InvalidInput(
            "invalid_input",
            unclean,
            extra={"errors": [{"field": unclean, "source": "body", "message": "control character"}]},
        )


def first_unclean_text(value: Any, path: str) -> str | None:
    """Where a body holds a text with a control character that no text may hold (NUL and the
    like; fields typed as one line refuse line breaks too, by their pattern: library/texts.py)."""
    if isinstance(value, str):
        return None if texts.is_clean(value, multiline=True) else (path or "body")
    if isinstance(value, dict):
        pairs = [(f"{path}.{key}" if path else str(key), item) for key, item in value.items()]
        pairs += [(path or "body", key) for key in value]
    elif isinstance(value, list):
        pairs = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for where, item in pairs:
        found = first_unclean_text(item, where)
        if found is not None:
            return found
    return None


def _as_any_json(raw: bytes) -> None:
    """Refuse bytes that are no JSON at all, however deep the decoder has to go."""
    try:
        msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise HttpProblem(400, "malformed_body") from exc


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
