"""Workshop pages for visitors: upcoming sessions, one workshop with sign-up, and my registrations.

Sign-up, cancelling and taking up an offered place call the same workshop service as the API
(library/workshops/service.py); a refusal (age, window, already registered) is shown at the
session the person tried, with what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from library.accounts.verification import ensure_email_verified
from library.booking.queries import load_booker
from library.booking.rules import Refusal
from library.booking.service import RuleBroken
from library.catalog.factors import FACTOR_TEXTS
from library.catalog.models import Factor, Location
from library.errors import Bilingual, LibraryError, NotFound
from library.http.deps import ClockDep, DatabaseDep
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import UserDep
from library.i18n import N_, Lang, pick, translate
from library.opendata.events import script_json, upcoming_events
from library.pictures.queries import workshop_photos
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, safe_next, see_other
from library.workshops import service
from library.workshops.models import (
    Registration,
    RegistrationStatus,
    SignupMode,
    Workshop,
    WorkshopSession,
)
from library.workshops.queries import (
    Tally,
    registrations_of,
    session_tallies,
    stream_for,
    upcoming_sessions,
    workshop_with_sessions,
)
from library.workshops.rules import WorkshopFacts, check_person, session_state

PAGE_SIZE = 30
FACTORS = {factor.value: factor for factor in Factor}

NOTICES = {
    "confirmed": N_("You are registered: your place is confirmed. A confirmation is on its way by e-mail."),
    "waitlisted": N_(
        "The session is full, so you are on the waitlist. We will write to you when a place becomes free."
    ),
    "entered": N_("You are in the lottery. We will write to you after the draw."),
    "cancelled": N_("Your registration is cancelled."),
    "accepted": N_("You have taken up the place. See you there!"),
}
WITHOUT_MAIL = {
    "confirmed": N_("You are registered: your place is confirmed."),
    "waitlisted": N_(
        "The session is full, so you are on the waitlist. Look here again: a freed place is offered in turn."
    ),
}
"""The notices while no mail server is configured: they promise no e-mail."""


@dataclass(frozen=True)
class SessionView:
    """A session as a page shows it: when and where (in its location's time zone), how full,
    and the reader's own registration, if any."""

    session: WorkshopSession
    state: str  # upcoming, open, full, closed or drawn (library.workshops.rules.session_state)
    tally: Tally
    mine: Registration | None = None

    @property
    def stream(self) -> str | None:
        """The stream's address, where the reader may see it (their confirmed place, or public)."""
        return stream_for(self.mine, self.session)

    @property
    def workshop(self) -> Workshop:
        return self.session.workshop

    @property
    def zone(self) -> str:
        return self.session.resource.location.timezone

    @property
    def lottery(self) -> bool:
        return self.session.mode is SignupMode.LOTTERY

    @property
    def places_left(self) -> int:
        """Places of the session's `capacity` kind left (in the room, or online for an online session)."""
        return max(0, self.session.capacity - self.tally.room_taken(self.session))

    @property
    def online_places_left(self) -> int | None:
        """A hybrid session's online places left; None for any other session."""
        if self.session.online_capacity is None:
            return None
        return max(0, self.session.online_capacity - self.tally.online_taken)

    @property
    def online_full(self) -> bool:
        """A hybrid session's online places are all taken (sign-up joins their waitlist)."""
        return self.online_places_left == 0

    @property
    def room_full(self) -> bool:
        return self.places_left == 0

    @property
    def can_sign_up(self) -> bool:
        return self.state in ("open", "full") and self.mine is None


def session_views(
    sessions: Sequence[WorkshopSession],
    tallies: dict[int, Tally],
    now: datetime,
    mine: Sequence[Registration] = (),
) -> list[SessionView]:
    # A cancelled registration does not stand in the way of signing up again.
    live = {r.session_id: r for r in mine if r.status is not RegistrationStatus.CANCELLED}
    return [
        SessionView(
            session=s,
            state=session_state(
                service.session_facts(s), now, tallies[s.id].taken, tallies[s.id].online_taken
            ),
            tally=tallies[s.id],
            mine=live.get(s.id),
        )
        for s in sessions
    ]


def factor_choices(lang: Lang) -> list[tuple[str, str]]:
    return [(factor.value, text.localised(lang)[0]) for factor, text in FACTOR_TEXTS.items()]


def page_url(chosen: dict[str, str], number: int) -> str:
    """The list with the same filters, another page of it."""
    query = {key: value for key, value in chosen.items() if value}
    if number > 1:
        query["page"] = str(number)
    return f"/workshops?{urlencode(query)}" if query else "/workshops"


def by_local_day(views: list[SessionView]) -> list[tuple[date, list[SessionView]]]:
    """Sessions grouped under the local date they start on, in order."""
    days: list[tuple[date, list[SessionView]]] = []
    for view in views:
        day = view.session.start_at.astimezone(ZoneInfo(view.zone)).date()
        if days and days[-1][0] == day:
            days[-1][1].append(view)
        else:
            days.append((day, [view]))
    return days


@dataclass(frozen=True)
class SignupError:
    """Why this person cannot sign up for a session, with where to go next (a workshop, the account)."""

    session_id: int
    message: str
    needs_birth_date: bool
    workshop_slug: str | None = None
    workshop_title: Bilingual | None = None


async def why_not_signup(context: PageContext, session_id: int, problem: LibraryError) -> SignupError:
    """The refusal in words; a missing certification names the workshop that gives it."""
    workshop = problem.params.get("workshop_title")
    return SignupError(
        session_id,
        problem.detail(context.lang),
        needs_birth_date=problem.message_key == "min_age_unknown",
        workshop_slug=problem.params.get("workshop"),
        workshop_title=workshop if isinstance(workshop, Bilingual) else None,
    )


async def workshop_page(
    context: PageContext,
    slug: str,
    *,
    status: int = 200,
    signup_error: SignupError | None = None,
) -> Template:
    async with context.db.read() as session:
        workshop = await workshop_with_sessions(session, slug)
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=slug)
        upcoming = [s for s in workshop.sessions if s.end_at > context.now and s.cancelled_at is None]
        ids = [s.id for s in upcoming]
        tallies = await session_tallies(session, ids)
        photos = (await workshop_photos(session, [workshop.id]))[workshop.id]
        mine = (
            await registrations_of(session, context.viewer.user.id, session_ids=ids)
            if context.viewer.user
            else []
        )
        events = await upcoming_events(
            session, now=context.now, base_url=context.settings.base_url, workshop_slug=slug
        )
        refusals: dict[int, Refusal] = {}
        if context.viewer.user is not None:
            booker = await load_booker(session, context.viewer.user)
            required = workshop.required_certification
            facts = WorkshopFacts(workshop.min_age, workshop.max_age, required.key if required else None)
            for upcoming_session in upcoming:
                refusal = check_person(facts, upcoming_session.start_at, booker, context.settings.zone)
                if refusal is not None:
                    refusals[upcoming_session.id] = refusal
    # Who may not attend sees why instead of a sign-up button.
    barred = {
        session_id: await why_not_signup(
            context, session_id, await booking_refused(context.db, refusal, context.now)
        )
        for session_id, refusal in refusals.items()
    }
    return context.render(
        "workshops/detail.html",
        status=status,
        workshop=workshop,
        photos=photos,
        factor_name=dict(factor_choices(context.lang))[workshop.factor.value],
        sessions=session_views(upcoming, tallies, context.now, mine),
        signup_error=signup_error,
        barred=barred,
        notice=context.notice(NOTICES, WITHOUT_MAIL),
        events_json=script_json(events) if events["@graph"] else None,
    )


