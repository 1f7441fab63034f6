"""E-mail verification: a link by mail proves that a self-registered person owns the address.

Built like the password reset (`resets.py`): the token in the link is an HMAC of a stored nonce
under the secret key, so the outbox can build the mail later while a copy of the database gives
no working link; the token's SHA-256 is looked up; a link works once, for a while. Whether an
unverified account may book is the caller's setting (`LIBRARY_VERIFY_EMAIL`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import EmailVerification, LoginFailure, User
from library.accounts.service import (
    MAX_FAILURES_PER_ACCOUNT,
    digest,
    link_secret,
    recent_attempts,
    refuse_over_limits,
    start_session_within,
)
from library.audit.log import record
from library.db import Database
from library.errors import InvalidLink, NotAllowed
from library.outbox.queue import enqueue

VERIFICATION_LIFETIME = timedelta(days=3)
VERIFICATION_MAIL = "account.email_verification"


def verification_token(secret_key: str, nonce: str) -> str:
    return link_secret(secret_key, "email-verification", nonce)


def verification_link(base_url: str, token: str) -> str:
    return f"{base_url}/verify-email/{token}"


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
    subject = f"verify:account:{user.id}"
    attempts = await recent_attempts(session, [subject], now)
    limits = {subject: MAX_FAILURES_PER_ACCOUNT}
    refuse_over_limits(limits, attempts, now, message_key="too_many_verification_requests")
    session.add(LoginFailure(subject=subject, at=now))
    nonce = secrets.token_urlsafe(32)
    verification = EmailVerification(
        user_id=user.id,
        nonce=nonce,
        token_hash=digest(verification_token(secret_key, nonce)),
        created_at=now,
        expires_at=now + VERIFICATION_LIFETIME,
    )
    session.add(verification)
    await session.flush()
    enqueue(
        session,
        kind=VERIFICATION_MAIL,
        user=user,
        payload={"verification_id": verification.id},
        now=now,
    )


async def verify_email(db: Database, token: str, now: datetime) -> User:
    """Confirm the address with a link's token: once, within its lifetime;
    `verification_link_invalid` otherwise."""
    async with db.write() as session:
        found = (
            await session.execute(
                select(EmailVerification, User)
                .join(User, User.id == EmailVerification.user_id)
                .where(EmailVerification.token_hash == digest(token))
            )
        ).first()
        if found is None:
            raise InvalidLink("verification_link_invalid")
        verification, user = found
        if verification.used_at is not None or verification.expires_at <= now or not user.is_active:
            raise InvalidLink("verification_link_invalid")
        # One conditional update takes the link, so two requests racing with it cannot both win.
        taken = await session.scalar(
            update(EmailVerification)
            .where(EmailVerification.id == verification.id, EmailVerification.used_at.is_(None))
            .values(used_at=now)
            .returning(EmailVerification.id)
        )
        if taken is None:
            raise InvalidLink("verification_link_invalid")
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
