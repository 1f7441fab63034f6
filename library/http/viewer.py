"""Who is asking: the user behind a request's bearer token or session cookie.

Handlers name what they need as a parameter: `viewer` (anyone), `user` (signed in, else 401).
Staff and admin routes are guarded where they are declared (`guards=[staff_only]` on the
controller or route): the guard runs before anything else is read from the request, so nobody
learns more than 401 (not signed in) or 403 (not allowed).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.di import NamedDependency, Provide
from litestar.handlers import BaseRouteHandler
from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import BeforeMessageSendHookHandler, Message, Scope
from litestar.utils.scope.state import ScopeState

from library.accounts import service
from library.accounts.models import LoginSession, Role, User
from library.clock import Clock
from library.config import Settings
from library.db import Database
from library.errors import NotAllowed, NotSignedIn

SESSION_COOKIE = "library_session"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Viewer:
    user: User | None = None
    via: Literal["token", "session"] | None = None
    token_id: int | None = None
    login_session: LoginSession | None = None

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.role.is_staff


ViewerDep = NamedDependency[Viewer]
UserDep = NamedDependency[User]


AnyConnection = ASGIConnection[Any, Any, Any, Any]


def bearer_token(request: AnyConnection) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("unauthenticated")
    return token.strip()


def client_address(request: Request[Any, Any, Any]) -> str:
    """Where a request comes from: failed password checks are counted against it too."""
    return request.client.host if request.client else "unknown"


async def viewer_of(request: AnyConnection) -> Viewer:
    """Who is asking, looked up once per request: by a guard, or for the handler that asks."""
    known = request.state.get("viewer")
    if isinstance(known, Viewer):
        return known
    viewer = await _find_viewer(request, request.app.state.db, request.app.state.clock)
    request.state.viewer = viewer  # error pages show the menu of whoever is signed in
    return viewer


async def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    return await viewer_of(request)


async def _find_viewer(request: AnyConnection, db: Database, clock: Clock) -> Viewer:
    now = clock.now()
    token = bearer_token(request)
    if token is not None:
        async with db.lookup() as connection:
            found = await service.user_for_token(connection, token, now)
        if found is None:
            # Credentials were given and are wrong, expired or revoked: say so, do not serve anonymously.
            raise NotSignedIn("unauthenticated")
        return Viewer(user=found[0], via="token", token_id=found[1])
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        csrf_token = session_csrf_token(session_id, request.app.state.settings.secret_key)
        # The forms of this page carry the session's token (the cookie follows, see csrf_cookie_hook).
        ScopeState.from_scope(request.scope).csrf_token = csrf_token
        async with db.read() as session:
            found_session = await service.user_for_session(session, session_id, now)
        if found_session is not None:
            if request.scope.get("method") in UNSAFE_METHODS:
                _check_csrf(request, csrf_token)
            return Viewer(user=found_session[0], via="session", login_session=found_session[1])
    return Viewer()


def session_csrf_token(session_id: str, secret_key: str) -> str:
    """The CSRF token of a browser session, derived from its id: a cookie and token pair of
    another session never passes. It has the form Litestar's CSRF middleware checks on pages
    (a random-looking secret followed by its HMAC)."""
    secret = hmac.new(secret_key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()
    return secret + generate_csrf_hash(secret, secret_key)


def _check_csrf(request: AnyConnection, session_token: str) -> None:
    """A change made with the session cookie must carry the session's own CSRF token: as the
    cookie (the middleware has checked the form's token against it on pages) and, from the API,
    echoed in a header."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not hmac.compare_digest(cookie, session_token):
        raise NotAllowed("csrf_failed")
    if request.url.path.startswith("/api/"):
        header = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(cookie, header):
            raise NotAllowed("csrf_failed")


def csrf_cookie_hook(settings: Settings) -> BeforeMessageSendHookHandler:
    """A `before_send` hook: a response that leaves with a browser session (one just started,
    or the request's) sets the CSRF cookie to that session's token unless it holds it already."""

    async def bind_csrf_cookie(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        set_cookies = headers.getall("set-cookie", [])
        started = [c for c in set_cookies if c.startswith(f"{SESSION_COOKIE}=")]
        cookies = ASGIConnection[Any, Any, Any, Any](scope).cookies
        if started:  # signed in just now, or out (an empty value)
            session_id = started[-1].split(";")[0].partition("=")[2].strip('"')
        else:
            session_id = cookies.get(SESSION_COOKIE, "")
        if not session_id:
            return
        token = session_csrf_token(session_id, settings.secret_key)
        if cookies.get(CSRF_COOKIE) == token:
            return
        # Instead of the random cookie the CSRF middleware sets when there was none.
        del headers["set-cookie"]
        for cookie in set_cookies:
            if not cookie.startswith(f"{CSRF_COOKIE}="):
                headers.add("set-cookie", cookie)
        bound = Cookie(key=CSRF_COOKIE, value=token, secure=settings.behind_https, samesite="lax")
        headers.add("set-cookie", bound.to_header(header=""))

    return bind_csrf_cookie


def _signed_in(viewer: Viewer) -> User:
    if viewer.user is None:
        raise NotSignedIn("unauthenticated")
    return viewer.user


async def provide_user(viewer: ViewerDep) -> User:
    return _signed_in(viewer)


async def staff_only(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Guard: staff and admins pass."""
    if not _signed_in(await viewer_of(connection)).role.is_staff:
        raise NotAllowed("forbidden")


async def admin_only(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Guard: admins pass."""
    if _signed_in(await viewer_of(connection)).role is not Role.ADMIN:
        raise NotAllowed("forbidden")


AUTH_DEPENDENCIES = {
    "viewer": Provide(provide_viewer),
    "user": Provide(provide_user),
}
