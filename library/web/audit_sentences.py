"""The audit log as sentences in the page language ("Anna Berg cancelled the booking of VR-Brille 2
for Sat, 5 Dec 2026, 14:00, reason: …"), not field dumps.

`sentence` is pure: it gets the facts of one entry already in words (who, what, when) and picks the
sentence of its action; `describe` looks up the names of the objects a page of entries speaks of."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import User
from library.audit.models import AuditEntry
from library.booking.models import Booking
from library.catalog.models import Location, Resource, Unit
from library.i18n import N_, Lang, format_datetime, pick, translate
from library.workshops.models import Registration, Workshop, WorkshopSession

ACCOUNT_PREFIX = "user."
"""Account actions: only admins read them (least privilege for the staff)."""


@dataclass(frozen=True)
class Facts:
    """One entry in words: who acted, what it was done to, its time and what changed."""

    actor: str
    thing: str
    when: str = ""
    detail: str = ""
    reason: str = ""


SENTENCES: dict[str, str] = {
    # bookings
    "booking.create": N_("%(actor)s booked %(thing)s for %(when)s."),
    "booking.pending": N_("%(actor)s set the booking of %(thing)s for %(when)s to waiting for approval."),
    "booking.confirmed": N_("%(actor)s confirmed the booking of %(thing)s for %(when)s."),
    "booking.checked_in": N_("%(actor)s checked in the booking of %(thing)s for %(when)s."),
    "booking.check_in": N_("%(actor)s checked in the booking of %(thing)s for %(when)s."),
    "booking.undo_check_in": N_("%(actor)s took back the check-in of %(thing)s for %(when)s."),
    "booking.completed": N_("%(actor)s completed the booking of %(thing)s for %(when)s."),
    "booking.cancelled": N_("%(actor)s cancelled the booking of %(thing)s for %(when)s."),
    "booking.rejected": N_("%(actor)s rejected the booking of %(thing)s for %(when)s."),
    "booking.no_show": N_("%(actor)s marked the booking of %(thing)s for %(when)s as not collected."),
    "booking.move": N_("%(actor)s moved the booking of %(thing)s for %(when)s to %(detail)s."),
    # holds: waiting for a slot, and the offer of a freed one (a booking row until answered)
    "hold.create": N_("%(actor)s started waiting for a free slot of %(thing)s."),
    "hold.cancel": N_("%(actor)s stopped waiting for a free slot of %(thing)s."),
    "hold.offer": N_(
        "%(actor)s offered the freed slot of %(thing)s for %(when)s to the first person waiting."
    ),
    "hold.accept": N_("%(actor)s accepted the offered slot of %(thing)s for %(when)s."),
    "hold.decline": N_("%(actor)s declined the offered slot of %(thing)s for %(when)s."),
    "hold.lapse": N_("%(actor)s let the offer of %(thing)s for %(when)s lapse."),
    "hold.withdraw": N_(
        "%(actor)s withdrew the offer of %(thing)s for %(when)s: the unit went out of service."
    ),
    # loans (written under their booking row, which names the thing and its pickup day)
    "loan.reserve": N_("%(actor)s reserved %(thing)s for pickup on %(when)s."),
    "loan.checkout": N_("%(actor)s handed out %(thing)s (loan from %(when)s)."),
    "loan.return": N_("%(actor)s took back %(thing)s (loan from %(when)s)."),
    "loan.renew": N_("%(actor)s renewed the loan of %(thing)s from %(when)s."),
    "loan.cancel": N_("%(actor)s cancelled the reservation of %(thing)s for %(when)s."),
    # workshops and their sessions
    "workshop.create": N_("%(actor)s created the workshop %(thing)s."),
    "workshop.update": N_("%(actor)s changed the workshop %(thing)s: %(detail)s."),
    "workshop.duplicate": N_("%(actor)s copied a workshop to new dates as %(thing)s."),
    "workshop_session.update": N_("%(actor)s changed the session of %(thing)s on %(when)s: %(detail)s."),
    "workshop_session.create": N_("%(actor)s added a session of %(thing)s on %(when)s."),
    "workshop_session.moved": N_("%(actor)s moved the session of %(thing)s to %(when)s."),
    "workshop_session.cancelled": N_("%(actor)s cancelled the session of %(thing)s on %(when)s."),
    "workshop_session.message": N_("%(actor)s wrote to the participants of %(thing)s on %(when)s."),
    "workshop_session.draw": N_("%(actor)s drew the places of the session of %(thing)s on %(when)s."),
    "registration.create": N_("%(actor)s registered for %(thing)s on %(when)s."),
    "registration.cancel": N_("%(actor)s cancelled the registration for %(thing)s on %(when)s."),
    "registration.promote": N_("%(actor)s offered a place from the waiting list for %(thing)s on %(when)s."),
    "registration.accept": N_("%(actor)s accepted the offered place for %(thing)s on %(when)s."),
    "registration.offer_lapsed": N_("%(actor)s let the offered place for %(thing)s on %(when)s lapse."),
    "registration.attended": N_("%(actor)s marked the attendance for %(thing)s on %(when)s."),
    "registration.added_by_staff": N_("%(actor)s gave a place by hand for %(thing)s on %(when)s."),
    "certification.grant": N_("%(actor)s granted %(thing)s the certification %(detail)s."),
    "certification.revoke": N_("%(actor)s revoked the certification %(detail)s of %(thing)s."),
    # inventory and opening hours
    "resource.create": N_("%(actor)s added the resource %(thing)s."),
    "resource.update": N_("%(actor)s changed the resource %(thing)s: %(detail)s."),
    "unit.create": N_("%(actor)s added the unit %(thing)s."),
    "unit.update": N_("%(actor)s changed the unit %(thing)s: %(detail)s."),
    "unit.block": N_("%(actor)s blocked %(thing)s from %(when)s."),
    "unit.unblock": N_("%(actor)s lifted the block of %(thing)s from %(when)s."),
    "unit.report": N_("%(actor)s reported a problem with %(thing)s: %(detail)s"),
    "unit.report_close": N_("%(actor)s closed a problem report of %(thing)s: %(detail)s"),
    "unit.service": N_("%(actor)s recorded a service of %(thing)s: %(detail)s"),
    "resource.maintenance": N_("%(actor)s set the maintenance plan of %(thing)s."),
    "location.weekly_hours": N_("%(actor)s changed the weekly opening hours of %(thing)s."),
    "location.exception": N_("%(actor)s added a special opening day at %(thing)s: %(detail)s."),
    "location.exception_change": N_("%(actor)s changed a special opening day at %(thing)s: %(detail)s."),
    "location.exception_remove": N_("%(actor)s removed a special opening day at %(thing)s: %(detail)s."),
    "photo.add": N_("%(actor)s added a photo to %(thing)s."),
    "photo.delete": N_("%(actor)s removed a photo from %(thing)s."),
    "outbox.retry": N_("%(actor)s sent message %(thing)s again."),
    # accounts (admins only)
    "user.create": N_("%(actor)s created the account of %(thing)s."),
    "user.update": N_("%(actor)s changed the profile of %(thing)s: %(detail)s."),
    "user.birth_date": N_("%(actor)s changed the birth date of %(thing)s."),
    "user.birth_date_bound": N_("The birth date of %(thing)s is now fixed after an age refusal."),
    "user.library_card": N_("%(actor)s set the library card of %(thing)s."),
    "user.role": N_("%(actor)s gave %(thing)s the role %(detail)s."),
    "user.activate": N_("%(actor)s activated the account of %(thing)s."),
    "user.deactivate": N_("%(actor)s deactivated the account of %(thing)s."),
    "user.email_verified": N_("%(actor)s confirmed the e-mail address of %(thing)s."),
    "user.password_reset": N_("%(actor)s set a new password for %(thing)s."),
    "user.delete": N_("%(actor)s deleted the account of %(thing)s."),
}

GENERIC = N_("%(actor)s: %(action)s on %(thing)s.")


def sentence(action: str, facts: Facts, lang: Lang) -> str:
    """The entry as one sentence in `lang`; an action without a sentence of its own still reads."""
    values = {"actor": facts.actor, "thing": facts.thing, "when": facts.when, "detail": facts.detail}
    message = SENTENCES.get(action)
    text = (
        translate(lang, message, **values)
        if message
        else translate(lang, GENERIC, action=action.replace("_", " ").replace(".", " "), **values)
    )
    if facts.reason:
        text = translate(lang, N_("%(sentence)s Reason: %(reason)s"), sentence=text, reason=facts.reason)
    return text


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """The names of the fields an edit changed, e.g. "name, description"."""
    before, after = before or {}, after or {}
    return ", ".join(name for name in dict.fromkeys([*before, *after]) if before.get(name) != after.get(name))


def _instant(value: Any, lang: Lang, zone: ZoneInfo) -> str:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_datetime(moment, lang, zone) if moment.tzinfo else value
    if isinstance(value, datetime):
        return format_datetime(value, lang, zone)
    return ""


def facts_of(
    entry: AuditEntry,
    actor: User | None,
    names: Mapping[tuple[str, str], tuple[str, str]],
    lang: Lang,
    zone: ZoneInfo,
) -> Facts:
    """The words of one entry: the actor's name (or the system), the object's name from `names`
    (else its type and number) and the detail the entry's before and after give."""
    before, after = entry.before or {}, entry.after or {}
    who = (
        translate(lang, N_("The system"))
        if actor is None
        else translate(lang, N_("A deleted account"))
        if actor.deleted_at
        else actor.name
    )
    thing, when = names.get(
        (entry.object_type, entry.object_id), (f"{entry.object_type} {entry.object_id}", "")
    )
    detail = ""
    action = entry.action
    if action.startswith(("booking.", "loan.")):
        when = _instant(before.get("start_at") or after.get("start_at"), lang, zone) or when
        if action == "booking.move":
            detail = _instant(after.get("start_at"), lang, zone)
    elif action in ("unit.block", "unit.unblock"):
        block = after if action == "unit.block" else before
        when = _instant(block.get("start_at"), lang, zone)
    elif action == "unit.report":
        detail = str(after.get("text", ""))
    elif action in ("unit.report_close", "unit.service"):
        detail = str(after.get("note", ""))
    elif action.startswith("certification."):
        detail = str(after.get("certification") or before.get("certification") or "")
    elif action == "user.role":
        detail = str(after.get("role", ""))
    elif action.startswith("location.exception"):
        shown = after or before
        detail = " – ".join(str(shown[key]) for key in ("date_from", "date_to") if shown.get(key))
    elif action.endswith(".update"):
        detail = changed_fields(before, after)
    return Facts(actor=who, thing=thing, when=when, detail=detail, reason=entry.reason or "")


