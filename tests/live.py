"""Helpers for tests against `library serve` running in its own process."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from library.accounts.models import User
from library.accounts.service import issue_token
from library.db import Database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def visitors_with_tokens(db: Database, count: int) -> list[str]:
    now = datetime.now(UTC)
    tokens = []
    async with db.write() as session:
        users = [User(email=f"visitor{n}@example.org", name=f"Visitor {n}") for n in range(count)]
        session.add_all(users)
        await session.flush()
        for user in users:
            token, _ = await issue_token(session, user, now, timedelta(days=1))
            tokens.append(token)
    return tokens
