"""Helpers for tests against `library serve` running in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from library.accounts.models import User
from library.accounts.service import issue_token_within
from library.db import Database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def library_env(database_url: str, var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a `library` command on a test database (LIBRARY_<NAME> from settings).

    Passwords are hashed cheaply there too, as in every test.
    """
    return {
        **os.environ,
        "LIBRARY_DATABASE_URL": database_url,
        "LIBRARY_SECRET_KEY": "live-test-secret",
        "LIBRARY_VAR_DIR": str(var_dir),
        "LIBRARY_PASSWORD_HASHING": "fast",
        **{f"LIBRARY_{name.upper()}": value for name, value in settings.items()},
    }


@contextmanager
def serving(database_url: str, var_dir: Path, **settings: str) -> Iterator[str]:
    """Run `library serve` as people run it until the block ends; yields its base URL."""
    port = free_port()
    with serving_on(port, database_url, var_dir, **settings):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def serving_on(port: int, database_url: str, var_dir: Path, **settings: str) -> Iterator[int]:
    """Run `library serve` on `port` until the block ends; yields its process id once it answers.

    Started again on the same port, it takes over the address of one that was killed. The
    server's output is added to var_dir/server.log, which is shown when it fails to start.
    """
    base = f"http://127.0.0.1:{port}"
    log = var_dir / "server.log"
    with log.open("a") as log_file:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "library.cli", "serve", "--port", str(port)],
            env=library_env(database_url, var_dir, base_url=base, **settings),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/v1/factors", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text())
            time.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


async def visitors_with_tokens(db: Database, count: int) -> list[str]:
    now = datetime.now(UTC)
    tokens = []
    async with db.write() as session:
        users = [User(email=f"visitor{n}@example.org", name=f"Visitor {n}") for n in range(count)]
        session.add_all(users)
        await session.flush()
        for user in users:
            token, _ = await issue_token_within(session, user, now, timedelta(days=1))
            tokens.append(token)
    return tokens
