"""Every kind of message the code queues has words for the outbox, in German and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from library.accounts import links
from library.booking.models import BookingStatus
from library.outbox.kinds import KIND_WORDS, kind_words
from library.workshops.models import RegistrationStatus

ROOT = Path(__file__).parents[2]


def queued_kinds() -> set[str]:
    """Kinds written literally in enqueue calls, the families built from a status, the mailed links'
    kinds, and every kind that has a mail template."""
    text = "\n".join(path.read_text() for path in (ROOT / "library").rglob("*.py"))
    found = set(re.findall(r'kind="([a-z_]+\.[a-z_]+)"', text))
    found |= set(re.findall(r'kind = "([a-z_]+\.[a-z_]+)"', text))
    found |= {f"booking.{status.value}" for status in BookingStatus}
    found |= {f"registration.{status.value}" for status in RegistrationStatus}
    found |= {kind.mail for kind in vars(links).values() if isinstance(kind, links.LinkKind)}
    found |= {
        path.name.removesuffix(".txt")
        for path in (ROOT / "templates" / "emails").glob("*.txt")
        if path.name not in ("generic.txt", "layout.txt")
    }
    return found


def test_every_queued_kind_has_words() -> None:
    kinds = queued_kinds()
    assert {
        "booking.moved",
        "registration.offered",
        "account.set_password",
        "certification.expiring",
    } <= kinds
    assert sorted(kinds - KIND_WORDS.keys()) == []


@pytest.mark.parametrize("kind", sorted(KIND_WORDS))
def test_each_kind_reads_in_both_languages(kind: str) -> None:
    english, german = kind_words(kind, "en"), kind_words(kind, "de")
    assert english == KIND_WORDS[kind]
    assert german != english


def test_an_unknown_kind_shows_its_code() -> None:
    assert kind_words("newsletter.weekly", "de") == "newsletter.weekly"
