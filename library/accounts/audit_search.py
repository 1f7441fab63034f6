"""Reading the audit log: who did what to which object, when and why, newest first.

It lives with the accounts, not in audit: the log sits below every domain that writes to it, and
a search by who acted joins the people it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import User
from library.audit.models import AuditEntry
from library.db import escape_like


@dataclass(frozen=True)
class AuditFilter:
    """Each given part narrows the search; `actor` matches a name or e-mail address, `action`
    the start of an action ("booking." finds every booking action)."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    before: datetime | None = None
    hidden_prefix: str = ""
    """Actions starting so are left out (account actions for staff who are not admins)."""


def _statement(wanted: AuditFilter) -> Select[AuditEntry, User]:
    statement = select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_id)
    if wanted.actor:
        pattern = f"%{escape_like(wanted.actor.lower())}%"
        statement = statement.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    if wanted.action:
        statement = statement.where(AuditEntry.action.like(f"{escape_like(wanted.action)}%", escape="\\"))
    if wanted.hidden_prefix:
        statement = statement.where(
            AuditEntry.action.not_like(f"{escape_like(wanted.hidden_prefix)}%", escape="\\")
        )
    if wanted.object_type:
        statement = statement.where(AuditEntry.object_type == wanted.object_type)
    if wanted.object_id:
        statement = statement.where(AuditEntry.object_id == wanted.object_id)
    if wanted.since is not None:
        statement = statement.where(AuditEntry.at >= wanted.since)
    if wanted.before is not None:
        statement = statement.where(AuditEntry.at < wanted.before)
    return statement


async def search(
    session: AsyncSession, wanted: AuditFilter, *, limit: int, offset: int
) -> list[tuple[AuditEntry, User | None]]:
    """Entries with their actor (None: the system), newest first; up to `limit` + 1, so the
    caller knows whether there is a next page."""
    rows = await session.execute(
        _statement(wanted)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return [(entry, actor) for entry, actor in rows]


async def object_types(session: AsyncSession) -> list[str]:
    """The kinds of object the log speaks of, for choosing one."""
    return list(
        await session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    )
