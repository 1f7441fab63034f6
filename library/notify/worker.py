"""The outbox worker: sends queued notifications over SMTP, at least once each.

Never inside a request: the scheduler (library.scheduler, job `send_outbox`) calls
`send_due` in `library serve` or `library worker`.

- A row is marked sent only after the SMTP server accepted the message. A worker that dies
  in between leaves the row queued, and it goes out again later: at least once, never lost.
  The worker stamps the Message-ID from the row's id and the host of LIBRARY_BASE_URL, so it
  stays the same at every try and a duplicate can be recognised.
- PostgreSQL: each message is sent while its row is locked (`FOR UPDATE SKIP LOCKED`), in a
  transaction of its own, so several workers never take the same row, and a worker killed
  mid-batch loses only the lock, not the row.
- SQLite: one worker; rows are read, sent, and then marked in a short write transaction,
  so the single writer lock is never held while talking to the mail server.
- A refusal is retried with exponential backoff (1, 2, 4 ... minutes, at most 2 hours); after
  the last try, or at once for a permanent refusal (5xx for the recipient or the content),
  the row is dead. Staff can move a dead row back to the queue (`retry`).

Logs name rows by id and kind, never by address: no personal data in logs.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.audit.log import record, snapshot
from library.db import Database, dialect_of
from library.errors import Conflict, NotFound
from library.i18n import DEFAULT_LANGUAGE, N_, translate
from library.notify.ics import host_of
from library.notify.mail import LIBRARY_NAME, Sender, Unbuildable, build_message
from library.outbox import queue
from library.outbox.models import OutboxMessage, OutboxStatus
from library.outbox.queue import MAX_ATTEMPTS, backoff

log = logging.getLogger("library.notify")

SMTP_TIMEOUT_SECONDS = 30.0
ERROR_LENGTH = 1000

# Problems of the server or of our configuration, not of one message: the batch stops there.
SERVER_ERRORS: tuple[type[BaseException], ...] = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPNotSupported,
    aiosmtplib.SMTPTimeoutError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True)
class SmtpTarget:
    """Where mail goes, from LIBRARY_SMTP_URL.

    `smtp://host:port` (STARTTLS when the server offers it), `smtp://user:pass@host:port`,
    `smtps://host:port` for implicit TLS; `?from=address` sets the sender
    (default `noreply@` the host of LIBRARY_BASE_URL).
    """

    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    sender: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "LIBRARY_SMTP_URL must look like smtp://host:port or smtps://user:pass@host:port"
            )
        implicit_tls = parts.scheme == "smtps"
        senders = parse_qs(parts.query).get("from")
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit_tls,
            sender=senders[0] if senders else None,
        )


class Mailer:
    """One SMTP connection for a batch, opened when first needed and again after a failure."""

    def __init__(self, target: SmtpTarget) -> None:
        self.target = target
        self._smtp: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> None:
        if self._smtp is None or not self._smtp.is_connected:
            self.close()
            smtp = aiosmtplib.SMTP(
                hostname=self.target.hostname,
                port=self.target.port,
                username=self.target.username,
                password=self.target.password,
                use_tls=self.target.implicit_tls,
                start_tls=False if self.target.implicit_tls else None,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
            await smtp.connect()
            self._smtp = smtp
        try:
            await self._smtp.send_message(message)
        except SERVER_ERRORS:
            self.close()
            raise

    def close(self) -> None:
        """Drop the connection without a goodbye (after an error, or when cancelled)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    async def quit(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await self._smtp.quit()
        self.close()


class Outcome(enum.Enum):
    NONE_DUE = "none_due"
    SENT = "sent"
    FAILED = "failed"  # this message; try the next one
    SERVER_DOWN = "server_down"  # the server or our setup; stop the batch


def describe(error: BaseException) -> tuple[str, bool]:
    """What went wrong, for staff (stored on the row), and whether retrying is pointless."""
    if isinstance(error, Unbuildable):
        return f"cannot build the message: {error}", True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refusal.code for refusal in error.recipients]
        text = "; ".join(f"{refusal.code} {refusal.message}" for refusal in error.recipients)
        return f"recipient refused: {text}", bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, aiosmtplib.SMTPResponseException) and not isinstance(error, SERVER_ERRORS):
        # A refused recipient or content (RCPT, DATA): 5xx is final, 4xx means later.
        return f"{error.code} {error.message}", 500 <= error.code < 600
    if isinstance(error, ValueError):
        return f"cannot send: {error}", True
    return f"{type(error).__name__}: {error}", False


