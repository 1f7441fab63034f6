"""Mails built from outbox rows: subject and body from templates/emails, in the recipient's
language, as plain text with an HTML alternative, and an .ics file where a calendar entry
comes, changes or goes.

The row carries only ids; the details (what, when, where) are read from the database when
the mail is built, so a mail sent late still tells the truth. Everything a template needs
is loaded first and rendered afterwards, without lazy loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from library.accounts import links
from library.accounts.models import Certification, Role, User, UserCertification
from library.booking.defects import REPORT_MAIL
from library.booking.holds import OFFER_MAIL
from library.booking.models import Booking, BookingStatus, Hold, Loan
from library.catalog.models import Location, ReportSeverity, Resource, ResourceKind, Unit, UnitReport
from library.catalog.queries import parts_in
from library.config import PROJECT_ROOT
from library.i18n import (
    N_,
    Lang,
    catalogue,
    format_date,
    format_last_day,
    format_moment,
    format_span,
    known_language,
    pick,
    translate,
)
from library.notify.ics import (
    EventFacts,
    booking_uid,
    host_of,
    new_calendar,
    new_event,
    registration_uid,
    sequence_at,
    to_bytes,
)
from library.outbox.models import OutboxMessage
from library.workshops.models import Registration, RegistrationStatus, WorkshopSession
from library.workshops.queries import renewing_workshop, stream_for

EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "emails"
LIBRARY_NAME = N_("Ulm City Library")

# Which mails bring a calendar entry along, and in which iTIP method (RFC 5546).
BOOKING_CALENDAR = {"booking.confirmed": "REQUEST", "booking.moved": "REQUEST", "booking.cancelled": "CANCEL"}
REGISTRATION_CALENDAR = {
    "registration.confirmed": "REQUEST",
    "registration.cancelled": "CANCEL",
    "workshop_session.moved": "REQUEST",
    "workshop_session.cancelled": "CANCEL",
}
HOLDING_PLACE = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)

SEVERITY_WORDS = {ReportSeverity.NOTICE: N_("Notice"), ReportSeverity.BLOCKING: N_("Out of service")}
A_VISITOR, A_MEMBER_OF_STAFF, SOMEONE = N_("a visitor"), N_("a member of staff"), N_("someone")


class Unbuildable(Exception):
    """The mail cannot be built, e.g. what it reports no longer exists. Retrying will not help."""


@dataclass(frozen=True)
class Sender:
    name: str
    address: str

    def header(self) -> str:
        return str(Address(display_name=self.name, addr_spec=self.address))


@dataclass(frozen=True)
class Occasion:
    """A booking or a workshop session, as a mail shows it."""

    title: str
    start: datetime
    end: datetime
    when: str
    place: str
    unit: str | None
    location: str
    address: str
    status: str

    @property
    def where(self) -> str:
        """The room and building; a booking's title already names its room or device."""
        return self.location if self.place == self.title else f"{self.place}, {self.location}"


@dataclass
class MailFacts:
    occasions: list[Occasion] = field(default_factory=list)
    manage_url: str | None = None
    address: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    calendar: bytes | None = None
    calendar_method: str | None = None
    calendar_name: str = "termin.ics"


def place_line(location: Location, lang: Lang) -> str:
    name = pick(lang, location.name, location.name_en)
    return f"{name}, {location.address}" if location.address else name


