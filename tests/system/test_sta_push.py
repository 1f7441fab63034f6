"""Observations pushed to a city's SensorThings server (LIBRARY_STA_PUSH_URL), the outbox way:
queued with the observation, sent by the scheduler, retried with backoff after a refusal.

The city's server is a stand-in on loopback that answers as told and keeps what it took.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.opendata.models import Observation, ObservationPush, PushStatus
from library.opendata.observations import record_observations
from library.opendata.push import push_due
from library.scheduler import run_jobs_once
from tests.support.factories import create_location, create_resource


@dataclass
class CityServer:
    """What the stand-in took, and the statuses it answers with before it takes (201)."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    taken: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: int = 0


@pytest.fixture
def city() -> Iterator[CityServer]:
    server_state = CityServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = server_state.answers.pop(0) if server_state.answers else 201
            if status == 201:
                server_state.taken.append((self.path, body))
            else:
                server_state.refused += 1
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what the server took."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}/v1.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


async def _library(db: Database) -> None:
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")


async def _pushes(db: Database) -> list[ObservationPush]:
    async with db.read() as session:
        return list(await session.scalars(select(ObservationPush).order_by(ObservationPush.id)))


async def test_nothing_is_queued_without_a_city_server(db: Database, clock: SettableClock) -> None:
    await _library(db)
    assert await record_observations(db, now=clock.now(), keep_days=730) > 0
    assert await _pushes(db) == []


async def test_observations_reach_the_city_after_a_refusal_and_a_retry(
    db: Database, clock: SettableClock, city: CityServer
) -> None:
    await _library(db)
    written = await record_observations(db, now=clock.now(), keep_days=730, push=True)
    assert written > 0
    assert len(await _pushes(db)) == written

    city.answers = [503]
    assert await push_due(db, now=clock.now(), url=city.url) == 0  # refused: the batch stops
    (first, *rest) = await _pushes(db)
    assert (first.status, first.attempts) == (PushStatus.QUEUED.value, 1)
    assert first.last_error is not None
    assert first.last_error.startswith("HTTP 503")
    assert first.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert all(p.attempts == 0 for p in rest)

    clock.set(clock.now() + timedelta(seconds=30))  # the others are due, the refused one waits
    assert await push_due(db, now=clock.now(), url=city.url) == written - 1
    clock.set(clock.now() + timedelta(minutes=1))
    assert await push_due(db, now=clock.now(), url=city.url) == 1
    assert {p.status for p in await _pushes(db)} == {PushStatus.SENT.value}
    assert await push_due(db, now=clock.now(), url=city.url) == 0

    async with db.read() as session:
        observations = {o.id: o for o in await session.scalars(select(Observation))}
    assert len(city.taken) == written
    for path, body in city.taken:
        assert path.startswith("/v1.1/Datastreams(")
        assert path.endswith(")/Observations")
        assert set(body) == {"phenomenonTime", "resultTime", "result"}
    by_stream = {int(path.split("(")[1].split(")")[0]): body for path, body in city.taken}
    assert set(by_stream) == {o.datastream_id for o in observations.values()}


async def test_a_push_the_city_refuses_for_good_is_given_up(
    db: Database, clock: SettableClock, city: CityServer
) -> None:
    await _library(db)
    written = await record_observations(db, now=clock.now(), keep_days=730, push=True)
    city.answers = [400]
    assert await push_due(db, now=clock.now(), url=city.url) == written - 1
    statuses = [p.status for p in await _pushes(db)]
    assert statuses.count(PushStatus.DEAD.value) == 1
    assert statuses.count(PushStatus.SENT.value) == written - 1


async def test_the_scheduler_queues_and_pushes_where_the_city_server_is_set(
    db: Database, clock: SettableClock, settings: Settings, city: CityServer
) -> None:
    await _library(db)
    pushing = replace(settings, sta_push_url=city.url)
    results = await run_jobs_once(db, clock, pushing)
    assert results["record_observations"] > 0
    assert results["push_observations"] == results["record_observations"]
    assert len(city.taken) == results["record_observations"]
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ObservationPush)) == len(city.taken)
