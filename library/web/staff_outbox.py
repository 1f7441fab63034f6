"""Staff: the notification outbox, to see what went out, what waits and what was given up,
and to send a given-up message again (the same worker.retry as the API)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from library.http.deps import ClockDep, DatabaseDep
from library.http.viewer import UserDep, staff_only
from library.i18n import N_, translate
from library.notify import worker
from library.outbox import queue
from library.outbox.kinds import kind_words
from library.outbox.models import OutboxStatus
from library.web import parsing
from library.web.common import Form, PageContextDep, see_other

NOTICES = {"retried": N_("The message is back in the queue and goes out with the next run.")}
PER_PAGE = 50


class StaffOutboxPages(Controller):
    path = "/staff/outbox"
    include_in_schema = False
    guards = (staff_only,)

    @get("/", name="staff-outbox")
    async def outbox(
        self,
        context: PageContextDep,
        status: FromQuery[str] = "",
        page: FromQuery[str] = "1",
    ) -> Template:
        lang = context.lang
        form = Form(values={"status": status, "page": page})
        if status and status not in OutboxStatus.__members__.values():
            form.add("status", translate(lang, N_("Please choose one of the listed states.")))
        number = parsing.whole_number(form, "page", lang, low=1, high=100_000) or 1
        rows = []
        if not form.has_errors:
            async with context.db.read() as session:
                rows = await queue.newest_first(
                    session,
                    status=OutboxStatus(status) if status else None,
                    limit=PER_PAGE,
                    offset=(number - 1) * PER_PAGE,
                )
        return context.render(
            "staff/outbox.html",
            status=422 if form.has_errors else 200,
            form=form,
            messages=rows[:PER_PAGE],
            page=number,
            has_more=len(rows) > PER_PAGE,
            zone=context.settings.zone,
            notice=context.notice(NOTICES),
            kind_words=lambda kind: kind_words(kind, lang),
        )

    @get("/{message_id:int}", name="staff-outbox-message")
    async def message(self, context: PageContextDep, message_id: FromPath[int]) -> Template:
        """One message as the person receives it: subject and text in their language."""
        shown = await worker.preview(
            context.db, message_id, smtp_url=context.settings.smtp_url, base_url=context.settings.base_url
        )
        return context.render(
            "staff/outbox_message.html",
            message_id=message_id,
            preview=shown,
            kind_words=lambda kind: kind_words(kind, context.lang),
        )

    @post("/{message_id:int}/retry", name="staff-outbox-retry")
    async def retry(
        self,
        message_id: FromPath[int],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        """A given-up message goes back to the queue; the list shows where it went."""
        await worker.retry(db, message_id, now=clock.now(), actor_id=user.id)
        shown = data.get("status", "")
        return see_other(
            "/staff/outbox",
            done="retried",
            **({"status": shown} if shown in OutboxStatus.__members__.values() else {}),
        )
