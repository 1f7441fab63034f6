"""Who may do what, checked for every route the app has: the table below is the contract.

The route list comes from the application itself, so a new route that is missing from the table
fails `test_every_route_is_in_the_access_table`. Every route is then tried as five people:
nobody, the visitor who owns the test objects, another visitor, staff and an admin. A "deny"
means 401 (API) or a redirect to the sign-in page (pages) for nobody, and 403 or 404 for a
signed-in person; an "allow" means anything else short of a server error (a 422 for an empty
form still shows the door was open).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from litestar import Litestar
from litestar.routes import HTTPRoute

from library.accounts import service
from library.accounts.models import Role, User
from library.catalog.models import Factor, ResourceKind
from library.clock import SettableClock
from library.db import Database
from library.http.viewer import session_csrf_token
from library.notify.feeds import renew_calendar_token
from tests.support import factories
from tests.support.api import Client
from tests.support.factories import bearer
from tests.support.times import FRIDAY, at

Who = Literal["anonymous", "owner", "other", "staff", "admin"]
PEOPLE: tuple[Who, ...] = ("anonymous", "owner", "other", "staff", "admin")


@dataclass(frozen=True)
class Rule:
    """Who gets through; the rest are turned away. `hides` rules may answer 404 instead of 403,
    so that nobody learns whether another person's booking exists."""

    allowed: frozenset[Who]
    hides: bool = False

    @classmethod
    def of(cls, *who: Who, hides: bool = False) -> Rule:
        return cls(frozenset(who), hides)


PUBLIC = Rule.of(*PEOPLE)
SIGNED_IN = Rule.of("owner", "other", "staff", "admin")
OWNER_OR_STAFF = Rule.of("owner", "staff", "admin", hides=True)
OWNER = Rule.of("owner", hides=True)  # the visitor's own pages about their own things
STAFF = Rule.of("staff", "admin")
ADMIN = Rule.of("admin")

