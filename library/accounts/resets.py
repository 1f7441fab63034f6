"""Password reset by e-mail link, for the API and the pages alike.

The link is a mailed link (`links.py`). Whether an account exists is never told: a request for
an unknown address does nothing, and the caller answers the same either way.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts import links
from library.accounts.models import ApiToken, LoginSession, User
from library.accounts.passwords import hash_password, is_weak_password
from library.accounts.service import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    LoginSubjects,
    forget_failures,
    normalise_email,
    start_session_within,
)
from library.audit.log import record
from library.db import Database
from library.errors import InvalidInput

RESET_LIFETIME = links.PASSWORD_RESET.lifetime


def reset_token(secret_key: str, nonce: str) -> str:
    return links.PASSWORD_RESET.token(secret_key, nonce)


def reset_limits(email: str, address: str) -> dict[str, int]:
    """Reset requests are counted like failed logins, but apart from them: asking for a link
    must not lock anyone out of signing in. The account's limit keeps its mailbox from a flood."""
    login = LoginSubjects.of(email, address)
    return {
        f"reset:{login.account}": MAX_FAILURES_PER_ACCOUNT,
        f"reset:{login.address}": MAX_FAILURES_PER_ADDRESS,
    }


async def request_password_reset(
    db: Database, email: str, now: datetime, *, address: str, secret_key: str
) -> None:
    """Queue a reset link to the account with this address, if there is an active one.

    Every request counts against the address and the client (`too_many_attempts` after
    too many), whether or not the account exists, so the answer tells nothing.
    """
    async with db.write() as session:
        await links.throttle(
            session, reset_limits(email, address), now, message_key="too_many_reset_requests"
        )
        user = await session.scalar(
            select(User).where(
                User.email == normalise_email(email), User.is_active.is_(True), User.deleted_at.is_(None)
            )
        )
        if user is None:
            return
        await links.send_within(session, links.PASSWORD_RESET, user, now, secret_key=secret_key)


async def reset_password(db: Database, token: str, new_password: str, now: datetime) -> User:
    """Set a new password with a link's token (see reset_password_within), in a transaction of its own."""
    password_hash = await new_password_hash(db, token, new_password, now)
    async with db.write() as session:
        return await reset_password_within(session, token, password_hash, now)


async def reset_password_and_sign_in(
    db: Database, token: str, new_password: str, now: datetime, lifetime: timedelta, *, ending: int | None
) -> str:
    """The page's reset: the new password and a fresh browser session for it, in one transaction
    (the reset ends every session, the one `ending` included). Returns the new session's id."""
    password_hash = await new_password_hash(db, token, new_password, now)
    async with db.write() as session:
        user = await reset_password_within(session, token, password_hash, now)
        session_id, _ = await start_session_within(session, user, now, lifetime, ending=ending)
        return session_id


async def new_password_hash(db: Database, token: str, new_password: str, now: datetime) -> str:
    """The new password's hash, made before the reset's transaction opens (see register_account),
    and only for a link that can still be used: `reset_link_invalid` for a token that is
    unknown, used or expired; `weak_password` leaves the link usable for a better password."""
    async with db.read() as session:
        await links.usable(session, links.PASSWORD_RESET, token, now)
    if is_weak_password(new_password):
        raise InvalidInput("weak_password", "password")
    return await asyncio.to_thread(hash_password, new_password)  # not on the event loop


async def reset_password_within(session: AsyncSession, token: str, password_hash: str, now: datetime) -> User:
    """Set the new password (its hash, see new_password_hash) with a link's token, once, within
    its lifetime.

    Everyone signed in to the account is signed out: its API tokens are revoked and its
    browser sessions ended, and its other reset links stop working. `reset_link_invalid` for a
    token that is unknown, used or expired, also when it was used meanwhile.
    """
    user = await links.claim_within(session, links.PASSWORD_RESET, token, now)
    user.password_hash = password_hash
    await links.retire_all(session, links.PASSWORD_RESET, user.id, now)
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    # The new password starts with a clean slate of failed logins.
    await forget_failures(session, user.email)
    record(
        session, actor_id=user.id, action="user.password_reset", object_type="user", object_id=user.id, at=now
    )
    return user
