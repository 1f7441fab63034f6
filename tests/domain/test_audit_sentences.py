"""Every action the code records reads as a sentence in German and English; unknown ones still read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from library.booking.models import BookingStatus
from library.web.audit_sentences import SENTENCES, Facts, changed_fields, sentence

FACTS = Facts(actor="Anna Berg", thing="VR-Brille (2)", when="Sa., 5. Dez. 2026, 14:00", detail="Detail")
SOURCE = Path(__file__).parents[2] / "library"


def recorded_actions() -> set[str]:
    """The action names written by `record(`/`record_now(` calls and the helpers that pass them on."""
    text = "\n".join(path.read_text() for path in SOURCE.rglob("*.py") if "web" not in path.parts)
    found = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
    found |= set(re.findall(r'_audit\([^)]*?"([a-z_]+\.[a-z_]+)"', text))  # workshops._audit
    found |= set(re.findall(r'kind = "(workshop_session\.[a-z_]+)"', text))
    found |= set(re.findall(r'"(user\.[a-z_]+)"', text))  # ("user.update", …), "user.deactivate"
    found |= {f"booking.{status.value}" for status in BookingStatus}  # action=f"booking.{status.value}"
    return found


def test_every_recorded_action_has_a_sentence() -> None:
    actions = recorded_actions()
    assert {"booking.move", "booking.undo_check_in", "user.create", "user.library_card"} <= actions
    assert {"user.birth_date_bound", "photo.add", "photo.delete", "registration.promote"} <= actions
    assert sorted(actions - SENTENCES.keys()) == []


@pytest.mark.parametrize("action", sorted(SENTENCES))
def test_each_action_reads_as_a_sentence_in_both_languages(action: str) -> None:
    english, german = sentence(action, FACTS, "en"), sentence(action, FACTS, "de")
    assert "VR-Brille (2)" in english
    assert "VR-Brille (2)" in german
    if action != "user.birth_date_bound":  # nobody acts there: an age refusal binds it
        assert english.startswith("Anna Berg")
        assert "Anna Berg" in german
    assert german != english  # translated
    assert "%(" not in english + german
    assert action not in english  # not the generic fallback


def test_a_cancelled_booking_reads_with_its_time_and_reason() -> None:
    told = Facts(actor="Anna Berg", thing="VR-Brille 2", when="Sat, 5 Dec 2026, 14:00", reason="Defekt")
    assert sentence("booking.cancelled", told, "en") == (
        "Anna Berg cancelled the booking of VR-Brille 2 for Sat, 5 Dec 2026, 14:00. Reason: Defekt"
    )
    assert sentence("booking.cancelled", told, "de").startswith("Anna Berg hat die Buchung von VR-Brille 2")


def test_an_unknown_action_falls_back_to_a_readable_sentence() -> None:
    english = sentence("stats.export_made", FACTS, "en")
    assert english == "Anna Berg: stats export made on VR-Brille (2)."
    assert "Anna Berg" in sentence("stats.export_made", FACTS, "de")


def test_changed_fields_names_only_what_changed() -> None:
    assert changed_fields({"name": "A", "slug": "a"}, {"name": "B", "slug": "a"}) == "name"
    assert changed_fields(None, {"label": "1"}) == "label"
