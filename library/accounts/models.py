"""Users, their ways of signing in, and the certifications they hold."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, BigId, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    VISITOR = "visitor"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self in (Role.STAFF, Role.ADMIN)


class Language(enum.StrEnum):
    DE = "de"
    EN = "en"


NO_MAILBOX_DOMAIN = "invalid"
"""RFC 2606's top-level domain that never receives mail: the address of an account without a
mailbox (deleted, or made at the desk without an e-mail address) ends in `.invalid`."""


def has_mailbox(email: str) -> bool:
    """Whether mail to this address can arrive (see NO_MAILBOX_DOMAIN)."""
    return not email.endswith("." + NO_MAILBOX_DOMAIN)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # Cards are stored normalised (trimmed, upper-case), so equal cards collide here.
        Index("uq_users_library_card", "library_card", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.VISITOR)
    birth_date: Mapped[date | None] = mapped_column(Date)
    language: Mapped[Language] = mapped_column(str_enum(Language, "language"), default=Language.DE)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the secret in the URL of the person's private calendar feed; None: no feed.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    # When the person proved the address is theirs. Accounts made by staff, the `library`
    # command or the seed count as verified from the start; self-registration sets None.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The number on the person's library card, normalised (accounts.people.normalise_card).
    library_card: Mapped[str | None] = mapped_column(String(40))
    # When the birth date became binding: staff verified it, or an age rule refused the person
    # with it. From then on only staff change it (age rules rely on it).
    birth_date_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def mailbox(self) -> str | None:
        """The address mail can reach, None for an account without one."""
        return self.email if has_mailbox(self.email) else None

    certifications: Mapped[list[UserCertification]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="UserCertification.user_id",
    )


class ApiToken(Base):
    """A bearer token for the JSON API. Only its SHA-256 is kept, never the token itself."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """A browser session after login; kept in the database so any process can serve it."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """An attempt counted to slow someone down: a failed login (per account, address, and the
    two together), a password reset or confirmation link asked for, an account registered."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_subject_at", "subject", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "account:<sha256>", "address:<sha256>", "pair:<sha256>:<sha256>", "register:…", "reset:…", "verify:…"
    subject: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailedLinkRow:
    """The columns of a link sent by mail that works once, for a while (accounts/links.py).

    The link's token is an HMAC of `nonce` under the secret key, so a copy of the database
    alone can neither read nor make a working link; only the token's SHA-256 is looked up.
    """

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordReset(MailedLinkRow, Base):
    """A link that sets a password: a reset asked for, or the first password of an account
    made at the desk."""

    __tablename__ = "password_resets"


class EmailVerification(MailedLinkRow, Base):
    """A link that confirms a person's e-mail address."""

    __tablename__ = "email_verifications"


class Certification(Base):
    """A skill that unlocks devices, e.g. the laser-cutter induction."""

    __tablename__ = "certifications"
    __table_args__ = (
        CheckConstraint("valid_months IS NULL OR valid_months > 0", name="valid_months_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    valid_months: Mapped[int | None] = mapped_column(Integer)  # None: does not expire


EXPIRY_NOTICE_DUE_SQL = "expires_at IS NOT NULL AND revoked_at IS NULL AND expiry_notice_queued_at IS NULL"
"""Certifications held whose expiry notice is still to come: the notice job's condition."""


class UserCertification(Base):
    """A certification held by a visitor, from a workshop or granted by staff."""

    __tablename__ = "user_certifications"
    __table_args__ = (
        Index("ix_user_certifications_user_id_certification_id", "user_id", "certification_id"),
        # The notice job reads certifications expiring soon that have had no notice yet.
        Index(
            "ix_user_certifications_expiry_notice_due",
            "expires_at",
            sqlite_where=text(EXPIRY_NOTICE_DUE_SQL),
            postgresql_where=text(EXPIRY_NOTICE_DUE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(40), default="staff")  # "staff" or "workshop"
    note: Mapped[str] = mapped_column(String(500), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the notice that this grant expires soon was queued. A renewal is a new row with
    # a later expiry, so it gets a notice of its own.
    expiry_notice_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="certifications", foreign_keys=[user_id])
    certification: Mapped[Certification] = relationship()