class WorkshopPages(Controller):
    include_in_schema = False

    @get("/workshops", name="workshops")
    async def workshops(
        self,
        context: PageContextDep,
        factor: FromQuery[str] = "",
        location: FromQuery[str] = "",
        page: FromQuery[str] = "1",
    ) -> Template:
        lang = context.lang
        now = context.now
        chosen_factor = FACTORS.get(factor)
        number = int(page) if page.isdigit() and int(page) >= 1 else 1
        async with context.db.read() as session:
            locations = list(
                await session.scalars(select(Location).order_by(Location.position, Location.name))
            )
            known_location = location if location in {loc.slug for loc in locations} else ""
            sessions = await upcoming_sessions(
                session,
                now=now,
                factor=chosen_factor,
                location_slug=known_location or None,
                limit=PAGE_SIZE + 1,
                offset=(number - 1) * PAGE_SIZE,
            )
            shown = sessions[:PAGE_SIZE]
            tallies = await session_tallies(session, [s.id for s in shown])
            photos = await workshop_photos(session, list({s.workshop_id for s in shown}))
        chosen = {"factor": chosen_factor.value if chosen_factor else "", "location": known_location}
        form = Form(values=dict(chosen))
        if factor and chosen_factor is None:
            form.add("factor", translate(lang, N_("There is no such factor; all workshops are shown.")))
        if location and not known_location:
            form.add("location", translate(lang, N_("There is no such location; all locations are shown.")))
        return context.render(
            "workshops/list.html",
            form=form,
            days=by_local_day(session_views(shown, tallies, now)),
            photos=photos,
            factors=factor_choices(lang),
            locations_choices=[(loc.slug, pick(lang, loc.name, loc.name_en)) for loc in locations],
            earlier_url=page_url(chosen, number - 1) if number > 1 else None,
            later_url=page_url(chosen, number + 1) if len(sessions) > PAGE_SIZE else None,
        )

    @get("/workshops/{slug:str}", name="workshop")
    async def workshop(self, context: PageContextDep, slug: FromPath[str]) -> Template:
        return await workshop_page(context, slug)

    @post("/workshops/{slug:str}/sessions/{session_id:int}/register", name="workshop-register")
    async def register(
        self,
        context: PageContextDep,
        user: UserDep,
        slug: FromPath[str],
        session_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Sign up; a hybrid session's form has a button for the room and one for online places."""
        ensure_email_verified(user, required=context.settings.verify_email)
        now = context.now
        async with context.db.read() as session:
            found = await session.get(WorkshopSession, session_id)
            workshop_id = await session.scalar(select(Workshop.id).where(Workshop.slug == slug))
        if found is None or found.workshop_id != workshop_id:
            raise NotFound(N_("The session %(id)s"), id=session_id)
        try:
            registration = await service.register(
                context.db,
                session_id,
                user=user,
                now=now,
                zone=context.settings.zone,
                participation=parsing.participation(data.get("participation", "")),
            )
        except (RuleBroken, LibraryError) as error:
            problem = (
                await booking_refused(context.db, error.refusal, now)
                if isinstance(error, RuleBroken)
                else error
            )
            if isinstance(problem, NotFound):
                raise problem from error
            return await workshop_page(
                context,
                slug,
                status=status_of(problem),
                signup_error=await why_not_signup(context, session_id, problem),
            )
        return see_other(f"/workshops/{slug}", done=registration.status.value)

    @get("/workshops/{slug:str}/sessions/{session_id:int}/register", name="workshop-register-return")
    async def back_to_workshop(self, slug: FromPath[str], session_id: FromPath[int]) -> Redirect:
        """Signing in again after a session ran out returns here (the form's address): show the
        workshop, at the session."""
        return Redirect(path=f"/workshops/{slug}#session-{session_id}", status_code=303)

    @get("/my/workshops", name="my-workshops")
    async def my_workshops(self, context: PageContextDep, user: UserDep) -> Template:
        now = context.now
        async with context.db.read() as session:
            registrations = await registrations_of(session, user.id)
            tallies = await session_tallies(session, [r.session_id for r in registrations])
        current = [
            r
            for r in registrations
            if r.session.end_at > now
            and r.session.cancelled_at is None
            and r.status is not RegistrationStatus.CANCELLED
        ]
        earlier = [r for r in registrations if r not in current]
        views = {
            view.session.id: view
            for view in session_views([r.session for r in registrations], tallies, now, registrations)
        }
        return context.render(
            "my/workshops.html",
            current=[(r, views[r.session_id]) for r in current],
            earlier=list(reversed(earlier)),
            notice=context.notice(NOTICES, WITHOUT_MAIL),
        )

    @post("/my/workshops/{registration_id:int}/cancel", name="my-workshop-cancel")
    async def cancel(
        self,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        registration_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        await service.cancel_registration(db, registration_id, actor=user, now=clock.now())
        return see_other(back_to(data), done="cancelled")

    @post("/my/workshops/{registration_id:int}/accept", name="my-workshop-accept")
    async def accept(
        self,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        registration_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        await service.accept_offer(db, registration_id, actor=user, now=clock.now())
        return see_other(back_to(data), done="accepted")

    @get(
        [
            "/registrations/{registration_id:int}",
            "/my/workshops/{registration_id:int}/cancel",
            "/my/workshops/{registration_id:int}/accept",
        ],
        name="my-workshop-link",
    )
    async def registration_link(self, registration_id: FromPath[int]) -> Redirect:
        """Where the links in mails and calendar events lead, and a button's address after signing
        in again: the registration in the person's list."""
        return Redirect(path=f"/my/workshops#registration-{registration_id}", status_code=303)


def back_to(data: dict[str, Any]) -> str:
    """Where a form on a workshop page or on my workshops returns to (a local path only)."""
    target = safe_next(data.get("next"))
    return target if target.startswith(("/workshops/", "/my/workshops")) else "/my/workshops"