def for_log(error: BaseException) -> str:
    """A reason without the server's words, which may quote the address."""
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.code}"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return f"SMTPRecipientsRefused {[refusal.code for refusal in error.recipients]}"
    return type(error).__name__


def due(now: datetime) -> Select[OutboxMessage]:
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )


def sender_for(target: SmtpTarget, base_url: str) -> Sender:
    return Sender(
        name=translate(DEFAULT_LANGUAGE, LIBRARY_NAME),
        address=target.sender or f"noreply@{host_of(base_url)}",
    )


async def send_due(
    db: Database, *, now: datetime, smtp_url: str, base_url: str, batch: int = 50, secret_key: str = ""
) -> int:
    """Send up to `batch` queued messages that are due; the number the server accepted.

    `secret_key` signs the links that mails carry (password resets); without it they stay dead.
    """
    target = SmtpTarget.parse(smtp_url)
    sender = sender_for(target, base_url)
    mailer = Mailer(target)
    one = _next_locked if not db.is_sqlite else _next_sqlite
    sent = 0
    try:
        for _ in range(batch):
            outcome = await one(db, mailer, now=now, base_url=base_url, sender=sender, secret_key=secret_key)
            if outcome is Outcome.SENT:
                sent += 1
            elif outcome in (Outcome.NONE_DUE, Outcome.SERVER_DOWN):
                break
    except BaseException:
        mailer.close()  # killed or failed: leave, do not wait for the server's goodbye
        raise
    await mailer.quit()
    return sent


async def _next_locked(
    db: Database, mailer: Mailer, *, now: datetime, base_url: str, sender: Sender, secret_key: str
) -> Outcome:
    """PostgreSQL: lock one due row (skipping rows other workers hold), send, mark, commit."""
    async with db.write() as session:
        row = await session.scalar(due(now).with_for_update(skip_locked=True))
        if row is None:
            return Outcome.NONE_DUE
        error = await _attempt(session, row, mailer, base_url=base_url, sender=sender, secret_key=secret_key)
        return _settle(row, error, now)


async def _next_sqlite(
    db: Database, mailer: Mailer, *, now: datetime, base_url: str, sender: Sender, secret_key: str
) -> Outcome:
    """SQLite (one worker): read and send outside a write transaction, then mark briefly."""
    async with db.read() as session:
        row = await session.scalar(due(now))
        if row is None:
            return Outcome.NONE_DUE
        message: EmailMessage | None = None
        error: BaseException | None = None
        try:
            message = await _compose(session, row, base_url=base_url, sender=sender, secret_key=secret_key)
        except Exception as problem:
            error = _unexpected(row, problem)
    if message is not None:
        error = await _send(mailer, message)
    async with db.write() as session:
        fresh = await session.get(OutboxMessage, row.id)
        if fresh is None or fresh.status is not OutboxStatus.QUEUED:
            return Outcome.FAILED
        return _settle(fresh, error, now)


async def _attempt(
    session: AsyncSession,
    row: OutboxMessage,
    mailer: Mailer,
    *,
    base_url: str,
    sender: Sender,
    secret_key: str,
) -> BaseException | None:
    try:
        message = await _compose(session, row, base_url=base_url, sender=sender, secret_key=secret_key)
    except Exception as problem:
        return _unexpected(row, problem)
    return await _send(mailer, message)


