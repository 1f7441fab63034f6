"""Registration, sign-in, API tokens and browser sessions.

Secrets handed to clients (tokens, session ids) are random; only their SHA-256 is stored,
so a copy of the database does not let anyone sign in. Passwords are hashed and checked in a
worker thread: argon2 takes a good part of a second of CPU under load, and in the event loop it
would hold up every other request meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import ApiToken, Language, LoginFailure, LoginSession, Role, User
from library.accounts.passwords import hash_password, is_weak_password, needs_rehash, verify_password
from library.audit.log import record, snapshot
from library.db import Database, violated_constraint
from library.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from library.i18n import N_

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_KEY = "uq_users_email"  # the unique key that keeps two accounts from sharing an address

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def normalise_email(email: str) -> str:
    return email.strip().lower()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    birth_date: date | None = None,
    language: Language = Language.DE,
    role: Role = Role.VISITOR,
) -> User:
    """Create an account inside the caller's write transaction (see register_account)."""
    email = valid_new_account(email, password, name)
    password_hash = await asyncio.to_thread(hash_password, password)
    return await add_account(session, email, password_hash, name, birth_date, language, role)


async def register_account(
    db: Database,
    *,
    email: str,
    password: str,
    name: str,
    birth_date: date | None = None,
    language: Language = Language.DE,
    role: Role = Role.VISITOR,
) -> User:
    """Create an account in a write transaction of its own, with the password hashed before it
    begins: meanwhile a transaction would hold a pooled connection (on SQLite, the one writer),
    and under load the others would wait for it until they time out."""
    email = valid_new_account(email, password, name)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.write() as session:
        return await add_account(session, email, password_hash, name, birth_date, language, role)


def valid_new_account(email: str, password: str, name: str) -> str:
    """The normalised address, or `InvalidInput` naming the first bad field."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("invalid_input", "email")
    if not name.strip():
        raise InvalidInput("invalid_input", "name")
    if is_weak_password(password):
        raise InvalidInput("weak_password", "password")
    return email


async def add_account(
    session: AsyncSession,
    email: str,
    password_hash: str,
    name: str,
    birth_date: date | None,
    language: Language,
    role: Role,
) -> User:
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("email_taken")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=password_hash,
        birth_date=birth_date,
        language=language,
        role=role,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        if violated_constraint(error) != EMAIL_KEY:
            raise
        # Registered a moment ago by a parallel request. Not a crash: its log would quote the address.
        raise Conflict("email_taken") from None
    return user


@dataclass(frozen=True)
class LoginSubjects:
    """What failed logins are counted against: the account and the client's address."""

    account: str
    address: str

    @classmethod
    def of(cls, email: str, address: str) -> LoginSubjects:
        return cls(account=f"account:{digest(normalise_email(email))}", address=f"address:{digest(address)}")


async def ensure_not_throttled(
    session: AsyncSession, subjects: LoginSubjects, now: datetime, *, message_key: str | None = None
) -> None:
    """`TooManyAttempts` once either subject has used up its attempts in the window; `message_key`
    says what of."""
    since = now - THROTTLE_WINDOW
    rows = (
        await session.execute(
            select(LoginFailure.subject, func.count(), func.min(LoginFailure.at))
            .where(LoginFailure.subject.in_([subjects.account, subjects.address]), LoginFailure.at > since)
            .group_by(LoginFailure.subject)
        )
    ).all()
    for subject, count, oldest in rows:
        limit = MAX_FAILURES_PER_ACCOUNT if subject == subjects.account else MAX_FAILURES_PER_ADDRESS
        if count >= limit:
            retry_after = max(1, int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1)
            minutes = (retry_after + 59) // 60
            raise TooManyAttempts(
                "too_many_attempts", retry_after=retry_after, message_key=message_key, minutes=minutes
            )


async def sign_in(
    db: Database, *, email: str, password: str, subjects: LoginSubjects, now: datetime
) -> User | None:
    """The user for these credentials, or None after recording the failure; no transaction is
    open while argon2 works (see register_account).

    Raises `TooManyAttempts` when throttled. The stored hash is read, checked in a worker thread, and the
    outcome recorded and committed in a short write transaction, for the hash that was checked.
    """
    async with db.read() as session:
        await ensure_not_throttled(session, subjects, now)
        stored = await session.scalar(select(User.password_hash).where(*active_account(email)))
    matches = await asyncio.to_thread(verify_password, stored, password)
    async with db.write() as session:
        checked = select(User).where(*active_account(email), User.password_hash == stored)
        return await record_sign_in(
            session, await session.scalar(checked) if matches else None, password, subjects, now
        )


def active_account(email: str) -> tuple[ColumnElement[bool], ...]:
    return User.email == normalise_email(email), User.is_active.is_(True)


