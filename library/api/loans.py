"""Loans: reserve a thing to take home, hand it out and take it back at the desk, renew it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter

from library import texts
from library.accounts.verification import ensure_email_verified
from library.api.bookings import UnitRef, UserRef
from library.api.common import Limit, Offset, Page, RowId, page_of
from library.booking import loans
from library.booking.lending import days_overdue
from library.booking.loans import NewLoan, Tick
from library.booking.models import Loan, LoanStatus
from library.booking.service import RuleBroken, SlotTaken, booker_for
from library.catalog.models import UnitCondition
from library.config import Settings
from library.errors import Conflict
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.refusals import booking_refused
from library.http.viewer import UserDep, staff_only

StatusFilter = Literal["reserved", "on_loan", "returned", "cancelled", "overdue"]

Part = Annotated[str, texts.line(120, min_length=1)]


class ChecklistItem(msgspec.Struct, forbid_unknown_fields=True):
    item: Part
    ok: bool


class LoanOut(msgspec.Struct, omit_defaults=True):
    id: int
    resource: str
    unit: UnitRef
    pickup: date
    due: date
    status: LoanStatus
    renewals: int
    overdue_days: int = 0
    user: UserRef | None = None
    checked_out_at: datetime | None = None
    returned_at: datetime | None = None
    condition: UnitCondition | None = None
    missing_parts: list[str] = msgspec.field(default_factory=list)
    checklist: list[ChecklistItem] = msgspec.field(default_factory=list)
    note: str = ""


class LoanIn(msgspec.Struct, forbid_unknown_fields=True):
    resource: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    pickup: date
    due: date | None = None
    for_user: Annotated[str, msgspec.Meta(max_length=254)] | None = None


class CheckoutIn(msgspec.Struct, forbid_unknown_fields=True):
    unit: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None
    checklist: Annotated[list[ChecklistItem], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    condition: UnitCondition
    missing_parts: Annotated[list[Part], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    note: Annotated[str, texts.note(2000)] = ""


def loan_out(loan: Loan, settings: Settings, today: date) -> LoanOut:
    """A loan loaded with its booking row (thing and unit) and its person."""
    booking = loan.booking
    zone = settings.zone
    return LoanOut(
        id=loan.id,
        resource=booking.resource.slug,
        unit=UnitRef(booking.unit_id, booking.unit.label),
        pickup=loan.pickup,
        due=loan.due,
        status=loan.status,
        renewals=loan.renewals,
        overdue_days=days_overdue(loan.due, today) if loan.status is LoanStatus.ON_LOAN else 0,
        user=UserRef(loan.user.id, loan.user.name) if loan.user else None,
        checked_out_at=loan.checked_out_at.astimezone(zone) if loan.checked_out_at else None,
        returned_at=loan.returned_at.astimezone(zone) if loan.returned_at else None,
        condition=loan.condition,
        missing_parts=[str(part) for part in loan.missing_parts],
        checklist=[ChecklistItem(str(tick["item"]), bool(tick["ok"])) for tick in loan.checklist],
        note=loan.note,
    )


class LoansController(Controller):
    path = "/api/v1/loans"
    tags = ("loans",)

    @post("/", summary="Reserve a thing to take home, for a pickup day", status_code=201)
    async def reserve(
        self,
        data: JSONBody[LoanIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> LoanOut:
        ensure_email_verified(user, required=settings.verify_email)
        now = clock.now()
        borrower = await booker_for(db, user, data.for_user)
        try:
            loan = await loans.reserve_loan(
                db, NewLoan(data.resource, data.pickup, data.due), borrower=borrower, actor=user, now=now
            )
        except RuleBroken as error:
            raise await booking_refused(db, error.refusal, now) from error
        except SlotTaken as taken:
            raise Conflict("slot_taken", message_key="loan_taken") from taken
        return loan_out(loan, settings, now.astimezone(settings.zone).date())

    @get("/", summary="The caller's loans; staff see all; status `overdue` lists those out past due")
    async def list_loans(
        self,
        request: Request[Any, Any, Any],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        status: Annotated[
            StatusFilter | None,
            QueryParameter(description="reserved, on_loan, returned, cancelled, or overdue (out past due)"),
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[LoanOut]:
        today = clock.now().astimezone(settings.zone).date()
        async with db.read() as session:
            rows = await loans.list_loans(
                session,
                owner_id=None if user.role.is_staff else user.id,
                status=status,
                today=today,
                limit=limit + 1,
                offset=offset,
            )
        return page_of(
            request, rows, lambda loan: loan_out(loan, settings, today), limit=limit, offset=offset
        )

    @get("/{loan_id:int}", summary="One loan")
    async def get_one(
        self, loan_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> LoanOut:
        async with db.read() as session:
            loan = await loans.get_loan(session, loan_id, user)
        return loan_out(loan, settings, clock.now().astimezone(settings.zone).date())

    @post(
        "/{loan_id:int}/checkout", summary="Hand the thing out (staff)", status_code=200, guards=[staff_only]
    )
    async def checkout(
        self,
        loan_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: JSONBody[CheckoutIn | None] = None,
    ) -> LoanOut:
        given = data or CheckoutIn()
        now = clock.now()
        loan = await loans.checkout_loan(
            db,
            loan_id,
            unit_id=given.unit,
            checklist=[Tick(tick.item, tick.ok) for tick in given.checklist],
            actor=user,
            now=now,
        )
        return loan_out(loan, settings, now.astimezone(settings.zone).date())

    @post(
        "/{loan_id:int}/return", summary="Take the thing back (staff)", status_code=200, guards=[staff_only]
    )
    async def take_back(
        self,
        loan_id: RowId,
        data: JSONBody[ReturnIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> LoanOut:
        now = clock.now()
        loan = await loans.return_loan(
            db,
            loan_id,
            condition=data.condition,
            missing_parts=data.missing_parts,
            note=data.note,
            actor=user,
            now=now,
        )
        return loan_out(loan, settings, now.astimezone(settings.zone).date())

    @post("/{loan_id:int}/renew", summary="Extend the loan by its loan days", status_code=200)
    async def renew(
        self, loan_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> LoanOut:
        now = clock.now()
        loan = await loans.renew_loan(db, loan_id, actor=user, now=now)
        return loan_out(loan, settings, now.astimezone(settings.zone).date())

    @post("/{loan_id:int}/cancel", summary="Give up a reservation before pickup", status_code=200)
    async def cancel(
        self, loan_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> LoanOut:
        now = clock.now()
        loan = await loans.cancel_loan(db, loan_id, actor=user, now=now)
        return loan_out(loan, settings, now.astimezone(settings.zone).date())
