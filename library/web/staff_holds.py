"""A resource's queue for the staff: who waits for which window, in order, and whom a freed slot
is offered to until when (read only; people answer their offers themselves)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import Template

from library.booking.holds import list_holds
from library.catalog import queries
from library.http.viewer import staff_only
from library.web.common import PageContextDep


class StaffHoldPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff/resources/{slug:str}/holds", name="staff-resource-holds")
    async def queue(self, context: PageContextDep, slug: FromPath[str]) -> Template:
        async with context.db.read() as session:
            resource, _ = await queries.get_resource(session, slug)
            waiting = await list_holds(session, resource_id=resource.id)
        return context.render(
            "staff/holds.html", resource=resource, queue=waiting, zone=ZoneInfo(resource.location.timezone)
        )