ACCESS: dict[tuple[str, str], Rule] = {
    # API: catalogue, public reading
    ("GET", "/api/v1/factors"): PUBLIC,
    ("GET", "/api/v1/locations"): PUBLIC,
    ("GET", "/api/v1/locations/{slug}/day"): PUBLIC,
    ("GET", "/api/v1/locations/{slug}/opening-hours"): PUBLIC,
    ("GET", "/api/v1/resources"): PUBLIC,
    ("GET", "/api/v1/resources/{slug}"): PUBLIC,
    ("GET", "/api/v1/resources/{slug}/availability"): PUBLIC,
    ("GET", "/api/v1/certifications"): PUBLIC,
    ("GET", "/api/v1/workshops"): PUBLIC,
    ("GET", "/api/v1/workshops/{slug}"): PUBLIC,
    # API: accounts
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/tokens"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/{token}"): PUBLIC,
    ("POST", "/api/v1/auth/verify"): PUBLIC,
    ("DELETE", "/api/v1/auth/tokens/current"): SIGNED_IN,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("DELETE", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/me/export"): SIGNED_IN,
    ("POST", "/api/v1/me/verification"): SIGNED_IN,
    ("POST", "/api/v1/me/calendar-token"): SIGNED_IN,
    ("DELETE", "/api/v1/me/calendar-token"): SIGNED_IN,
    # API: bookings
    ("GET", "/api/v1/bookings"): SIGNED_IN,
    ("POST", "/api/v1/bookings"): SIGNED_IN,
    ("GET", "/api/v1/bookings/{booking_id}"): OWNER_OR_STAFF,
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): OWNER_OR_STAFF,
    ("POST", "/api/v1/booking-series/{series_id}/cancel"): OWNER_OR_STAFF,
    ("POST", "/api/v1/bookings/{booking_id}/check-in"): OWNER_OR_STAFF,
    ("PATCH", "/api/v1/bookings/{booking_id}"): OWNER_OR_STAFF,
    ("POST", "/api/v1/bookings/{booking_id}/undo-check-in"): OWNER_OR_STAFF,
    ("POST", "/api/v1/bookings/{booking_id}/approve"): STAFF,
    ("POST", "/api/v1/bookings/{booking_id}/reject"): STAFF,
    # API: holds (a person's own; staff do not answer offers for others)
    ("GET", "/api/v1/holds"): SIGNED_IN,
    ("POST", "/api/v1/holds"): SIGNED_IN,
    ("POST", "/api/v1/holds/{hold_id}/accept"): OWNER,
    ("POST", "/api/v1/holds/{hold_id}/cancel"): OWNER,
    # API: loans
    ("GET", "/api/v1/loans"): SIGNED_IN,
    ("POST", "/api/v1/loans"): SIGNED_IN,
    ("GET", "/api/v1/loans/{loan_id}"): OWNER_OR_STAFF,
    ("POST", "/api/v1/loans/{loan_id}/checkout"): STAFF,
    ("POST", "/api/v1/loans/{loan_id}/return"): STAFF,
    ("POST", "/api/v1/loans/{loan_id}/renew"): OWNER_OR_STAFF,
    ("POST", "/api/v1/loans/{loan_id}/cancel"): OWNER_OR_STAFF,
    # API: workshops
    ("GET", "/api/v1/registrations"): SIGNED_IN,
    ("POST", "/api/v1/registrations/{registration_id}/accept"): OWNER_OR_STAFF,
    ("POST", "/api/v1/registrations/{registration_id}/cancel"): OWNER_OR_STAFF,
    ("POST", "/api/v1/workshop-sessions/{session_id}/registrations"): SIGNED_IN,
    ("GET", "/api/v1/workshop-sessions/{session_id}/registrations"): STAFF,
    ("PATCH", "/api/v1/workshop-sessions/{session_id}"): STAFF,
    ("POST", "/api/v1/workshop-sessions/{session_id}/attendance"): STAFF,
    ("POST", "/api/v1/workshop-sessions/{session_id}/participants"): STAFF,
    ("POST", "/api/v1/workshop-sessions/{session_id}/cancel"): STAFF,
    ("POST", "/api/v1/workshop-sessions/{session_id}/draw"): STAFF,
    ("POST", "/api/v1/workshops"): STAFF,
    ("POST", "/api/v1/workshops/{slug}/sessions"): STAFF,
    ("PATCH", "/api/v1/workshops/{slug}"): STAFF,
    ("POST", "/api/v1/workshops/{slug}/duplicate"): STAFF,
    ("POST", "/api/v1/workshop-sessions/{session_id}/message"): STAFF,
    ("POST", "/api/v1/users/{user_id}/certifications"): STAFF,
    ("DELETE", "/api/v1/users/{user_id}/certifications/{key}"): STAFF,
    # API: inventory and house rules (staff)
    ("POST", "/api/v1/resources"): STAFF,
    ("PATCH", "/api/v1/resources/{slug}"): STAFF,
    ("POST", "/api/v1/resources/{slug}/units"): STAFF,
    ("PATCH", "/api/v1/units/{unit_id}"): STAFF,
    ("POST", "/api/v1/units/{unit_id}/blocks"): STAFF,
    ("DELETE", "/api/v1/blocks/{block_id}"): STAFF,
    # API: defects and maintenance
    ("GET", "/api/v1/units/{unit_id}"): STAFF,
    ("POST", "/api/v1/units/{unit_id}/reports"): SIGNED_IN,
    ("GET", "/api/v1/reports"): STAFF,
    ("POST", "/api/v1/reports/{report_id}/close"): STAFF,
    ("PUT", "/api/v1/resources/{slug}/maintenance"): STAFF,
    ("POST", "/api/v1/units/{unit_id}/services"): STAFF,
    ("GET", "/api/v1/maintenance/due"): STAFF,
    ("POST", "/api/v1/units/{unit_id}/quiet-block"): STAFF,
    ("PUT", "/api/v1/locations/{slug}/weekly-hours"): STAFF,
    ("POST", "/api/v1/locations/{slug}/exceptions"): STAFF,
    ("GET", "/api/v1/locations/{slug}/exceptions/impact"): STAFF,
    ("POST", "/api/v1/exceptions"): STAFF,
    ("PUT", "/api/v1/exceptions/{exception_id}"): STAFF,
    ("DELETE", "/api/v1/exceptions/{exception_id}"): STAFF,
    ("GET", "/api/v1/outbox"): STAFF,
    ("POST", "/api/v1/resources/{slug}/photos"): STAFF,
    ("DELETE", "/api/v1/resources/{slug}/photos/{photo_id}"): STAFF,
    ("POST", "/api/v1/workshops/{slug}/photos"): STAFF,
    ("DELETE", "/api/v1/workshops/{slug}/photos/{photo_id}"): STAFF,
    ("GET", "/api/v1/stats/utilisation"): STAFF,
    ("GET", "/api/v1/stats/heatmap"): STAFF,
    ("GET", "/api/v1/stats/people"): STAFF,
    ("GET", "/api/v1/stats/workshops"): STAFF,
    ("GET", "/api/v1/stats/demand"): STAFF,
    ("GET", "/api/v1/stats/loans"): STAFF,
    ("GET", "/api/v1/stats/trends"): STAFF,
    ("POST", "/api/v1/outbox/{message_id}/retry"): STAFF,
    ("GET", "/api/v1/users"): STAFF,
    ("POST", "/api/v1/users"): STAFF,
    ("PATCH", "/api/v1/users/{user_id}"): STAFF,
    # Calendar feeds: the secret in the address is the key (the public feed shows no names)
    ("GET", "/calendar/resources/{feed}"): PUBLIC,
    ("GET", "/calendar/users/{feed}"): PUBLIC,
    ("GET", "/calendar/locations/{slug}/workshops.ics"): PUBLIC,
    # Open data: counts and public facts only, for the city's platforms
    ("GET", "/sta/v1.1"): PUBLIC,
    ("GET", "/sta/v1.1/{path}"): PUBLIC,
    ("GET", "/opendata/catalog.jsonld"): PUBLIC,
    ("GET", "/opendata/utilisation.csv"): PUBLIC,
    ("GET", "/api/v1/events.jsonld"): PUBLIC,
    # API documentation and static files
    ("GET", "/schema"): PUBLIC,
    ("GET", "/schema/openapi.json"): PUBLIC,
    ("GET", "/schema/oauth2-redirect.html"): PUBLIC,
    ("GET", "/schema/{path}"): PUBLIC,
    ("GET", "/schema/assets/{file_path}"): PUBLIC,
    ("GET", "/static/{file_path}"): PUBLIC,
    ("GET", "/media/{name}"): PUBLIC,
    # Pages everyone sees
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/catalogue"): PUBLIC,
    ("GET", "/resources/{slug}"): PUBLIC,
    ("GET", "/workshops"): PUBLIC,
    ("GET", "/workshops/{slug}"): PUBLIC,
    ("GET", "/bookings/{booking_id}"): PUBLIC,  # the link in mails: a redirect to my bookings
    ("GET", "/registrations/{registration_id}"): PUBLIC,  # likewise, to my workshops
    ("GET", "/display/{location_slug}"): PUBLIC,  # the door display: no personal data
    ("GET", "/display/{location_slug}/{resource_slug}"): PUBLIC,  # a room's door, the same
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/register"): PUBLIC,
    ("POST", "/register"): PUBLIC,
    ("GET", "/password-reset"): PUBLIC,
    ("POST", "/password-reset"): PUBLIC,
    ("GET", "/password-reset/{token}"): PUBLIC,
    ("GET", "/verify-email/{token}"): PUBLIC,
    ("POST", "/verify-email/{token}"): PUBLIC,
    ("POST", "/password-reset/{token}"): PUBLIC,
    # A GET on a button's address (e.g. after signing in again) only leads back to its page
    ("GET", "/resources/{slug}/book"): PUBLIC,
    ("GET", "/workshops/{slug}/sessions/{session_id}/register"): PUBLIC,
    ("GET", "/my/bookings/{booking_id}/cancel"): OWNER,  # the confirmation step
    ("GET", "/my/series/{series_id}/cancel"): OWNER,
    ("GET", "/my/bookings/{booking_id}/check-in"): PUBLIC,
    ("GET", "/my/workshops/{registration_id}/accept"): PUBLIC,
    ("GET", "/my/workshops/{registration_id}/cancel"): PUBLIC,
    ("GET", "/account/calendar"): PUBLIC,
    ("GET", "/account/calendar/off"): PUBLIC,
    # Pages of a signed-in visitor
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account"): SIGNED_IN,
    ("POST", "/account/verification"): SIGNED_IN,
    ("POST", "/account/calendar"): SIGNED_IN,
    ("POST", "/account/library-card"): SIGNED_IN,
    ("POST", "/account/calendar/off"): SIGNED_IN,
    ("GET", "/account/export"): SIGNED_IN,
    ("GET", "/account/delete"): SIGNED_IN,
    ("POST", "/account/delete"): SIGNED_IN,
    ("POST", "/resources/{slug}/book"): SIGNED_IN,
    ("POST", "/resources/{slug}/loan"): SIGNED_IN,
    ("GET", "/my/loans"): SIGNED_IN,
    ("POST", "/my/loans/{loan_id}/renew"): OWNER,
    ("GET", "/my/loans/{loan_id}/cancel"): OWNER,
    ("POST", "/my/loans/{loan_id}/cancel"): OWNER,
    ("POST", "/workshops/{slug}/sessions/{session_id}/register"): SIGNED_IN,
    ("GET", "/my/bookings"): SIGNED_IN,
    ("GET", "/my/holds"): SIGNED_IN,
    ("GET", "/my/holds/{hold_id}/cancel"): OWNER,  # the confirmation step
    ("POST", "/my/holds/{hold_id}/accept"): OWNER,
    ("POST", "/my/holds/{hold_id}/cancel"): OWNER,
    ("GET", "/resources/{slug}/hold"): SIGNED_IN,
    ("POST", "/resources/{slug}/hold"): SIGNED_IN,
    ("POST", "/my/bookings/{booking_id}/cancel"): OWNER,
    ("POST", "/my/series/{series_id}/cancel"): OWNER,
    ("POST", "/my/bookings/{booking_id}/check-in"): OWNER,
    ("GET", "/my/bookings/{booking_id}/move"): OWNER,
    ("POST", "/my/bookings/{booking_id}/move"): OWNER,
    ("GET", "/my/bookings/{file_name}"): OWNER,
    ("GET", "/my/workshops"): SIGNED_IN,
    ("POST", "/my/workshops/{registration_id}/accept"): OWNER_OR_STAFF,
    ("POST", "/my/workshops/{registration_id}/cancel"): OWNER_OR_STAFF,
    # The back office
    ("GET", "/staff"): STAFF,
    ("GET", "/staff/bookings"): STAFF,
    ("GET", "/staff/resources/{slug}/holds"): STAFF,
    ("GET", "/staff/loans"): STAFF,
    ("POST", "/staff/loans/new"): STAFF,
    ("POST", "/staff/loans/{loan_id}/checkout"): STAFF,
    ("POST", "/staff/loans/{loan_id}/return"): STAFF,
    ("GET", "/staff/bookings/new"): STAFF,
    ("GET", "/staff/desk"): STAFF,
    ("GET", "/staff/bookings/{booking_id}"): STAFF,
    ("POST", "/staff/bookings/new"): STAFF,
    ("POST", "/staff/bookings/{booking_id}/{action}"): STAFF,
    ("GET", "/staff/certifications"): STAFF,
    ("POST", "/staff/certifications/grant"): STAFF,
    ("POST", "/staff/certifications/revoke"): STAFF,
    ("GET", "/staff/outbox"): STAFF,
    ("GET", "/staff/outbox/{message_id}"): STAFF,
    ("GET", "/staff/stats"): STAFF,
    ("GET", "/staff/stats/report"): STAFF,
    ("POST", "/staff/outbox/{message_id}/retry"): STAFF,
    ("GET", "/staff/workshops"): STAFF,
    ("POST", "/staff/workshops"): STAFF,
    ("POST", "/staff/workshops/sessions"): STAFF,
    ("GET", "/staff/workshops/sessions/{session_id}"): STAFF,
    ("GET", "/staff/workshops/sessions/{session_id}/participants.csv"): STAFF,
    ("GET", "/staff/workshops/sessions/{session_id}/door"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/participants"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/mail"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/attendance"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/cancel"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/draw"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/move"): STAFF,
    ("POST", "/staff/workshops/sessions/{session_id}/edit"): STAFF,
    ("GET", "/staff/workshops/{slug}/edit"): STAFF,
    ("POST", "/staff/workshops/{slug}/edit"): STAFF,
    ("GET", "/staff/workshops/{slug}/copy"): STAFF,
    ("POST", "/staff/workshops/{slug}/copy"): STAFF,
    ("GET", "/staff/resources"): STAFF,
    ("GET", "/staff/resources/new"): STAFF,
    ("POST", "/staff/resources/new"): STAFF,
    ("GET", "/staff/resources/{slug}"): STAFF,
    ("POST", "/staff/resources/{slug}"): STAFF,
    ("POST", "/staff/resources/{slug}/units"): STAFF,
    ("GET", "/staff/resources/export.csv"): STAFF,
    ("GET", "/staff/resources/import"): STAFF,
    ("POST", "/staff/resources/import"): STAFF,
    ("POST", "/staff/resources/{slug}/photos"): STAFF,
    ("POST", "/staff/resources/{slug}/photos/{photo_id}/delete"): STAFF,
    ("GET", "/staff/workshops/{slug}/photos"): STAFF,
    ("POST", "/staff/workshops/{slug}/photos"): STAFF,
    ("POST", "/staff/workshops/{slug}/photos/{photo_id}/delete"): STAFF,
    ("GET", "/staff/units/{unit_id}"): STAFF,
    ("POST", "/staff/units/{unit_id}"): STAFF,
    ("POST", "/staff/units/{unit_id}/blocks"): STAFF,
    ("POST", "/staff/units/{unit_id}/retire"): STAFF,
    ("POST", "/staff/blocks/{block_id}/lift"): STAFF,
    ("GET", "/u/{code}"): PUBLIC,
    ("POST", "/u/{code}/report"): SIGNED_IN,
    ("GET", "/staff/defects"): STAFF,
    ("POST", "/staff/defects/plan"): STAFF,
    ("POST", "/staff/defects/{report_id}/close"): STAFF,
    ("POST", "/staff/defects/units/{unit_id}/serviced"): STAFF,
    ("POST", "/staff/defects/units/{unit_id}/quiet-block"): STAFF,
    ("GET", "/staff/labels"): STAFF,
    ("GET", "/staff/hours"): STAFF,
    ("POST", "/staff/hours/{slug}/week"): STAFF,
    ("POST", "/staff/hours/{slug}/exceptions"): STAFF,
    ("GET", "/staff/hours/exceptions/{exception_id}"): STAFF,
    ("POST", "/staff/hours/exceptions/{exception_id}"): STAFF,
    ("POST", "/staff/hours/exceptions/{exception_id}/remove"): STAFF,
    ("GET", "/staff/audit"): STAFF,
    ("GET", "/staff/users"): ADMIN,
    ("GET", "/staff/people"): STAFF,
    ("GET", "/staff/people/{user_id}"): STAFF,
    ("POST", "/staff/people"): STAFF,
    ("POST", "/staff/people/{user_id}/birth-date"): STAFF,
    ("POST", "/staff/people/{user_id}/card"): STAFF,
    ("POST", "/staff/users/{user_id}/active"): ADMIN,
    ("POST", "/staff/users/{user_id}/role"): ADMIN,
}