@cache
def environment(lang: Lang) -> Environment:
    """The mail templates with `_` translating into one language, the recipient's."""
    env = Environment(
        loader=FileSystemLoader(EMAIL_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(catalogue(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def one_line(text: str) -> str:
    """Lines and runs of blanks joined by one space. The thin and narrow no-break spaces Babel
    writes inside a time span stay, so that a mail header keeps the span together."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def render_parts(kind: str, lang: Lang, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a mail in a language: the kind's template gives the
    subject and the message, the two layouts put greeting, details, link and the library's
    address around it."""
    env = environment(lang)
    try:
        template = env.get_template(f"{kind}.txt")
    except TemplateNotFound:
        template = env.get_template("generic.txt")
    frame = template.new_context(context)
    subject = one_line("".join(template.blocks["subject"](frame)))
    body = "".join(template.blocks["body"](frame)).strip()
    paragraphs = [one_line(part) for part in body.split("\n\n") if part.strip()]
    text = env.get_template("layout.txt").render({**context, "body": body})
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = env.get_template("layout.html").render({**context, "paragraphs": paragraphs})
    return subject, text, html


async def build_message(
    session: AsyncSession, row: OutboxMessage, *, base_url: str, sender: Sender, secret_key: str = ""
) -> EmailMessage:
    """The mail for one outbox row, its links made from `base_url`; the worker stamps its Message-ID.

    `secret_key` signs the links a mail carries (password resets)."""
    lang = known_language(row.language)
    user = await session.get(User, row.user_id) if row.user_id is not None else None
    facts = await load_facts(session, row, lang=lang, base_url=base_url, sender=sender, secret_key=secret_key)
    if not facts.address:
        first = await session.scalar(select(Location).order_by(Location.position, Location.id).limit(1))
        facts.address = place_line(first, lang) if first is not None else ""
    context: dict[str, Any] = {
        "lang": lang,
        "kind": row.kind,
        "name": user.name if user is not None and user.deleted_at is None else None,
        "library": translate(lang, LIBRARY_NAME),
        "occasion": facts.occasions[0] if len(facts.occasions) == 1 else None,
        "occasions": facts.occasions,
        "manage_url": facts.manage_url,
        "base_url": base_url,
        "address": facts.address,
        "reason": row.payload.get("reason") or None,
        # Offers free at the same time, named where a block cancelled a booking (booking.units).
        "alternatives": [
            pick(lang, a["name"], a.get("name_en")) for a in row.payload.get("alternatives") or []
        ],
        "has_calendar": facts.calendar is not None,
        "action_label": None,  # the words of the link to manage_url, when not "View and manage"
        # A message staff typed to a session's participants, shown as typed.
        "staff_subject": row.payload.get("subject") or None,
        "staff_body": row.payload.get("body") or None,
        **facts.extra,
    }
    subject, text, html = render_parts(row.kind, lang, context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender.header()
    message["To"] = row.recipient
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if facts.calendar is not None:
        params = {"method": facts.calendar_method} if facts.calendar_method else {}
        message.add_attachment(
            facts.calendar.decode(),
            subtype="calendar",
            charset="utf-8",
            filename=facts.calendar_name,
            params=params,
        )
    message["Content-Language"] = lang  # after the parts: set_content drops Content-* headers
    return message


async def load_facts(
    session: AsyncSession, row: OutboxMessage, *, lang: Lang, base_url: str, sender: Sender, secret_key: str
) -> MailFacts:
    payload = row.payload or {}
    if row.kind in links.KINDS:
        return await link_facts(
            session, links.KINDS[row.kind], payload, lang=lang, base_url=base_url, secret_key=secret_key
        )
    if row.kind == "booking.series":
        return await series_facts(session, row, payload, lang=lang, base_url=base_url)
    if row.kind == OFFER_MAIL and "hold_id" in payload:
        return await offer_facts(session, row, int(payload["hold_id"]), lang, base_url, sender)
    if row.kind.startswith("booking.") and "booking_id" in payload:
        return await booking_facts(session, row, int(payload["booking_id"]), lang, base_url, sender)
    if row.kind.startswith(("registration.", "workshop_session.")) and (
        "registration_id" in payload or "session_id" in payload
    ):
        return await registration_facts(session, row, payload, lang, base_url, sender)
    if row.kind.startswith("certification.") and "certification" in payload:
        return await certification_facts(session, row, payload, lang, base_url)
    if row.kind == REPORT_MAIL and "report_id" in payload:
        return await report_facts(session, int(payload["report_id"]), lang, base_url)
    if row.kind.startswith("loan.") and "loan_id" in payload:
        return await loan_facts(session, int(payload["loan_id"]), lang, base_url, row.created_at)
    return MailFacts(manage_url=base_url)


def link_words(kind: links.LinkKind, lang: Lang) -> dict[str, Any]:
    """The button's words and how long the link works, in the units its mail speaks of."""
    words = catalogue(lang)
    if kind is links.EMAIL_VERIFICATION:
        return {
            "action_label": words.pgettext("mail", "Confirm the address"),
            "valid_days": kind.lifetime // timedelta(days=1),
        }
    if kind is links.SET_PASSWORD:
        return {
            "action_label": words.pgettext("mail", "Choose a password"),
            "valid_days": kind.lifetime // timedelta(days=1),
        }
    return {
        # The mail's own words for the link ("festlegen"), not the reset page's button ("setzen").
        "action_label": words.pgettext("mail", "Set a new password"),
        "valid_minutes": kind.lifetime // timedelta(minutes=1),
    }


async def link_facts(
    session: AsyncSession,
    kind: links.LinkKind,
    payload: dict[str, Any],
    *,
    lang: Lang,
    base_url: str,
    secret_key: str,
) -> MailFacts:
    """A mailed link, made again from its row's nonce: the token itself is stored nowhere."""
    if not secret_key:
        raise Unbuildable(f"no secret key to sign the {kind.mail} link with")
    url = await links.mail_url(session, kind, payload, base_url=base_url, secret_key=secret_key)
    if url is None:
        raise Unbuildable(f"{kind.mail} {payload[kind.payload_key]} no longer exists")
    return MailFacts(manage_url=url, extra=link_words(kind, lang))


def booking_occasion(booking: Booking, lang: Lang) -> Occasion:
    resource = booking.resource
    location = resource.location
    zone = ZoneInfo(location.timezone)
    return Occasion(
        title=pick(lang, resource.name, resource.name_en),
        start=booking.start_at,
        end=booking.end_at,
        when=format_span(booking.start_at, booking.end_at, lang, zone),
        place=pick(lang, resource.name, resource.name_en),
        unit=pick(lang, booking.unit.label, booking.unit.label_en)
        if resource.kind is not ResourceKind.ROOM
        else None,
        location=pick(lang, location.name, location.name_en),
        address=location.address,
        status=booking.status.value,
    )


def booking_options() -> tuple[Any, ...]:
    return (joinedload(Booking.resource).joinedload(Resource.location), joinedload(Booking.unit))


async def booking_facts(
    session: AsyncSession,
    row: OutboxMessage,
    booking_id: int,
    lang: Lang,
    base_url: str,
    sender: Sender,
) -> MailFacts:
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id).options(*booking_options())
    )
    if booking is None:
        raise Unbuildable(f"booking {booking_id} no longer exists")
    occasion = booking_occasion(booking, lang)
    facts = MailFacts(
        occasions=[occasion],
        manage_url=f"{base_url}/bookings/{booking.id}",
        address=place_line(booking.resource.location, lang),
        calendar_name=translate(lang, N_("booking-%(id)s.ics"), id=booking.id),
    )
    method = BOOKING_CALENDAR.get(row.kind)
    if method is not None:
        invite(facts, method, booking_uid(booking.id, host_of(base_url)), row=row, sender=sender)
    return facts


async def offer_facts(
    session: AsyncSession, row: OutboxMessage, hold_id: int, lang: Lang, base_url: str, sender: Sender
) -> MailFacts:
    """A freed slot offered to a person waiting: the slot, the deadline, a link to their holds."""
    hold = await session.get(Hold, hold_id)
    if hold is None or hold.offer_booking_id is None or hold.offer_until is None:
        raise Unbuildable(f"hold {hold_id} no longer has an offer")
    facts = await booking_facts(session, row, hold.offer_booking_id, lang, base_url, sender)
    place = (
        await session.execute(
            select(Location.timezone, Resource.kind)
            .join(Resource, Resource.location_id == Location.id)
            .where(Resource.id == hold.resource_id)
        )
    ).first()
    if place is None:
        raise Unbuildable(f"hold {hold_id} has no resource")
    timezone, kind = place
    zone = ZoneInfo(timezone)
    facts.manage_url = f"{base_url}/my/holds"
    facts.extra = {
        "offered_until": format_moment(hold.offer_until, lang, zone),
        "action_label": catalogue(lang).pgettext("mail", "Accept or decline"),
        "pickup": None,
        "due": None,
    }
    occasion = facts.occasions[0]
    if kind == ResourceKind.LOAN:
        # A thing is offered for whole days: the pickup day and the day it is due back, not
        # the midnight-to-midnight span its unit is held for.
        pickup = format_date(occasion.start, lang, zone)
        due = format_last_day(occasion.end, lang, zone)
        facts.extra.update(pickup=pickup, due=due)
        facts.occasions[0] = replace(occasion, when=f"{pickup} – {due}")
    return facts


def invite(
    facts: MailFacts,
    method: str,
    uid: str,
    *,
    row: OutboxMessage,
    sender: Sender,
    stream_url: str | None = None,
) -> None:
    """Attach the calendar request (or, `CANCEL`, cancellation) for the mail's one occasion; a
    cancellation outranks the request it follows. A stream's address goes into its description."""
    occasion = facts.occasions[0]
    event = EventFacts(
        uid=uid,
        start=occasion.start,
        end=occasion.end,
        summary=occasion.title,
        stamp=row.created_at,
        location=f"{occasion.place}, {facts.address}",
        description=f"{facts.manage_url}\n{stream_url}" if stream_url else facts.manage_url,
        url=facts.manage_url,
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        sequence=sequence_at(row.created_at) + (1 if method == "CANCEL" else 0),
    )
    calendar = new_calendar(method=method)
    calendar.add_component(new_event(event, organizer=(sender.name, sender.address), attendee=row.recipient))
    facts.calendar, facts.calendar_method = to_bytes(calendar), method


async def series_facts(
    session: AsyncSession, row: OutboxMessage, payload: dict[str, Any], *, lang: Lang, base_url: str
) -> MailFacts:
    ids = [int(i) for i in payload.get("booking_ids", [])]
    bookings = list(
        await session.scalars(
            select(Booking).where(Booking.id.in_(ids)).options(*booking_options()).order_by(Booking.start_at)
        )
    )
    if not bookings:
        raise Unbuildable(f"the bookings of series {payload.get('series_id')} no longer exist")
    host = host_of(base_url)
    calendar = new_calendar()
    live = [b for b in bookings if b.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)]
    for booking in live:
        occasion = booking_occasion(booking, lang)
        calendar.add_component(
            new_event(
                EventFacts(
                    uid=booking_uid(booking.id, host),
                    start=booking.start_at,
                    end=booking.end_at,
                    summary=occasion.title,
                    stamp=row.created_at,
                    location=f"{occasion.place}, {place_line(booking.resource.location, lang)}",
                    url=f"{base_url}/bookings/{booking.id}",
                    status="CONFIRMED" if booking.status is BookingStatus.CONFIRMED else "TENTATIVE",
                    sequence=sequence_at(row.created_at),
                )
            )
        )
    first = bookings[0]
    return MailFacts(
        occasions=[booking_occasion(b, lang) for b in bookings],
        manage_url=f"{base_url}/bookings",
        address=place_line(first.resource.location, lang),
        # A file to import, not an invitation: iTIP wants one UID per message.
        calendar=to_bytes(calendar) if live else None,
        calendar_name=translate(lang, N_("series.ics")),
    )


async def registration_facts(
    session: AsyncSession,
    row: OutboxMessage,
    payload: dict[str, Any],
    lang: Lang,
    base_url: str,
    sender: Sender,
) -> MailFacts:
    registration = None
    if "registration_id" in payload:
        registration = await session.get(Registration, int(payload["registration_id"]))
        if registration is None:
            raise Unbuildable(f"registration {payload['registration_id']} no longer exists")
    session_id = registration.session_id if registration is not None else int(payload["session_id"])
    workshop_session = await session.scalar(
        select(WorkshopSession)
        .where(WorkshopSession.id == session_id)
        .options(
            joinedload(WorkshopSession.workshop),
            joinedload(WorkshopSession.resource).joinedload(Resource.location),
        )
    )
    if workshop_session is None:
        raise Unbuildable(f"workshop session {session_id} no longer exists")
    workshop, room = workshop_session.workshop, workshop_session.resource
    location = room.location
    zone = ZoneInfo(location.timezone)
    title = pick(lang, workshop.title, workshop.title_en)
    occasion = Occasion(
        title=title,
        start=workshop_session.start_at,
        end=workshop_session.end_at,
        when=format_span(workshop_session.start_at, workshop_session.end_at, lang, zone),
        place=pick(lang, room.name, room.name_en),
        unit=None,
        location=pick(lang, location.name, location.name_en),
        address=location.address,
        status="cancelled" if workshop_session.cancelled_at else "scheduled",
    )
    stream = stream_for(registration, workshop_session)
    manage_url = (
        f"{base_url}/registrations/{registration.id}"
        if registration is not None
        else f"{base_url}/workshops/{workshop.slug}"
    )
    facts = MailFacts(
        occasions=[occasion],
        manage_url=manage_url,
        address=place_line(location, lang),
        extra={
            "workshop_host": workshop.host,
            "waitlist_position": registration.waitlist_position if registration else None,
            "registration_status": registration.status.value if registration else None,
            "stream_url": stream,
            "offered_until": (
                format_moment(registration.offered_until, lang, zone)
                if registration is not None and registration.offered_until is not None
                else None
            ),
        },
        calendar_name=f"workshop-{workshop_session.id}.ics",
    )
    method = REGISTRATION_CALENDAR.get(row.kind)
    if method == "REQUEST" and (registration is None or registration.status not in HOLDING_PLACE):
        method = None  # a move matters to the calendar only of those who hold a place
    if method is not None and registration is not None:
        invite(
            facts,
            method,
            registration_uid(registration.id, host_of(base_url)),
            row=row,
            sender=sender,
            stream_url=stream,
        )
    return facts


async def certification_facts(
    session: AsyncSession, row: OutboxMessage, payload: dict[str, Any], lang: Lang, base_url: str
) -> MailFacts:
    """A certification held: the grant the payload names, or else the person's latest one,
    and the workshop that renews it (the one with the next session, if any has one)."""
    key = str(payload["certification"])
    certification = await session.scalar(select(Certification).where(Certification.key == key))
    if certification is None:
        raise Unbuildable(f"certification {key} no longer exists")
    held = None
    if "user_certification_id" in payload:
        held = await session.get(UserCertification, int(payload["user_certification_id"]))
    elif row.user_id is not None:
        held = await session.scalar(
            select(UserCertification)
            .where(
                UserCertification.user_id == row.user_id,
                UserCertification.certification_id == certification.id,
            )
            .order_by(UserCertification.granted_at.desc(), UserCertification.id.desc())
            .limit(1)
        )
    renewal = await renewing_workshop(session, key, row.created_at)
    first = await session.scalar(select(Location).order_by(Location.position, Location.id).limit(1))
    zone = ZoneInfo(first.timezone) if first is not None else ZoneInfo("Europe/Berlin")
    return MailFacts(
        manage_url=f"{base_url}/account",
        address=place_line(first, lang) if first is not None else "",
        extra={
            "certification": pick(lang, certification.name, certification.name_en),
            "expires": (
                format_date(held.expires_at, lang, zone)
                if held is not None and held.expires_at is not None
                else None
            ),
            "renewal": pick(lang, renewal.title, renewal.title_en) if renewal is not None else None,
            "renewal_url": f"{base_url}/workshops/{renewal.slug}" if renewal is not None else None,
        },
    )


async def loan_facts(
    session: AsyncSession, loan_id: int, lang: Lang, base_url: str, queued_at: datetime
) -> MailFacts:
    """A thing lent: what it is and its parts (in the mail's language), where it is picked up and
    returned, the pickup and due days as they are now (a renewal after the mail was queued
    shows), and how many days it is overdue."""
    loan = await session.scalar(
        select(Loan)
        .where(Loan.id == loan_id)
        .options(joinedload(Loan.booking).joinedload(Booking.resource).joinedload(Resource.location))
    )
    if loan is None:
        raise Unbuildable(f"loan {loan_id} no longer exists")
    resource = loan.booking.resource
    location = resource.location
    zone = ZoneInfo(location.timezone)
    return MailFacts(
        manage_url=f"{base_url}/my/loans",
        address=place_line(location, lang),
        extra={
            "thing": pick(lang, resource.name, resource.name_en),
            "location": pick(lang, location.name, location.name_en),
            "pickup": format_date(loan.pickup, lang, zone),
            "due": format_date(loan.due, lang, zone),
            "days_overdue": max(0, (queued_at.astimezone(zone).date() - loan.due).days),
            "parts": ", ".join(parts_in(lang, resource)),
        },
    )


def reporter_words(role: Role | None) -> str:
    """Who reported a problem, as the staff's mail says it: never a name or an address."""
    if role is None:
        return SOMEONE  # the account is gone, or the report is past the retention period
    return A_MEMBER_OF_STAFF if role.is_staff else A_VISITOR


async def report_facts(session: AsyncSession, report_id: int, lang: Lang, base_url: str) -> MailFacts:
    """A defect report for the staff: the unit, its thing and place, severity, text and when,
    who reported it only as "a visitor" or "a member of staff", and a link to the reports."""
    report = await session.scalar(
        select(UnitReport)
        .where(UnitReport.id == report_id)
        .options(joinedload(UnitReport.unit).joinedload(Unit.resource).joinedload(Resource.location))
    )
    if report is None:
        raise Unbuildable(f"report {report_id} no longer exists")
    reporter = (
        await session.scalar(
            select(User.role).where(User.id == report.reported_by_id, User.deleted_at.is_(None))
        )
        if report.reported_by_id is not None
        else None
    )
    unit = report.unit
    resource = unit.resource
    location = resource.location
    words = catalogue(lang)
    return MailFacts(
        manage_url=f"{base_url}/staff/defects",
        address=place_line(location, lang),
        extra={
            "thing": pick(lang, resource.name, resource.name_en),
            "unit_label": pick(lang, unit.label, unit.label_en),
            "location": pick(lang, location.name, location.name_en),
            "severity": translate(lang, SEVERITY_WORDS[report.severity]),
            "report_text": report.text,
            "reporter": translate(lang, reporter_words(reporter)),
            "reported_at": format_moment(report.reported_at, lang, ZoneInfo(location.timezone)),
            "action_label": words.pgettext("mail", "Open the defect reports"),
        },
    )
