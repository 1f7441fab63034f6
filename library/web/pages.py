"""Visitor pages: the home page with the five factors, and signing in and out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from library.accounts import service
from library.accounts.viewer import SESSION_COOKIE, ViewerDep
from library.api.accounts import client_address
from library.catalog import queries
from library.catalog.factors import FACTOR_TEXTS
from library.config import Settings
from library.deps import ClockDep, DatabaseDep
from library.errors import Problem
from library.i18n import Lang, negotiate_language

LANG_COOKIE = "lang"


def page_language(request: Request[Any, Any, Any]) -> Lang:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("de", "en"):
        return chosen  # type: ignore[return-value]
    return negotiate_language(request.headers.get("accept-language"))


def render(request: Request[Any, Any, Any], template: str, viewer: ViewerDep, **context: Any) -> Template:
    return Template(
        template_name=template,
        context={"lang": page_language(request), "viewer": viewer, "request": request, **context},
    )


class LoginForm(msgspec.Struct):
    email: str = ""
    password: str = ""
    next: str = "/"


def safe_next(target: str) -> str:
    """Only local paths, so the login form cannot send people elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


class HomePages(Controller):
    include_in_schema = False

    @get("/", name="home")
    async def home(self, request: Request[Any, Any, Any], viewer: ViewerDep, db: DatabaseDep) -> Template:
        lang = page_language(request)
        async with db.read() as session:
            counts = await queries.resource_counts_by_factor(session)
        factors = [
            {
                "key": factor.value,
                "name": text.localised(lang)[0],
                "description": text.localised(lang)[1],
                "count": counts.get(factor, 0),
            }
            for factor, text in FACTOR_TEXTS.items()
        ]
        return render(request, "home.html", viewer, factors=factors)

    @get("/login", name="login")
    async def login_form(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, next: FromQuery[str] = "/"
    ) -> Template:
        return render(request, "login.html", viewer, form=LoginForm(next=safe_next(next)), error=None)

    @post("/login", name="login-submit")
    async def login(
        self,
        request: Request[Any, Any, Any],
        viewer: ViewerDep,
        db: DatabaseDep,
        clock: ClockDep,
        state: State,
        data: URLEncodedBody[LoginForm],
    ) -> Response[Any]:
        settings: Settings = state.settings
        now = clock.now()
        subjects = service.LoginSubjects.of(data.email, client_address(request))
        session_id = None
        try:
            async with db.write() as session:
                await service.ensure_not_throttled(session, subjects, now)
                user = await service.check_password(
                    session, email=data.email, password=data.password, subjects=subjects, now=now
                )
                if user is not None:
                    if viewer.login_session is not None:
                        await service.end_session(session, viewer.login_session.id)
                    session_id, _ = await service.start_session(
                        session, user, now, timedelta(hours=settings.session_lifetime_hours)
                    )
        except Problem as problem:
            return self._login_error(request, viewer, data, problem)
        if session_id is None:
            return self._login_error(request, viewer, data, Problem(401, "invalid_credentials"))
        return Redirect(
            path=safe_next(data.next),
            status_code=303,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=session_id,
                    httponly=True,
                    samesite="lax",
                    secure=settings.base_url.startswith("https://"),
                    max_age=settings.session_lifetime_hours * 3600,
                )
            ],
        )

    def _login_error(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, data: LoginForm, problem: Problem
    ) -> Template:
        # Keep what was typed (not the password) and say what is wrong next to the form.
        response = render(
            request,
            "login.html",
            viewer,
            form=LoginForm(email=data.email, next=safe_next(data.next)),
            error=problem.detail(page_language(request)),
        )
        response.status_code = problem.status
        response.headers.update(problem.headers)
        return response

    @post("/logout", name="logout")
    async def logout(self, viewer: ViewerDep, db: DatabaseDep) -> Redirect:
        if viewer.login_session is not None:
            async with db.write() as session:
                await service.end_session(session, viewer.login_session.id)
        response = Redirect(path="/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response


PAGE_CONTROLLERS = [HomePages]
