"""Privacy by default: what the service holds about a person, deleting an account, and
forgetting who booked once the retention period is over (GDPR Art. 15, 17 and 5(1)(e)).

What stays, and why:
- A deleted account remains as a row without name, e-mail address, birth date or password, so
  that its past bookings and registrations still count in the statistics and the audit log
  still says that "account 17" did something. Nothing on that row names a person. Its
  certifications, sign-ins and unsent mail go; sent mail keeps only its kind and time.
- After `retention_days` (LIBRARY_RETENTION_DAYS, default 90) past bookings, loans returned or
  never picked up, registrations and sent mail no longer point at anyone: their resource, unit,
  times and status stay, so usage counts and meters do not change, but the person, their notes
  and the mail's address and content go. Holds that ended go altogether (a hold is nothing but
  someone waiting), and defect reports keep their text but no longer name who reported them.
- An account cannot be deleted while the person has a thing on loan: it is refused until the
  thing is back, as the desk must know whom to ask for it.
- Audit entries past the retention period about bookings, registrations and people keep what
  was done, to which object and when, and by which member of staff (staff act in their
  office, and that stays accountable); the visitor who acted, the before/after values and
  the free-text reason go, as they would name the person again. Entries of a visitor's acts on
  other objects (a defect report on a unit, a hold on a resource) lose the visitor.

Keep the retention period at least as long as the longest lottery cool-down of a workshop
(`Workshop.lottery_cooldown_days`): the cool-down looks at who won a place before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Delete, Update, case, delete, exists, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.accounts.models import ApiToken, LoginSession, Role, User, UserCertification
from library.accounts.service import LoginSubjects, forget_failures, sign_in
from library.audit.log import record, snapshot
from library.audit.models import AuditEntry
from library.booking.holds import end_holds_of, list_holds
from library.booking.loans import cancel_reservations_within, list_loans
from library.booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingPurpose,
    BookingSeries,
    BookingStatus,
    Hold,
    HoldStatus,
    Loan,
    LoanStatus,
)
from library.booking.service import cancel_within, lock_person
from library.catalog.models import Resource, Unit, UnitReport
from library.db import Database, dialect_of
from library.errors import Conflict, NotFound
from library.i18n import N_
from library.outbox.models import OutboxMessage, OutboxStatus
from library.stats.keeping import keep_before_retention
from library.workshops.models import Registration, RegistrationStatus, WorkshopSession
from library.workshops.service import cancel_registration_within

DELETED_DOMAIN = "library.invalid"  # RFC 2606: a domain that can never receive mail

PROFILE_FIELDS = ("id", "email", "name", "role", "birth_date", "language", "is_active", "created_at")
BOOKING_FIELDS = (
    "id",
    "purpose",
    "start_at",
    "end_at",
    "status",
    "note",
    "participants",
    "series_id",
    "created_at",
    "updated_at",
    "checked_in_at",
    "cancelled_at",
    "status_reason",
    "override_reason",
)
SERIES_FIELDS = ("id", "rule", "created_at")
LOAN_FIELDS = (
    "id",
    "booking_id",
    "pickup",
    "due",
    "status",
    "renewals",
    "checked_out_at",
    "returned_at",
    "condition",
    "missing_parts",
    "checklist",
    "note",
    "created_at",
)
HOLD_FIELDS = (
    "id",
    "window_start",
    "window_end",
    "minutes",
    "status",
    "offer_until",
    "created_at",
    "updated_at",
)
REPORT_FIELDS = ("id", "severity", "text", "reported_at", "closed_at")
REGISTRATION_FIELDS = ("id", "session_id", "status", "waitlist_position", "offered_until", "created_at")
CERTIFICATION_FIELDS = ("granted_at", "expires_at", "source", "note", "revoked_at")
TOKEN_FIELDS = ("id", "created_at", "expires_at", "revoked_at", "last_used_at")
LOGIN_SESSION_FIELDS = ("id", "created_at", "expires_at")
MESSAGE_FIELDS = ("id", "kind", "created_at", "recipient", "language", "payload", "status", "sent_at")
AUDIT_FIELDS = ("id", "at", "action", "object_type", "object_id")

FUTURE_BOOKING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
"""A person's bookings that deleting the account cancels (if they have not ended yet)."""