SKIPPED_METHODS = {"HEAD", "OPTIONS"}  # answered by Litestar itself for every path
PARAMETER = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = PARAMETER.sub(lambda match: "{" + match.group(1) + "}", route.path)
        for handler in route.route_handlers:
            found.update((method, path) for method in handler.http_methods if method not in SKIPPED_METHODS)
    return found


def test_every_route_is_in_the_access_table(client: Client) -> None:
    routes = app_routes(client.app)
    missing = sorted(routes - ACCESS.keys())
    stale = sorted(ACCESS.keys() - routes)
    assert not missing, f"routes without an access rule (add them to ACCESS): {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


# --- trying every route as everyone ---------------------------------------------------------


@dataclass
class World:
    """The things the routes are tried on, all belonging to the owner where they belong to anyone."""

    people: dict[Who, User | None]
    subject: User  # the account admin pages change, so the five above stay as they are
    values: dict[str, str]


async def build_world(client: Client, db: Database) -> World:
    location = await factories.create_location(db)
    resource = await factories.create_resource(db, location, "gruppenraum", kind=ResourceKind.ROOM, units=2)
    await factories.create_resource(db, location, "forum", kind=ResourceKind.ROOM)
    certification = await factories.create_certification(db, "laser-cutter", name="Einweisung Lasercutter")
    people: dict[Who, User | None] = {
        "anonymous": None,
        "owner": await factories.create_user(db, "owner@example.org", name="Olga Owner"),
        "other": await factories.create_user(db, "other@example.org", name="Otto Other"),
        "staff": await factories.create_user(db, "staff@example.org", name="Sam Staff", role=Role.STAFF),
        "admin": await factories.create_user(db, "admin@example.org", name="Ada Admin", role=Role.ADMIN),
    }
    subject = await factories.create_user(db, "subject@example.org", name="Sue Subject")
    staff = bearer(await factories.get_token(client, "staff@example.org"))
    owner = bearer(await factories.get_token(client, "owner@example.org"))

    booking = await client.post(
        "/api/v1/bookings",
        json={"resource": "gruppenraum", "start": at(FRIDAY, 10), "end": at(FRIDAY, 11)},
        headers=owner,
    )
    assert booking.status_code == 201, booking.text
    series = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum",
            "start": at(FRIDAY, 16),
            "end": at(FRIDAY, 17),
            "repeat": {"freq": "weekly", "count": 2},
        },
        headers=owner,
    )
    assert series.status_code == 201, series.text
    workshop = await client.post(
        "/api/v1/workshops",
        json={"title": "Einführung", "description": "", "factor": "knowhow"},
        headers=staff,
    )
    assert workshop.status_code == 201, workshop.text
    slug = workshop.json()["slug"]
    session = await client.post(
        f"/api/v1/workshops/{slug}/sessions",
        json={"start": at(FRIDAY, 14), "end": at(FRIDAY, 16), "room": "forum", "capacity": 5},
        headers=staff,
    )
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    registration = await client.post(f"/api/v1/workshop-sessions/{session_id}/registrations", headers=owner)
    assert registration.status_code == 201, registration.text
    unit_id = resource.units[0].id
    block = await client.post(
        f"/api/v1/units/{resource.units[1].id}/blocks",
        json={"start": at(FRIDAY, 8), "end": at(FRIDAY, 9), "reason": "Wartung"},
        headers=staff,
    )
    assert block.status_code == 201, block.text
    hold = await client.post(
        "/api/v1/holds",
        json={"resource": "gruppenraum", "from": at(FRIDAY, 10), "to": at(FRIDAY, 12)},
        headers=owner,
    )
    assert hold.status_code == 201, hold.text
    messages = (await client.get("/api/v1/outbox", headers=staff)).json()["items"]
    assert messages, "booking and registration queue messages"
    await factories.create_resource(
        db, location, "akkuschrauber", kind=ResourceKind.LOAN, factor=Factor.TECHNOLOGY, loan_parts=["Akku"]
    )
    loan = await client.post(
        "/api/v1/loans", json={"resource": "akkuschrauber", "pickup": str(FRIDAY)}, headers=owner
    )
    assert loan.status_code == 201, loan.text
    feed = await renew_calendar_token(db, people["owner"].id)  # type: ignore[union-attr]
    booking_id = booking.json()["id"]
    return World(
        people=people,
        subject=subject,
        values={
            "booking_id": str(booking_id),
            "hold_id": str(hold.json()["id"]),
            "loan_id": str(loan.json()["id"]),
            "registration_id": str(registration.json()["id"]),
            "session_id": str(session_id),
            "unit_id": str(unit_id),
            "block_id": str(block.json()["id"]),
            "message_id": str(messages[0]["id"]),
            "user_id": str(subject.id),
            "key": certification.key,
            "feed": f"{feed}.ics",
            "token": "not-a-real-reset-token",
            "file_name": f"{booking_id}.ics",
            "file_path": "site.css",
            "path": "nothing-here",
            "action": "check-in",
            "workshop": slug,
            "location": location.slug,
            "location_slug": location.slug,
            "exception_id": "1",
            "resource": "gruppenraum",
            "photo_id": "1",
            "name": "no-such-photo-320.webp",
            "resource_slug": "gruppenraum",
            "series_id": str(series.json()["series_id"]),
            "code": resource.units[0].code,
            "report_id": "1",
        },
    )


