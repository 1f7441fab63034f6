"""The SensorThings API at /sta/v1.1: entities, links, query options, errors, observations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from library.booking.models import Booking, BookingStatus
from library.catalog.models import Location
from library.db import Database
from library.opendata.models import Observation
from library.opendata.observations import record_observations
from tests.support.api import Client, setup_library
from tests.support.factories import get_token
from tests.support.times import TEST_NOW

ROOT = "http://127.0.0.1:8000/sta/v1.1"


async def _library_with_observations(db: Database, client: Client) -> dict[str, Any]:
    library = await setup_library(db)
    async with db.write() as session:
        await session.execute(update(Location).values(latitude=48.3984, longitude=9.9918))
    token = await get_token(client, "anna@example.org")
    # Anna holds one of the two 3D printers now, checked in, two people.
    response = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "3d-drucker",
            "start": "2026-12-01T10:00:00+01:00",
            "end": "2026-12-01T11:00:00+01:00",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    async with db.write() as session:
        await session.execute(update(Booking).values(status=BookingStatus.CHECKED_IN, participants=2))
    assert await record_observations(db, now=TEST_NOW, keep_days=730) > 0
    return library


async def _get(client: Client, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"/sta/v1.1/{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_things_are_the_locations_with_links(db: Database, client: Client) -> None:
    library = await _library_with_observations(db, client)
    location = library["location"]
    body = await _get(client, "Things")
    (thing,) = body["value"]
    assert thing["@iot.id"] == location.id
    assert thing["name"] == "Zentralbibliothek"
    assert thing["@iot.selfLink"] == f"{ROOT}/Things({location.id})"
    assert thing["Datastreams@iot.navigationLink"] == f"{ROOT}/Things({location.id})/Datastreams"
    located = await _get(client, f"Things({location.id})/Locations")
    assert located["value"][0]["location"] == {"type": "Point", "coordinates": [9.9918, 48.3984]}
    assert located["value"][0]["encodingType"] == "application/geo+json"


async def test_datastreams_per_factor_and_kind_with_their_first_observation(
    db: Database, client: Client
) -> None:
    await _library_with_observations(db, client)
    streams = (await _get(client, "Datastreams", **{"$expand": "Observations,Sensor,ObservedProperty"}))[
        "value"
    ]
    kinds = {(s["properties"]["factor"], s["properties"]["kind"]): s for s in streams}
    assert {kind for _factor, kind in kinds} == {"free_units", "booked_share", "people_present"}
    for stream in streams:
        assert len(stream["Observations"]) == 1, stream["name"]
        assert isinstance(stream["Observations"][0]["result"], int | float)
        assert stream["Sensor"]["name"] == stream["properties"]["kind"].replace("_", " ")
    space = {kind: s["Observations"][0] for (factor, kind), s in kinds.items() if factor == "space"}
    # Units of setup_library: 2 rooms, cutter, 2 printers, forum, 2 internet places = 8; one printer held.
    assert space["free_units"]["result"] == 7
    assert space["free_units"]["phenomenonTime"] == "2026-12-01T09:00:00Z"
    assert space["people_present"]["result"] == 2
    assert space["booked_share"]["phenomenonTime"] == "2026-12-01T08:00:00Z/2026-12-01T09:00:00Z"


async def test_a_second_tick_in_the_same_step_writes_nothing(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    assert await record_observations(db, now=TEST_NOW + timedelta(minutes=5), keep_days=730) == 0
    assert await record_observations(db, now=TEST_NOW + timedelta(minutes=15), keep_days=730) > 0


async def test_old_observations_are_forgotten(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    await record_observations(db, now=TEST_NOW + timedelta(days=3), keep_days=2)
    async with db.read() as session:
        oldest = await session.scalar(select(func.min(Observation.phenomenon_start)))
    assert oldest is not None
    assert oldest >= TEST_NOW + timedelta(days=1)


async def test_paging_count_and_next_link(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    body = await _get(client, "Observations", **{"$top": "2", "$count": "true"})
    assert body["@iot.count"] == 3
    assert len(body["value"]) == 2
    assert body["@iot.nextLink"].startswith(f"{ROOT}/Observations?")
    assert "$skip=2" in body["@iot.nextLink"]
    rest = await client.get(body["@iot.nextLink"].removeprefix("http://127.0.0.1:8000"))
    assert len(rest.json()["value"]) == 1
    assert "@iot.nextLink" not in rest.json()


async def test_filter_orderby_and_select_on_observations(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    await record_observations(db, now=TEST_NOW + timedelta(minutes=15), keep_days=730)
    later = await _get(client, "Observations", **{"$filter": "phenomenonTime gt 2026-12-01T09:00:00Z"})
    assert {o["phenomenonTime"] for o in later["value"]} == {"2026-12-01T09:15:00Z"}
    big = await _get(client, "Observations", **{"$filter": "result ge 2 and not (result eq 7)"})
    assert {o["result"] for o in big["value"]} == {2}
    ordered = await _get(client, "Observations", **{"$orderby": "result desc", "$select": "result"})
    results = [o["result"] for o in ordered["value"]]
    assert results == sorted(results, reverse=True)
    assert set(ordered["value"][0]) == {"result"}


async def test_filter_on_names_in_memory_sets(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    free = await _get(client, "Sensors", **{"$filter": "name eq 'free units' or name eq 'booked share'"})
    assert sorted(s["name"] for s in free["value"]) == ["booked share", "free units"]
    none = await _get(client, "Things", **{"$filter": "name eq 'Nowhere'"})
    assert none["value"] == []


async def test_nested_expand_with_own_options(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    body = await _get(
        client,
        "Things",
        **{"$expand": "Datastreams($top=1;$orderby=name;$expand=Observations($select=result))"},
    )
    streams = body["value"][0]["Datastreams"]
    assert len(streams) == 1
    following = body["value"][0]["Datastreams@iot.nextLink"]
    assert "/Datastreams?" in following
    assert "$orderby=name" in following
    assert "$top=1" in following
    assert following.endswith("$skip=1")
    rest = await client.get(following.removeprefix("http://127.0.0.1:8000"))
    assert rest.json()["value"][0]["@iot.id"] != streams[0]["@iot.id"]
    assert list(streams[0]["Observations"][0]) == ["result"]


async def test_malformed_options_are_400_and_missing_entities_404(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    for params in ({"$filter": "result gt"}, {"$top": "5000"}, {"$orderby": "colour"}, {"$expand": "Nope"}):
        response = await client.get("/sta/v1.1/Observations", params=params)
        assert response.status_code == 400, params
        assert response.json()["message"]
    for path in ("Things(999)", "Unicorns", "Things(999)/Datastreams", "Things(1)/Unicorns"):
        response = await client.get(f"/sta/v1.1/{path}")
        assert response.status_code == 404, path


async def test_the_answer_has_an_etag_and_a_matching_one_is_304(db: Database, client: Client) -> None:
    await _library_with_observations(db, client)
    first = await client.get("/sta/v1.1/Things")
    assert first.headers["cache-control"].startswith("public")
    again = await client.get("/sta/v1.1/Things", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    other = await client.get("/sta/v1.1/Things", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_the_index_lists_the_sets(client: Client) -> None:
    body = (await client.get("/sta/v1.1")).json()
    assert {entry["name"] for entry in body["value"]} >= {"Things", "Datastreams", "Observations"}
    assert all(entry["url"].startswith(ROOT) for entry in body["value"])