async def describe(
    session: AsyncSession, entries: Iterable[AuditEntry], lang: Lang, zone: ZoneInfo
) -> dict[tuple[str, str], tuple[str, str]]:
    """(object type, id) -> (its name, its time) for the objects the entries speak of, in a few
    queries; objects gone since keep their type and number."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_id.isdigit():
            wanted.setdefault(entry.object_type, set()).add(int(entry.object_id))
    names: dict[tuple[str, str], tuple[str, str]] = {}

    def put(kind: str, key: int, name: str, moment: datetime | None = None) -> None:
        names[(kind, str(key))] = (name, format_datetime(moment, lang, zone) if moment else "")

    if ids := wanted.get("booking"):
        for booking_id, start, resource, unit in await session.execute(
            select(Booking.id, Booking.start_at, Resource, Unit.label)
            .join(Resource, Resource.id == Booking.resource_id)
            .join(Unit, Unit.id == Booking.unit_id)
            .where(Booking.id.in_(ids))
        ):
            put("booking", booking_id, f"{pick(lang, resource.name, resource.name_en)} ({unit})", start)
    if ids := wanted.get("unit"):
        for unit_id, label, resource in await session.execute(
            select(Unit.id, Unit.label, Resource)
            .join(Resource, Resource.id == Unit.resource_id)
            .where(Unit.id.in_(ids))
        ):
            put("unit", unit_id, f"{pick(lang, resource.name, resource.name_en)} ({label})")
    if ids := wanted.get("resource"):
        for resource in await session.scalars(select(Resource).where(Resource.id.in_(ids))):
            put("resource", resource.id, pick(lang, resource.name, resource.name_en))
    if ids := wanted.get("location"):
        for location in await session.scalars(select(Location).where(Location.id.in_(ids))):
            put("location", location.id, pick(lang, location.name, location.name_en))
    if ids := wanted.get("workshop"):
        for workshop in await session.scalars(select(Workshop).where(Workshop.id.in_(ids))):
            put("workshop", workshop.id, pick(lang, workshop.title, workshop.title_en))
    if ids := wanted.get("workshop_session"):
        for session_id, start, workshop in await session.execute(
            select(WorkshopSession.id, WorkshopSession.start_at, Workshop)
            .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
            .where(WorkshopSession.id.in_(ids))
        ):
            put("workshop_session", session_id, pick(lang, workshop.title, workshop.title_en), start)
    if ids := wanted.get("registration"):
        for registration_id, start, workshop in await session.execute(
            select(Registration.id, WorkshopSession.start_at, Workshop)
            .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
            .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
            .where(Registration.id.in_(ids))
        ):
            put("registration", registration_id, pick(lang, workshop.title, workshop.title_en), start)
    if ids := wanted.get("user"):
        for user in await session.scalars(select(User).where(User.id.in_(ids))):
            put("user", user.id, translate(lang, N_("a deleted account")) if user.deleted_at else user.name)
    return names
