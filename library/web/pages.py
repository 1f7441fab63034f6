"""Visitor pages everybody reaches: the home page with the five factors, signing in and out, language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from library.accounts import service
from library.accounts.models import Language, User
from library.catalog import queries
from library.catalog.factors import FACTOR_TEXTS
from library.config import Settings
from library.errors import LibraryError, message
from library.http.answers import LANG_COOKIE
from library.http.deps import DatabaseDep, SettingsDep
from library.http.viewer import SESSION_COOKIE, ViewerDep, client_address
from library.i18n import DEFAULT_LANGUAGE, N_, known_language
from library.web.common import Form, PageContext, PageContextDep, form_values, safe_next, see_other
from library.workshops.queries import workshop_counts_by_factor

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


def session_lifetime(context: PageContext) -> timedelta:
    return timedelta(hours=context.settings.session_lifetime_hours)


def ending_session(context: PageContext) -> int | None:
    """The browser's session before a sign-in: it ends, the new one gets a fresh id (an id
    planted before is worthless)."""
    return context.viewer.login_session.id if context.viewer.login_session is not None else None


async def signed_in(
    context: PageContext, user: User, path: str, *, done: str | None = None, lang: Language | None = None
) -> Redirect:
    """Signing in, registering: a fresh session, and the 303 to `path` that sets its cookie and
    the page language: the one just chosen, else an account's language other than the default
    (a choice the person made, so it applies right away; the default leaves the browser's)."""
    session_id = await service.start_session(
        context.db, user, context.now, session_lifetime(context), ending=ending_session(context)
    )
    return with_session(
        see_other(path, done=done), session_id, context.settings, lang=lang or chosen_language(user)
    )


def chosen_language(user: User) -> Language | None:
    return user.language if user.language.value != DEFAULT_LANGUAGE else None


def with_session(
    redirect: Redirect, session_id: str, settings: Settings, *, lang: Language | None
) -> Redirect:
    redirect.cookies.append(session_cookie(session_id, settings))
    if lang is not None:
        redirect.cookies.append(language_cookie(lang, settings))
    return redirect


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
    async def home(self, context: PageContextDep) -> Template:
        lang = context.lang
        async with context.db.read() as session:
            counts = await queries.resource_counts_by_factor(session)
            workshops = await workshop_counts_by_factor(session)
        factors = [
            {
                "key": factor.value,
                "name": text.localised(lang)[0],
                "description": text.localised(lang)[1],
                "count": counts.get(factor, 0),
                "workshops": workshops.get(factor, 0),
            }
            for factor, text in FACTOR_TEXTS.items()
        ]
        return context.render("home.html", factors=factors, notice=context.notice(HOME_NOTICES))

    @get("/login", name="login")
    async def login_form(self, context: PageContextDep, next: FromQuery[str] = "/") -> Template:
        return context.render("login.html", form=Form(values={"next": safe_next(next)}))

    @post("/login", name="login-submit")
    async def login(self, context: PageContextDep, data: URLEncodedBody[dict[str, str]]) -> Response[Any]:
        now = context.now
        email, password = data.get("email", ""), data.get("password", "")
        subjects = service.LoginSubjects.of(email, client_address(context.request))
        form = Form(values=form_values(data))
        try:
            # As the API does: no transaction is open while argon2 works (see service.sign_in).
            user = await service.sign_in(
                context.db, email=email, password=password, subjects=subjects, now=now
            )
        except LibraryError as problem:
            form.general = problem.detail(context.lang)
            return context.refused("login.html", problem, form=form)
        if user is None:
            form.general = message("invalid_credentials", context.lang)
            return context.render("login.html", status=401, form=form)
        return await signed_in(context, user, safe_next(data.get("next")))

    @post("/logout", name="logout")
    async def logout(self, viewer: ViewerDep, db: DatabaseDep) -> Redirect:
        if viewer.login_session is not None:
            await service.end_session(db, viewer.login_session.id)
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
            await service.set_language(db, viewer.user.id, lang)
        return Redirect(
            path=safe_next(data.get("next")),
            status_code=303,
            cookies=[language_cookie(lang, settings)],
        )
