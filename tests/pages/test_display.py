"""The door display: today's schedule per offer and what is free now, public, without personal data.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm.
"""

from __future__ import annotations

from datetime import timedelta

from library.accounts.models import Role
from library.catalog.models import ResourceKind
from library.clock import SettableClock
from library.db import Database
from tests.support import factories
from tests.support.api import Client


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
    text = page.text.replace("\u202f", " ")  # CLDR puts a narrow space before AM/PM
    room = text[text.index("<h2>Group room 1</h2>") : text.index("<h2>Makerspace</h2>")]
    assert "In use · free from 12:00" in room
    assert "10:00 to 12:00</span>\n            booked" in room
    makerspace = text[text.index("<h2>Makerspace</h2>") : text.index("<h2>VR headset</h2>")]
    assert "Free now" in makerspace
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
