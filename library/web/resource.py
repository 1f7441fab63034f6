"""One offer's page: what it is, its house rules in plain words, a week of availability, the booking form.

Booking goes through `booking.service.create_booking` exactly as POST /api/v1/bookings does; a
broken rule is shown next to the field it concerns, a taken slot with up to five alternatives
that book in one click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from library.accounts.models import User
from library.accounts.verification import ensure_email_verified
from library.booking import service
from library.booking.alternatives import Alternative
from library.booking.availability import aligned_at_or_after
from library.booking.intervals import Interval
from library.booking.models import BookingStatus
from library.booking.series import Repeat
from library.booking.service import NewBooking, RuleBroken, SlotTaken
from library.catalog import queries
from library.catalog.models import Resource, ResourceKind
from library.catalog.policy import BookingPolicy, effective_policy
from library.db import Database
from library.errors import LibraryError, message
from library.http.problems import status_of
from library.http.refusals import booking_refused, person_refused
from library.http.viewer import UserDep
from library.i18n import N_, Lang, catalogue, pick, translate
from library.pictures.queries import resource_photos
from library.stats.demand import book_counting_refusals
from library.web import parsing
from library.web.availability import load_location_facts, monday_of, week_of_slots
from library.web.catalogue import factor_name, kind_name, near_today
from library.web.common import AnyRequest, Form, PageContext, PageContextDep, form_values, see_other
from library.workshops.models import Workshop
from library.workshops.queries import renewing_workshop

MAX_NOTE = 2000
MAX_PARTICIPANTS = 1000
MAX_TIMES = 12  # a series booked from the page; longer ones through the API
MAX_LENGTH = 24 * 60  # longer ones are the house rules' to refuse, with their own sentence

# Which field of the booking form a broken house rule concerns; the others are shown above the form.
REFUSAL_FIELDS = {
    "closed": "date",
    "beyond_horizon": "date",
    "quota_day": "date",
    "not_aligned": "start",
    "too_soon": "start",
    "outside_opening_hours": "start",
    "needs_staff": "start",
    "unit_blocked": "start",
    "too_short": "length",
    "too_long": "length",
    "quota_week": "length",
}


SKIP_REASONS = {
    "slot_taken": N_("already taken"),
    "closed": N_("the library is closed that day"),
    "outside_opening_hours": N_("outside the opening hours"),
    "beyond_horizon": N_("too far ahead"),
}
OTHER_REASON = N_("not possible under the rules for booking")


def duration_text(lang: Lang, minutes: int) -> str:
    """E.g. "1 hour 30 minutes" / "1 Stunde 30 Minuten"."""
    hours, rest = divmod(minutes, 60)
    words = catalogue(lang)
    parts = []
    if hours:
        parts.append(words.ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours})
    if rest or not hours:
        parts.append(words.ngettext("%(num)d minute", "%(num)d minutes", rest) % {"num": rest})
    return " ".join(parts)


@dataclass(frozen=True)
class Rule:
    text: str
    link: str | None = None
    link_text: str | None = None


def time_rules(lang: Lang, policy: BookingPolicy) -> list[Rule]:
    """Length, grid, horizon and the time kept free around a booking: the rules of a time slot."""

    def length(minutes: int) -> str:
        return duration_text(lang, minutes)

    words = catalogue(lang)
    rules = [
        Rule(
            translate(
                lang,
                N_("A booking lasts from %(min)s to %(max)s."),
                min=length(policy.min_minutes),
                max=length(policy.max_minutes),
            )
        ),
        Rule(
            translate(
                lang,
                N_("Start and end lie on a grid of %(slot)s, counted from midnight (for example 14:00)."),
                slot=length(policy.slot_minutes),
            )
        ),
        Rule(
            words.ngettext(
                "You can book up to %(num)d day ahead.",
                "You can book up to %(num)d days ahead.",
                policy.horizon_days,
            )
            % {"num": policy.horizon_days}
        ),
    ]
    kept_free = (
        (policy.lead_minutes, N_("Please book at least %(lead)s before the start."), "lead"),
        (policy.setup_minutes, N_("%(time)s before each booking are kept free to set up."), "time"),
        (
            policy.buffer_minutes,
            N_("%(time)s after each booking are kept free (for example to cool down)."),
            "time",
        ),
    )
    rules.extend(
        Rule(translate(lang, sentence, **{name: length(minutes)}))
        for minutes, sentence, name in kept_free
        if minutes
    )
    return rules


def loan_rules(lang: Lang, policy: BookingPolicy) -> list[Rule]:
    """How long a thing is lent, how often it is renewed, where it is picked up and returned."""
    words = catalogue(lang)
    return [
        Rule(
            words.ngettext(
                "It is lent for up to %(num)d day.", "It is lent for up to %(num)d days.", policy.loan_days
            )
            % {"num": policy.loan_days}
        ),
        Rule(
            words.ngettext(
                "You can renew the loan %(num)d time, unless someone has reserved it after you.",
                "You can renew the loan up to %(num)d times, unless someone has reserved it after you.",
                policy.max_renewals,
            )
            % {"num": policy.max_renewals}
        ),
        Rule(
            words.ngettext(
                "You can reserve up to %(num)d day ahead.",
                "You can reserve up to %(num)d days ahead.",
                policy.horizon_days,
            )
            % {"num": policy.horizon_days}
        ),
        Rule(translate(lang, N_("Pick it up and bring it back at the desk, in opening hours."))),
    ]


def rules_in_words(
    lang: Lang, resource: Resource, policy: BookingPolicy, workshop: Workshop | None
) -> list[Rule]:
    """The house rules of an offer as sentences, leaving out those that do not apply."""

    def length(minutes: int) -> str:
        return duration_text(lang, minutes)

    words = catalogue(lang)

    lent = resource.kind is ResourceKind.LOAN
    rules = loan_rules(lang, policy) if lent else time_rules(lang, policy)
    if policy.max_active_bookings is not None:
        rules.append(
            Rule(
                words.ngettext(
                    "You can hold at most %(num)d upcoming booking of this offer.",
                    "You can hold at most %(num)d upcoming bookings of this offer.",
                    policy.max_active_bookings,
                )
                % {"num": policy.max_active_bookings}
            )
        )
    if policy.max_minutes_per_week is not None:
        rules.append(
            Rule(translate(lang, N_("At most %(time)s a week."), time=length(policy.max_minutes_per_week)))
        )
    if policy.max_minutes_per_day is not None:
        rules.append(
            Rule(translate(lang, N_("At most %(time)s a day."), time=length(policy.max_minutes_per_day)))
        )
    if policy.max_bookings_per_day is not None:
        rules.append(
            Rule(
                words.ngettext(
                    "At most %(num)d booking a day.",
                    "At most %(num)d bookings a day.",
                    policy.max_bookings_per_day,
                )
                % {"num": policy.max_bookings_per_day}
            )
        )
    if resource.requires_approval:
        rules.append(
            Rule(translate(lang, N_("Library staff approve each booking; until then it is pending.")))
        )
    certification = resource.required_certification
    if certification is not None:
        name = pick(lang, certification.name, certification.name_en)
        text = translate(lang, N_("You need the induction “%(name)s”."), name=name)
        if workshop is not None:
            rules.append(
                Rule(
                    text,
                    f"/workshops/{workshop.slug}",
                    translate(
                        lang,
                        N_("The workshop “%(title)s” gives it."),
                        title=pick(lang, workshop.title, workshop.title_en),
                    ),
                )
            )
        else:
            rules.append(Rule(text))
    if resource.min_age is not None:
        rules.append(Rule(translate(lang, N_("For ages %(age)s and up."), age=resource.min_age)))
    if resource.needs_staff:
        rules.append(
            Rule(translate(lang, N_("Bookable only while library staff are there (staffed hours).")))
        )
    if lent:
        return rules
    if policy.cancel_until_minutes:
        rules.append(
            Rule(
                translate(
                    lang,
                    N_("You can cancel until %(time)s before the start."),
                    time=length(policy.cancel_until_minutes),
                )
            )
        )
    else:
        rules.append(Rule(translate(lang, N_("You can cancel until the start."))))
    rules.append(
        Rule(
            translate(
                lang,
                N_(
                    "Please check in between %(window)s before and %(window)s after the start; "
                    "otherwise the booking is released."
                ),
                window=length(policy.checkin_window_minutes),
            )
        )
    )
    return rules


def shortest_length(policy: BookingPolicy) -> int:
    """The minimum length rounded up to the grid: a booking must start and end on it."""
    return -(-policy.min_minutes // policy.slot_minutes) * policy.slot_minutes


def length_options(lang: Lang, policy: BookingPolicy) -> list[tuple[int, str]]:
    """Every length on the booking grid between the shortest and the longest allowed."""
    return [
        (minutes, duration_text(lang, minutes))
        for minutes in range(shortest_length(policy), policy.max_minutes + 1, policy.slot_minutes)
    ]


def default_length(policy: BookingPolicy) -> int:
    """An hour where the rules allow it, else the shortest booking."""
    hour_fits = policy.min_minutes <= 60 <= policy.max_minutes and 60 % policy.slot_minutes == 0
    return 60 if hour_fits else shortest_length(policy)


def fitting_length(policy: BookingPolicy, start: datetime, end: datetime) -> int:
    """The usual length, or less where a free period starting at `start` is shorter."""
    room = int((end - start) / timedelta(minutes=1)) // policy.slot_minutes * policy.slot_minutes
    return max(min(default_length(policy), room), shortest_length(policy))


@dataclass(frozen=True)
class Offer:
    """An alternative to a taken slot, with the fields that book it in one click."""

    resource_slug: str
    resource_name: str
    start: datetime
    end: datetime
    fields: dict[str, str]


async def offers(
    db: Database, alternatives: list[Alternative], zone: ZoneInfo, lang: Lang, carried: dict[str, str]
) -> list[Offer]:
    slugs = {a.resource_slug for a in alternatives}
    async with db.read() as session:
        names = {
            slug: pick(lang, name, name_en)
            for slug, name, name_en in await session.execute(
                select(Resource.slug, Resource.name, Resource.name_en).where(Resource.slug.in_(slugs))
            )
        }
    found = []
    for alternative in alternatives:
        start, end = alternative.interval.start.astimezone(zone), alternative.interval.end.astimezone(zone)
        fields = {
            **carried,
            "date": start.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "length": str(int((end - start) / timedelta(minutes=1))),
        }
        found.append(
            Offer(alternative.resource_slug, names.get(alternative.resource_slug, ""), start, end, fields)
        )
    return found


def sign_in_url(request: AnyRequest, slug: str) -> str:
    """Signing in comes back to this page with the chosen week and pre-filled time."""
    back = f"/resources/{slug}"
    if request.method == "GET" and request.url.query:
        back += f"?{request.url.query}"
    return "/login?" + urlencode({"next": back})


async def resource_page(
    context: PageContext,
    slug: str,
    *,
    week: str = "",
    form: Form | None = None,
    status: int = 200,
    **extra: Any,
) -> Template:
    """The page, also when the booking form comes back with what was typed and what is wrong."""
    lang = context.lang
    week_form = Form(values={"week": week})
    async with context.db.read() as session:
        resource, unit_count = await queries.get_resource(session, slug)
        location = resource.location
        zone = ZoneInfo(location.timezone)
        today = context.now.astimezone(zone).date()
        chosen = near_today(week_form, "week", lang, parsing.day(week_form, "week", lang), today)
        monday = monday_of(chosen or today)
        facts = await load_location_facts(
            session, location.id, monday, monday + timedelta(days=6), lambda r: r.id == resource.id
        )
        photos = (await resource_photos(session, [resource.id]))[resource.id]
        workshop = None
        if resource.required_certification is not None:
            workshop = await renewing_workshop(session, resource.required_certification.key, context.now)
    if week_form.has_errors and status == 200:
        status = 422
    policy = effective_policy(location.policy, resource.policy)
    resource_facts = facts.of(resource.id)
    lent = resource.kind is ResourceKind.LOAN  # reserved for whole days, not in time slots
    slots = (
        week_of_slots(resource_facts, facts.hours, facts.occupations, monday, context.now)
        if resource_facts is not None and not lent
        else None
    )
    barred = None
    user = context.viewer.user if context.viewer else None
    if user is not None and resource_facts is not None:
        barred = await person_refused(context.db, user, resource_facts, zone, context.now)
    if form is None and lent:
        form = Form(values={"pickup": today.isoformat(), "due": ""})
    if form is None:
        prefill = context.request.query_params
        form = Form(
            values={
                "date": prefill.get("date") or today.isoformat(),
                "start": prefill.get("start", ""),
                "length": prefill.get("length") or str(default_length(policy)),
                "participants": "",
                "note": "",
            }
        )
    return context.render(
        "catalogue/resource.html",
        status=status,
        resource=resource,
        photos=photos,
        location=location,
        zone=zone,
        unit_count=unit_count,
        policy=policy,
        rules=rules_in_words(lang, resource, policy, workshop),
        factor=factor_name(lang, resource.factor),
        kind=kind_name(lang, resource.kind),
        week=slots,
        week_form=week_form,
        today=today,
        form=form,
        lent=lent,
        loan_parts=queries.parts_in(lang, resource),
        length_options=length_options(lang, policy),
        features=queries.features_in(lang, resource),
        login_url=sign_in_url(context.request, resource.slug),
        barred=barred.detail(lang) if barred else None,
        barred_workshop=workshop if barred and barred.params.get("workshop") else None,
        barred_age=barred is not None and barred.message_key == "min_age_unknown",
        first_start=lambda moment: aligned_at_or_after(moment, zone, policy.slot_minutes),
        fitting_length=lambda start, end: fitting_length(policy, start, end),
        hhmm=lambda moment: moment.astimezone(zone).strftime("%H:%M"),
        **extra,
    )


@dataclass(frozen=True)
class BookingRequest:
    start: datetime
    end: datetime
    note: str
    participants: int | None
    repeat: Repeat | None = None
    skip_conflicts: bool = False


async def read_booking_form(
    db: Database, slug: str, form: Form, lang: Lang, now: datetime
) -> BookingRequest | None:
    """The typed date, start and length as instants in the location's time zone, or None with errors."""
    async with db.read() as session:
        resource, _ = await queries.get_resource(session, slug)
        zone = ZoneInfo(resource.location.timezone)
    today = now.astimezone(zone).date()
    day = near_today(form, "date", lang, parsing.day(form, "date", lang, required=True), today)
    at = parsing.clock_time(form, "start", lang, required=True)
    minutes = parsing.whole_number(form, "length", lang, low=1, high=MAX_LENGTH, required=True)
    participants = parsing.whole_number(form, "participants", lang, low=1, high=MAX_PARTICIPANTS)
    note = parsing.text(form, "note", lang, max_length=MAX_NOTE, multiline=True)
    freq = form.value("repeat")
    if freq not in ("", "daily", "weekly"):
        form.add("repeat", translate(lang, N_("Please choose one of the listed options.")))
    times = parsing.whole_number(form, "times", lang, low=2, high=MAX_TIMES, required=bool(freq))
    if day is None or at is None or minutes is None or form.has_errors:
        return None
    start = parsing.instant(form, "start", lang, day, at, zone)
    if start is None:
        return None
    repeat = Repeat("daily" if freq == "daily" else "weekly", count=times) if freq and times else None
    return BookingRequest(
        start,
        start + timedelta(minutes=minutes),
        note,
        participants,
        repeat,
        skip_conflicts=form.value("skip") == "on",
    )


