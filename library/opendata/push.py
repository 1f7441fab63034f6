"""Sending observations to a city's SensorThings server (LIBRARY_STA_PUSH_URL), the outbox way.

`observations.record_observations` queues one `sta_pushes` row per observation in the
transaction that writes it; the scheduler's `push_observations` job sends the due rows, never
inside the writer's transaction, so a slow or absent city server never holds up the service.

- Each observation is one `POST {url}/Datastreams({id})/Observations` with `phenomenonTime`,
  `resultTime` and `result` (the form FROST and every SensorThings 1.1 server take); `{id}` is
  our datastream's `@iot.id`, so the city's server holds our datastreams under our ids (see
  docs/adopting.md). One request per observation keeps a failure to one row (no batch half done).
- 2xx: sent. A 4xx other than 408 and 429 will not get better by waiting: the row is dead. Any
  other answer or no answer: retried with the outbox's backoff (1, 2, 4 ... minutes, at most
  2 hours), dead after the outbox's last try. Such a refusal stops the batch (the server is down
  or busy: no point in asking again at once); a refusal for good of one observation does not.
- PostgreSQL: each row is sent while locked (`FOR UPDATE SKIP LOCKED`), so two schedulers never
  send the same one; SQLite (one process): read, send, then mark in a short write transaction.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.db import Database
from library.opendata.models import Datastream, Observation, ObservationPush, PushStatus
from library.opendata.sta import observation_fields
from library.outbox.queue import MAX_ATTEMPTS, backoff

log = logging.getLogger("library.opendata")

TIMEOUT_SECONDS = 15.0
ERROR_LENGTH = 1000


class Outcome(enum.Enum):
    NONE_DUE = "none_due"
    SENT = "sent"
    GIVEN_UP = "given_up"  # this observation; go on with the next
    TRY_LATER = "try_later"  # the server is down or busy: stop the batch


@dataclass(frozen=True)
class Delivery:
    """What one push sends: where and what."""

    push_id: int
    path: str
    body: dict[str, Any]


def _due(now: datetime) -> Select[ObservationPush, Observation, str]:
    return (
        select(ObservationPush, Observation, Datastream.kind)
        .join(Observation, Observation.id == ObservationPush.observation_id)
        .join(Datastream, Datastream.id == Observation.datastream_id)
        .where(ObservationPush.status == PushStatus.QUEUED.value, ObservationPush.next_attempt_at <= now)
        .order_by(ObservationPush.next_attempt_at, ObservationPush.id)
        .limit(1)
    )


def _delivery(push: ObservationPush, observation: Observation, kind: str) -> Delivery:
    return Delivery(
        push.id,
        f"/Datastreams({observation.datastream_id})/Observations",
        observation_fields(
            observation.phenomenon_start,
            observation.phenomenon_end,
            observation.result_time,
            observation.result,
            kind,
        ),
    )


async def _post(client: httpx.AsyncClient, url: str, delivery: Delivery) -> tuple[str | None, bool]:
    """Send one; None when the server took it, else what went wrong and whether it is final."""
    try:
        response = await client.post(url + delivery.path, json=delivery.body)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}", False
    if response.is_success:
        return None, False
    final = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    return f"HTTP {response.status_code}: {response.text[:200]}", final


def _settle(push: ObservationPush, problem: str | None, final: bool, now: datetime) -> Outcome:
    """Mark a try."""
    push.attempts += 1
    if problem is None:
        push.status = PushStatus.SENT.value
        push.sent_at = now
        return Outcome.SENT
    push.last_error = problem[:ERROR_LENGTH]
    if final or push.attempts >= MAX_ATTEMPTS:
        push.status = PushStatus.DEAD.value
        log.warning("observation push %s given up after %s attempts: %s", push.id, push.attempts, problem)
        return Outcome.GIVEN_UP if final else Outcome.TRY_LATER
    push.next_attempt_at = now + backoff(push.attempts)
    log.info("observation push %s not taken (attempt %s): %s", push.id, push.attempts, problem)
    return Outcome.TRY_LATER


async def push_due(db: Database, *, now: datetime, url: str, batch: int = 200) -> int:
    """Send up to `batch` due observations to the city's server; the number it took."""
    sent = 0
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"}) as client:
        for _ in range(batch):
            outcome = await (_next_sqlite if db.is_sqlite else _next_locked)(db, client, url, now)
            if outcome in (Outcome.NONE_DUE, Outcome.TRY_LATER):
                break
            sent += outcome is Outcome.SENT
    return sent


async def _next_locked(db: Database, client: httpx.AsyncClient, url: str, now: datetime) -> Outcome:
    """PostgreSQL: lock one due row (skipping those another scheduler holds), send, mark, commit."""
    async with db.write() as session:
        found = (
            await session.execute(_due(now).with_for_update(of=ObservationPush, skip_locked=True))
        ).first()
        if found is None:
            return Outcome.NONE_DUE
        push, observation, kind = found
        problem, final = await _post(client, url, _delivery(push, observation, kind))
        return _settle(push, problem, final, now)


async def _next_sqlite(db: Database, client: httpx.AsyncClient, url: str, now: datetime) -> Outcome:
    """SQLite: read and send outside a write transaction, then mark briefly."""
    async with db.read() as session:
        found = (await session.execute(_due(now))).first()
        if found is None:
            return Outcome.NONE_DUE
        delivery = _delivery(*found)
    problem, final = await _post(client, url, delivery)
    async with db.write() as session:
        return await _mark(session, delivery.push_id, problem, final, now)


async def _mark(
    session: AsyncSession, push_id: int, problem: str | None, final: bool, now: datetime
) -> Outcome:
    push = await session.get(ObservationPush, push_id)
    if push is None or push.status != PushStatus.QUEUED.value:
        return Outcome.GIVEN_UP  # forgotten with its observation meanwhile
    return _settle(push, problem, final, now)
