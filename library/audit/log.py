"""Writing audit entries inside the transaction of the change they record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Insert, String, bindparam, cast, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.audit.models import AuditEntry
from library.db import plain_insert, table_of

ENTRY_INSERT = plain_insert(AuditEntry, send_with_next=True)
ENTRY_BOUND = ("at", "actor_id", "action", "object_type", "before", "after", "reason")
"""An entry's columns bound by `entry_values` when its object is written in the same statement."""


def entry_insert_about(object_id: ColumnElement[int], source: FromClause) -> Insert:
    """An INSERT of the audit entry about a row that the same statement writes (PostgreSQL: a
    data-modifying WITH, `source`): the entry's object id is that row's; the other values are
    bound by `entry_values`. Built once, like ENTRY_INSERT."""
    table = table_of(AuditEntry)
    bound = [bindparam(f"entry_{name}", type_=table.c[name].type) for name in ENTRY_BOUND]
    return insert(table).from_select(
        [*ENTRY_BOUND, "object_id"], select(*bound, cast(object_id, String)).select_from(source)
    )


def entry_values(entry: Entry) -> dict[str, Any]:
    """The values of `entry_insert_about`: those of `record_now` but the object id."""
    values = entry.row("")
    return {f"entry_{name}": values[name] for name in ENTRY_BOUND}


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """Plain JSON values of some attributes, for the before/after of an entry."""
    return {name: _plain(getattr(obj, name)) for name in fields}


Snapshot = dict[str, Any]


def only_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Snapshot, Snapshot]:
    """The fields an edit changed, before and after (two snapshots): what its entry records."""
    changed = [name for name in after if after[name] != before[name]]
    return {name: before[name] for name in changed}, {name: after[name] for name in changed}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Entry:
    """An audit entry, but the object it is about: a booking's is written either with the
    booking's id (`record_now`) or in the booking's own statement (`entry_values`)."""

    actor_id: int | None
    action: str
    object_type: str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None

    def row(self, object_id: int | str) -> dict[str, Any]:
        return {
            "actor_id": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": str(object_id),
            "at": self.at,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | str,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(**Entry(actor_id, action, object_type, at, before, after, reason).row(object_id))
    session.add(entry)
    return entry


async def record_now(session: AsyncSession, entry: Entry, *, object_id: int | str) -> None:
    """The entry as `record` writes it, by one plain INSERT (no ORM object to flush, for the hot
    path of a booking); on SQLite it travels with the transaction's next statement."""
    await (await session.connection()).execute(ENTRY_INSERT, entry.row(object_id))
