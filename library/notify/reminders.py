"""Mails queued ahead of time: reminders of bookings and workshops, notices of expiring
certifications. The scheduler runs these jobs every tick.

Each mail goes out once: the row it is about is marked (`reminder_queued_at`,
`expiry_notice_queued_at`) in the transaction that queues it, and the jobs read only
unmarked rows. A job that runs every second, in several processes, or again after the
service was down, therefore queues nothing twice; what already started (or expired) while
the service was down gets nothing, a late reminder being worse than none.

The rows still waiting are picked with the same SQL as the partial index that holds them,
so the planner can use that index even for a prepared statement.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, text, update
from sqlalchemy.orm import aliased

from library.accounts.models import EXPIRY_NOTICE_DUE_SQL, Certification, User, UserCertification
from library.booking.models import REMINDER_DUE_SQL as BOOKING_REMINDER_DUE_SQL
from library.booking.models import Booking
from library.db import Database
from library.outbox.queue import enqueue
from library.workshops.models import REMINDER_DUE_SQL as REGISTRATION_REMINDER_DUE_SQL
from library.workshops.models import Registration, WorkshopSession

BATCH = 500
"""At most so many mails of one kind per tick, to keep each transaction short; the rest next tick."""

CAN_BE_MAILED = (User.is_active.is_(True), User.deleted_at.is_(None))


async def queue_booking_reminders(db: Database, *, now: datetime, hours: int) -> int:
    """A reminder for each confirmed booking that starts within `hours`; the number queued."""
    async with db.write() as session:
        due = (
            await session.execute(
                select(Booking.id, Booking.created_at, Booking.start_at, User)
                .join(User, User.id == Booking.user_id)
                .where(
                    text(BOOKING_REMINDER_DUE_SQL),
                    Booking.start_at > now,
                    Booking.start_at <= now + timedelta(hours=hours),
                    *CAN_BE_MAILED,
                )
                .order_by(Booking.start_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True, of=Booking)
            )
        ).all()
        if not due:
            return 0
        window = timedelta(hours=hours)
        queued = 0
        for booking_id, created_at, start_at, user in due:
            if created_at > start_at - window:
                continue  # booked inside the window: the confirmation just said it all
            queued += 1
            enqueue(
                session,
                kind="booking.reminder",
                user=user,
                payload={"booking_id": booking_id},
                now=now,
            )
        # updated_at stays: a reminder changes nothing about the booking (its calendar
        # entry's SEQUENCE comes from updated_at).
        await session.execute(
            update(Booking)
            .where(Booking.id.in_([row.id for row in due]))
            .values(reminder_queued_at=now, updated_at=Booking.updated_at)
        )
    return queued


async def queue_registration_reminders(db: Database, *, now: datetime, hours: int) -> int:
    """A reminder for each confirmed place in a workshop session starting within `hours`."""
    async with db.write() as session:
        due = (
            await session.execute(
                select(Registration.id, User)
                .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
                .join(User, User.id == Registration.user_id)
                .where(
                    text(REGISTRATION_REMINDER_DUE_SQL),
                    WorkshopSession.cancelled_at.is_(None),
                    WorkshopSession.start_at > now,
                    WorkshopSession.start_at <= now + timedelta(hours=hours),
                    *CAN_BE_MAILED,
                )
                .order_by(WorkshopSession.start_at, Registration.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True, of=Registration)
            )
        ).all()
        if not due:
            return 0
        for registration_id, user in due:
            enqueue(
                session,
                kind="registration.reminder",
                user=user,
                payload={"registration_id": registration_id},
                now=now,
            )
        await session.execute(
            update(Registration)
            .where(Registration.id.in_([registration_id for registration_id, _ in due]))
            .values(reminder_queued_at=now, updated_at=Registration.updated_at)
        )
    return len(due)


async def queue_certification_notices(db: Database, *, now: datetime, days: int) -> int:
    """A notice for each certification held that expires within `days`, unless a later grant
    of the same certification (a renewal) already outlasts it."""
    renewal = aliased(UserCertification)
    renewed = exists().where(
        renewal.user_id == UserCertification.user_id,
        renewal.certification_id == UserCertification.certification_id,
        renewal.id != UserCertification.id,
        renewal.revoked_at.is_(None),
        or_(renewal.expires_at.is_(None), renewal.expires_at > UserCertification.expires_at),
    )
    async with db.write() as session:
        due = (
            await session.execute(
                select(UserCertification.id, Certification.key, User)
                .join(Certification, Certification.id == UserCertification.certification_id)
                .join(User, User.id == UserCertification.user_id)
                .where(
                    text(EXPIRY_NOTICE_DUE_SQL),
                    UserCertification.expires_at > now,
                    UserCertification.expires_at <= now + timedelta(days=days),
                    ~renewed,
                    *CAN_BE_MAILED,
                )
                .order_by(UserCertification.expires_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True, of=UserCertification)
            )
        ).all()
        if not due:
            return 0
        for held_id, key, user in due:
            enqueue(
                session,
                kind="certification.expiring",
                user=user,
                payload={"certification": key, "user_certification_id": held_id},
                now=now,
            )
        await session.execute(
            update(UserCertification)
            .where(UserCertification.id.in_([held_id for held_id, _, _ in due]))
            .values(expiry_notice_queued_at=now)
        )
    return len(due)