async def record_sign_in(
    session: AsyncSession, user: User | None, password: str, subjects: LoginSubjects, now: datetime
) -> User | None:
    """Count a failure (user None), or clear the account's failures and renew an outdated hash."""
    if user is None:
        session.add_all(
            [LoginFailure(subject=subjects.account, at=now), LoginFailure(subject=subjects.address, at=now)]
        )
        return None
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.execute(delete(LoginFailure).where(LoginFailure.subject == subjects.account))
    return user


async def issue_token(
    session: AsyncSession, user: User, now: datetime, lifetime: timedelta
) -> tuple[str, ApiToken]:
    token = new_secret()
    row = ApiToken(user_id=user.id, token_hash=digest(token), created_at=now, expires_at=now + lifetime)
    session.add(row)
    await session.flush()
    return token, row


async def user_for_token(session: AsyncSession, token: str, now: datetime) -> tuple[User, ApiToken] | None:
    row = (
        await session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(
                ApiToken.token_hash == digest(token),
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=now))


async def start_session(
    session: AsyncSession, user: User, now: datetime, lifetime: timedelta
) -> tuple[str, LoginSession]:
    """A new browser session; its id is fresh at every login, so a planted id is worthless."""
    session_id = new_secret()
    row = LoginSession(
        user_id=user.id,
        session_hash=digest(session_id),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    await session.flush()
    return session_id, row


async def user_for_session(
    session: AsyncSession, session_id: str, now: datetime
) -> tuple[User, LoginSession] | None:
    row = (
        await session.execute(
            select(User, LoginSession)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(
                LoginSession.session_hash == digest(session_id),
                LoginSession.expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def end_session(session: AsyncSession, login_session_id: int) -> None:
    await session.execute(delete(LoginSession).where(LoginSession.id == login_session_id))


async def set_language(session: AsyncSession, user_id: int, language: Language) -> None:
    """The language of the person's pages and mails."""
    await session.execute(update(User).where(User.id == user_id).values(language=language))


PROFILE_FIELDS = ("name", "birth_date", "language")


async def update_profile(
    session: AsyncSession,
    user_id: int,
    *,
    name: str,
    birth_date: date | None,
    language: Language,
    today: date,
    now: datetime,
) -> User:
    """The person's own name, birth date (age rules need it) and language (pages and mails)."""
    if not name.strip():
        raise InvalidInput("invalid_input", "name")
    if birth_date is not None and not (today.year - 120 <= birth_date.year and birth_date <= today):
        raise InvalidInput("invalid_input", "birth_date")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(N_("The account"))
    before = snapshot(user, PROFILE_FIELDS)
    user.name, user.birth_date, user.language = name.strip(), birth_date, language
    record(
        session,
        actor_id=user.id,
        action="user.update",
        object_type="user",
        object_id=user.id,
        at=now,
        before=before,
        after=snapshot(user, PROFILE_FIELDS),
    )
    return user


async def change_role(session: AsyncSession, user_id: int, role: Role, *, actor: User, now: datetime) -> User:
    """An administrator gives someone another role; nobody takes their own admin rights away,
    so the library always keeps an administrator. Audited with the role before and after."""
    person = await _living_account(session, user_id)
    if person.id == actor.id and person.role is Role.ADMIN and role is not Role.ADMIN:
        raise Conflict("own_admin_role")
    if person.role is not role:
        before = snapshot(person, ("role",))
        person.role = role
        record(
            session,
            actor_id=actor.id,
            action="user.role",
            object_type="user",
            object_id=person.id,
            at=now,
            before=before,
            after=snapshot(person, ("role",)),
        )
    return person


async def set_active(
    session: AsyncSession, user_id: int, active: bool, *, actor: User, now: datetime
) -> User:
    """Deactivate an account (it can no longer sign in; its tokens and sessions stop working at
    once) or reactivate it. Administrators cannot lock themselves out. Audited."""
    person = await _living_account(session, user_id)
    if person.id == actor.id and not active:
        raise Conflict("own_account_active")
    if person.is_active is not active:
        before = snapshot(person, ("is_active",))
        person.is_active = active
        record(
            session,
            actor_id=actor.id,
            action="user.activate" if active else "user.deactivate",
            object_type="user",
            object_id=person.id,
            at=now,
            before=before,
            after=snapshot(person, ("is_active",)),
        )
    return person


async def _living_account(session: AsyncSession, user_id: int) -> User:
    """An account that exists and was not deleted (a deleted one is anonymised for good)."""
    person = await session.get(User, user_id)
    if person is None or person.deleted_at is not None:
        raise NotFound(N_("The account %(id)s"), id=user_id)
    return person
