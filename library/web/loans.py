"""A visitor's loans: reserving a thing for pickup from its page, "My loans" with renewing and
giving up a reservation (on a second step).

The rules and refusals are the loan service's (the same calls as the API's /loans), so the
pages say what the API says, next to the field it concerns.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from library.accounts.models import User
from library.accounts.verification import ensure_email_verified
from library.booking import loans
from library.booking.lending import days_overdue
from library.booking.loans import NewLoan
from library.booking.models import Loan, LoanStatus
from library.booking.service import RuleBroken, SlotTaken
from library.errors import LibraryError, NotFound, message
from library.http.deps import DatabaseDep
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import UserDep
from library.i18n import N_, Lang, translate
from library.web import parsing
from library.web.catalogue import near_today
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other
from library.web.resource import resource_page

NOTICES = {
    "reserved": N_(
        "Reserved. Please pick it up at the desk on the pickup day; you get a confirmation by e-mail."
    ),
    "renewed": N_("The loan is renewed. Please note the new return day."),
    "cancelled": N_("The reservation is cancelled."),
}
WITHOUT_MAIL = {"reserved": N_("Reserved. Please pick it up at the desk on the pickup day.")}

STATUS_NAMES: dict[LoanStatus, str] = {
    LoanStatus.RESERVED: N_("reserved for pickup"),
    LoanStatus.ON_LOAN: N_("on loan"),
    LoanStatus.RETURNED: N_("returned"),
    LoanStatus.CANCELLED: N_("cancelled"),
}

REFUSAL_FIELDS = {
    "pickup_in_past": "pickup",
    "pickup_closed": "pickup",
    "beyond_horizon": "pickup",
    "due_before_pickup": "due",
    "loan_too_long": "due",
    "due_closed": "due",
}
"""Which field of the reservation form a refused rule concerns; the others go above the form."""


def loan_status_name(lang: Lang, status: LoanStatus) -> str:
    return translate(lang, STATUS_NAMES[status])


def loan_words(lang: Lang) -> dict[str, Any]:
    """What the loan templates need to say a status and how late a loan is."""
    return {
        "loan_status": lambda status: loan_status_name(lang, status),
        "days_overdue": days_overdue,
    }


async def loans_page(
    context: PageContext, user: User, *, status: int = 200, errors: dict[int, str] | None = None
) -> Template:
    today = context.now.astimezone(context.settings.zone).date()
    async with context.db.read() as session:
        rows = await loans.list_loans(session, owner_id=user.id, status=None, today=today)
    current = [loan for loan in rows if loan.status in (LoanStatus.RESERVED, LoanStatus.ON_LOAN)]
    past = sorted(
        (loan for loan in rows if loan not in current), key=lambda loan: (loan.due, loan.id), reverse=True
    )
    return context.render(
        "my/loans.html",
        status=status,
        notice=context.notice(NOTICES, WITHOUT_MAIL),
        current=current,
        past=past,
        today=today,
        errors=errors or {},
        **loan_words(context.lang),
    )


async def reserve_from_form(context: PageContext, user: User, slug: str, form: Form) -> Response[Any]:
    """The reservation form of a thing's page: the dates as typed, refusals next to their field."""
    lang, now = context.lang, context.now
    today = now.astimezone(context.settings.zone).date()
    pickup = near_today(form, "pickup", lang, parsing.day(form, "pickup", lang, required=True), today)
    due = near_today(form, "due", lang, parsing.day(form, "due", lang), today)
    if pickup is None or form.has_errors:
        return await resource_page(context, slug, form=form, status=422)
    try:
        await loans.reserve_loan(context.db, NewLoan(slug, pickup, due), borrower=user, actor=user, now=now)
    except RuleBroken as error:
        problem = await booking_refused(context.db, error.refusal, now)
        field = REFUSAL_FIELDS.get(error.refusal.code)
        if field is None:
            form.general = problem.detail(lang)
        else:
            form.add(field, problem.detail(lang))
        return await resource_page(context, slug, form=form, status=status_of(problem))
    except SlotTaken:
        form.general = message("loan_taken", lang)
        return await resource_page(context, slug, form=form, status=409)
    return see_other("/my/loans", done="reserved")


async def own_loan(context: PageContext, loan_id: int, user: User) -> Loan:
    """The person's own loan; anyone else's, staff's look included, is 'not found' on these pages."""
    async with context.db.read() as session:
        loan = await loans.get_loan(session, loan_id, user)
    if loan.user_id != user.id:
        raise NotFound(N_("The loan %(id)s"), id=loan_id)
    return loan


class LoanPages(Controller):
    include_in_schema = False

    @post("/resources/{slug:str}/loan", name="resource-loan")
    async def reserve(
        self,
        context: PageContextDep,
        user: UserDep,
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        ensure_email_verified(user, required=context.settings.verify_email)
        return await reserve_from_form(context, user, slug, Form(values=form_values(data)))

    @get("/my/loans", name="my-loans")
    async def my_loans(self, context: PageContextDep, user: UserDep) -> Template:
        return await loans_page(context, user)

    @post("/my/loans/{loan_id:int}/renew", name="my-loan-renew")
    async def renew(
        self, context: PageContextDep, user: UserDep, db: DatabaseDep, loan_id: FromPath[int]
    ) -> Response[Any]:
        await own_loan(context, loan_id, user)
        try:
            await loans.renew_loan(db, loan_id, actor=user, now=context.now)
        except LibraryError as problem:
            if problem.code == "not_found":
                raise
            return await loans_page(
                context, user, status=status_of(problem), errors={loan_id: problem.detail(context.lang)}
            )
        return see_other("/my/loans", done="renewed")

    @get("/my/loans/{loan_id:int}/cancel", name="my-loan-cancel-confirm")
    async def cancel_confirm(
        self, context: PageContextDep, user: UserDep, loan_id: FromPath[int]
    ) -> Template:
        """The second step before giving up a reservation."""
        loan = await own_loan(context, loan_id, user)
        return context.render("my/loan_cancel.html", loan=loan, **loan_words(context.lang))

    @post("/my/loans/{loan_id:int}/cancel", name="my-loan-cancel")
    async def cancel(
        self, context: PageContextDep, user: UserDep, db: DatabaseDep, loan_id: FromPath[int]
    ) -> Response[Any]:
        await own_loan(context, loan_id, user)
        try:
            await loans.cancel_loan(db, loan_id, actor=user, now=context.now)
        except LibraryError as problem:
            if problem.code == "not_found":
                raise
            return await loans_page(
                context, user, status=status_of(problem), errors={loan_id: problem.detail(context.lang)}
            )
        return see_other("/my/loans", done="cancelled")
