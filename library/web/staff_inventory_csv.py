"""Staff inventory as a CSV file: import (every row checked first, then all saved in one
transaction or nothing; new resources and units added, existing ones updated, the result
listed row by row) and export in the same format (library.catalog.csv_io)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import Certification, User
from library.catalog import csv_io, inventory
from library.catalog.models import Location, Resource, Unit
from library.catalog.resource_input import Expected
from library.errors import MESSAGES, LibraryError, message
from library.http.deps import DatabaseDep
from library.http.problems import status_of
from library.http.viewer import ViewerDep, staff_only
from library.i18n import N_, Lang, translate
from library.web.common import PageContextDep
from library.web.staff_inventory import EXPECTED, expected_text

MAX_FILE_BYTES = 2_000_000
FILE_PROBLEMS = {
    "unknown_column": N_("This column is not known (see the list of columns below)."),
    "missing_column": N_("This column is missing."),
    "differs": N_("Differs from the first row of this resource (row %(row)s)."),
    "duplicate": N_("Already used in row %(row)s."),
    "not_utf8": N_("The file is not UTF-8 text. Please save it as CSV (UTF-8)."),
    "no_rows": N_("The file has no rows below the header."),
    "no_file": N_("Please choose a CSV file."),
    "too_large": N_("The file is too large (at most 2 MB)."),
    "too_many_rows": N_("At most %(count)s rows per file, please."),
    "inventory_number_elsewhere": N_(
        "The inventory number %(number)s belongs to a unit of %(slug)s; a file cannot move a unit to "
        "another offer."
    ),
}
DONE = {
    "added": N_("added"),
    "updated": N_("updated: %(fields)s"),
    "unchanged": N_("unchanged"),
}
"""What the import did with a resource or a unit, as the result lists it row by row."""


@dataclass(frozen=True)
class RowDone:
    """One line of the result: a resource (no unit label) or a unit, and what was done to it."""

    row: int
    slug: str
    unit: str
    what: str
    text: str


def done_text(lang: Lang, done: inventory.Imported) -> str:
    """ "added", "unchanged" or "updated: name, policy.max_minutes", the fields as the file's columns."""
    columns = {name: column for column, name in csv_io.UNIT_FIELDS.items()}
    fields = ", ".join(columns.get(name, name) for name in done.fields)
    return translate(lang, DONE[done.what], fields=fields) if fields else translate(lang, DONE[done.what])


def rows_done(
    lang: Lang,
    plans: Sequence[csv_io.ResourcePlan],
    done: Sequence[tuple[inventory.Imported, list[inventory.Imported]]],
) -> list[RowDone]:
    """The result by row: each resource on its first row, each unit on its own."""
    rows = []
    for plan, (resource, units) in zip(plans, done, strict=True):
        slug = str(plan.values["slug"])
        rows.append(RowDone(plan.row, slug, "", resource.what, done_text(lang, resource)))
        rows.extend(
            RowDone(row, slug, spec.label, unit.what, done_text(lang, unit))
            for row, spec, unit in zip(plan.unit_rows, plan.units, units, strict=True)
        )
    return sorted(rows, key=lambda line: (line.row, bool(line.unit)))


def problem_text(lang: Lang, problem: csv_io.RowProblem) -> str:
    """The sentence for a problem in a file: the input rules', the file's or the domain's."""
    if problem.kind in EXPECTED:
        return expected_text(lang, Expected(problem.column, problem.kind, problem.params))
    if problem.kind in FILE_PROBLEMS:
        return translate(lang, FILE_PROBLEMS[problem.kind], **problem.params)
    if problem.kind in MESSAGES:
        return message(problem.kind, lang, **problem.params)
    return problem.kind


async def known_references(session: AsyncSession) -> csv_io.Known:
    numbers = await session.execute(
        select(Unit.inventory_number, Resource.slug)
        .join(Resource, Resource.id == Unit.resource_id)
        .where(Unit.inventory_number.is_not(None))
    )
    return csv_io.Known(
        locations=frozenset(await session.scalars(select(Location.slug))),
        certifications=frozenset(await session.scalars(select(Certification.key))),
        inventory_numbers={number: slug for number, slug in numbers if number is not None},
    )


class StaffInventoryFilePages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff/resources/import", name="staff-resources-import")
    async def import_form(self, context: PageContextDep) -> Response[Any]:
        return context.render("staff/resources_import.html", columns=csv_io.COLUMNS)

    @post("/staff/resources/import", name="staff-resources-import-submit")
    async def import_file(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        data: MultipartBody[dict[str, Any]],
    ) -> Response[Any]:
        lang = context.lang
        upload = data.get("file")

        def report(
            problems: list[csv_io.RowProblem], status: int = 422, general: str | None = None
        ) -> Response[Any]:
            return context.render(
                "staff/resources_import.html",
                status=status,
                columns=csv_io.COLUMNS,
                filename=upload.filename if isinstance(upload, UploadFile) else "",
                problems=[(p.row, p.column, problem_text(lang, p)) for p in problems],
                general=general,
            )

        if not isinstance(upload, UploadFile) or not upload.filename:
            return report([], general=translate(lang, FILE_PROBLEMS["no_file"]))
        content = await upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            return report([], status=413, general=translate(lang, FILE_PROBLEMS["too_large"]))
        text = csv_io.decode(content)
        if text is None:
            return report([], general=translate(lang, FILE_PROBLEMS["not_utf8"]))
        plans, problems = csv_io.parse(text)
        async with context.db.read() as session:
            problems = csv_io.in_order(
                [*problems, *csv_io.check_references(plans, await known_references(session))]
            )
        if problems:
            return report(problems)
        try:
            done = await inventory.import_resources(
                context.db, [plan.wanted() for plan in plans], actor=user, now=context.now
            )
        except LibraryError as problem:  # taken in the meantime by someone else: nothing was saved
            return report([], status=status_of(problem), general=problem.detail(lang))
        # The result is shown at once: it is read from the file's rows. Sending the file again
        # changes nothing more, and says so.
        return context.render(
            "staff/resources_import.html",
            columns=csv_io.COLUMNS,
            filename=upload.filename,
            done=rows_done(lang, plans, done),
        )

    @get("/staff/resources/export.csv", name="staff-resources-export")
    async def export(self, viewer: ViewerDep, db: DatabaseDep) -> Response[str]:
        async with db.read() as session:
            resources = (
                await session.scalars(
                    select(Resource)
                    .join(Location, Location.id == Resource.location_id)
                    .where(Resource.active.is_(True))
                    .options(
                        selectinload(Resource.location),
                        selectinload(Resource.required_certification),
                        selectinload(Resource.policy),
                        selectinload(Resource.units),
                    )
                    .order_by(Location.position, Location.slug, Resource.slug)
                )
            ).all()
        return Response(
            "\ufeff" + csv_io.export(resources),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="inventory.csv"'},
        )