CANCELLABLE_REGISTRATIONS = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.ENTERED,
)

OPEN_HOLD_STATUSES = (HoldStatus.WAITING, HoldStatus.OFFERED)

PERSONAL_OBJECT_TYPES = ("booking", "registration", "user")
"""Audit objects whose before/after values and reasons concern a person."""

BOOKING_TEXTS_FORGOTTEN: dict[Any, Any] = {
    Booking.note: "",
    Booking.status_reason: None,
    # That staff overrode the rules still counts; their words about the person go.
    Booking.override_reason: case((Booking.override_reason.is_(None), None), else_=""),
}
"""What a booking says about its person in free text, emptied."""


def placeholder_email(user_id: int) -> str:
    """The address of a deleted account: unique, and never deliverable."""
    return f"deleted-{user_id}@{DELETED_DOMAIN}"


def export_filename(user: User, now: datetime) -> str:
    return f"library-data-{user.id}-{now.date().isoformat()}.json"


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """What ended before this instant is past the retention period."""
    return now - timedelta(days=retention_days)


async def export_user_data(session: AsyncSession, user: User, now: datetime) -> dict[str, Any]:
    """Everything the service holds about a person, as JSON values (instants in ISO 8601, UTC).

    Secrets are never part of it: no password hash, no token or session hash. Audit entries in
    which the person only acted (staff on someone else's booking) are listed without their
    before/after values and reason, which may concern the other person.
    """
    person = await session.get(User, user.id)
    if person is None:
        raise NotFound(N_("The account"))
    bookings = list(
        await session.scalars(
            select(Booking)
            .where(Booking.user_id == person.id)
            .options(joinedload(Booking.resource), joinedload(Booking.unit))
            .order_by(Booking.start_at, Booking.id)
        )
    )
    series = await session.execute(
        select(BookingSeries, Resource.slug)
        .join(Resource, Resource.id == BookingSeries.resource_id)
        .where(BookingSeries.user_id == person.id)
        .order_by(BookingSeries.id)
    )
    registrations = list(
        await session.scalars(
            select(Registration)
            .where(Registration.user_id == person.id)
            .options(selectinload(Registration.session).joinedload(WorkshopSession.workshop))
            .order_by(Registration.created_at, Registration.id)
        )
    )
    certifications = await session.scalars(
        select(UserCertification)
        .where(UserCertification.user_id == person.id)
        .options(joinedload(UserCertification.certification))
        .order_by(UserCertification.granted_at, UserCertification.id)
    )
    tokens = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == person.id).order_by(ApiToken.id)
    )
    login_sessions = await session.scalars(
        select(LoginSession).where(LoginSession.user_id == person.id).order_by(LoginSession.id)
    )
    messages = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == person.id).order_by(OutboxMessage.id)
    )
    loans = await list_loans(session, owner_id=person.id, status=None, today=now.date())
    holds = reversed(await list_holds(session, person.id))  # oldest first, as everything here
    reports = await session.scalars(
        select(UnitReport)
        .where(UnitReport.reported_by_id == person.id)
        .options(joinedload(UnitReport.unit).joinedload(Unit.resource))
        .order_by(UnitReport.reported_at, UnitReport.id)
    )
    about_them = {
        ("user", str(person.id)),
        *(("booking", str(b.id)) for b in bookings),
        *(("registration", str(r.id)) for r in registrations),
    }
    audit = await session.scalars(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == person.id,
                (AuditEntry.object_type == "user") & (AuditEntry.object_id == str(person.id)),
                (AuditEntry.object_type == "booking")
                & AuditEntry.object_id.in_([str(b.id) for b in bookings]),
                (AuditEntry.object_type == "registration")
                & AuditEntry.object_id.in_([str(r.id) for r in registrations]),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return {
        "exported_at": now.isoformat(),
        "profile": {
            **snapshot(person, PROFILE_FIELDS),
            "has_calendar_feed": person.calendar_token_hash is not None,
        },
        "certifications": [
            {
                "key": held.certification.key,
                "name": held.certification.name,
                **snapshot(held, CERTIFICATION_FIELDS),
            }
            for held in certifications
        ],
        "bookings": [
            {
                **snapshot(booking, BOOKING_FIELDS),
                "resource": booking.resource.slug,
                "unit": booking.unit.label,
            }
            for booking in bookings
        ],
        "booking_series": [{**snapshot(one, SERIES_FIELDS), "resource": slug} for one, slug in series],
        "loans": [
            {
                **snapshot(loan, LOAN_FIELDS),
                "resource": loan.booking.resource.slug,
                "unit": loan.booking.unit.label,
            }
            for loan in sorted(loans, key=lambda loan: (loan.pickup, loan.id))
        ],
        "holds": [
            {
                **snapshot(view.hold, HOLD_FIELDS),
                "resource": view.hold.resource.slug,
                "position": view.position,
            }
            for view in holds
        ],
        "defect_reports": [
            {
                **snapshot(report, REPORT_FIELDS),
                "resource": report.unit.resource.slug,
                "unit": report.unit.label,
            }
            for report in reports
        ],
        "registrations": [
            {
                **snapshot(registration, REGISTRATION_FIELDS),
                "workshop": registration.session.workshop.slug,
                "session_start_at": registration.session.start_at.isoformat(),
                "session_end_at": registration.session.end_at.isoformat(),
            }
            for registration in registrations
        ],
        "api_tokens": [snapshot(token, TOKEN_FIELDS) for token in tokens],
        "login_sessions": [snapshot(login, LOGIN_SESSION_FIELDS) for login in login_sessions],
        "messages": [snapshot(message, MESSAGE_FIELDS) for message in messages],
        "audit": [_audit_entry(entry, person.id, about_them) for entry in audit],
    }


def _audit_entry(entry: AuditEntry, user_id: int, about_them: set[tuple[str, str]]) -> dict[str, Any]:
    """An entry in which the person acted or which is about them (their account, booking or
    registration); only the latter shows what changed and why."""
    is_subject = (entry.object_type, entry.object_id) in about_them
    details = {"before": entry.before, "after": entry.after, "reason": entry.reason} if is_subject else {}
    return {
        **snapshot(entry, AUDIT_FIELDS),
        "as_actor": entry.actor_id == user_id,
        "as_subject": is_subject,
        **details,
    }


async def password_confirmed(db: Database, user: User, password: str, *, address: str, now: datetime) -> bool:
    """Whether the person gave their current password, before something irreversible.

    Checked as a sign-in is (no transaction open while argon2 works): a wrong password counts as
    a failed sign-in and is throttled like one, so a stolen token cannot be used to guess it.
    """
    subjects = LoginSubjects.of(user.email, address)
    found = await sign_in(db, email=user.email, password=password, subjects=subjects, now=now)
    return found is not None


@dataclass(frozen=True)
class AccountDeleted:
    bookings_cancelled: int
    registrations_cancelled: int


async def delete_account(db: Database, user: User, now: datetime) -> AccountDeleted:
    """Cancel what the person has ahead, end every sign-in, and anonymise the account.

    Reservations of things to lend are given up and holds end, but someone who has a thing at
    home cannot vanish: the library must still be able to ask them for it (and the loan is
    theirs until it is back). Deletion is refused (409 `still_on_loan`) until it is returned.

    Cancellations go through the booking and workshop services, so the waitlist moves up and
    the audit log and outbox see them. Past bookings and registrations stay, counted for
    the anonymous account. The last active administrator cannot delete their account.
    It opens its own write transaction; call it once `password_confirmed` said yes.
    """
    async with db.write() as session:
        if user.role is Role.ADMIN and not await _another_admin(session, user.id):
            raise Conflict("last_admin")
        await lock_person(session, user.id)  # no booking of theirs slips in meanwhile
        person = await session.get(User, user.id, populate_existing=True)
        if person is None or person.deleted_at is not None:
            raise NotFound(N_("The account"))
        if await _things_out(session, person.id):
            raise Conflict("still_on_loan")
        await end_holds_of(session, person, now)  # before their bookings: an offer's row is one
        bookings = await _cancel_bookings(session, person, now)
        bookings += await cancel_reservations_within(session, person, now=now)
        registrations = await _cancel_registrations(session, person, now)
        await session.flush()
        await _end_sign_ins(session, person, now)
        await session.execute(delete(UserCertification).where(UserCertification.user_id == person.id))
        await session.execute(
            update(Booking)
            .where(Booking.user_id == person.id)
            .values({**BOOKING_TEXTS_FORGOTTEN, Booking.updated_at: now})
        )
        await session.execute(
            # Unsent mail (queued, or given up and waiting for staff to retry) never goes out.
            delete(OutboxMessage).where(
                OutboxMessage.user_id == person.id, OutboxMessage.status != OutboxStatus.SENT
            )
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.user_id == person.id)
            .values(recipient="", payload={}, last_error=None)
        )
        await forget_failures(session, person.email)
        person.email = placeholder_email(person.id)
        person.name = ""
        person.birth_date = None
        person.password_hash = None
        person.calendar_token_hash = None
        person.is_active = False
        person.deleted_at = now
        record(
            session, actor_id=person.id, action="user.delete", object_type="user", object_id=person.id, at=now
        )
        await session.flush()
        return AccountDeleted(bookings, registrations)


