"""Who is asking: the user behind a request's bearer token or session cookie.

Handlers name what they need as a parameter: `viewer` (anyone), `user` (signed in, else 401).
Staff and admin routes are guarded where they are declared (`guards=[staff_only]` on the
controller or route): the guard runs before anything else is read from the request, so nobody
learns more than 401 (not signed in) or 403 (not allowed).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers import BaseRouteHandler

from library.accounts import service
from library.accounts.models import LoginSession, Role, User
from library.clock import Clock
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
        async with db.read() as session:
            found = await service.user_for_token(session, token, now)
        if found is None:
            # Credentials were given and are wrong, expired or revoked: say so, do not serve anonymously.
            raise NotSignedIn("unauthenticated")
        return Viewer(user=found[0], via="token", token_id=found[1].id)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        async with db.read() as session:
            found_session = await service.user_for_session(session, session_id, now)
        if found_session is not None:
            if request.scope.get("method") in UNSAFE_METHODS and request.url.path.startswith("/api/"):
                _check_api_csrf(request)
            return Viewer(user=found_session[0], via="session", login_session=found_session[1])
    return Viewer()


def _check_api_csrf(request: AnyConnection) -> None:
    """API calls made with the session cookie must echo the CSRF cookie in a header."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie, header):
        raise NotAllowed("csrf_failed")


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
