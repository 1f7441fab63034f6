"""Loans in the booking layer: the pure rules of dates, renewals and reminders, and the reminder
job on a fixed clock (two days before, on the due day, overdue after 1, 3 and 7 days, each once
however often the job runs; a reservation not picked up is cancelled after its day)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from library.accounts.models import Language, User
from library.booking.lending import check_loan, check_renewal, default_due, reminder_due, renewed_due
from library.booking.loans import NewLoan, checkout_loan, reserve_loan, return_loan, send_reminders
from library.booking.models import Booking, BookingStatus, Loan, LoanStatus
from library.booking.rules import Booker, Refusal, ResourceFacts, Usage
from library.catalog.models import Resource, UnitCondition
from library.catalog.policy import BookingPolicy
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from tests.api.test_loans import lending_library
from tests.support.api import Client
from tests.support.factories import bearer, get_token
from tests.support.mail import Inbox, outbox, send, text_of
from tests.support.times import BERLIN, WEDNESDAY

SUNDAY = date(2026, 12, 6)


def weekdays(day: date) -> bool:
    return day.isoweekday() != 7


def test_the_default_due_day_is_the_last_open_day_within_loan_days() -> None:
    assert default_due(date(2026, 11, 29), 7, weekdays) == date(2026, 12, 5)  # not the Sunday after
    assert default_due(WEDNESDAY, 7, weekdays) == WEDNESDAY + timedelta(days=7)


def test_a_renewal_adds_loan_days_to_an_open_day() -> None:
    assert renewed_due(date(2026, 11, 29), 7, weekdays) == date(2026, 12, 5)
    assert check_renewal(0, 2) is None
    refusal = check_renewal(2, 2)
    assert refusal is not None
    assert refusal.params["reason"] == "max_renewals"


def test_reminders_come_two_days_before_on_the_day_and_after_one_three_and_seven_days() -> None:
    due = date(2026, 12, 10)
    stages = {}
    sent = 0
    for offset in range(-5, 12):
        stage = reminder_due(due, due + timedelta(days=offset), sent)
        if stage is not None:
            stages[offset] = stage
            sent = stage
    assert stages == {-2: 1, 0: 2, 1: 3, 3: 4, 7: 5}


def test_a_loan_counts_against_the_booking_quotas_not_the_minute_quotas() -> None:
    facts = ResourceFacts(
        id=1, slug="kamera", name="Kamera", name_en=None, location_id=1, kind="loan", factor="technology",
        active=True, needs_staff=False, requires_approval=False, min_age=None, required_certification=None,
        policy=BookingPolicy(max_minutes_per_week=900, max_active_bookings=1), unit_ids=(1,),
    )  # fmt: skip

    def check(active: int) -> Refusal | None:
        return check_loan(WEDNESDAY, WEDNESDAY + timedelta(days=7), facts, weekdays, WEDNESDAY, BERLIN,
                          Booker(None), Usage(active_upcoming=active))  # fmt: skip

    assert check(0) is None
    refusal = check(1)
    assert refusal is not None
    assert refusal.code == "quota_active"


def test_a_missed_reminder_is_not_sent_late_only_the_latest() -> None:
    assert reminder_due(date(2026, 12, 10), date(2026, 12, 14), 1) == 4


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=BERLIN)


async def lent(db: Database, client: Client, clock: SettableClock) -> Loan:
    await lending_library(db)
    async with db.read() as session:
        anna = await session.scalar(select(User).where(User.email == "anna@example.org"))
        staff = await session.scalar(select(User).where(User.email == "staff@example.org"))
    assert anna is not None
    assert staff is not None
    loan = await reserve_loan(db, NewLoan("kamera", WEDNESDAY), borrower=anna, actor=anna, now=clock.now())
    return await checkout_loan(db, loan.id, unit_id=None, checklist=[], actor=staff, now=clock.now())


async def test_the_reminder_job_queues_each_reminder_once_on_its_day(
    db: Database, client: Client, clock: SettableClock
) -> None:
    loan = await lent(db, client, clock)  # due Wednesday 9 December
    kinds_by_day: dict[int, list[str]] = {}
    for offset in range(-4, 10):
        clock.set(at_nine(loan.due + timedelta(days=offset)))
        before = len(await outbox(db))
        await send_reminders(db, now=clock.now())
        await send_reminders(db, now=clock.now())  # twice: still once
        rows = await outbox(db)
        if len(rows) > before:
            kinds_by_day[offset] = [row.kind for row in rows[before:]]

    assert kinds_by_day == {
        -2: ["loan.due_soon"],
        0: ["loan.due_today"],
        1: ["loan.overdue"],
        3: ["loan.overdue"],
        7: ["loan.overdue"],
    }


async def test_an_overdue_reminder_arrives_in_the_borrowers_language(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    loan = await lent(db, client, clock)
    assert await send(db, clock, settings, smtp) == 1
    [reserved] = smtp.accepted
    assert reserved["Subject"] == "Zur Abholung reserviert: Kamera-Set"
    assert "Zentralbibliothek" in text_of(reserved)
    smtp.accepted.clear()
    clock.set(at_nine(loan.due + timedelta(days=3)))

    assert await send_reminders(db, now=clock.now()) == 1
    assert await send(db, clock, settings, smtp) == 1

    [mail] = smtp.accepted
    assert mail["Subject"] == "Überfällig: Kamera-Set"
    assert "vor 3 Tagen" in text_of(mail)


async def test_a_reservation_not_picked_up_is_cancelled_after_its_day(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db)
    async with db.read() as session:
        anna = await session.scalar(select(User).where(User.email == "anna@example.org"))
    assert anna is not None
    loan = await reserve_loan(db, NewLoan("kamera", WEDNESDAY), borrower=anna, actor=anna, now=clock.now())

    clock.set(at_nine(WEDNESDAY) + timedelta(hours=14))  # 23:00 on the pickup day
    await send_reminders(db, now=clock.now())
    async with db.read() as session:
        assert (await session.get(Loan, loan.id)).status is LoanStatus.RESERVED  # type: ignore[union-attr]
    clock.set(at_nine(WEDNESDAY + timedelta(days=1)))
    await send_reminders(db, now=clock.now())

    async with db.read() as session:
        kept = await session.get(Loan, loan.id)
        assert kept is not None
        assert kept.status is LoanStatus.CANCELLED
        row = await session.get(Booking, kept.booking_id)
        assert row is not None
        assert row.status is BookingStatus.CANCELLED


async def test_an_overdue_thing_keeps_its_unit_held_until_it_is_back(
    db: Database, client: Client, clock: SettableClock
) -> None:
    loan = await lent(db, client, clock)  # due Wednesday 9 December, one unit
    late = loan.due + timedelta(days=3)
    clock.set(at_nine(late))
    await send_reminders(db, now=clock.now())

    async with db.read() as session:
        row = await session.get(Booking, loan.booking_id)
    assert row is not None
    end_of_late_day = datetime.combine(late + timedelta(days=1), time(0), BERLIN)
    assert row.occupied_end == end_of_late_day  # held through today, not only to the due day
    ben_token = await get_token(client, "ben@example.org")
    refused = await client.post(
        "/api/v1/loans", json={"resource": "kamera", "pickup": str(late)}, headers=bearer(ben_token)
    )
    assert refused.status_code == 409, refused.text

    # Back at ten: the unit is free from then on.
    async with db.read() as session:
        staff = await session.scalar(select(User).where(User.email == "staff@example.org"))
    assert staff is not None
    clock.set(at_nine(late) + timedelta(hours=1))
    await return_loan(
        db, loan.id, condition=UnitCondition.GOOD, missing_parts=[], note="", actor=staff, now=clock.now()
    )
    async with db.read() as session:
        row = await session.get(Booking, loan.booking_id)
    assert row is not None
    assert row.occupied_end == clock.now()


async def test_the_reservation_mail_names_the_parts_in_the_borrowers_language(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await lending_library(db)
    async with db.write() as session:
        await session.execute(
            update(Resource)
            .where(Resource.slug == "kamera")
            .values(loan_parts_en=["Battery", "Charger", "Bag"])
        )
        anna = await session.scalar(select(User).where(User.email == "anna@example.org"))
        ben = await session.scalar(select(User).where(User.email == "ben@example.org"))
        assert anna is not None
        assert ben is not None
        ben.language = Language.EN
    await reserve_loan(db, NewLoan("kamera", WEDNESDAY), borrower=anna, actor=anna, now=clock.now())
    await reserve_loan(
        db, NewLoan("kamera", WEDNESDAY + timedelta(days=14)), borrower=ben, actor=ben, now=clock.now()
    )

    assert await send(db, clock, settings, smtp) == 2

    texts = {mail["To"]: text_of(mail) for mail in smtp.accepted}
    assert "Dazu gehören: Akku, Ladegerät, Tasche." in texts["anna@example.org"]
    assert "What comes with it: Battery, Charger, Bag." in texts["ben@example.org"]