async def _things_out(session: AsyncSession, user_id: int) -> int:
    """How many of the person's loans are reserved or out, their rows locked (PostgreSQL) so that
    no checkout at the desk turns a reservation into a loan while the account goes."""
    statement = select(Loan.status).where(
        Loan.user_id == user_id, Loan.status.in_((LoanStatus.RESERVED, LoanStatus.ON_LOAN))
    )
    if dialect_of(session) == "postgresql":
        statement = statement.with_for_update()
    return sum(status is LoanStatus.ON_LOAN for status in await session.scalars(statement))


async def _another_admin(session: AsyncSession, user_id: int) -> bool:
    """Whether someone else can still administer.

    Two admins leaving at once wait for each other: both lock every admin row, in one order.
    """
    statement = select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.id)
    if dialect_of(session) == "postgresql":
        statement = statement.with_for_update()
    return any(admin != user_id for admin in await session.scalars(statement))


async def _cancel_bookings(session: AsyncSession, person: User, now: datetime) -> int:
    statement = (
        select(Booking)
        .where(
            Booking.user_id == person.id,
            Booking.purpose != BookingPurpose.LOAN,  # a loan's row goes with its loan (below)
            Booking.status.in_(FUTURE_BOOKING_STATUSES),
            Booking.end_at > now,
        )
        .options(selectinload(Booking.user))
        .order_by(Booking.start_at)
    )
    if dialect_of(session) == "postgresql":
        statement = statement.with_for_update(of=Booking)
    bookings = list(await session.scalars(statement))
    for booking in bookings:
        cancel_within(session, booking, actor=person, now=now, reason=None)
    return len(bookings)


