"""Staff: the notification outbox, to see what went out, what waits and what was given up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromQuery

from library.api.common import Limit, Offset, Page, RowId, page_of
from library.config import Settings
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only
from library.notify import worker
from library.notify.ics import host_of
from library.outbox import queue
from library.outbox.models import OutboxMessage, OutboxStatus


class OutboxItemOut(msgspec.Struct):
    id: int
    kind: str
    recipient: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    message_id: str


def outbox_item(row: OutboxMessage, settings: Settings) -> OutboxItemOut:
    zone = settings.zone
    return OutboxItemOut(
        id=row.id,
        kind=row.kind,
        recipient=row.recipient,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at.astimezone(zone),
        sent_at=row.sent_at.astimezone(zone) if row.sent_at else None,
        next_attempt_at=(row.next_attempt_at.astimezone(zone) if row.status is OutboxStatus.QUEUED else None),
        message_id=queue.message_id(row.id, host_of(settings.base_url)),
    )


class OutboxController(Controller):
    path = "/api/v1/outbox"
    tags = ("outbox",)
    guards = (staff_only,)

    @get("/", summary="Staff: notifications, newest first")
    async def list_outbox(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        settings: SettingsDep,
        status: FromQuery[OutboxStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[OutboxItemOut]:
        async with db.read() as session:
            rows = await queue.newest_first(session, status=status, limit=limit, offset=offset)
        return page_of(request, rows, lambda row: outbox_item(row, settings), limit=limit, offset=offset)

    @post("/{message_id:int}/retry", summary="Staff: send a given-up notification again", status_code=200)
    async def retry(
        self, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep, message_id: RowId
    ) -> OutboxItemOut:
        row = await worker.retry(db, message_id, now=clock.now(), actor_id=user.id)
        return outbox_item(row, settings)
