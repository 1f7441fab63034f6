"""Queueing a notification in the same transaction as the change it reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, FromClause, Insert, bindparam, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.db import plain_insert, table_of
from library.outbox.models import OutboxMessage, OutboxStatus

MESSAGE_INSERT = plain_insert(OutboxMessage, send_with_next=True)
MESSAGE_BOUND = ("kind", "user_id", "recipient", "language", "created_at", "next_attempt_at")
"""A message's columns bound by `message_values` when its payload names a row written in the
same statement."""
MAX_ATTEMPTS = 10
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: 1, 2, 4 ... minutes, at most 2 h.
    For every delivery written first and sent later: mail, and observations pushed to a city."""
    return min(FIRST_DELAY * (1 << min(max(attempts - 1, 0), 16)), MAX_DELAY)


class Recipient(Protocol):
    """Whom a message goes to: an account (accounts.models.User), which sits above the outbox."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...

    @property
    def language(self) -> str: ...


def message_id(row_id: int, host: str) -> str:
    """The Message-ID of an outbox row, the same at every try, so a resend is recognisable."""
    return f"<outbox-{row_id}@{host}>"


def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    user: Recipient,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    """Queue a message to the person. One to an address that receives no mail (a deleted
    account, or one made at the desk without an e-mail address: see accounts.models) is made
    but not queued."""
    message = OutboxMessage(**_message(kind, user, payload, now))
    if receives_mail(user):
        session.add(message)
    return message


async def enqueue_now(
    session: AsyncSession,
    *,
    kind: str,
    user: Recipient,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """The same message as `enqueue`, written by one plain INSERT (no ORM object to flush, for
    the hot path of a booking); on SQLite it travels with the transaction's next statement."""
    if receives_mail(user):
        await (await session.connection()).execute(MESSAGE_INSERT, _message(kind, user, payload, now))


def message_insert_about(key: str, object_id: ColumnElement[int], source: FromClause) -> Insert:
    """An INSERT of a message about a row that the same statement writes (PostgreSQL: a
    data-modifying WITH, `source`): its payload is that row's id under `key`; the other values
    are bound by `message_values`. Built once, like MESSAGE_INSERT."""
    table = table_of(OutboxMessage)
    bound = [bindparam(f"message_{name}", type_=table.c[name].type) for name in MESSAGE_BOUND]
    payload = func.jsonb_build_object(key, object_id)
    queued = literal(OutboxStatus.QUEUED, type_=table.c.status.type)  # new: queued, never tried
    return insert(table).from_select(
        [*MESSAGE_BOUND, "payload", "status", "attempts"],
        select(*bound, payload, queued, literal(0)).select_from(source),
    )


def message_values(*, kind: str, user: Recipient, now: datetime) -> dict[str, Any]:
    """The values of `message_insert_about`: those of `enqueue_now` but the payload."""
    values = _message(kind, user, {}, now)
    return {f"message_{name}": values[name] for name in MESSAGE_BOUND}


def receives_mail(user: Recipient) -> bool:
    """False for the placeholder address of a deleted account or a desk-made one without e-mail."""
    return not user.email.endswith(".invalid")


def _message(kind: str, user: Recipient, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "user_id": user.id,
        "recipient": user.email,
        "language": str(user.language),
        "payload": payload,
        "created_at": now,
        "next_attempt_at": now,
    }


async def newest_first(
    session: AsyncSession, *, status: OutboxStatus | None, limit: int, offset: int
) -> list[OutboxMessage]:
    """Messages for staff, newest first, of one status or all; up to `limit` + 1, so the caller
    knows whether there is a next page."""
    statement = select(OutboxMessage)
    if status is not None:
        statement = statement.where(OutboxMessage.status == status)
    rows = await session.scalars(
        statement.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return list(rows)
