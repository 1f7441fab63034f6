"""A problem as its asker reads it: problem details (JSON) for programs, a sign-in redirect or a
readable error page for people, in the language of the request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.response import Redirect, Template

from library.errors import LibraryError
from library.http.problems import headers_of, problem_body, status_of
from library.i18n import LANGUAGES, Lang, negotiate_language

PROBLEM_JSON = "application/problem+json"

# Paths read by programs (JSON API, calendar feeds, API docs): they get problem details, not pages.
MACHINE_PREFIXES = ("/api/", "/calendar/", "/opendata/", "/sta/", "/schema")

LANG_COOKIE = "lang"


def is_page_request(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(MACHINE_PREFIXES)


def page_language(request: Request[Any, Any, Any]) -> Lang:
    """The language chosen on the page (cookie), else the browser's, else German."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return negotiate_language(request.headers.get("accept-language"))


def problem_response(request: Request[Any, Any, Any], problem: LibraryError) -> Response[Any]:
    """Problem JSON for the API; for a page, a sign-in redirect or a readable error page."""
    if is_page_request(request):
        return page_problem_response(request, problem)
    lang = negotiate_language(request.headers.get("accept-language"))
    return Response(
        content=problem_body(problem, lang),
        status_code=status_of(problem),
        media_type=PROBLEM_JSON,
        headers=headers_of(problem),
    )


def page_problem_response(request: Request[Any, Any, Any], problem: LibraryError) -> Response[Any]:
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
