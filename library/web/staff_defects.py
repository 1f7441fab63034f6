"""Staff: reported problems to close, units due for service, and QR labels to print.

The same domain functions as the API: library.booking.defects and library.booking.maintenance,
the meters from library.stats.usage, the label sheets from library.catalog.labels.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlalchemy import select

from library.booking import defects, maintenance
from library.catalog import labels
from library.catalog.models import MaintenancePlan, Resource
from library.errors import LibraryError
from library.http.problems import status_of
from library.http.viewer import UserDep, staff_only
from library.i18n import N_, pick, translate
from library.stats.usage import due_units
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other

NOTICES = {
    "closed": N_("The report is closed; a block it placed has ended."),
    "serviced": N_("The service is recorded: the meters count from now."),
    "quiet_block": N_("The unit is blocked at its next free time."),
    "plan": N_("The maintenance plan is saved."),
}


async def defects_page(
    context: PageContext,
    *,
    errors: dict[str, str] | None = None,
    plan_form: Form | None = None,
    status: int = 200,
) -> Template:
    async with context.db.read() as session:
        reports = await defects.open_reports(session)
        due = await due_units(session, context.now)
        resources = (
            await session.execute(
                select(Resource.slug, Resource.name, Resource.name_en).order_by(Resource.name)
            )
        ).all()
        plans = (
            await session.execute(
                select(Resource.name, Resource.name_en, MaintenancePlan)
                .join(MaintenancePlan, MaintenancePlan.resource_id == Resource.id)
                .order_by(Resource.name)
            )
        ).all()
    return context.render(
        "staff/defects.html",
        status=status,
        reports=reports,
        due=due,
        resources_options=[(slug, pick(context.lang, name, name_en)) for slug, name, name_en in resources],
        errors=errors or {},
        zone=context.settings.zone,
        notice=context.notice(NOTICES),
        labels_form=Form(values={"resource": ""}),
        plan_form=plan_form or Form(values={"resource": "", "warn_before_percent": "10"}),
        plans=[(pick(context.lang, name, name_en), plan) for name, name_en, plan in plans],
    )


class StaffDefectsPages(Controller):
    path = "/staff"
    include_in_schema = False
    guards = (staff_only,)

    @get("/defects", name="staff-defects")
    async def overview(self, context: PageContextDep) -> Template:
        return await defects_page(context)

    @post("/defects/plan", name="staff-maintenance-plan")
    async def plan(
        self, context: PageContextDep, user: UserDep, data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        """A resource's maintenance plan from the form, each number checked next to its field."""
        lang = context.lang
        form = Form(values=form_values(data))
        slug = parsing.text(form, "resource", lang, required=True, max_length=80)
        values = {
            name: parsing.whole_number(form, name, lang, low=low, high=high)
            for name, (low, high) in maintenance.PLAN_LIMITS.items()
        }
        if not form.has_errors:
            try:
                await maintenance.set_plan(context.db, slug, values, actor=user, now=context.now)
            except LibraryError as problem:
                form.absorb(problem, lang, fields={"slug": "resource"})
                return await defects_page(context, plan_form=form, status=status_of(problem))
            return see_other("/staff/defects", done="plan")
        return await defects_page(context, plan_form=form, status=422)

    @post("/defects/{report_id:int}/close", name="staff-defect-close")
    async def close(
        self,
        context: PageContextDep,
        user: UserDep,
        report_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        try:
            await defects.close_report(
                context.db, report_id, note=data.get("note", ""), actor=user, now=context.now
            )
        except LibraryError as problem:
            return await defects_page(
                context, errors={f"report-{report_id}": problem.detail(context.lang)}, status=409
            )
        return see_other("/staff/defects", done="closed")

    @post("/defects/units/{unit_id:int}/serviced", name="staff-unit-serviced")
    async def serviced(
        self,
        context: PageContextDep,
        user: UserDep,
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        try:
            await maintenance.record_service(
                context.db, unit_id, note=data.get("note", ""), actor=user, now=context.now
            )
        except LibraryError as problem:
            return await defects_page(
                context, errors={f"unit-{unit_id}": problem.detail(context.lang)}, status=422
            )
        return see_other("/staff/defects", done="serviced")

    @post("/defects/units/{unit_id:int}/quiet-block", name="staff-unit-quiet-block")
    async def quiet_block(
        self, context: PageContextDep, user: UserDep, unit_id: FromPath[int]
    ) -> Response[Any]:
        reason = translate(context.lang, N_("Maintenance"))
        try:
            await maintenance.block_when_quiet(
                context.db, unit_id, reason=reason, actor=user, now=context.now
            )
        except LibraryError as problem:
            return await defects_page(
                context, errors={f"unit-{unit_id}": problem.detail(context.lang)}, status=409
            )
        return see_other("/staff/defects", done="quiet_block")

    @get("/labels", name="staff-labels")
    async def labels(
        self,
        context: PageContextDep,
        resource: FromQuery[str] = "",
        unit: FromQuery[list[int] | None] = None,
        sheet: FromQuery[int] = 1,
        output: Annotated[str, QueryParameter(name="format")] = "svg",
    ) -> Response[Any] | Redirect:
        """QR labels for a resource's units: an A4 sheet as SVG, `sheet` counting from 1, or with
        `format=pdf` every sheet in one PDF."""
        if not resource:
            return see_other("/staff/defects")
        async with context.db.read() as session:
            wanted = await labels.units_to_label(session, resource, unit or [], context.lang)
        if output == "pdf":
            title = translate(context.lang, N_("QR labels: %(resource)s"), resource=resource)
            return Response(
                labels.label_pdf(wanted, context.settings.base_url, title=title),
                media_type="application/pdf",
                headers={"Content-Disposition": f'inline; filename="labels-{resource}.pdf"'},
            )
        first = (max(sheet, 1) - 1) * labels.PER_SHEET
        chosen = wanted[first : first + labels.PER_SHEET]
        return Response(
            labels.label_sheet(chosen, context.settings.base_url),
            media_type="image/svg+xml; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="labels-{resource}-{sheet}.svg"'},
        )
