"""Visitor pages everybody reaches: the home page with the five factors, signing in and out, language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts import service
from library.accounts.models import Language, User
from library.catalog import queries
from library.catalog.factors import FACTOR_TEXTS
from library.config import Settings
from library.errors import LibraryError, message
from library.http.answers import LANG_COOKIE, page_language
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.problems import headers_of, status_of
from library.http.viewer import SESSION_COOKIE, Viewer, ViewerDep, client_address
from library.i18n import N_, known_language
from library.web.common import AnyRequest, Form, form_values, notice, render, safe_next

ONE_YEAR = 365 * 24 * 3600
HOME_NOTICES = {"account_deleted": N_("Your account has been deleted and you have been signed out.")}


def session_cookie(session_id: str, settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=session_id,
        httponly=True,
        samesite="lax",
        secure=settings.behind_https,
        max_age=settings.session_lifetime_hours * 3600,
    )


async def fresh_session(
    session: AsyncSession, viewer: Viewer, user: User, now: datetime, settings: Settings
) -> str:
    """A new session id at every sign-in (an id planted before is worthless); the old one ends."""
    if viewer.login_session is not None:
        await service.end_session(session, viewer.login_session.id)
    session_id, _ = await service.start_session(
        session, user, now, timedelta(hours=settings.session_lifetime_hours)
    )
    return session_id


def language_cookie(lang: Language, settings: Settings) -> Cookie:
    """The page language chosen, kept for a year."""
    return Cookie(
        key=LANG_COOKIE,
        value=lang.value,
        max_age=ONE_YEAR,
        samesite="lax",
        httponly=True,
        secure=settings.behind_https,
    )


class HomePages(Controller):
    include_in_schema = False

    @get("/", name="home")
    async def home(self, request: AnyRequest, viewer: ViewerDep, db: DatabaseDep) -> Template:
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
        return render(request, "home.html", viewer, factors=factors, notice=notice(request, HOME_NOTICES))

    @get("/login", name="login")
    async def login_form(
        self, request: AnyRequest, viewer: ViewerDep, next: FromQuery[str] = "/"
    ) -> Template:
        return render(request, "login.html", viewer, form=Form(values={"next": safe_next(next)}))

    @post("/login", name="login-submit")
    async def login(
        self,
        request: AnyRequest,
        viewer: ViewerDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        now = clock.now()
        email, password = data.get("email", ""), data.get("password", "")
        subjects = service.LoginSubjects.of(email, client_address(request))
        session_id = None
        form = Form(values=form_values(data))
        try:
            # As the API does: no transaction is open while argon2 works (see service.sign_in).
            user = await service.sign_in(db, email=email, password=password, subjects=subjects, now=now)
            if user is not None:
                async with db.write() as session:
                    session_id = await fresh_session(session, viewer, user, now, settings)
        except LibraryError as problem:
            form.general = problem.detail(page_language(request))
            response = render(request, "login.html", viewer, status=status_of(problem), form=form)
            response.headers.update(headers_of(problem))
            return response
        if session_id is None:
            form.general = message("invalid_credentials", page_language(request))
            return render(request, "login.html", viewer, status=401, form=form)
        return Redirect(
            path=safe_next(data.get("next")), status_code=303, cookies=[session_cookie(session_id, settings)]
        )

    @post("/logout", name="logout")
    async def logout(self, viewer: ViewerDep, db: DatabaseDep) -> Redirect:
        if viewer.login_session is not None:
            async with db.write() as session:
                await service.end_session(session, viewer.login_session.id)
        response = Redirect(path="/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @post("/language", name="language")
    async def choose_language(
        self, viewer: ViewerDep, db: DatabaseDep, settings: SettingsDep, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        """The chosen language sticks in a cookie and, when signed in, in the account (for mails)."""
        lang = Language(known_language(data.get("lang")))
        if viewer.user is not None and viewer.user.language is not lang:
            async with db.write() as session:
                await service.set_language(session, viewer.user.id, lang)
        return Redirect(
            path=safe_next(data.get("next")),
            status_code=303,
            cookies=[language_cookie(lang, settings)],
        )
