"""Staff inventory as a CSV file: import (every row checked first, then all saved in one
transaction or nothing) and export in the same format (library.catalog.csv_io)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery, MultipartBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import Certification, User
from library.catalog import csv_io, inventory
from library.catalog.models import Location, Resource, Unit
from library.catalog.queries import unit_count_column
from library.catalog.resource_input import Expected
from library.errors import MESSAGES, LibraryError, message
from library.http.deps import DatabaseDep
from library.http.problems import status_of
from library.http.viewer import ViewerDep, staff_only
from library.i18n import N_, Lang, translate
from library.web.common import PageContextDep, see_other
from library.web.staff_inventory import EXPECTED, NOTICES, expected_text

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
}


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
    return csv_io.Known(
        locations=frozenset(await session.scalars(select(Location.slug))),
        certifications=frozenset(await session.scalars(select(Certification.key))),
        slugs=frozenset(await session.scalars(select(Resource.slug))),
        inventory_numbers=frozenset(
            n for n in await session.scalars(select(Unit.inventory_number)) if n is not None
        ),
    )


class StaffInventoryFilePages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff/resources/import", name="staff-resources-import")
    async def import_form(self, context: PageContextDep, created: FromQuery[str] = "") -> Response[Any]:
        """The upload form; after an import (`created`: its instant) also what it added."""
        added: list[tuple[Resource, int]] = []
        try:
            at = datetime.fromisoformat(created) if created else None
        except ValueError:
            at = None
        if at is not None and at.tzinfo is not None:
            async with context.db.read() as session:
                added = [
                    (resource, count)
                    for resource, count in await session.execute(
                        select(Resource, unit_count_column())
                        .where(Resource.created_at == at)
                        .order_by(Resource.id)
                    )
                ]
        return context.render(
            "staff/resources_import.html",
            columns=csv_io.COLUMNS,
            created=added,
            notice=context.notice(NOTICES),
        )

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
        now = context.now
        try:
            await inventory.create_resources(
                context.db, [(plan.values, plan.units) for plan in plans], actor=user, now=now
            )
        except LibraryError as problem:  # taken in the meantime by someone else: nothing was saved
            return report([], status=status_of(problem), general=problem.detail(lang))
        # All of the file's resources share the instant they were added: the page lists them by it.
        return see_other("/staff/resources/import", done="imported", created=now.isoformat())

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
