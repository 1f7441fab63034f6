"""Open data: schema.org events (expanded by pyld), the DCAT-AP.de catalogue (parsed by rdflib),
the JSON-LD on the workshop page, and ETag/304 on public feeds."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from pyld import jsonld
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from sqlalchemy import select, update

from library.accounts.models import Role
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, Location, ResourceKind
from library.db import Database
from library.stats.rollup import roll_up
from tests.support.api import Client
from tests.support.factories import bearer, create_location, create_resource, create_user, get_token
from tests.support.times import FRIDAY, at

SDO = "https://schema.org/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
BASE = "http://127.0.0.1:8000"


async def _workshop_with_a_session(db: Database, client: Client) -> tuple[str, int]:
    location = await create_location(db)
    async with db.write() as session:
        await session.execute(update(Location).values(latitude=48.3984, longitude=9.9918))
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    created = await client.post(
        "/api/v1/workshops",
        json={"title": "Löten", "description": "Erste Schritte.", "factor": "knowhow", "min_age": 12},
        headers=bearer(staff),
    )
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    response = await client.post(
        f"/api/v1/workshops/{slug}/sessions",
        json={"start": at(FRIDAY, 16), "end": at(FRIDAY, 18), "room": "makerspace", "capacity": 5},
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    session_id = int(response.json()["id"])
    anna = await get_token(client)
    signed = await client.post(f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(anna))
    assert signed.status_code == 201, signed.text
    return slug, session_id


def _expanded_event(document: dict[str, Any]) -> dict[str, Any]:
    expanded = jsonld.expand(document)
    (event,) = [node for node in expanded if f"{SDO}Event" in node.get("@type", [])]
    return dict(event)


def _value(node: dict[str, Any], name: str) -> Any:
    (item,) = node[f"{SDO}{name}"]
    return item.get("@value", item.get("@id", item))


async def test_events_expand_to_schema_org_triples(db: Database, client: Client) -> None:
    slug, session_id = await _workshop_with_a_session(db, client)
    response = await client.get("/api/v1/events.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    event = _expanded_event(response.json())
    assert event["@id"] == f"{BASE}/workshops/{slug}#session-{session_id}"
    assert _value(event, "name") == "Löten"
    assert _value(event, "startDate") == "2026-12-04T16:00:00+01:00"
    assert _value(event, "endDate") == "2026-12-04T18:00:00+01:00"
    assert _value(event, "url") == f"{BASE}/workshops/{slug}"
    assert _value(event, "eventAttendanceMode") == f"{SDO}OfflineEventAttendanceMode"
    assert _value(event, "eventStatus") == f"{SDO}EventScheduled"
    assert _value(event, "maximumAttendeeCapacity") == 5
    assert _value(event, "remainingAttendeeCapacity") == 4
    assert _value(event, "typicalAgeRange") == "12-"
    assert _value(event, "inLanguage") == "de"
    (place,) = event[f"{SDO}location"]
    assert _value(place, "name") == "Zentralbibliothek"
    (geo,) = place[f"{SDO}geo"]
    assert _value(geo, "latitude") == 48.3984
    (offer,) = event[f"{SDO}offers"]
    assert _value(offer, "availability") in {f"{SDO}InStock", f"{SDO}PreOrder"}
    assert "anna" not in response.text  # counts, never a participant


async def test_the_workshop_page_embeds_its_sessions_as_json_ld(db: Database, client: Client) -> None:
    slug, session_id = await _workshop_with_a_session(db, client)
    page = await client.get(f"/workshops/{slug}")
    assert page.status_code == 200
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.DOTALL)
    assert found is not None
    event = _expanded_event(json.loads(found.group(1)))
    assert event["@id"] == f"{BASE}/workshops/{slug}#session-{session_id}"
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_the_catalogue_parses_as_dcat_ap_de(client: Client) -> None:
    response = await client.get("/opendata/catalog.jsonld")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="json-ld")
    catalogue = URIRef(f"{BASE}/opendata/catalog.jsonld")
    assert (catalogue, RDF.type, DCAT.Catalog) in graph
    (dataset,) = graph.objects(catalogue, DCAT.dataset)
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    (distribution,) = graph.objects(dataset, DCAT.distribution)
    assert (distribution, DCAT.downloadURL, URIRef(f"{BASE}/opendata/utilisation.csv")) in graph
    assert (distribution, DCT.license, URIRef("http://dcat-ap.de/def/licenses/dl-zero-de/2.0")) in graph
    ulm = URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/084210000000")
    assert (dataset, DCATDE.politicalGeocodingURI, ulm) in graph
    themes = set(graph.objects(dataset, DCAT.theme))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/EDUC") in themes
    (service,) = graph.objects(catalogue, DCAT.service)
    assert (service, RDF.type, DCAT.DataService) in graph
    assert (service, DCAT.endpointURL, URIRef(f"{BASE}/sta/v1.1")) in graph
    (publisher,) = graph.objects(catalogue, DCT.publisher)
    assert Literal("Stadt Ulm") in set(graph.objects(publisher, URIRef("http://xmlns.com/foaf/0.1/name")))
    assert (dataset, DCAT.contactPoint, None) in graph


async def test_every_public_feed_answers_304_to_its_etag(db: Database, client: Client) -> None:
    await _workshop_with_a_session(db, client)
    for path in (
        "/opendata/catalog.jsonld",
        "/api/v1/events.jsonld",
        "/calendar/resources/makerspace.ics",
        "/calendar/locations/zentralbibliothek/workshops.ics",
        "/sta/v1.1/Things",
    ):
        first = await client.get(path)
        assert first.status_code == 200, path
        assert first.headers["etag"].startswith('"'), path
        assert "max-age" in first.headers["cache-control"], path
        again = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, path
        assert again.headers["etag"] == first.headers["etag"]
        changed = await client.get(path, headers={"If-None-Match": '"stale"'})
        assert changed.status_code == 200, path


async def test_the_utilisation_csv_counts_per_day_location_factor_and_kind(
    db: Database, client: Client
) -> None:
    location = await create_location(db)  # Tuesday 10:00-19:00: 540 minutes
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_resource(
        db, location, "drucker", kind=ResourceKind.DEVICE, factor=Factor.TECHNOLOGY, units=2
    )
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    anna = await get_token(client)
    for start, end in (("12:00", "13:00"), ("14:00", "14:30")):
        response = await client.post(
            "/api/v1/bookings",
            json={
                "resource": "drucker",
                "start": f"2026-12-01T{start}:00+01:00",
                "end": f"2026-12-01T{end}:00+01:00",
            },
            headers=bearer(anna),
        )
        assert response.status_code == 201, response.text
    async with db.write() as session:
        first, second = (await session.scalars(select(Booking).order_by(Booking.id))).all()
        first.status = BookingStatus.COMPLETED
        second.status = BookingStatus.NO_SHOW
    response = await client.get(
        "/opendata/utilisation.csv", params={"from": "2026-12-01", "to": "2026-12-01"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["etag"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == [
        "date",
        "location",
        "factor",
        "kind",
        "open_minutes",
        "booked_minutes",
        "used_minutes",
        "bookings",
        "no_shows",
    ]
    by_kind = {(row["factor"], row["kind"]): row for row in rows}
    devices = by_kind[("technology", "device")]
    assert devices["date"] == "2026-12-01"
    assert devices["location"] == "zentralbibliothek"
    assert (devices["open_minutes"], devices["booked_minutes"], devices["used_minutes"]) == (
        "1080",
        "90",
        "60",
    )
    assert (devices["bookings"], devices["no_shows"]) == ("2", "1")
    room = by_kind[("space", "room")]
    assert (room["open_minutes"], room["booked_minutes"], room["bookings"]) == ("540", "0", "0")
    refused = await client.get("/opendata/utilisation.csv", params={"from": "2026-12-02", "to": "2026-12-01"})
    assert refused.status_code == 422


async def _csv_sums(client: Client, first: str, last: str, group: str) -> dict[str, list[float]]:
    response = await client.get("/opendata/utilisation.csv", params={"from": first, "to": last})
    assert response.status_code == 200, response.text
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0] * 5)
    for row in csv.DictReader(io.StringIO(response.content.decode("utf-8"))):
        for n, column in enumerate(
            ("open_minutes", "booked_minutes", "used_minutes", "bookings", "no_shows")
        ):
            sums[row[group]][n] += float(row[column])
    return dict(sums)


async def _stats_sums(
    client: Client, staff: str, first: str, last: str, group: str
) -> dict[str, list[float]]:
    response = await client.get(
        "/api/v1/stats/utilisation",
        params={"from": first, "to": last, "group_by": group},
        headers=bearer(staff),
    )
    assert response.status_code == 200, response.text
    return {
        row["key"]: [
            float(row[column])
            for column in ("open_minutes", "booked_minutes", "used_minutes", "bookings", "no_shows")
        ]
        for row in response.json()["rows"]
    }


async def test_the_utilisation_csv_has_the_figures_of_the_statistics(db: Database, client: Client) -> None:
    """The CSV's days add up to the staff statistics of the same period, before and after the
    days are rolled up."""
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_resource(
        db, location, "drucker", kind=ResourceKind.DEVICE, factor=Factor.TECHNOLOGY, units=2
    )
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "staff@example.org", role=Role.STAFF)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    for resource, day, start, end in (
        ("drucker", "2026-12-01", "12:00", "13:00"),
        ("drucker", "2026-12-02", "14:00", "14:30"),
        ("makerspace", "2026-12-03", "11:00", "13:30"),
        ("drucker", "2026-12-04", "10:00", "11:00"),
    ):
        response = await client.post(
            "/api/v1/bookings",
            json={"resource": resource, "start": f"{day}T{start}:00+01:00", "end": f"{day}T{end}:00+01:00"},
            headers=bearer(anna),
        )
        assert response.status_code == 201, response.text
    async with db.write() as session:
        first, second, third, _ = (await session.scalars(select(Booking).order_by(Booking.id))).all()
        first.status = BookingStatus.COMPLETED
        second.status = BookingStatus.NO_SHOW
        third.status = BookingStatus.CHECKED_IN

    for group, column in (("factor", "factor"), ("kind", "kind"), ("location", "location")):
        csv_sums = await _csv_sums(client, "2026-12-01", "2026-12-06", column)
        assert csv_sums == await _stats_sums(client, staff, "2026-12-01", "2026-12-06", group)
    assert csv_sums["zentralbibliothek"][1:] == [60 + 30 + 150 + 60, 60 + 150, 4, 1]

    async with db.write() as session:  # the first days closed and rolled up, the rest live
        assert await roll_up(session, datetime(2026, 12, 5, 12, tzinfo=UTC)) > 0
    for group in ("factor", "kind"):
        assert await _csv_sums(client, "2026-12-01", "2026-12-06", group) == await _stats_sums(
            client, staff, "2026-12-01", "2026-12-06", group
        )
