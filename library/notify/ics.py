"""iCalendar (RFC 5545) pieces shared by the mails' attachments and the calendar feeds.

Times are written in UTC (`...Z`), never floating. UIDs are stable, so a calendar that sees
an event again (a later mail, the next fetch of a feed) updates it instead of adding it. Every
text is written without control characters (library.texts), even one stored before that rule
held: a CR or LF in a name must not end a line of the feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

from library.texts import lines, one_line

PRODID = "-//Stadtbibliothek Ulm//Buchungen und Workshops//DE"
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def host_of(base_url: str) -> str:
    """The host part of UIDs and Message-IDs, as library.outbox.queue uses it."""
    return urlsplit(base_url).hostname or "library.invalid"


def booking_uid(booking_id: int, host: str) -> str:
    return f"booking-{booking_id}@{host}"


def registration_uid(registration_id: int, host: str) -> str:
    return f"registration-{registration_id}@{host}"


def sequence_at(moment: datetime) -> int:
    """A SEQUENCE that grows with each change: whole seconds since 2020 (fits 32 bits to 2088).

    Mails use the instant their outbox row was written, feeds the row's last update, so the
    same change always carries the same number and a later change a higher one.
    """
    return max(0, int((moment - SEQUENCE_EPOCH).total_seconds()))


def new_calendar(*, method: str | None = None, name: str | None = None, refresh_hours: int = 0) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    if name is not None:
        calendar.add("x-wr-calname", one_line(name))
    if refresh_hours:
        # How often subscribers should fetch again (RFC 7986, and the older Microsoft property).
        calendar.add("refresh-interval", timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", f"PT{refresh_hours}H")
    return calendar


@dataclass(frozen=True)
class EventFacts:
    uid: str
    start: datetime
    end: datetime
    summary: str
    stamp: datetime
    location: str | None = None
    description: str | None = None
    url: str | None = None
    status: str | None = None  # CONFIRMED, TENTATIVE or CANCELLED
    sequence: int | None = None
    last_modified: datetime | None = None
    transparent: bool = False


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be aware datetimes")
    return moment.astimezone(UTC)


def new_event(
    facts: EventFacts, *, organizer: tuple[str, str] | None = None, attendee: str | None = None
) -> Event:
    """A VEVENT; `organizer` is (name, address) and `attendee` an address, for iTIP messages."""
    event = Event()
    event.add("uid", facts.uid)
    event.add("dtstamp", utc(facts.stamp))
    event.add("dtstart", utc(facts.start))
    event.add("dtend", utc(facts.end))
    event.add("summary", one_line(facts.summary))
    if facts.sequence is not None:
        event.add("sequence", facts.sequence)
    if facts.location:
        event.add("location", one_line(facts.location))
    if facts.description:
        event.add("description", lines(facts.description))
    if facts.url:
        event.add("url", one_line(facts.url))
    if facts.status:
        event.add("status", facts.status)
    if facts.last_modified is not None:
        event.add("last-modified", utc(facts.last_modified))
    event.add("transp", "TRANSPARENT" if facts.transparent else "OPAQUE")
    if organizer is not None:
        name, address = organizer
        who = vCalAddress(f"mailto:{address}")
        who.params["cn"] = vText(one_line(name))
        event.add("organizer", who)
    if attendee is not None:
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", guest)
    return event


def to_bytes(calendar: Calendar) -> bytes:
    return bytes(calendar.to_ical())
