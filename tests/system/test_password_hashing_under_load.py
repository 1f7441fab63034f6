"""Hashing or checking a password must not hold up the other requests.

argon2 takes a good part of a second of CPU on a busy machine. The load test (bench/load.py)
found registrations and sign-ins stalling every request while they hashed in the event loop,
and then, on PostgreSQL, answering 500 when a hundred of them held every pooled connection
while they hashed inside their transactions (on SQLite they held the one writer).

Here the password work waits until the test has seen the event loop run on, which can only
happen when it runs beside the loop, in a worker thread; for the API's registration and
sign-in and a password reset the test also sees no connection taken meanwhile, and another
write go through.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy.pool import QueuePool

from library.accounts import resets, service
from library.accounts.models import PasswordReset, User
from library.accounts.passwords import hash_password, verify_password
from library.clock import SettableClock
from library.db import Database
from tests.support import factories
from tests.support.factories import DEFAULT_PASSWORD

T = TypeVar("T")
WAIT_SECONDS = 60  # only a safety net: the work is released as soon as the loop has been seen running
EMAIL = "hanna@example.org"
NEW_PASSWORD = "Donau-Schwimmer-2027"


class Held:
    """Stands in for a password function: starts, then waits for `release` before its work."""

    def __init__(self, work: Callable[..., object]) -> None:
        self.work = work
        self.started, self.release, self.done = threading.Event(), threading.Event(), threading.Event()

    def __call__(self, *arguments: object) -> object:
        self.started.set()
        self.release.wait(timeout=WAIT_SECONDS)
        try:
            return self.work(*arguments)
        finally:
            self.done.set()


async def run_while_held(held: Held, work: Awaitable[T], db: Database | None = None) -> T:
    """Start `work`; once its password work has begun, see the event loop still run (and with
    `db`, no connection taken and another write transaction done); then let it finish."""
    pending = asyncio.ensure_future(work)
    try:
        assert await asyncio.to_thread(held.started.wait, WAIT_SECONDS)
        # This line runs in the event loop: had the password work taken the loop, it would be done.
        assert not held.done.is_set(), "the event loop waited for the password work"
        if db is not None:
            pool = db.engine.pool
            assert isinstance(pool, QueuePool)
            assert pool.checkedout() == 0, "a transaction holds a connection while the password is worked on"
            async with db.write() as session:
                session.add(User(email="someone-else@example.org", name="Someone else"))
    finally:
        held.release.set()
    return await pending


async def test_a_registration_hashes_beside_the_event_loop(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = Held(hash_password)
    monkeypatch.setattr(service, "hash_password", held)

    async def register() -> User:
        async with db.write() as session:
            return await service.register(session, email=EMAIL, password=DEFAULT_PASSWORD, name="Hanna")

    user = await run_while_held(held, register())
    assert user.password_hash is not None
    assert verify_password(user.password_hash, DEFAULT_PASSWORD)


async def test_the_api_registration_hashes_before_its_transaction(
    db: Database, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = Held(hash_password)
    monkeypatch.setattr(service, "hash_password", held)

    registration = service.register_account(
        db,
        email=EMAIL,
        password=DEFAULT_PASSWORD,
        name="Hanna",
        address="127.0.0.1",
        per_hour=5,
        now=clock.now(),
    )
    user = await run_while_held(held, registration, db)
    assert user.password_hash is not None
    assert verify_password(user.password_hash, DEFAULT_PASSWORD)


async def test_the_api_sign_in_checks_the_password_outside_any_transaction(
    db: Database, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await factories.create_user(db, EMAIL)
    held = Held(verify_password)
    monkeypatch.setattr(service, "verify_password", held)
    subjects = service.LoginSubjects.of(EMAIL, "127.0.0.1")

    user = await run_while_held(
        held,
        service.sign_in(db, email=EMAIL, password=DEFAULT_PASSWORD, subjects=subjects, now=clock.now()),
        db,
    )
    assert user is not None
    assert user.email == EMAIL


async def test_a_password_reset_hashes_before_its_transaction(
    db: Database, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await factories.create_user(db, EMAIL)
    token, now = "the-link-s-token", clock.now()
    async with db.write() as session:
        session.add(
            PasswordReset(
                user_id=user.id,
                nonce="the-link-s-nonce",
                token_hash=service.digest(token),
                created_at=now,
                expires_at=now + resets.RESET_LIFETIME,
            )
        )
    held = Held(hash_password)
    monkeypatch.setattr(resets, "hash_password", held)

    changed = await run_while_held(held, resets.reset_password(db, token, NEW_PASSWORD, now), db)
    assert changed.password_hash is not None
    assert verify_password(changed.password_hash, NEW_PASSWORD)
