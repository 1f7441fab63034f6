"""E-mail verification: a link by mail proves that a self-registered person owns the address.

A mailed link (`links.py`), like the password reset. Whether an unverified account may book is
the caller's setting (`LIBRARY_VERIFY_EMAIL`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts import links
from library.accounts.models import User
from library.accounts.service import MAX_FAILURES_PER_ACCOUNT, start_session_within
from library.audit.log import record
from library.db import Database
from library.errors import NotAllowed


def verification_token(secret_key: str, nonce: str) -> str:
    return links.EMAIL_VERIFICATION.token(secret_key, nonce)


def ensure_email_verified(user: User, *, required: bool) -> None:
    """`email_unverified` for an account whose address is unconfirmed, where that is required."""
    if required and user.email_verified_at is None:
        raise NotAllowed("email_unverified")


async def first_session(
    db: Database, user: User, now: datetime, lifetime: timedelta, *, ending: int | None, secret_key: str
) -> str:
    """A newly registered person's first browser session and the mail with the link that
    confirms their address, in one transaction; the session `ending` (the browser's before) ends."""
    async with db.write() as session:
        session_id, _ = await start_session_within(session, user, now, lifetime, ending=ending)
        await send_verification_within(session, user, now, secret_key=secret_key)
        return session_id


async def send_verification(db: Database, user: User, now: datetime, *, secret_key: str) -> None:
    """The link that confirms the account's address, in a transaction of its own."""
    async with db.write() as session:
        await send_verification_within(session, user, now, secret_key=secret_key)


async def send_verification_within(
    session: AsyncSession, user: User, now: datetime, *, secret_key: str
) -> None:
    """Queue a link that confirms the account's address; nothing for a confirmed one.

    Asking again is counted (`too_many_verification_requests` after a few in a short while),
    so nobody can flood a mailbox through the button."""
    if user.email_verified_at is not None:
        return
    limits = {f"verify:account:{user.id}": MAX_FAILURES_PER_ACCOUNT}
    await links.throttle(session, limits, now, message_key="too_many_verification_requests")
    await links.send_within(session, links.EMAIL_VERIFICATION, user, now, secret_key=secret_key)


async def verify_email(db: Database, token: str, now: datetime) -> User:
    """Confirm the address with a link's token: once, within its lifetime;
    `verification_link_invalid` otherwise."""
    async with db.write() as session:
        user = await links.claim_within(session, links.EMAIL_VERIFICATION, token, now)
        if user.email_verified_at is None:
            user.email_verified_at = now
            record(
                session,
                actor_id=user.id,
                action="user.email_verified",
                object_type="user",
                object_id=user.id,
                at=now,
            )
        return user
