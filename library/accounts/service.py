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
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from library.accounts.models import ApiToken, Language, LoginFailure, LoginSession, Role, User
from library.accounts.passwords import hash_password, is_weak_password, needs_rehash, verify_password
from library.audit.log import record, snapshot
from library.db import Database, violated_constraint
from library.errors import Conflict, InvalidInput, NotAllowed, NotFound, TooManyAttempts
from library.i18n import N_
from library.texts import is_clean

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_KEY = "uq_users_email"  # the unique key that keeps two accounts from sharing an address

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # per account and address; for reset requests, per account
MAX_FAILURES_PER_ADDRESS = 20
# An account failing this often from everywhere is under attack: each address that has failed
# on it may then try only once per window. Addresses that have not failed still get through.
ACCOUNT_UNDER_ATTACK = 10
REGISTRATION_WINDOW = timedelta(hours=1)


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
    address: str,
    per_hour: int,
    now: datetime,
) -> User:
    """A visitor registers themselves: at most `per_hour` new accounts from one address.

    The account is made in a write transaction of its own, with the password hashed before it
    begins: meanwhile a transaction would hold a pooled connection (on SQLite, the one writer),
    and under load the others would wait for it until they time out."""
    email = valid_new_account(email, password, name)
    async with db.read() as session:
        await ensure_registration_allowed(session, address, now, per_hour)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.write() as session:
        user = await add_account(session, email, password_hash, name, birth_date, language, Role.VISITOR)
        user.email_verified_at = None  # until the person follows the link (see verification.py)
        session.add(LoginFailure(subject=registration_subject(address), at=now))
        return user


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
    """What failed logins are counted against: the account, the client's address, and the two
    together. Only an address and a pair are ever refused, so failures from one address cannot
    lock the account's owner out elsewhere."""

    account: str
    address: str
    pair: str

    @classmethod
    def of(cls, email: str, address: str) -> LoginSubjects:
        account, where = digest(normalise_email(email)), digest(address)
        return cls(account=f"account:{account}", address=f"address:{where}", pair=f"pair:{account}:{where}")


async def forget_failures(session: AsyncSession, email: str) -> None:
    """Clear the failed sign-ins on an account, from every address (a new password, a deletion)."""
    account = digest(normalise_email(email))
    await session.execute(
        delete(LoginFailure).where(
            (LoginFailure.subject == f"account:{account}")
            | LoginFailure.subject.startswith(f"pair:{account}:")
        )
    )


def registration_subject(address: str) -> str:
    return f"register:address:{digest(address)}"


@dataclass(frozen=True)
class Attempts:
    """Attempts counted against one subject in the window, and when the oldest of them was."""

    count: int
    oldest: datetime


async def recent_attempts(
    session: AsyncSession, subjects: list[str], now: datetime, window: timedelta = THROTTLE_WINDOW
) -> dict[str, Attempts]:
    rows = (
        await session.execute(
            select(LoginFailure.subject, func.count(), func.min(LoginFailure.at))
            .where(LoginFailure.subject.in_(subjects), LoginFailure.at > now - window)
            .group_by(LoginFailure.subject)
        )
    ).all()
    return {subject: Attempts(count, oldest) for subject, count, oldest in rows}


def refuse_over_limits(
    limits: dict[str, int],
    attempts: dict[str, Attempts],
    now: datetime,
    *,
    window: timedelta = THROTTLE_WINDOW,
    message_key: str | None = None,
) -> None:
    """`TooManyAttempts` once a subject has used up its limit in the window; `message_key` says
    what of."""
    for subject, limit in limits.items():
        counted = attempts.get(subject)
        if counted is not None and counted.count >= limit:
            retry_after = max(1, int((counted.oldest + window - now).total_seconds()) + 1)
            minutes = (retry_after + 59) // 60
            raise TooManyAttempts(
                "too_many_attempts", retry_after=retry_after, message_key=message_key, minutes=minutes
            )


async def ensure_sign_in_allowed(session: AsyncSession, subjects: LoginSubjects, now: datetime) -> None:
    """Refuse an address that failed too often, or too often on this account; an account under
    attack slows down to one try per failing address. An address without failures passes."""
    attempts = await recent_attempts(session, [subjects.account, subjects.address, subjects.pair], now)
    under_attack = attempts.get(subjects.account, Attempts(0, now)).count >= ACCOUNT_UNDER_ATTACK
    per_pair = 1 if under_attack else MAX_FAILURES_PER_ACCOUNT
    refuse_over_limits({subjects.address: MAX_FAILURES_PER_ADDRESS, subjects.pair: per_pair}, attempts, now)


