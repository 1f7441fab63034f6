"""A trivial Litestar app for the booking benchmark: one POST that inserts one row.

It is the yardstick for POST /api/v1/bookings: the same server (uvicorn, one worker), the same
engine setup (`library.db.Database`, so SQLite writes take `BEGIN IMMEDIATE` and PostgreSQL
uses the same pool; a short write, as the booking's, runs on the event loop's thread on SQLite)
and the same database, but nothing else: no authentication, no rules, no audit entry or outbox
message, a single INSERT in a write transaction.

    LIBRARY_DATABASE_URL=... .venv/bin/python -m uvicorn --factory bench.trivial_app:create_app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import msgspec
from litestar import Litestar, post
from litestar.datastructures import State
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from library.config import normalise_database_url
from library.db import Database, UTCDateTime, utcnow

metadata = MetaData()
hits = Table(
    "bench_hits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("note", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


class HitIn(msgspec.Struct, forbid_unknown_fields=True):
    note: str = ""


class HitOut(msgspec.Struct):
    id: int
    note: str
    created_at: datetime


@post("/hits", status_code=201)
async def create_hit(data: HitIn, state: State) -> HitOut:
    db: Database = state.db
    now = utcnow()
    async with db.write(short=True) as session:
        new_id = (
            await session.execute(insert(hits).values(note=data.note, created_at=now).returning(hits.c.id))
        ).scalar_one()
    return HitOut(id=new_id, note=data.note, created_at=now)


def create_app() -> Litestar:
    url = normalise_database_url(os.environ["LIBRARY_DATABASE_URL"])

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        app.state.db = db
        try:
            yield
        finally:
            await db.dispose()

    return Litestar(route_handlers=[create_hit], lifespan=[lifespan], debug=False)