def carried_fields(form: Form) -> dict[str, str]:
    """What an alternative books along with its own time: the note and the number of people."""
    return {name: form.value(name) for name in ("note", "participants") if form.value(name)}


class ResourcePages(Controller):
    include_in_schema = False

    @get("/resources/{slug:str}", name="resource")
    async def resource(
        self,
        context: PageContextDep,
        slug: FromPath[str],
        week: FromQuery[str] = "",
    ) -> Template:
        return await resource_page(context, slug, week=week)

    @get("/resources/{slug:str}/book", name="resource-book-form")
    async def book_form(self, slug: FromPath[str]) -> Redirect:
        """Where signing in after a form sent without a session comes back to: the form itself."""
        return Redirect(path=f"/resources/{slug}#book-title", status_code=303)

    @post("/resources/{slug:str}/book", name="resource-book")
    async def book(
        self,
        context: PageContextDep,
        user: UserDep,
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        ensure_email_verified(user, required=context.settings.verify_email)
        lang = context.lang
        now = context.now
        form = Form(values=form_values(data))
        wanted = await read_booking_form(context.db, slug, form, lang, now)
        week = "" if "date" in form.errors else form.value("date")
        if wanted is None:
            return await resource_page(context, slug, week=week, form=form, status=422)
        new = NewBooking(
            resource_slug=slug,
            start=wanted.start,
            end=wanted.end,
            note=wanted.note,
            participants=wanted.participants,
        )
        if wanted.repeat is not None:
            return await self._series(context, user, new, wanted, form, week)
        try:
            booked = await book_counting_refusals(context.db, new, booker=user, actor=user, now=now)
        except RuleBroken as error:
            problem = await booking_refused(context.db, error.refusal, now)
            field = REFUSAL_FIELDS.get(error.refusal.code)
            if field is None:
                form.general = problem.detail(lang)
            else:
                form.add(field, problem.detail(lang))
            workshop = problem.params.get("workshop")
            return await resource_page(
                context, slug, week=week, form=form, status=status_of(problem), refusal_workshop=workshop
            )
        except SlotTaken as taken:
            return await self._taken(context, user, slug, form, taken.interval, week)
        except LibraryError as problem:
            form.absorb(problem, lang, fields={"start": "start", "end": "length"})
            return await resource_page(context, slug, week=week, form=form, status=status_of(problem))
        pending = booked.booking.status is BookingStatus.PENDING
        return see_other("/my/bookings", done="pending" if pending else "booked")

    async def _series(
        self,
        context: PageContext,
        user: User,
        new: NewBooking,
        wanted: BookingRequest,
        form: Form,
        week: str,
    ) -> Response[Any]:
        """A repeating booking, all or nothing unless the person chose to skip what cannot be had."""
        assert wanted.repeat is not None
        lang = context.lang
        try:
            outcome = await service.create_series(
                context.db,
                new,
                wanted.repeat,
                skip_conflicts=wanted.skip_conflicts,
                booker=user,
                actor=user,
                now=context.now,
            )
        except service.SeriesRefused as refusal:
            form.general = message("series_conflicts", lang)
            skipped = [
                (s.interval.start, s.interval.end, translate(lang, SKIP_REASONS.get(s.code, OTHER_REASON)))
                for s in refusal.skipped
            ]
            return await resource_page(
                context, slug=new.resource_slug, week=week, form=form, status=409, skipped=skipped
            )
        if any(b.status is BookingStatus.PENDING for b in outcome.bookings):
            return see_other("/my/bookings", done="pending")
        return see_other("/my/bookings", done="series_partly" if outcome.skipped else "series")

    async def _taken(
        self,
        context: PageContext,
        user: User,
        slug: str,
        form: Form,
        wanted: Interval,
        week: str,
    ) -> Template:
        lang = context.lang
        alternatives = await service.find_alternatives(
            context.db, booker=user, resource_slug=slug, wanted=wanted, now=context.now
        )
        async with context.db.read() as session:
            resource, _ = await queries.get_resource(session, slug)
        zone = ZoneInfo(resource.location.timezone)
        form.general = message("slot_taken", lang)
        return await resource_page(
            context,
            slug,
            week=week,
            form=form,
            status=409,
            alternatives=await offers(context.db, alternatives, zone, lang, carried_fields(form)),
        )