async def _cancel_registrations(session: AsyncSession, person: User, now: datetime) -> int:
    ahead = list(
        await session.scalars(
            select(Registration.id)
            .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
            .where(
                Registration.user_id == person.id,
                Registration.status.in_(CANCELLABLE_REGISTRATIONS),
                WorkshopSession.end_at > now,
            )
            .order_by(WorkshopSession.start_at)
        )
    )
    for registration_id in ahead:
        await cancel_registration_within(session, registration_id, actor=person, now=now)
    return len(ahead)


async def _end_sign_ins(session: AsyncSession, person: User, now: datetime) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(delete(LoginSession).where(LoginSession.user_id == person.id))


@dataclass(frozen=True)
class Anonymised:
    """How many rows one run of `anonymise_expired` took the person off (or, holds, deleted)."""

    bookings: int
    series: int
    registrations: int
    messages: int
    audit_entries: int
    loans: int = 0
    holds: int = 0
    reports: int = 0

    @property
    def total(self) -> int:
        return (
            self.bookings
            + self.series
            + self.registrations
            + self.messages
            + self.audit_entries
            + self.loans
            + self.holds
            + self.reports
        )


async def anonymise_expired(session: AsyncSession, now: datetime, retention_days: int) -> Anonymised:
    """Past the retention period, bookings, loans, registrations, reports, mail and audit entries
    forget the person, and holds that ended go.

    A few set-based statements; each only touches rows that still name someone, so a second run
    changes nothing. Resource, unit, times and status stay, so statistics and usage meters count
    the same.
    """
    cutoff = retention_cutoff(now, retention_days)
    # First count the people of the days about to be forgotten, so reports stay the same.
    await keep_before_retention(session, cutoff)
    bookings = await _updated(
        session,
        update(Booking)
        .where(
            # A loan's row too once the thing is back (one still out keeps its borrower).
            or_(
                Booking.purpose.in_((BookingPurpose.VISITOR, BookingPurpose.HOLD)),
                (Booking.purpose == BookingPurpose.LOAN) & Booking.status.not_in(ACTIVE_STATUSES),
            ),
            Booking.user_id.is_not(None),
            Booking.end_at < cutoff,
        )
        .values(
            {
                **BOOKING_TEXTS_FORGOTTEN,
                # A booking someone made for themselves forgets its maker too; staff stay named.
                Booking.created_by_id: case(
                    (Booking.created_by_id == Booking.user_id, None), else_=Booking.created_by_id
                ),
                Booking.user_id: None,
                Booking.updated_at: now,
            }
        ),
    )
    # The loans of those rows forget their borrower and the desk's note about them; who at the
    # desk lent stays named, and the thing's condition and missing parts stay with the thing.
    loans = await _updated(
        session,
        update(Loan)
        .where(
            Loan.user_id.is_not(None),
            Loan.booking_id.in_(
                select(Booking.id).where(Booking.purpose == BookingPurpose.LOAN, Booking.user_id.is_(None))
            ),
        )
        .values(user_id=None, note=""),
    )
    # A hold is nothing but someone waiting: once it has ended (or its window has passed) and
    # the retention period is over, it goes. An accepted offer lives on as the booking above.
    holds = await _deleted(
        session,
        delete(Hold).where(
            or_(
                Hold.status.not_in(OPEN_HOLD_STATUSES) & (Hold.updated_at < cutoff),
                Hold.window_end < cutoff,
            )
        ),
    )
    # A report keeps its unit, severity, text and what staff did; who reported it goes.
    reports = await _updated(
        session,
        update(UnitReport)
        .where(UnitReport.reported_by_id.is_not(None), UnitReport.reported_at < cutoff)
        .values(reported_by_id=None),
    )
    still_running = exists().where(Booking.series_id == BookingSeries.id, Booking.end_at >= cutoff)
    series = await _updated(
        session,
        update(BookingSeries)
        .where(BookingSeries.user_id.is_not(None), BookingSeries.created_at < cutoff, ~still_running)
        .values(user_id=None),
    )
    # Not one placeholder account: a session allows one live registration per person.
    registrations = await _updated(
        session,
        update(Registration)
        .where(
            Registration.user_id.is_not(None),
            Registration.session_id.in_(select(WorkshopSession.id).where(WorkshopSession.end_at < cutoff)),
        )
        .values(user_id=None, updated_at=now),
    )
    messages = await _updated(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.created_at < cutoff,
            OutboxMessage.status != OutboxStatus.QUEUED,
            or_(OutboxMessage.recipient != "", OutboxMessage.user_id.is_not(None)),
        )
        .values(recipient="", payload={}, user_id=None, last_error=None),
    )
    visitors = select(User.id).where(User.role == Role.VISITOR)
    audit_entries = await _updated(
        session,
        update(AuditEntry)
        .where(
            AuditEntry.at < cutoff,
            AuditEntry.object_type.in_(PERSONAL_OBJECT_TYPES),
            or_(
                AuditEntry.before.is_not(None),
                AuditEntry.after.is_not(None),
                AuditEntry.reason.is_not(None),
                AuditEntry.actor_id.in_(visitors),
            ),
        )
        .values(
            before=null(),
            after=null(),
            reason=None,
            actor_id=case((AuditEntry.actor_id.in_(visitors), None), else_=AuditEntry.actor_id),
        ),
    )
    # What a visitor did to anything else (reported a unit's defect, waited for a resource)
    # stays, without the visitor.
    audit_entries += await _updated(
        session,
        update(AuditEntry)
        .where(AuditEntry.at < cutoff, AuditEntry.actor_id.in_(visitors))
        .values(actor_id=None),
    )
    return Anonymised(bookings, series, registrations, messages, audit_entries, loans, holds, reports)


async def _updated(session: AsyncSession, statement: Update) -> int:
    """Rows changed; the session's objects are not refreshed (none are loaded here)."""
    result = await session.execute(statement.execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    return result.rowcount


async def _deleted(session: AsyncSession, statement: Delete) -> int:
    """Rows deleted (none of them loaded here)."""
    result = await session.execute(statement.execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    return result.rowcount
