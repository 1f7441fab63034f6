"""Every error leaves the service as RFC 9457 problem details in the request's language."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from library.errors import Busy, InvalidInput, LibraryError, NotAllowed, NotFound
from library.http.answers import problem_response
from library.http.problems import HttpProblem
from library.i18n import N_

log = logging.getLogger("library.errors")


def on_problem(request: Request[Any, Any, Any], exc: LibraryError) -> Response[Any]:
    return problem_response(request, exc)


BODY_FIELD = re.compile(r"`\$\.([^`]+)`")
NAMED_FIELD = re.compile(r"field `([^`]+)`")


def _field_name(key: str, message: str, public_names: dict[str, str]) -> str:
    """The name a client knows: a body field from msgspec's message, a query parameter's alias."""
    if key in ("data", "body", ""):
        found = BODY_FIELD.search(message) or NAMED_FIELD.search(message)
        return found.group(1) if found else "body"
    return public_names.get(key, key)


def _public_names(request: Request[Any, Any, Any] | None) -> dict[str, str]:
    """Parameters declared under another name, e.g. `date_from` that clients send as `from`."""
    handler = request.scope.get("route_handler") if request is not None else None
    if handler is None:
        return {}
    names = {}
    for name, parameter in handler.parsed_fn_signature.parameters.items():
        alias = getattr(parameter.kwarg_definition, "name", None)
        if alias:
            names[name] = alias
    return names


def validation_problem(
    exc: ValidationException, request: Request[Any, Any, Any] | None = None
) -> InvalidInput:
    """Name every offending field; a missing time zone gets its own code (API.md)."""
    errors: list[dict[str, Any]] = []
    public_names = _public_names(request)
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            errors.append(
                {
                    "field": _field_name(str(item.get("key") or ""), message, public_names),
                    "source": _source_name(item.get("source")),
                    "message": message,
                }
            )
    if not errors:
        errors.append({"field": "body", "source": "body", "message": str(exc.detail)})
    fields = dict.fromkeys(error["field"] for error in errors)
    if any("timezone" in error["message"] for error in errors):
        return InvalidInput("naive_datetime", *fields, field=", ".join(fields), extra={"errors": errors})
    code = "invalid_query" if all(error["source"] == "query" for error in errors) else "invalid_input"
    return InvalidInput(code, *fields, extra={"errors": errors})


def _source_name(source: object) -> str:
    """Litestar names sources with an enum (ParamType.QUERY); clients get its value, "query"."""
    return str(getattr(source, "value", source) or "body")


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return problem_response(request, validation_problem(exc, request))


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotFoundException):
        problem: LibraryError = NotFound(N_("The address"))
    elif isinstance(exc, MethodNotAllowedException):
        problem = HttpProblem(405, "method_not_allowed", headers=dict(exc.headers or {}))
    elif isinstance(exc, NotAuthorizedException):
        problem = HttpProblem(401, "unauthenticated")
    elif isinstance(exc, PermissionDeniedException):
        problem = NotAllowed("csrf_failed" if "CSRF" in str(exc.detail) else "forbidden")
    elif exc.status_code == 413:
        problem = HttpProblem(413, "request_too_large")
    elif exc.status_code >= 500:
        return on_unexpected(request, exc)
    else:
        problem = HttpProblem(exc.status_code, "invalid_input", fields=str(exc.detail))
    return problem_response(request, problem)


# Path segments that are secrets: private calendar feeds and password reset links.
SECRET_SEGMENT = re.compile(r"(/calendar/users/|/password-reset/)[^/]+")


def loggable_path(path: str) -> str:
    """The path as logs may keep it: secret tokens masked (and never the query, which may name people)."""
    return SECRET_SEGMENT.sub(r"\1…", path)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unexpected error on %s %s", request.method, loggable_path(request.url.path), exc_info=exc)
    return problem_response(request, HttpProblem(500, "server_error"))


def on_unstorable_value(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold (a number past 64 bits, a NUL byte in text) is bad input."""
    log.info(
        "refused a value the database cannot store on %s %s", request.method, loggable_path(request.url.path)
    )
    return problem_response(request, InvalidInput("unstorable_value"))


def on_overload(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """No database connection came free in time: the service is overloaded, not broken."""
    log.warning(
        "no database connection free in time on %s %s", request.method, loggable_path(request.url.path)
    )
    return problem_response(request, Busy("busy", retry_after=5))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LibraryError: on_problem,
    ValidationException: on_validation,
    HTTPException: on_http_exception,
    OverflowError: on_unstorable_value,
    DataError: on_unstorable_value,
    PoolTimeout: on_overload,
    Exception: on_unexpected,
}
