"""Links sent by mail that do one thing once, for a while: reset a password, confirm an
address, set the first password of an account made at the desk.

One piece serves them all. A link's row keeps a random nonce; the token in the link is the HMAC
of that nonce under the secret key (keyed by the link's purpose, so a token of one kind is none
of another), so the outbox worker can build the mail later while a copy of the database alone
gives no working link. A link is found by its token's SHA-256 and taken by one conditional
UPDATE, so two requests racing with the same link cannot both win. Asking for links is counted
(`throttle`) so that nobody can flood a mailbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import EmailVerification, LoginFailure, PasswordReset, User
from library.accounts.service import digest, recent_attempts, refuse_over_limits
from library.errors import InvalidLink
from library.outbox.queue import enqueue

LinkRow = PasswordReset | EmailVerification


@dataclass(frozen=True)
class LinkKind:
    """What one kind of mailed link is: its table, lifetime, mail, page and refusal."""

    purpose: str  # keys the token's HMAC
    table: type[PasswordReset] | type[EmailVerification]
    lifetime: timedelta
    mail: str  # the outbox message kind
    payload_key: str  # names the row in the outbox message's payload
    path: str  # the page that takes the token
    invalid: str  # the error code of a link that cannot be used

    def token(self, secret_key: str, nonce: str) -> str:
        mac = hmac.new(secret_key.encode(), f"{self.purpose}:{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def url(self, base_url: str, token: str) -> str:
        return f"{base_url}{self.path}/{token}"


PASSWORD_RESET = LinkKind(
    purpose="password-reset",
    table=PasswordReset,
    lifetime=timedelta(minutes=30),
    mail="account.password_reset",
    payload_key="reset_id",
    path="/password-reset",
    invalid="reset_link_invalid",
)
EMAIL_VERIFICATION = LinkKind(
    purpose="email-verification",
    table=EmailVerification,
    lifetime=timedelta(days=3),
    mail="account.email_verification",
    payload_key="verification_id",
    path="/verify-email",
    invalid="verification_link_invalid",
)
SET_PASSWORD = LinkKind(
    # A password link like a reset (same table and page, so the reset page takes it), that
    # lasts long enough for someone who was handed an account at the desk to read their mail.
    purpose="password-reset",
    table=PasswordReset,
    lifetime=timedelta(days=7),
    mail="account.set_password",
    payload_key="reset_id",
    path="/password-reset",
    invalid="reset_link_invalid",
)
KINDS = {kind.mail: kind for kind in (PASSWORD_RESET, EMAIL_VERIFICATION, SET_PASSWORD)}
"""Every kind by its mail, for the outbox worker that builds the mail."""


async def throttle(session: AsyncSession, limits: dict[str, int], now: datetime, *, message_key: str) -> None:
    """Count one more request against each subject; `too_many_attempts` (with `message_key`'s
    sentence) once a subject has used up its limit."""
    attempts = await recent_attempts(session, list(limits), now)
    refuse_over_limits(limits, attempts, now, message_key=message_key)
    session.add_all(LoginFailure(subject=subject, at=now) for subject in limits)


async def send_within(
    session: AsyncSession, kind: LinkKind, user: User, now: datetime, *, secret_key: str
) -> LinkRow:
    """A new link of this kind for the account, its mail queued in the caller's transaction."""
    nonce = secrets.token_urlsafe(32)
    row = kind.table(
        user_id=user.id,
        nonce=nonce,
        token_hash=digest(kind.token(secret_key, nonce)),
        created_at=now,
        expires_at=now + kind.lifetime,
    )
    session.add(row)
    await session.flush()
    enqueue(session, kind=kind.mail, user=user, payload={kind.payload_key: row.id}, now=now)
    return row


async def usable(session: AsyncSession, kind: LinkKind, token: str, now: datetime) -> tuple[LinkRow, User]:
    """The link and its account for a token; `kind.invalid` for a link unknown, used, expired,
    or of an account that can no longer sign in."""
    table = kind.table
    found = (
        await session.execute(
            select(table, User).join(User, User.id == table.user_id).where(table.token_hash == digest(token))
        )
    ).first()
    if found is None:
        raise InvalidLink(kind.invalid)
    link, user = cast(tuple[LinkRow, User], tuple(found))
    if link.used_at is not None or link.expires_at <= now or not user.is_active or user.deleted_at:
        raise InvalidLink(kind.invalid)
    return link, user


async def claim_within(session: AsyncSession, kind: LinkKind, token: str, now: datetime) -> User:
    """Take the link (once, in its lifetime) and answer its account; `kind.invalid` otherwise,
    also when a parallel request took it a moment ago."""
    link, user = await usable(session, kind, token, now)
    table = kind.table
    taken = await session.scalar(
        update(table)
        .where(table.id == link.id, table.used_at.is_(None))
        .values(used_at=now)
        .returning(table.id)
    )
    if taken is None:
        raise InvalidLink(kind.invalid)
    return user


async def retire_all(session: AsyncSession, kind: LinkKind, user_id: int, now: datetime) -> None:
    """The account's other open links of this kind's table stop working."""
    table = kind.table
    await session.execute(
        update(table).where(table.user_id == user_id, table.used_at.is_(None)).values(used_at=now)
    )


async def mail_url(
    session: AsyncSession, kind: LinkKind, payload: dict[str, object], *, base_url: str, secret_key: str
) -> str | None:
    """The link of a queued mail, made again from its row's nonce; None if the row is gone."""
    row = cast(LinkRow | None, await session.get(kind.table, int(str(payload[kind.payload_key]))))
    return None if row is None else kind.url(base_url, kind.token(secret_key, row.nonce))