async def _compose(
    session: AsyncSession, row: OutboxMessage, *, base_url: str, sender: Sender, secret_key: str
) -> EmailMessage:
    """The row's mail, stamped with its Message-ID."""
    message = await build_message(session, row, base_url=base_url, sender=sender, secret_key=secret_key)
    message["Message-ID"] = queue.message_id(row.id, host_of(base_url))
    return message


def _unexpected(row: OutboxMessage, problem: Exception) -> Exception:
    if not isinstance(problem, Unbuildable):
        log.exception("outbox message %s (%s) could not be built", row.id, row.kind)
    return problem


async def _send(mailer: Mailer, message: EmailMessage) -> BaseException | None:
    try:
        await mailer.send(message)
    except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as error:
        return error  # ValueError: an address aiosmtplib cannot send to
    return None


def _settle(row: OutboxMessage, error: BaseException | None, now: datetime) -> Outcome:
    row.attempts += 1
    if error is None:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        return Outcome.SENT
    description, permanent = describe(error)
    row.last_error = description[:ERROR_LENGTH]
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.DEAD
        log.warning(
            "outbox message %s (%s) given up after %s attempts: %s",
            row.id,
            row.kind,
            row.attempts,
            for_log(error),
        )
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        log.info(
            "outbox message %s (%s) not sent (attempt %s), next try at %s: %s",
            row.id,
            row.kind,
            row.attempts,
            row.next_attempt_at.isoformat(),
            for_log(error),
        )
    return Outcome.SERVER_DOWN if isinstance(error, SERVER_ERRORS) else Outcome.FAILED


RETRY_FIELDS = ("status", "attempts", "next_attempt_at")


async def retry(
    db: Database, message_id: int, *, now: datetime | None = None, actor_id: int | None = None
) -> OutboxMessage:
    """Staff: move a dead message back to the queue, due at once, with a fresh set of tries.

    A queued message is left as it is (retrying twice is harmless); a sent one is refused.
    """
    now = now or datetime.now(UTC)
    async with db.write() as session:
        statement = select(OutboxMessage).where(OutboxMessage.id == message_id)
        if dialect_of(session) == "postgresql":
            statement = statement.with_for_update()
        row = await session.scalar(statement)
        if row is None:
            raise NotFound(N_("The message %(id)s"), id=message_id)
        if row.status is OutboxStatus.SENT:
            # Only a message that was given up goes back to the queue; a sent one stays sent.
            raise Conflict("message_not_dead", status=row.status.value)
        if row.status is OutboxStatus.DEAD:
            before = snapshot(row, RETRY_FIELDS)
            row.status = OutboxStatus.QUEUED
            row.attempts = 0
            row.next_attempt_at = now
            record(
                session,
                actor_id=actor_id,
                action="outbox.retry",
                object_type="outbox_message",
                object_id=row.id,
                at=now,
                before=before,
                after=snapshot(row, RETRY_FIELDS),
            )
    return row


@dataclass(frozen=True)
class Preview:
    """A queued or sent message as its recipient reads it: subject and plain text."""

    kind: str
    subject: str
    text: str
    language: str


async def preview(db: Database, message_id: int, *, smtp_url: str, base_url: str) -> Preview | None:
    """The message built as the worker would build it, in the recipient's language; None when it
    cannot be built any more. Built without the secret key: a link it carries (a password reset)
    does not work from the preview, so staff never hold a person's live link."""
    sender = sender_for(SmtpTarget.parse(smtp_url or "smtp://localhost"), base_url)  # its From: only
    async with db.read() as session:
        row = await session.get(OutboxMessage, message_id)
        if row is None:
            raise NotFound(N_("The message %(id)s"), id=message_id)
        try:
            message = await build_message(session, row, base_url=base_url, sender=sender, secret_key="")
        except Unbuildable:
            return None
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return Preview(kind=row.kind, subject=str(message["Subject"]), text=str(text), language=row.language)
