"""The door display: today's schedule per offer and what is free now, public, without personal data.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from library.accounts.models import Role
from library.catalog.models import ResourceKind, Unit
from library.clock import SettableClock
from library.db import Database
from tests.support import factories
from tests.support.api import Client


def panel_of(text: str, name: str) -> str:
    """One offer's panel on a location's screen."""
    [panel] = [chunk for chunk in text.split('<li class="display-panel')[1:] if f">{name}</a></h2>" in chunk]
    return panel


async def busy_library(client: Client, db: Database) -> None:
    """A group room booked by Anna 10-12 with a note, a makerspace with a workshop 14-16, VR headsets."""
    central = await factories.create_location(db)
    await factories.create_resource(
        db, central, "gruppenraum-1", name="Gruppenraum 1", name_en="Group room 1"
    )
    await factories.create_resource(db, central, "makerspace", name="Makerspace")
    await factories.create_resource(
        db,
        central,
        "vr-brille",
        name="VR-Brille",
        name_en="VR headset",
        kind=ResourceKind.DEVICE,
        units=["VR-Brille 1", "VR-Brille 2"],
    )
    await factories.create_user(db, "anna@example.org", name="Anna Muster")
    await factories.create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    anna = factories.bearer(await factories.get_token(client, "anna@example.org"))
    staff = factories.bearer(await factories.get_token(client, "staff@example.org"))
    booking = {
        "resource": "gruppenraum-1",
        "start": "2026-12-01T10:00:00+01:00",
        "end": "2026-12-01T12:00:00+01:00",
        "note": "Geheimes Projekt",
    }
    assert (await client.post("/api/v1/bookings", json=booking, headers=anna)).status_code == 201
    workshop = {
        "title": "Löten für Anfänger",
        "title_en": "Soldering for beginners",
        "description": "",
        "factor": "knowhow",
    }
    created = await client.post("/api/v1/workshops", json=workshop, headers=staff)
    assert created.status_code == 201, created.text
    session = {
        "start": "2026-12-01T14:00:00+01:00",
        "end": "2026-12-01T16:00:00+01:00",
        "room": "makerspace",
        "capacity": 8,
    }
    added = await client.post(
        f"/api/v1/workshops/{created.json()['slug']}/sessions", json=session, headers=staff
    )
    assert added.status_code == 201, added.text


async def test_the_display_shows_today_in_german_without_personal_data(client: Client, db: Database) -> None:
    await busy_library(client, db)

    page = await client.get("/display/zentralbibliothek?refresh=on", headers={"accept-language": "en"})
    assert page.status_code == 200
    text = page.text
    assert '<html lang="de">' in text  # German for the door, whatever the screen's browser says
    assert '<meta http-equiv="refresh" content="60">' in text  # the screens' link reloads every minute
    assert "Zentralbibliothek" in text
    assert "Gruppenraum 1" in text
    assert "Workshop: Löten für Anfänger" in text
    for private in ("Anna", "anna@example.org", "Geheimes Projekt", "Sabine"):
        assert private not in text
    # No sign-in needed, no menu of the site.
    assert 'href="/login"' not in text


async def test_free_now_and_in_use_until(client: Client, db: Database, clock: SettableClock) -> None:
    await busy_library(client, db)

    page = await client.get("/display/zentralbibliothek?lang=en")
    assert '<html lang="en">' in page.text
    assert 'http-equiv="refresh"' not in page.text  # a person opening the link gets a still page
    assert 'href="/display/zentralbibliothek?lang=en&amp;refresh=on"' in page.text
    text = page.text
    room = panel_of(text, "Group room 1")
    assert "In use · free from 12:00" in room
    assert re.search(r"10:00 to 12:00</span>\s*booked", room)
    makerspace = panel_of(text, "Makerspace")
    assert "Free now" in makerspace
    assert "until 14:00" in makerspace  # the workshop takes it then
    assert "Workshop: Soldering for beginners" in makerspace
    assert "Free now: 2 of 2" in text  # the VR headsets
    clock.set(clock.now() + timedelta(hours=10))  # 20:00, closed
    evening = await client.get("/display/zentralbibliothek?lang=en")
    assert "Closed now" in evening.text


async def test_an_unknown_location_is_a_404_page(client: Client, db: Database) -> None:
    response = await client.get("/display/atlantis")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "atlantis" in response.text


async def test_hours_as_the_public_sees_them_and_a_rooms_door(client: Client, db: Database) -> None:
    await busy_library(client, db)

    page = (await client.get("/display/zentralbibliothek?lang=en")).text
    assert "Open today 10:00 to 19:00" in page
    assert 'href="/display/zentralbibliothek/makerspace?lang=en"' in page
    assert 'class="display-panel factor-' in page

    door = await client.get("/display/zentralbibliothek/gruppenraum-1?lang=en&refresh=on")
    assert door.status_code == 200
    text = door.text
    assert "<h1>Group room 1</h1>" in text
    assert "In use · free from 12:00" in text
    assert re.search(r"<strong>Now:</strong>\s*10:00 to 12:00\s*booked", text)
    assert "<strong>Next:</strong>" in text
    assert '<meta http-equiv="refresh" content="60">' in text
    for private in ("Anna", "Geheimes Projekt"):
        assert private not in text
    makerspace = (await client.get("/display/zentralbibliothek/makerspace?lang=en")).text
    assert "Free now · until 14:00" in makerspace
    assert re.search(
        r"<strong>Next:</strong>\s*14:00 to 16:00\s*Workshop: Soldering for beginners", makerspace
    )
    assert (await client.get("/display/zentralbibliothek/atlantis")).status_code == 404


async def test_more_offers_than_fit_are_shown_in_pages_that_cycle(client: Client, db: Database) -> None:
    central = await factories.create_location(db)
    for number in range(1, 11):
        await factories.create_resource(db, central, f"platz-{number:02}", name=f"Platz {number:02}")

    first = (await client.get("/display/zentralbibliothek?refresh=on&lang=en")).text
    assert first.count('<li class="display-panel') == 8
    assert "Page 1 of 2" in first
    assert (
        '<meta http-equiv="refresh" content="20; '
        'url=/display/zentralbibliothek?lang=en&amp;refresh=on&amp;page=2">' in first
    )
    second = (await client.get("/display/zentralbibliothek?refresh=on&lang=en&page=2")).text
    assert second.count('<li class="display-panel') == 2
    assert "Platz 10" in second
    assert "Platz 01" not in second
    assert 'url=/display/zentralbibliothek?lang=en&amp;refresh=on&amp;page=1"' in second  # back to the first
    still = (await client.get("/display/zentralbibliothek?page=9")).text
    assert 'http-equiv="refresh"' not in still
    assert "Seite 2 von 2" in still  # an impossible page shows the last one


async def test_staff_notes_on_units_never_reach_visitors(client: Client, db: Database) -> None:
    await busy_library(client, db)
    async with db.write() as session:
        for unit in (await session.scalars(select(Unit))).all():
            unit.notes = "Intern: Akku schwach"

    for path in (
        "/display/zentralbibliothek",
        "/display/zentralbibliothek/vr-brille",
        "/resources/vr-brille",
        "/catalogue",
    ):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "Akku schwach" not in page.text, path


async def test_the_display_names_units_in_the_screens_language(client: Client, db: Database) -> None:
    await busy_library(client, db)
    async with db.write() as session:
        for unit in (await session.scalars(select(Unit).where(Unit.label.like("VR-Brille %")))).all():
            unit.label_en = unit.label.replace("VR-Brille", "VR headset")
    anna = factories.bearer(await factories.get_token(client, "anna@example.org"))
    booking = {
        "resource": "vr-brille",
        "start": "2026-12-01T11:00:00+01:00",
        "end": "2026-12-01T12:00:00+01:00",
    }
    assert (await client.post("/api/v1/bookings", json=booking, headers=anna)).status_code == 201

    english = panel_of((await client.get("/display/zentralbibliothek?lang=en")).text, "VR headset")
    german = panel_of((await client.get("/display/zentralbibliothek")).text, "VR-Brille")

    assert "(VR headset 1)" in english
    assert "(VR-Brille 1)" in german
