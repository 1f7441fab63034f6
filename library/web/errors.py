"""Errors on pages: sign-in redirects and readable error pages instead of problem JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Response
from litestar.response import Redirect, Template

from library.errors import LibraryError
from library.http.problems import headers_of, status_of
from library.web.common import AnyRequest, page_language

# Paths read by programs (JSON API, calendar feeds, API docs): they get problem details, not pages.
MACHINE_PREFIXES = ("/api/", "/calendar/", "/schema")


def is_page_request(request: AnyRequest) -> bool:
    return not request.url.path.startswith(MACHINE_PREFIXES)


def page_problem_response(request: AnyRequest, problem: LibraryError) -> Response[Any]:
    """Anonymous visitors of a page that needs an account go to the login form and come back."""
    status = status_of(problem)
    if status == 401:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = back if request.method == "GET" else request.url.path
        return Redirect(path=f"/login?{urlencode({'next': target})}", status_code=303)
    lang = page_language(request)
    viewer = request.state.get("viewer")
    return Template(
        template_name="error.html",
        status_code=status,
        headers=headers_of(problem),
        context={
            "lang": lang,
            "viewer": viewer,
            "request": request,
            "status": status,
            "code": problem.code,
            "message": problem.detail(lang),
        },
    )
