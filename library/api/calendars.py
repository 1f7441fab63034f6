"""Calendar feeds (API.md, Calendars) and the signed-in person's feed token."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, PathParameter

from library.api.common import language
from library.errors import NotFound
from library.http.caching import PRIVATE_CACHE, PUBLIC_CACHE, conditional
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep
from library.i18n import N_
from library.notify import feeds

CALENDAR = "text/calendar"  # Litestar adds "; charset=utf-8" to text types

FeedName = Annotated[str, PathParameter(description="The feed's name with `.ics`, e.g. `gruppenraum-1.ics`")]


class CalendarTokenOut(msgspec.Struct):
    url: str
    webcal_url: str


def calendar_response(request: Request[Any, Any, Any], feed: feeds.Feed) -> Response[bytes]:
    return conditional(
        request,
        feed.body,
        CALENDAR,
        cache_control=PRIVATE_CACHE if feed.private else PUBLIC_CACHE,
        # A private feed's address is its secret: do not hand it on as a referrer.
        headers={"Referrer-Policy": "no-referrer"} if feed.private else None,
    )


def no_feed() -> Exception:
    return NotFound(N_("The calendar"))


class CalendarsController(Controller):
    tags = ("calendars",)

    @get(
        "/calendar/resources/{feed:str}",
        summary="Busy times of a resource (iCalendar, public, no personal data)",
        media_type=CALENDAR,
    )
    async def resource_calendar(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        feed: FeedName,
    ) -> Response[bytes]:
        slug = feeds.feed_name(feed)
        if slug is None:
            raise no_feed()
        async with db.read() as session:
            found = await feeds.resource_feed(
                session, slug, now=clock.now(), base_url=settings.base_url, lang=language(request)
            )
        if found is None:
            raise NotFound(N_("The offer '%(slug)s'"), slug=slug)
        return calendar_response(request, found)

    @get(
        "/calendar/locations/{slug:str}/workshops.ics",
        summary="Upcoming workshop sessions at a location (iCalendar, public)",
        media_type=CALENDAR,
    )
    async def workshops_calendar(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        slug: FromPath[str],
    ) -> Response[bytes]:
        async with db.read() as session:
            found = await feeds.workshops_feed(
                session, slug, now=clock.now(), base_url=settings.base_url, lang=language(request)
            )
        if found is None:
            raise NotFound(N_("The location '%(slug)s'"), slug=slug)
        return calendar_response(request, found)

    @get(
        "/calendar/users/{feed:str}",
        summary="One person's bookings and registrations (iCalendar, private: the URL is the key)",
        media_type=CALENDAR,
    )
    async def user_calendar(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        feed: Annotated[str, PathParameter(description="The secret token with `.ics`")],
    ) -> Response[bytes]:
        token = feeds.feed_name(feed)
        if token is None:
            raise no_feed()
        async with db.read() as session:
            found = await feeds.user_feed(session, token, now=clock.now(), base_url=settings.base_url)
        if found is None:
            raise no_feed()
        return calendar_response(request, found)

    @post(
        "/api/v1/me/calendar-token",
        summary="A new address for the caller's private calendar feed; the old one stops working",
        status_code=201,
    )
    async def renew_calendar_token(
        self, user: UserDep, db: DatabaseDep, settings: SettingsDep
    ) -> CalendarTokenOut:
        token = await feeds.renew_calendar_token(db, user.id)
        url = feeds.user_feed_url(settings.base_url, token)
        return CalendarTokenOut(url=url, webcal_url="webcal://" + url.split("://", 1)[1])

    @delete(
        "/api/v1/me/calendar-token",
        summary="Switch the caller's private calendar feed off",
        status_code=204,
    )
    async def revoke_calendar_token(self, user: UserDep, db: DatabaseDep) -> None:
        await feeds.revoke_calendar_token(db, user.id)
