"""People as the desk sees them: finding a person, an account made at the desk, the library card
number, and the birth date that age rules rely on.

A birth date becomes binding once staff have verified it or an age rule refused the person with
it (`birth_date_verified_at`); from then on only staff change it, so nobody books around an age
refusal by editing their profile. Every change is audited.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts import links
from library.accounts.models import Language, Role, User
from library.accounts.service import EMAIL_KEY, EMAIL_PATTERN, normalise_email
from library.audit.log import record, snapshot
from library.db import Database, escape_like, violated_constraint
from library.errors import Conflict, InvalidInput, NotAllowed, NotFound
from library.i18n import N_
from library.texts import is_clean

CARD_KEY = "uq_users_library_card"
CARD_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")
NO_MAILBOX_HOST = "desk.library.invalid"  # see accounts.models.has_mailbox
OLDEST_AGE = 120


def normalise_card(card: str | None) -> str | None:
    """A library card number as stored: trimmed and upper-case; empty is None. `invalid_input`
    (field `library_card`) for anything but letters, digits and hyphens."""
    if card is None or not card.strip():
        return None
    normal = card.strip().upper()
    if not CARD_PATTERN.match(normal):
        raise InvalidInput("invalid_input", "library_card")
    return normal


def check_name(name: str) -> str:
    """A person's name: one line, not empty."""
    if not name.strip() or not is_clean(name):
        raise InvalidInput("invalid_input", "name")
    return name.strip()


def check_birth_date(birth_date: date | None, today: date) -> date | None:
    if birth_date is not None and not (today.year - OLDEST_AGE <= birth_date.year and birth_date <= today):
        raise InvalidInput("invalid_input", "birth_date")
    return birth_date


def may_change_birth_date(person: User, actor: User) -> bool:
    """A verified birth date is changed by staff only."""
    return person.birth_date_verified_at is None or actor.role.is_staff


async def search(session: AsyncSession, query: str, *, limit: int, offset: int = 0) -> Sequence[User]:
    """Living accounts whose name, e-mail address or library card number contains the query
    (case-insensitive), by name; up to `limit` + 1, so the caller knows whether there is more."""
    statement = select(User).where(User.deleted_at.is_(None))
    wanted = query.strip()
    if wanted:
        pattern = f"%{escape_like(wanted.lower())}%"
        statement = statement.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                # Stored lower-case; an address without a mailbox is a placeholder, not searched.
                User.email.like(pattern, escape="\\") & User.email.not_like("%.invalid"),
                User.library_card.like(pattern.upper(), escape="\\"),  # stored upper-case
            )
        )
    return list(await session.scalars(statement.order_by(User.name, User.id).limit(limit + 1).offset(offset)))


async def create_at_desk(
    db: Database,
    *,
    name: str,
    email: str | None,
    library_card: str | None,
    birth_date: date | None,
    language: Language,
    actor: User,
    today: date,
    now: datetime,
    secret_key: str,
) -> User:
    """A visitor account made by staff for someone at the desk. It has no password: with an
    e-mail address the person gets a link to choose one (queued with the account); without,
    it holds the person's bookings and sign-ups at the desk. Audited."""
    name = check_name(name)
    address = normalise_email(email) if email and email.strip() else None
    if address is not None and not EMAIL_PATTERN.match(address):
        raise InvalidInput("invalid_input", "email")
    card = normalise_card(library_card)
    check_birth_date(birth_date, today)
    async with db.write() as session:
        if address is not None and await session.scalar(select(User.id).where(User.email == address)):
            raise Conflict("email_taken", "email")
        await _ensure_card_free(session, card, None)
        person = User(
            email=address or f"desk-{secrets.token_hex(12)}@{NO_MAILBOX_HOST}",
            name=name,
            password_hash=None,
            role=Role.VISITOR,
            birth_date=birth_date,
            language=language,
            library_card=card,
            created_at=now,
            email_verified_at=now,
        )
        session.add(person)
        await _flush_account(session)
        record(
            session,
            actor_id=actor.id,
            action="user.create",
            object_type="user",
            object_id=person.id,
            at=now,
            after=snapshot(person, ("name", "role", "birth_date", "library_card", "language")),
        )
        if address is not None:
            await links.send_within(session, links.SET_PASSWORD, person, now, secret_key=secret_key)
        return person


