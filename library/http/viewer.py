"""Who is asking: the user behind a request's bearer token or session cookie.

Handlers name what they need as a parameter: `viewer` (anyone), `user` (signed in, else 401),
`staff` (staff or admin, else 403), `admin` (admin, else 403).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Request
from litestar.di import NamedDependency, Provide

from library.accounts import service
from library.accounts.models import LoginSession, Role, User
from library.errors import NotAllowed, NotSignedIn
from library.http.deps import ClockDep, DatabaseDep

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


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
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


async def provide_viewer(request: Request[Any, Any, Any], db: DatabaseDep, clock: ClockDep) -> Viewer:
    viewer = await _find_viewer(request, db, clock)
    request.state.viewer = viewer  # error pages show the menu of whoever is signed in
    return viewer


async def _find_viewer(request: Request[Any, Any, Any], db: DatabaseDep, clock: ClockDep) -> Viewer:
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
            if request.method in UNSAFE_METHODS and request.url.path.startswith("/api/"):
                _check_api_csrf(request)
            return Viewer(user=found_session[0], via="session", login_session=found_session[1])
    return Viewer()


def _check_api_csrf(request: Request[Any, Any, Any]) -> None:
    """API calls made with the session cookie must echo the CSRF cookie in a header."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie, header):
        raise NotAllowed("csrf_failed")


async def provide_user(viewer: ViewerDep) -> User:
    if viewer.user is None:
        raise NotSignedIn("unauthenticated")
    return viewer.user


async def provide_staff(user: UserDep) -> User:
    if not user.role.is_staff:
        raise NotAllowed("forbidden")
    return user


async def provide_admin(user: UserDep) -> User:
    if user.role is not Role.ADMIN:
        raise NotAllowed("forbidden")
    return user


AUTH_DEPENDENCIES = {
    "viewer": Provide(provide_viewer),
    "user": Provide(provide_user),
    "staff": Provide(provide_staff),
    "admin": Provide(provide_admin),
}
