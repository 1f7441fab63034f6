"""Mail for tests: a real SMTP server on loopback (the `smtp` fixture), the outbox, and mails read back.

The server (aiosmtpd, in a thread) keeps what it accepts; it can refuse for a while, refuse
for good, or hold a delivery to let a test kill the worker in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from library.accounts.models import Language, Role
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.worker import send_due
from library.outbox.models import OutboxMessage
from tests.support.factories import create_location, create_resource, create_user
from tests.support.live_server import free_port


@dataclass
class Inbox:
    """What the test server accepted, and how it should behave."""

    url: str = ""
    accepted: list[EmailMessage] = field(default_factory=list)
    refusals_left: int = 0
    refuse_always: bool = False
    refusal: str = "451 4.3.0 Try again later"
    refused: int = 0
    delay: float = 0.0  # seconds to think before answering
    hold_after: int | None = None  # hold the delivery after this many accepted ones
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def by_recipient(self) -> dict[str, EmailMessage]:
        return {str(message["To"]): message for message in self.accepted}

    async def wait_until_holding(self, seconds: float = 20) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.holding.is_set():
            assert asyncio.get_running_loop().time() < deadline, "the server never got the held message"
            await asyncio.sleep(0.01)


class Handler:
    """The server's side of a delivery: accepts, refuses or holds as the inbox says."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        inbox = self.inbox
        if inbox.refuse_always or inbox.refusals_left > 0:
            inbox.refusals_left = max(0, inbox.refusals_left - 1)
            inbox.refused += 1
            return inbox.refusal
        if inbox.delay:
            await asyncio.sleep(inbox.delay)
        if inbox.hold_after is not None and len(inbox.accepted) >= inbox.hold_after:
            inbox.holding.set()
            await asyncio.to_thread(inbox.release.wait)
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        inbox.accepted.append(parsed)
        return "250 2.0.0 OK"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server on loopback, for as long as the test runs."""
    inbox = Inbox()
    controller = Controller(Handler(inbox), hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        inbox.release.set()
        controller.stop()


async def library_with_readers(db: Database) -> None:
    """Rooms to book, and people who read their mail in German (Anna) and English (Ben), and staff."""
    location = await create_location(db)
    await create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1", name_en="Group room 1")
    await create_resource(db, location, "gruppenraum-2", name="Gruppenraum 2", name_en="Group room 2")
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "anna@example.org", name="Anna Muster", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", name="Ben Smith", language=Language.EN)
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def send(db: Database, clock: SettableClock, settings: Settings, inbox: Inbox) -> int:
    return await send_due(db, now=clock.now(), smtp_url=inbox.url, base_url=settings.base_url)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())