@dataclass(frozen=True)
class StaffCorrection:
    """What staff correct about a person; None keeps a value (`card` "" takes the card away)."""

    card: str | None = None
    birth_date: date | None = None
    forget_birth_date: bool = False
    verified: bool | None = None


async def set_library_card(
    db: Database, user_id: int, library_card: str | None, *, actor: User, now: datetime
) -> User:
    """Give an account a library card number (or take it away); `card_taken` if another account
    has it. The person themselves or staff. Audited with the number before and after."""
    card = normalise_card(library_card)
    async with db.write() as session:
        person = await _living(session, user_id)
        await _set_card_within(session, person, card, actor=actor, now=now)
        return person


async def set_birth_date_by_staff(
    db: Database,
    user_id: int,
    birth_date: date | None,
    *,
    verified: bool,
    actor: User,
    today: date,
    now: datetime,
) -> User:
    """Staff correct a person's birth date and say whether they have verified it (seen an ID)."""
    change = StaffCorrection(birth_date=birth_date, forget_birth_date=birth_date is None, verified=verified)
    return await correct_by_staff(db, user_id, change, actor=actor, today=today, now=now)


async def correct_by_staff(
    db: Database, user_id: int, change: StaffCorrection, *, actor: User, today: date, now: datetime
) -> User:
    """Staff correct the card and the birth date (and its "verified" mark) in one transaction.
    Audited: `user.library_card`, and `user.birth_date` with the date and mark before and after."""
    if not actor.role.is_staff:
        raise NotAllowed("forbidden")
    card = normalise_card(change.card) if change.card is not None else None
    check_birth_date(change.birth_date, today)
    async with db.write() as session:
        person = await _living(session, user_id)
        if change.card is not None:
            await _set_card_within(session, person, card, actor=actor, now=now)
        before = snapshot(person, ("birth_date", "birth_date_verified_at"))
        if change.birth_date is not None or change.forget_birth_date:
            person.birth_date = change.birth_date
        if change.verified is False:
            person.birth_date_verified_at = None
        elif change.verified and person.birth_date_verified_at is None:
            person.birth_date_verified_at = now
        after = snapshot(person, ("birth_date", "birth_date_verified_at"))
        if after != before:
            record(
                session,
                actor_id=actor.id,
                action="user.birth_date",
                object_type="user",
                object_id=person.id,
                at=now,
                before=before,
                after=after,
            )
        return person


async def _set_card_within(
    session: AsyncSession, person: User, card: str | None, *, actor: User, now: datetime
) -> None:
    if person.library_card == card:
        return
    await _ensure_card_free(session, card, person.id)
    before = snapshot(person, ("library_card",))
    person.library_card = card
    await _flush_account(session)
    record(
        session,
        actor_id=actor.id,
        action="user.library_card",
        object_type="user",
        object_id=person.id,
        at=now,
        before=before,
        after=snapshot(person, ("library_card",)),
    )


async def bind_birth_date_after_refusal(db: Database, user_id: int, now: datetime) -> None:
    """An age rule refused the person with their birth date: from now on only staff change it.
    One conditional UPDATE (nothing if already bound or no date is known); audited."""
    async with db.write() as session:
        bound = await session.scalar(
            update(User)
            .where(
                User.id == user_id,
                User.birth_date.is_not(None),
                User.birth_date_verified_at.is_(None),
            )
            .values(birth_date_verified_at=now)
            .returning(User.id)
        )
        if bound is not None:
            record(
                session,
                actor_id=None,
                action="user.birth_date_bound",
                object_type="user",
                object_id=user_id,
                at=now,
                reason="age_refusal",
            )


async def _ensure_card_free(session: AsyncSession, card: str | None, owner_id: int | None) -> None:
    if card is None:
        return
    holder = await session.scalar(select(User.id).where(User.library_card == card))
    if holder is not None and holder != owner_id:
        raise Conflict("card_taken", "library_card")


async def _flush_account(session: AsyncSession) -> None:
    """Write the account now: a parallel request that took the address or card a moment ago is
    a conflict, not a crash."""
    try:
        await session.flush()
    except IntegrityError as error:
        key = violated_constraint(error)
        if key == CARD_KEY:
            raise Conflict("card_taken", "library_card") from None
        if key == EMAIL_KEY:
            raise Conflict("email_taken", "email") from None
        raise


async def _living(session: AsyncSession, user_id: int) -> User:
    person = await session.get(User, user_id)
    if person is None or person.deleted_at is not None:
        raise NotFound(N_("The account %(id)s"), id=user_id)
    return person
