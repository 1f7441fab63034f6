"""Lend and return at the desk: type or scan an inventory number, hand out the loan reserved
for that thing (ticking its parts) or lend it to someone now, take it back with its condition
and missing parts; the loans out past their due day below.

Every step is the loan service's (the same calls as the API's /loans), so the rules and the
database's overlap guarantee are the same as for programs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from library.booking import loans
from library.booking.loans import OVERDUE, Tick
from library.booking.models import LoanStatus
from library.booking.service import RuleBroken, booker_for
from library.catalog import queries
from library.catalog.models import UnitCondition
from library.errors import LibraryError
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import staff_only
from library.i18n import N_, translate
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other
from library.web.loans import loan_words

NOTICES = {
    "lent": N_("Handed out. The loan is on the list of things on loan."),
    "returned": N_("Taken back. The unit is free again."),
}

CONDITIONS: tuple[tuple[UnitCondition, str], ...] = (
    (UnitCondition.GOOD, N_("good")),
    (UnitCondition.WORN, N_("worn")),
    (UnitCondition.DAMAGED, N_("damaged")),
)


def ticked(data: Mapping[str, str], prefix: str, parts: Sequence[str]) -> list[int]:
    """The indexes of the parts whose box was ticked (`part-0`, `part-1`, …)."""
    return [index for index in range(len(parts)) if data.get(f"{prefix}-{index}") == "on"]


def checklist_of(data: Mapping[str, str], parts: Sequence[str]) -> list[Tick]:
    there = set(ticked(data, "part", parts))
    return [Tick(part, index in there) for index, part in enumerate(parts)]


async def desk_page(
    context: PageContext,
    number: str = "",
    *,
    form: Form | None = None,
    status: int = 200,
) -> Template:
    lang = context.lang
    today: date = context.now.astimezone(context.settings.zone).date()
    scan = Form(values={"number": number})
    found = None
    async with context.db.read() as session:
        if number.strip():
            found = await loans.at_the_desk(session, number, today)
            if found is None:
                scan.add("number", translate(lang, N_("No unit has this inventory number.")))
                status = 404 if status == 200 else status
        overdue = await loans.list_loans(session, owner_id=None, status=OVERDUE, today=today)
        pickups = [
            loan
            for loan in await loans.list_loans(
                session, owner_id=None, status=LoanStatus.RESERVED.value, today=today
            )
            if loan.pickup <= today
        ]
    return context.render(
        "staff/loans.html",
        status=status,
        notice=context.notice(NOTICES),
        scan=scan,
        found=found,
        shown_parts=queries.parts_in(lang, found.unit.resource) if found is not None else [],
        form=form or Form(),
        overdue=overdue,
        pickups=pickups,
        today=today,
        conditions=[(value.value, translate(lang, words)) for value, words in CONDITIONS],
        **loan_words(lang),
    )


async def refused(context: PageContext, number: str, problem: LibraryError) -> Template:
    form = Form()
    form.general = problem.detail(context.lang)
    return await desk_page(context, number, form=form, status=status_of(problem))


class StaffLoanPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff/loans", name="staff-loans")
    async def desk(self, context: PageContextDep, number: FromQuery[str] = "") -> Template:
        return await desk_page(context, number[:60])

    @post("/staff/loans/{loan_id:int}/checkout", name="staff-loan-checkout")
    async def checkout(
        self, context: PageContextDep, loan_id: FromPath[int], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        number = data.get("number", "")
        user = context.viewer.user
        assert user is not None  # the guard let staff in
        try:
            today = context.now.astimezone(context.settings.zone).date()
            async with context.db.read() as session:
                loan = await loans.get_loan(session, loan_id, user)
                found = await loans.at_the_desk(session, number, today) if number else None
            unit_id = found.unit.id if found is not None else None  # the unit on the counter
            parts = [str(part) for part in loan.booking.resource.loan_parts or []]
            await loans.checkout_loan(
                context.db,
                loan_id,
                unit_id=unit_id,
                checklist=checklist_of(data, parts),
                actor=user,
                now=context.now,
            )
        except LibraryError as problem:
            if problem.code == "not_found":
                raise
            return await refused(context, number, problem)
        return see_other("/staff/loans", done="lent", number=number)

    @post("/staff/loans/{loan_id:int}/return", name="staff-loan-return")
    async def take_back(
        self, context: PageContextDep, loan_id: FromPath[int], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        number = data.get("number", "")
        user = context.viewer.user
        assert user is not None
        lang = context.lang
        form = Form(values=form_values(data))
        note = parsing.text(form, "note", lang, max_length=2000, multiline=True)
        condition = form.value("condition")
        if condition not in {value.value for value, _ in CONDITIONS}:
            form.add("condition", translate(lang, N_("Please choose one of the listed options.")))
        if form.has_errors:
            return await desk_page(context, number, form=form, status=422)
        try:
            async with context.db.read() as session:
                loan = await loans.get_loan(session, loan_id, user)
                parts = [str(part) for part in loan.booking.resource.loan_parts or []]
            missing = [parts[index] for index in ticked(data, "missing", parts)]
            await loans.return_loan(
                context.db,
                loan_id,
                condition=UnitCondition(condition),
                missing_parts=missing,
                note=note or "",
                actor=user,
                now=context.now,
            )
        except LibraryError as problem:
            if problem.code == "not_found":
                raise
            return await refused(context, number, problem)
        return see_other("/staff/loans", done="returned")

    @post("/staff/loans/new", name="staff-loan-new")
    async def lend(self, context: PageContextDep, data: URLEncodedBody[dict[str, str]]) -> Response[Any]:
        """Lend the scanned unit now to a person named by e-mail address or library card."""
        number = data.get("number", "")
        user = context.viewer.user
        assert user is not None
        lang, now = context.lang, context.now
        form = Form(values=form_values(data))
        person = parsing.text(form, "person", lang, required=True, max_length=254)
        today = now.astimezone(context.settings.zone).date()
        due = parsing.day(form, "due", lang)
        if due is not None and due < today:
            form.add("due", translate(lang, N_("The return day must not be before the pickup day.")))
        if form.has_errors or person is None:
            return await desk_page(context, number, form=form, status=422)
        try:
            borrower = await booker_for(context.db, user, person, field="person")
            async with context.db.read() as session:
                found = await loans.at_the_desk(session, number, today)
            if found is None:
                form.add("person", translate(lang, N_("No unit has this inventory number.")))
                return await desk_page(context, number, form=form, status=404)
            await loans.lend_now(
                context.db,
                found.unit.id,
                borrower=borrower,
                due=due,
                checklist=checklist_of(data, found.parts),
                actor=user,
                now=now,
            )
        except RuleBroken as error:
            problem = await booking_refused(context.db, error.refusal, now)
            form.general = problem.detail(lang)
            return await desk_page(context, number, form=form, status=status_of(problem))
        except LibraryError as problem:
            form.absorb(problem, lang, fields={"person": "person", "due": "due"})
            return await desk_page(context, number, form=form, status=status_of(problem))
        return see_other("/staff/loans", done="lent", number=number)