async def ensure_registration_allowed(
    session: AsyncSession, address: str, now: datetime, per_hour: int
) -> None:
    """At most `per_hour` new accounts from one address in an hour."""
    subject = registration_subject(address)
    attempts = await recent_attempts(session, [subject], now, REGISTRATION_WINDOW)
    refuse_over_limits(
        {subject: per_hour}, attempts, now, window=REGISTRATION_WINDOW, message_key="too_many_registrations"
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
        await ensure_sign_in_allowed(session, subjects, now)
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
        session.add_all(LoginFailure(subject=subject, at=now) for subject in astuple(subjects))
        return None
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.execute(
        delete(LoginFailure).where(LoginFailure.subject.in_([subjects.account, subjects.pair]))
    )
    return user


async def issue_token(db: Database, user: User, now: datetime, lifetime: timedelta) -> tuple[str, ApiToken]:
    """A new bearer token for someone who just signed in."""
    async with db.write() as session:
        return await issue_token_within(session, user, now, lifetime)


async def issue_token_within(
    session: AsyncSession, user: User, now: datetime, lifetime: timedelta
) -> tuple[str, ApiToken]:
    token = new_secret()
    row = ApiToken(user_id=user.id, token_hash=digest(token), created_at=now, expires_at=now + lifetime)
    session.add(row)
    await session.flush()
    return token, row


USER_COLUMNS = {attribute.key: attribute.columns[0] for attribute in inspect(User).column_attrs}


def detached_user(values: dict[str, Any]) -> User:
    """A user built from a plain row, as if a session had loaded it and closed: what a request
    knows of its viewer, without the ORM's loading machinery."""
    user = User(**values)
    make_transient_to_detached(user)
    return user


TOKEN_USER = (
    select(*USER_COLUMNS.values(), ApiToken.id.label("token_id"))
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)
"""Built once, as every API request asks it; the token's id is all a request needs of it."""


async def user_for_token(connection: AsyncConnection, token: str, now: datetime) -> tuple[User, int] | None:
    """The active user behind an unexpired, unrevoked token, and the token's id."""
    row = (await connection.execute(TOKEN_USER, {"token_hash": digest(token), "now": now})).first()
    if row is None:
        return None
    values = row._mapping
    return detached_user({key: values[key] for key in USER_COLUMNS}), values["token_id"]


async def revoke_token(db: Database, token_id: int, now: datetime) -> None:
    async with db.write() as session:
        await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=now))


async def start_session(
    db: Database, user: User, now: datetime, lifetime: timedelta, *, ending: int | None = None
) -> str:
    """A new browser session at sign-in, in a transaction of its own; the one `ending` ends."""
    async with db.write() as session:
        session_id, _ = await start_session_within(session, user, now, lifetime, ending=ending)
        return session_id


async def start_session_within(
    session: AsyncSession, user: User, now: datetime, lifetime: timedelta, *, ending: int | None = None
) -> tuple[str, LoginSession]:
    """A new browser session; its id is fresh at every login, so a planted id is worthless, and
    the session `ending` (the one the browser had before, if any) ends."""
    if ending is not None:
        await session.execute(delete(LoginSession).where(LoginSession.id == ending))
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


async def end_session(db: Database, login_session_id: int) -> None:
    async with db.write() as session:
        await session.execute(delete(LoginSession).where(LoginSession.id == login_session_id))


async def set_language(db: Database, user_id: int, language: Language) -> None:
    """The language of the person's pages and mails."""
    async with db.write() as session:
        await session.execute(update(User).where(User.id == user_id).values(language=language))


PROFILE_FIELDS = ("name", "language")


async def update_profile(
    db: Database,
    user_id: int,
    *,
    name: str,
    birth_date: date | None,
    language: Language,
    today: date,
    now: datetime,
) -> User:
    """The person's own name, birth date (age rules need it) and language (pages and mails).

    A changed birth date is an entry of its own in the audit log, `user.birth_date` with the
    dates before and after: age rules depend on it, so staff can see who changed it after a
    refusal."""
    if not name.strip() or not is_clean(name):
        raise InvalidInput("invalid_input", "name")
    if birth_date is not None and not (today.year - 120 <= birth_date.year and birth_date <= today):
        raise InvalidInput("invalid_input", "birth_date")
    async with db.write() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound(N_("The account"))
        if birth_date != user.birth_date and user.birth_date_verified_at is not None:
            # Verified by staff or bound by an age refusal (accounts.people): staff change it.
            raise NotAllowed("birth_date_verified", "birth_date")
        profile_before, birth_before = snapshot(user, PROFILE_FIELDS), snapshot(user, ("birth_date",))
        user.name, user.birth_date, user.language = name.strip(), birth_date, language
        for action, before, after in (
            ("user.update", profile_before, snapshot(user, PROFILE_FIELDS)),
            ("user.birth_date", birth_before, snapshot(user, ("birth_date",))),
        ):
            if after != before:
                record(
                    session,
                    actor_id=user.id,
                    action=action,
                    object_type="user",
                    object_id=user.id,
                    at=now,
                    before=before,
                    after=after,
                )
        return user


async def change_role(db: Database, user_id: int, role: Role, *, actor: User, now: datetime) -> User:
    """An administrator gives someone another role; nobody takes their own admin rights away,
    so the library always keeps an administrator. Audited with the role before and after."""
    async with db.write() as session:
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


async def set_active(db: Database, user_id: int, active: bool, *, actor: User, now: datetime) -> User:
    """Deactivate an account (it can no longer sign in; its tokens and sessions stop working at
    once) or reactivate it. Administrators cannot lock themselves out. Audited."""
    async with db.write() as session:
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
