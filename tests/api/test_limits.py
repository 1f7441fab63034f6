"""Every list the API answers is bounded: pages of at most 500, or a list API.md keeps small."""

from __future__ import annotations

from library.db import Database
from tests.support.api import Client
from tests.support.factories import assert_problem, create_location

PLAIN_LISTS = {"/api/v1/factors", "/api/v1/locations", "/api/v1/certifications"}  # API.md: plain arrays
DATE_RANGES = {"/api/v1/locations/{slug}/opening-hours"}  # bounded by from/to (at most a set number of days)


async def test_every_list_endpoint_is_paged_with_a_maximum(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    unbounded = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if not path.startswith("/api/") or operation is None or path in PLAIN_LISTS | DATE_RANGES:
            continue
        answer = operation["responses"]["200"]["content"]
        schema = next(iter(answer.values()))["schema"]
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if schema.get("type") == "array":
            unbounded.append(path)
        elif "items" in schema.get("properties", {}):
            limit = next(p for p in operation["parameters"] if p["name"] == "limit")
            assert limit["schema"]["maximum"] <= 500, path
    assert not unbounded, f"lists without pages: {unbounded}"


async def test_a_page_larger_than_the_maximum_is_refused(client: Client) -> None:
    assert_problem(await client.get("/api/v1/resources", params={"limit": "501"}), 422, "invalid_query")
    assert (await client.get("/api/v1/resources", params={"limit": "500"})).status_code == 200


async def test_a_date_range_longer_than_allowed_is_refused(client: Client, db: Database) -> None:
    location = await create_location(db)
    path = f"/api/v1/locations/{location.slug}/opening-hours"
    response = await client.get(path, params={"from": "2026-01-01", "to": "2027-12-31"})
    assert_problem(response, 422, "range_too_long")
