"""The OpenAPI document says what the API really answers: problem details and closed request bodies.

Litestar documents each handler's success answer; every API route can also answer with problem
details (RFC 9457), and request bodies that refuse unknown fields say so (`additionalProperties:
false`), so generated clients and schemathesis see the contract as it is.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)

from library.api.bodies import optional_bodies
from library.http.answers import MACHINE_PREFIXES, PROBLEM_JSON
from library.stats.tables import XLSX_MEDIA_TYPE

PROBLEM_SCHEMA = "ProblemDetails"

# Statuses any API route may answer, whatever it does: bad input, credentials, permissions, size.
COMMON_PROBLEMS: dict[int, str] = {
    400: "The request is malformed or names a link that is no longer valid.",
    401: "Missing, wrong, expired or revoked credentials.",
    403: "Not allowed for this account, or a cookie request without its CSRF header.",
    404: "The thing named in the path does not exist (or is not visible to the caller).",
    409: "The request conflicts with the current state (e.g. the slot was just taken).",
    413: "The request body is too large.",
    422: "The input is invalid or breaks a rule; `errors` names the fields.",
    429: "Too many attempts; `Retry-After` says when to try again.",
}


def problem_schema() -> Schema:
    text = Schema(type=OpenAPIType.STRING)
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["type", "status", "title", "detail", "code"],
        properties={
            "type": text,
            "status": Schema(type=OpenAPIType.INTEGER),
            "title": text,
            "detail": Schema(type=OpenAPIType.STRING, description="A sentence in the request's language."),
            "code": Schema(type=OpenAPIType.STRING, description="A stable code to act on (API.md)."),
            "errors": Schema(
                type=OpenAPIType.ARRAY,
                items=Schema(
                    type=OpenAPIType.OBJECT,
                    properties={"field": text, "source": text, "message": text},
                ),
            ),
        },
        description="Problem details (RFC 9457) with a stable `code`; some codes add members.",
    )


def _operations(item: Any) -> list[Operation]:
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [operation for method in methods if (operation := getattr(item, method, None)) is not None]


def _closed_bodies() -> set[str]:
    """Names of our request structs that refuse unknown fields."""
    found: set[str] = set()
    pending: list[type[msgspec.Struct]] = [msgspec.Struct]
    while pending:
        struct = pending.pop()
        pending.extend(struct.__subclasses__())
        if struct.__module__.startswith("library.") and struct.__struct_config__.forbid_unknown_fields:
            found.add(struct.__name__)
    return found


def _document_files(operation: Operation) -> None:
    """A route with a `format` query parameter (the statistics) also answers its 200 as a file."""
    if not any(getattr(p, "name", None) == "format" for p in operation.parameters or ()):
        return
    answer = (operation.responses or {}).get("200")
    if not isinstance(answer, OpenAPIResponse):
        return
    content = answer.content if answer.content is not None else {}
    content["text/csv"] = OpenAPIMediaType(
        schema=Schema(type=OpenAPIType.STRING, description="Comma-separated, UTF-8 with BOM, a header row")
    )
    content[XLSX_MEDIA_TYPE] = OpenAPIMediaType(
        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
    )
    answer.content = content


def _document_json_bytes(operation: Operation) -> None:
    """A JSON or JSON-LD answer written as bytes (open data, SensorThings) is an object, not the
    string Litestar infers from `Response[bytes]`."""
    answer = (operation.responses or {}).get("200")
    if not isinstance(answer, OpenAPIResponse) or not answer.content:
        return
    for media_type, body in answer.content.items():
        inferred = isinstance(body.schema, Schema) and body.schema.type == OpenAPIType.STRING
        if inferred and media_type.split(";")[0].endswith("json"):
            body.schema = Schema(type=OpenAPIType.OBJECT)


def _document_sensorthings_errors(operation: Operation) -> None:
    """SensorThings answers a bad query option (400) or a missing entity (404) as the standard
    says: a JSON object with a message, not problem details."""
    for status in ("400", "404"):
        answer = (operation.responses or {}).get(status)
        if isinstance(answer, OpenAPIResponse):
            content = answer.content if answer.content is not None else {}
            content["application/json"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT))
            answer.content = content


def document_problems(app: Litestar) -> None:
    """Complete the app's OpenAPI document once, before it is first served."""
    document = app.openapi_schema
    components = document.components
    if components.schemas is None:
        components.schemas = {}
    components.schemas[PROBLEM_SCHEMA] = problem_schema()
    problem_body = {
        PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{PROBLEM_SCHEMA}"))
    }
    for path, item in (document.paths or {}).items():
        if not path.startswith(MACHINE_PREFIXES):
            continue
        for operation in _operations(item):
            responses = operation.responses if operation.responses is not None else {}
            for status, description in COMMON_PROBLEMS.items():
                # Replaces Litestar's generic 400 (our validation answers are problem details).
                responses[str(status)] = OpenAPIResponse(description=description, content=problem_body)
            operation.responses = responses
    for path, item in (document.paths or {}).items():
        for operation in _operations(item):
            _document_files(operation)
            _document_json_bytes(operation)
            if path.startswith("/sta/"):
                _document_sensorthings_errors(operation)
    for path, method in optional_bodies(app):
        operation = getattr((document.paths or {})[path], method)
        if operation.request_body is not None:
            operation.request_body.required = False
    closed = _closed_bodies()
    for name, schema in components.schemas.items():
        if name in closed and isinstance(schema, Schema):
            schema.additional_properties = False
