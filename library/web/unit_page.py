"""The public page of one unit, reached from the QR code on its label (`/u/{code}`).

What it is, whether it works and where to book it, for anyone; "report a problem" for people
who are signed in. It shows nobody's personal data: not who reported, nor who booked.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Response, Template

from library.accounts.verification import ensure_email_verified
from library.booking import defects
from library.booking.defects import MAX_REPORT_LENGTH
from library.catalog.models import ReportSeverity
from library.errors import LibraryError
from library.http.problems import status_of
from library.http.viewer import UserDep
from library.i18n import N_, translate
from library.pictures.queries import resource_photos
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other

NOTICES = {
    "reported": N_("Thank you: the staff will look at the problem."),
    "blocked": N_("Thank you: the unit is out of service until the staff have looked at it."),
}


async def unit_page(
    context: PageContext, code: str, *, form: Form | None = None, status: int = 200
) -> Template:
    async with context.db.read() as session:
        unit = await defects.unit_by_code(session, code)
        state = await defects.unit_state(session, unit, context.now)
        photos = (await resource_photos(session, [unit.resource_id]))[unit.resource_id]
    return context.render(
        "catalogue/unit.html",
        status=status,
        unit=unit,
        resource=unit.resource,
        state=state.value,
        photos=photos,
        form=form or Form(values={"severity": ReportSeverity.NOTICE.value, "text": ""}),
        notice=context.notice(NOTICES),
    )


class UnitPages(Controller):
    include_in_schema = False

    @get("/u/{code:str}", name="unit-page")
    async def unit(self, context: PageContextDep, code: FromPath[str]) -> Template:
        return await unit_page(context, code)

    @post("/u/{code:str}/report", name="unit-report")
    async def report(
        self,
        context: PageContextDep,
        user: UserDep,
        code: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        ensure_email_verified(user, required=context.settings.verify_email)
        lang = context.lang
        form = Form(values=form_values(data))
        severity = form.value("severity")
        if severity not in ReportSeverity.__members__.values():
            form.add("severity", translate(lang, N_("Please choose one of the listed choices.")))
        text = parsing.text(form, "text", lang, required=True, max_length=MAX_REPORT_LENGTH, multiline=True)
        async with context.db.read() as session:
            unit = await defects.unit_by_code(session, code)
        if form.has_errors:
            return await unit_page(context, code, form=form, status=422)
        try:
            await defects.report_problem(
                context.db,
                unit.id,
                severity=ReportSeverity(severity),
                text=text,
                actor=user,
                now=context.now,
            )
        except LibraryError as problem:
            form.absorb(problem, lang)
            return await unit_page(context, code, form=form, status=status_of(problem))
        done = "blocked" if severity == ReportSeverity.BLOCKING else "reported"
        return see_other(f"/u/{unit.code}", done=done)
