"""A broken house rule as people and programs read it: one refusal for the API's answer and
for the sentence a page shows next to the field."""

from __future__ import annotations

from dataclasses import dataclass

from library.booking.rules import Refusal
from library.errors import Bilingual, NotAllowed


@dataclass(frozen=True)
class Renewal:
    """Where to get a missing or expired certification: a workshop that grants it."""

    workshop_slug: str
    workshop_title: Bilingual


def refused(refusal: Refusal, renewal: Renewal | None = None) -> NotAllowed:
    """The refusal's code, with the sentence made from its parameters; with a renewal, the
    sentence and the answer also name the workshop."""
    if renewal is None:
        return NotAllowed(refusal.code, message_key=refusal.message_key, **refusal.params)
    return NotAllowed(
        refusal.code,
        extra={"workshop": renewal.workshop_slug},
        message_key=f"{refusal.message_key or refusal.code}_workshop",
        **refusal.params,
        workshop=renewal.workshop_slug,
        workshop_title=renewal.workshop_title,
    )