def concrete(path: str, world: World) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        before = path[: match.start()]
        if name == "feed" and before.endswith("/resources/"):
            return f"{world.values['resource']}.ics"
        if name != "slug":
            return world.values[name]
        if before.endswith(("/locations/", "/display/", "/hours/")):
            return world.values["location"]
        if before.endswith("/workshops/"):
            return world.values["workshop"]
        return world.values["resource"]

    filled = PARAMETER.sub(value, path)
    if path == "/static/{file_path}":
        return "/static/site.css"
    if path == "/schema/assets/{file_path}":
        return "/schema/assets/swagger-ui.css"
    return filled


async def credentials(db: Database, user: User | None, clock: SettableClock) -> tuple[str | None, str | None]:
    """A fresh token and browser session per request: a route may sign its caller out."""
    if user is None:
        return None, None
    async with db.write() as session:
        token, _ = await service.issue_token_within(session, user, clock.now(), timedelta(hours=1))
        session_id, _ = await service.start_session_within(session, user, clock.now(), timedelta(hours=1))
    return token, session_id


def is_page(path: str) -> bool:
    return not path.startswith(("/api/", "/calendar/", "/schema", "/static/"))


async def attempt(
    client: Client, db: Database, clock: SettableClock, world: World, method: str, path: str, who: Who
) -> tuple[int, str]:
    token, session_id = await credentials(db, world.people[who], clock)
    url = concrete(path, world)
    client.cookies.pop("library_session", None)
    if is_page(path):
        if session_id:
            client.cookies.set("library_session", session_id)
            # The session's own CSRF token, as the pages it was signed in on would have set it.
            bound = session_csrf_token(session_id, client.app.state.settings.secret_key)
            client.cookies.set("csrftoken", bound, domain="testserver.local")
        form = {"_csrf_token": client.cookies.get("csrftoken", "")}
        response = await client.request(method, url, data=form if method != "GET" else None)
    else:
        headers = bearer(token) if token else {}
        body: dict[str, str] | None = {} if method in ("POST", "PUT", "PATCH", "DELETE") else None
        response = await client.request(method, url, json=body, headers=headers)
    return response.status_code, response.headers.get("location", "")


