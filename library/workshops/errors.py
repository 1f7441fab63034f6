"""When the booking engine refuses a session's room: the domain error both presenters show."""

from __future__ import annotations

from library.booking.errors import refused
from library.booking.service import RuleBroken, SlotTaken
from library.errors import Conflict, LibraryError


def room_refused(error: RuleBroken | SlotTaken) -> LibraryError:
    """A broken house rule keeps its own code; a taken room is a conflict (no alternatives are
    offered for a session's room)."""
    if isinstance(error, RuleBroken):
        return refused(error.refusal)
    return Conflict("slot_taken", extra={"alternatives": []})