def turned_away(status: int, location: str, who: Who, path: str, rule: Rule) -> bool:
    if who == "anonymous":
        if is_page(path):
            return status in (302, 303) and location.startswith("/login")
        return status == 401
    if rule.hides:  # API.md: another person's booking or registration is a 404, never a 403
        return status == 404 or (is_page(path) and status == 403)
    # A 404 elsewhere is an open door to something already gone (e.g. a block lifted just before).
    return status == 403


async def test_every_route_lets_in_exactly_who_the_table_says(
    client: Client, db: Database, clock: SettableClock
) -> None:
    world = await build_world(client, db)
    await client.get("/login")  # the CSRF cookie that page forms echo
    client.follow_redirects = False
    wrong: list[str] = []
    # Reading first, then changing; the people turned away first, so nothing has changed yet for them.
    ordered = sorted(ACCESS.items(), key=lambda item: (item[0][0] != "GET", item[0][1]))
    for (method, path), rule in ordered:
        for who in sorted(PEOPLE, key=lambda person: person in rule.allowed):
            status, location = await attempt(client, db, clock, world, method, path, who)
            if status >= 500:
                wrong.append(f"{method} {path} as {who}: server error {status}")
            elif (who in rule.allowed) == turned_away(status, location, who, path, rule):
                expected = "allowed" if who in rule.allowed else "turned away"
                wrong.append(f"{method} {path} as {who}: {status} {location} but should be {expected}")
    assert not wrong, "\n".join(wrong)


async def test_a_staff_route_turns_callers_away_before_it_reads_their_input(
    client: Client, db: Database
) -> None:
    """The guard runs before query parameters and bodies are read: 401, then 403, then 422."""
    await factories.create_user(db, "visitor@example.org")
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    visitor = bearer(await factories.get_token(client, "visitor@example.org"))
    staff = bearer(await factories.get_token(client, "staff@example.org"))
    for headers, status in (({}, 401), (visitor, 403), (staff, 422)):
        listed = await client.get("/api/v1/outbox?status=nonsense", headers=headers)
        assert listed.status_code == status, listed.text
        created = await client.post("/api/v1/resources", json={"capacity": "3"}, headers=headers)
        assert created.status_code == status, created.text
