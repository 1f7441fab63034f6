"""The public catalogue API against API.md: factors, locations, opening hours, resources."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from library.accounts.models import Certification
from library.catalog.models import Factor, Location, Resource, ResourceKind
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.factories import assert_problem

ENGLISH = {"Accept-Language": "en"}
FACTOR_KEYS = ["technology", "knowhow", "networking", "space", "innovation"]
RESOURCE_FIELDS = {
    "slug",
    "name",
    "kind",
    "factor",
    "location",
    "capacity",
    "unit_count",
    "requires_approval",
    "required_certification",
    "min_age",
    "needs_staff",
}
POLICY_FIELDS = {
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "horizon_days",
    "lead_minutes",
    "buffer_minutes",
    "max_active_bookings",
    "max_minutes_per_week",
    "cancel_until_minutes",
    "checkin_window_minutes",
}

# The location's defaults; the laser cutter overrides some of them (lead_minutes with a 0).
LOCATION_POLICY = {"slot_minutes": 15, "max_minutes": 180, "horizon_days": 14, "lead_minutes": 60}
LASER_POLICY = {"slot_minutes": 60, "buffer_minutes": 15, "max_minutes_per_week": 240, "lead_minutes": 0}


@dataclass(frozen=True)
class Catalogue:
    central: Location
    boefingen: Location
    laser_induction: Certification
    resources: dict[str, Resource]


@pytest.fixture
async def catalogue(db: Database) -> Catalogue:
    """Two locations and eight active resources over all five factors, plus an inactive one."""
    central = await factories.create_location(db, policy=LOCATION_POLICY)
    boefingen = await factories.create_location(
        db,
        slug="boefingen",
        name="Stadtteilbibliothek Böfingen",
        name_en="Böfingen branch library",
        address="Haslacher Weg 41, 89075 Ulm",
        position=1,
    )
    laser_induction = await factories.create_certification(
        db, "lasercutter", name="Lasercutter-Einweisung", name_en="Laser cutter induction", valid_months=24
    )
    made = [
        await factories.create_resource(
            db,
            central,
            "gruppenraum-1",
            name="Gruppenraum 1",
            name_en="Group room 1",
            description="Ein ruhiger Raum mit Bildschirm für Gruppenarbeit.",
            description_en="A quiet room with a screen for group work.",
            capacity=8,
        ),
        await factories.create_resource(
            db,
            central,
            "lernplatz",
            name="Lernplatz",
            name_en="Study desk",
            kind=ResourceKind.WORKSPACE,
            units=20,
            retired_units=3,
        ),
        await factories.create_resource(
            db,
            central,
            "lasercutter",
            name="Lasercutter",
            name_en="Laser cutter",
            kind=ResourceKind.DEVICE,
            factor=Factor.TECHNOLOGY,
            description="Schneidet und graviert Holz, Acryl und Pappe.",
            description_en="Cuts and engraves wood, acrylic and cardboard.",
            features=["Arbeitsfläche 600 × 400 mm", "Absaugung"],
            units=["Trotec Speedy 100"],
            retired_units=1,
            certification=laser_induction,
            min_age=14,
            needs_staff=True,
            policy=LASER_POLICY,
        ),
        await factories.create_resource(
            db,
            central,
            "3d-drucker",
            name="3D-Drucker",
            name_en="3D printer",
            kind=ResourceKind.DEVICE,
            factor=Factor.TECHNOLOGY,
            units=3,
        ),
        await factories.create_resource(
            db,
            central,
            "podcast-studio",
            name="Podcast-Studio",
            name_en="Podcast studio",
            factor=Factor.KNOWHOW,
            requires_approval=True,
        ),
        await factories.create_resource(
            db,
            boefingen,
            "vr-brille",
            name="VR-Brille",
            name_en="VR headset",
            kind=ResourceKind.DEVICE,
            factor=Factor.INNOVATION,
            units=2,
        ),
        await factories.create_resource(
            db,
            boefingen,
            "treffpunkt",
            name="Treffpunkt",
            name_en="Meeting point",
            factor=Factor.NETWORKING,
            capacity=12,
        ),
        await factories.create_resource(
            db,
            boefingen,
            "uebungswerkstatt",
            name="Übungswerkstatt",
            description="Werkbänke zum Üben.",
            kind=ResourceKind.WORKSPACE,
            units=4,
        ),
        await factories.create_resource(
            db,
            central,
            "alter-scanner",
            name="Alter Scanner",
            kind=ResourceKind.DEVICE,
            factor=Factor.TECHNOLOGY,
            active=False,
        ),
    ]
    return Catalogue(central, boefingen, laser_induction, {r.slug: r for r in made})


ACTIVE_SLUGS = {
    "gruppenraum-1",
    "lernplatz",
    "lasercutter",
    "3d-drucker",
    "podcast-studio",
    "vr-brille",
    "treffpunkt",
    "uebungswerkstatt",
}


def named_fields(problem: dict[str, Any]) -> set[str]:
    return {error["field"] for error in problem.get("errors", [])}


async def hours(client: Client, slug: str, first: str, last: str, **headers: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/locations/{slug}/opening-hours", params={"from": first, "to": last}, headers=headers
    )
    assert response.status_code == 200, response.text
    days: list[dict[str, Any]] = response.json()
    return days


def slugs(items: list[dict[str, Any]]) -> set[str]:
    return {item["slug"] for item in items}


# --- factors and locations ---------------------------------------------------------------


async def test_factors_are_the_five_with_counts_of_active_resources(
    client: Client, catalogue: Catalogue
) -> None:
    response = await client.get("/api/v1/factors")
    assert response.status_code == 200
    factors = response.json()
    assert isinstance(factors, list)
    assert sorted(f["key"] for f in factors) == sorted(FACTOR_KEYS)
    by_key = {f["key"]: f for f in factors}
    counts = {key: f["resource_count"] for key, f in by_key.items()}
    # The inactive scanner does not count towards technology.
    assert counts == {"technology": 2, "knowhow": 1, "networking": 1, "space": 3, "innovation": 1}
    for factor in factors:
        assert set(factor) >= {"key", "name", "description", "resource_count", "workshop_count"}
        assert isinstance(factor["workshop_count"], int)
        assert factor["description"]
    assert by_key["technology"]["name"] == "Technologie"
    assert by_key["networking"]["name"] == "Vernetzung"


async def test_factors_in_english(client: Client, catalogue: Catalogue) -> None:
    response = await client.get("/api/v1/factors", headers=ENGLISH)
    assert response.status_code == 200
    names = {f["key"]: f["name"] for f in response.json()}
    assert names["technology"] == "Technology"
    assert names["networking"] == "Networking"
    assert names["space"] == "Space & meeting"  # the factor, told apart from the kind "Room"
    german = {f["key"]: f["description"] for f in (await client.get("/api/v1/factors")).json()}
    english = {f["key"]: f["description"] for f in response.json()}
    assert german["technology"] != english["technology"]


async def test_factors_without_resources_count_zero(client: Client) -> None:
    response = await client.get("/api/v1/factors")
    assert response.status_code == 200
    assert {f["key"]: f["resource_count"] for f in response.json()} == dict.fromkeys(FACTOR_KEYS, 0)


async def test_locations_are_a_plain_array(client: Client, catalogue: Catalogue) -> None:
    response = await client.get("/api/v1/locations")
    assert response.status_code == 200
    locations = response.json()
    assert isinstance(locations, list)
    assert [loc["slug"] for loc in locations] == ["zentralbibliothek", "boefingen"]
    central = locations[0]
    assert set(central) >= {"slug", "name", "address", "timezone"}
    assert central["name"] == "Zentralbibliothek"
    assert central["address"] == "Vestgasse 1, 89073 Ulm"
    assert central["timezone"] == "Europe/Berlin"
    english = (await client.get("/api/v1/locations", headers=ENGLISH)).json()
    assert english[0]["name"] == "Central Library"


# --- opening hours -----------------------------------------------------------------------


async def test_opening_hours_one_entry_per_date_with_offsets_and_staffing(
    client: Client, catalogue: Catalogue
) -> None:
    days = await hours(client, "zentralbibliothek", "2026-12-04", "2026-12-07")
    assert [d["date"] for d in days] == ["2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"]
    friday, saturday, sunday, monday = days
    assert friday["periods"] == [
        {"start": "2026-12-04T10:00:00+01:00", "end": "2026-12-04T19:00:00+01:00", "staffed": True}
    ]
    assert saturday["periods"] == [
        {"start": "2026-12-05T10:00:00+01:00", "end": "2026-12-05T14:00:00+01:00", "staffed": True},
        {"start": "2026-12-05T14:00:00+01:00", "end": "2026-12-05T19:00:00+01:00", "staffed": False},
    ]
    assert sunday["periods"] == []
    assert sunday.get("closed_reason") is None
    assert len(monday["periods"]) == 1
    for day in days:
        for period in day["periods"]:
            for instant in (period["start"], period["end"]):
                assert datetime.fromisoformat(instant).utcoffset() is not None


async def test_opening_hours_in_summer_have_summer_offset(client: Client, catalogue: Catalogue) -> None:
    (saturday,) = await hours(client, "zentralbibliothek", "2027-07-03", "2027-07-03")
    assert saturday["periods"] == [
        {"start": "2027-07-03T10:00:00+02:00", "end": "2027-07-03T14:00:00+02:00", "staffed": True},
        {"start": "2027-07-03T14:00:00+02:00", "end": "2027-07-03T19:00:00+02:00", "staffed": False},
    ]


async def test_opening_hours_across_the_change_to_summer_time(client: Client, catalogue: Catalogue) -> None:
    saturday, sunday, monday = await hours(client, "zentralbibliothek", "2027-03-27", "2027-03-29")
    assert saturday["periods"][0]["start"] == "2027-03-27T10:00:00+01:00"
    assert sunday["periods"] == []
    assert monday["periods"][0]["start"] == "2027-03-29T10:00:00+02:00"


async def test_closure_gives_no_periods_and_a_reason(
    client: Client, catalogue: Catalogue, db: Database
) -> None:
    await factories.add_exception(
        db,
        catalogue.central,
        date(2026, 12, 24),
        date(2026, 12, 26),
        reason="Weihnachten",
        reason_en="Christmas",
    )
    days = await hours(client, "zentralbibliothek", "2026-12-23", "2026-12-27")
    by_date = {d["date"]: d for d in days}
    assert len(by_date["2026-12-23"]["periods"]) == 1
    assert by_date["2026-12-23"].get("closed_reason") is None
    for closed in ("2026-12-24", "2026-12-25", "2026-12-26"):
        assert by_date[closed]["periods"] == []
        assert by_date[closed]["closed_reason"] == "Weihnachten"
    english = await hours(client, "zentralbibliothek", "2026-12-24", "2026-12-24", **ENGLISH)
    assert english[0]["closed_reason"] == "Christmas"
    # Other locations keep their hours.
    (boefingen,) = await hours(client, "boefingen", "2026-12-24", "2026-12-24")
    assert len(boefingen["periods"]) == 1


async def test_special_hours_replace_the_weekly_hours(
    client: Client, catalogue: Catalogue, db: Database
) -> None:
    await factories.add_exception(
        db,
        catalogue.central,
        date(2026, 12, 31),
        closed=False,
        reason="Silvester",
        periods=[("12:00", "14:00", False), ("09:00", "12:00", True)],
    )
    wednesday, thursday = await hours(client, "zentralbibliothek", "2026-12-30", "2026-12-31")
    assert wednesday["periods"] == [
        {"start": "2026-12-30T10:00:00+01:00", "end": "2026-12-30T19:00:00+01:00", "staffed": True}
    ]
    assert thursday["periods"] == [
        {"start": "2026-12-31T09:00:00+01:00", "end": "2026-12-31T12:00:00+01:00", "staffed": True},
        {"start": "2026-12-31T12:00:00+01:00", "end": "2026-12-31T14:00:00+01:00", "staffed": False},
    ]
    assert thursday.get("closed_reason") is None


async def test_opening_hours_to_before_from_is_422(client: Client, catalogue: Catalogue) -> None:
    response = await client.get(
        "/api/v1/locations/zentralbibliothek/opening-hours", params={"from": "2026-12-10", "to": "2026-12-09"}
    )
    problem = assert_problem(response, 422, "end_before_start")
    assert "to" in named_fields(problem)


async def test_opening_hours_at_most_366_days(client: Client, catalogue: Catalogue) -> None:
    days = await hours(client, "zentralbibliothek", "2027-01-01", "2028-01-01")
    assert len(days) == 366
    assert days[-1]["date"] == "2028-01-01"
    response = await client.get(
        "/api/v1/locations/zentralbibliothek/opening-hours", params={"from": "2027-01-01", "to": "2028-01-02"}
    )
    problem = assert_problem(response, 422, "range_too_long")
    assert named_fields(problem) & {"from", "to"}


async def test_opening_hours_invalid_date_names_the_parameter(client: Client, catalogue: Catalogue) -> None:
    response = await client.get(
        "/api/v1/locations/zentralbibliothek/opening-hours", params={"from": "2026-02-30", "to": "2026-03-02"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    # The client sent `from`; the error must name what the client sent, not an internal name.
    assert named_fields(response.json()) == {"from"}


async def test_opening_hours_of_unknown_location_is_404(client: Client, catalogue: Catalogue) -> None:
    response = await client.get(
        "/api/v1/locations/nirgendwo/opening-hours", params={"from": "2026-12-01", "to": "2026-12-02"}
    )
    problem = assert_problem(response, 404, "not_found")
    assert "nirgendwo" in problem["detail"]


# --- resource list -----------------------------------------------------------------------


async def test_resources_page_shape_and_fields(client: Client, catalogue: Catalogue) -> None:
    response = await client.get("/api/v1/resources")
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "next"}
    assert page["next"] is None
    assert slugs(page["items"]) == ACTIVE_SLUGS
    by_slug = {item["slug"]: item for item in page["items"]}
    for item in page["items"]:
        assert set(item) >= RESOURCE_FIELDS
    assert {key: by_slug["lasercutter"][key] for key in RESOURCE_FIELDS} == {
        "slug": "lasercutter",
        "name": "Lasercutter",
        "kind": "device",
        "factor": "technology",
        "location": "zentralbibliothek",
        "capacity": 1,
        "unit_count": 1,
        "requires_approval": False,
        "required_certification": "lasercutter",
        "min_age": 14,
        "needs_staff": True,
    }
    assert by_slug["podcast-studio"]["requires_approval"] is True
    assert by_slug["gruppenraum-1"]["required_certification"] is None
    assert by_slug["vr-brille"]["location"] == "boefingen"
    english = (await client.get("/api/v1/resources", headers=ENGLISH)).json()
    assert {item["slug"]: item["name"] for item in english["items"]}["lasercutter"] == "Laser cutter"


async def test_unit_count_counts_available_units_only(client: Client, catalogue: Catalogue) -> None:
    items = (await client.get("/api/v1/resources")).json()["items"]
    counts = {item["slug"]: item["unit_count"] for item in items}
    assert counts["lernplatz"] == 20  # 3 retired places are not counted
    assert counts["lasercutter"] == 1  # nor the retired old laser cutter
    assert counts["3d-drucker"] == 3
    assert counts["gruppenraum-1"] == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"factor": "technology"}, {"lasercutter", "3d-drucker"}),
        ({"factor": "space"}, {"gruppenraum-1", "lernplatz", "uebungswerkstatt"}),
        ({"factor": "networking"}, {"treffpunkt"}),
        ({"kind": "device"}, {"lasercutter", "3d-drucker", "vr-brille"}),
        ({"kind": "workspace"}, {"lernplatz", "uebungswerkstatt"}),
        ({"kind": "room"}, {"gruppenraum-1", "podcast-studio", "treffpunkt"}),
        ({"location": "boefingen"}, {"vr-brille", "treffpunkt", "uebungswerkstatt"}),
        ({"location": "boefingen", "kind": "device"}, {"vr-brille"}),
        ({"factor": "technology", "location": "boefingen"}, set()),
        ({"q": "drucker"}, {"3d-drucker"}),
        ({"q": "GRUPPENRAUM"}, {"gruppenraum-1"}),
        ({"q": "laser cutter"}, {"lasercutter"}),  # the English name
        ({"q": "acryl"}, {"lasercutter"}),  # the description
        ({"q": "kein-solches-angebot"}, set()),
    ],
)
async def test_resource_filters_narrow_the_list(
    client: Client, catalogue: Catalogue, params: dict[str, str], expected: set[str]
) -> None:
    response = await client.get("/api/v1/resources", params=params)
    assert response.status_code == 200, response.text
    assert slugs(response.json()["items"]) == expected


async def test_text_search_ignores_case_of_german_letters(client: Client, catalogue: Catalogue) -> None:
    for q in ("übungs", "ÜBUNGSWERKSTATT", "Übungswerkstatt"):
        response = await client.get("/api/v1/resources", params={"q": q})
        assert response.status_code == 200
        assert slugs(response.json()["items"]) == {"uebungswerkstatt"}, q


async def test_text_search_takes_wildcard_characters_literally(client: Client, catalogue: Catalogue) -> None:
    for q in ("%", "_"):
        response = await client.get("/api/v1/resources", params={"q": q})
        assert response.status_code == 200
        assert response.json()["items"] == [], q


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"factor": "nonsense"}, "factor"),
        ({"kind": "nonsense"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
async def test_invalid_query_values_are_422_naming_the_parameter(
    client: Client, catalogue: Catalogue, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/v1/resources", params=params)
    problem = assert_problem(response, 422, "invalid_query")
    assert field in named_fields(problem)
    assert field in problem["detail"]


async def test_unknown_location_filter_is_422(client: Client, catalogue: Catalogue) -> None:
    response = await client.get("/api/v1/resources", params={"location": "nirgendwo"})
    problem = assert_problem(response, 422, "invalid_query")
    assert named_fields(problem) == {"location"}


async def test_limit_500_is_allowed(client: Client, catalogue: Catalogue) -> None:
    response = await client.get("/api/v1/resources", params={"limit": "500"})
    assert response.status_code == 200
    assert slugs(response.json()["items"]) == ACTIVE_SLUGS


async def test_pagination_follows_next_to_the_end(client: Client, catalogue: Catalogue) -> None:
    everything = (await client.get("/api/v1/resources")).json()["items"]
    assert len(everything) == 8
    first = await client.get("/api/v1/resources", params={"limit": "3"})
    assert first.status_code == 200
    page = first.json()
    assert page["items"] == everything[:3]
    seen = list(page["items"])
    pages = 1
    while page["next"] is not None:
        assert isinstance(page["next"], str)
        response = await client.get(page["next"])
        assert response.status_code == 200, response.text
        page = response.json()
        assert 1 <= len(page["items"]) <= 3
        seen.extend(page["items"])
        pages += 1
        assert pages <= 3
    assert pages == 3
    assert seen == everything

    second = await client.get("/api/v1/resources", params={"limit": "3", "offset": "3"})
    assert second.json()["items"] == everything[3:6]
    beyond = await client.get("/api/v1/resources", params={"limit": "3", "offset": "8"})
    assert beyond.json() == {"items": [], "next": None}


async def test_next_keeps_the_filters(client: Client, catalogue: Catalogue) -> None:
    page = (await client.get("/api/v1/resources", params={"kind": "device", "limit": "2"})).json()
    assert len(page["items"]) == 2
    assert page["next"] is not None
    rest = (await client.get(page["next"])).json()
    assert rest["next"] is None
    assert slugs(page["items"]) | slugs(rest["items"]) == {"lasercutter", "3d-drucker", "vr-brille"}
    assert not slugs(page["items"]) & slugs(rest["items"])


async def test_exactly_full_last_page_has_no_next(client: Client, catalogue: Catalogue) -> None:
    page = (await client.get("/api/v1/resources", params={"limit": "4", "offset": "4"})).json()
    assert len(page["items"]) == 4
    assert page["next"] is None


# --- one resource ------------------------------------------------------------------------


async def test_resource_detail_has_the_documented_fields(client: Client, catalogue: Catalogue) -> None:
    response = await client.get("/api/v1/resources/lasercutter")
    assert response.status_code == 200
    detail = response.json()
    assert set(detail) >= RESOURCE_FIELDS | {"description", "policy", "features"}
    assert detail["slug"] == "lasercutter"
    assert detail["name"] == "Lasercutter"
    assert detail["kind"] == "device"
    assert detail["factor"] == "technology"
    assert detail["location"] == "zentralbibliothek"
    assert detail["unit_count"] == 1
    assert detail["required_certification"] == "lasercutter"
    assert detail["min_age"] == 14
    assert detail["needs_staff"] is True
    assert detail["description"] == "Schneidet und graviert Holz, Acryl und Pappe."
    assert detail["features"] == ["Arbeitsfläche 600 × 400 mm", "Absaugung"]
    assert set(detail["policy"]) >= POLICY_FIELDS

    english = (await client.get("/api/v1/resources/lasercutter", headers=ENGLISH)).json()
    assert english["name"] == "Laser cutter"
    assert english["description"] == "Cuts and engraves wood, acrylic and cardboard."


async def test_english_falls_back_to_german_where_no_translation(
    client: Client, catalogue: Catalogue
) -> None:
    detail = (await client.get("/api/v1/resources/uebungswerkstatt", headers=ENGLISH)).json()
    assert detail["name"] == "Übungswerkstatt"
    assert detail["description"] == "Werkbänke zum Üben."
    room = (await client.get("/api/v1/resources/gruppenraum-1", headers=ENGLISH)).json()
    assert room["name"] == "Group room 1"
    assert room["description"] == "A quiet room with a screen for group work."


async def test_policy_merges_resource_over_location_over_defaults(
    client: Client, catalogue: Catalogue
) -> None:
    laser = (await client.get("/api/v1/resources/lasercutter")).json()["policy"]
    assert {key: laser[key] for key in POLICY_FIELDS} == {
        "slot_minutes": 60,  # resource
        "min_minutes": 30,  # default
        "max_minutes": 180,  # location
        "horizon_days": 14,  # location
        "lead_minutes": 0,  # resource: an explicit 0 wins over the location's 60
        "buffer_minutes": 15,  # resource
        "max_active_bookings": 5,  # default
        "max_minutes_per_week": 240,  # resource
        "cancel_until_minutes": 60,  # default
        "checkin_window_minutes": 15,  # default
    }
    room = (await client.get("/api/v1/resources/gruppenraum-1")).json()["policy"]
    assert room["slot_minutes"] == 15
    assert room["max_minutes"] == 180
    assert room["horizon_days"] == 14
    assert room["lead_minutes"] == 60
    assert room["buffer_minutes"] == 0
    assert room["max_minutes_per_week"] is None
    # Böfingen has no policy of its own: the built-in defaults.
    vr = (await client.get("/api/v1/resources/vr-brille")).json()["policy"]
    assert {key: vr[key] for key in POLICY_FIELDS} == {
        "slot_minutes": 30,
        "min_minutes": 30,
        "max_minutes": 240,
        "horizon_days": 28,
        "lead_minutes": 0,
        "buffer_minutes": 0,
        "max_active_bookings": 5,
        "max_minutes_per_week": None,
        "cancel_until_minutes": 60,
        "checkin_window_minutes": 15,
    }


async def test_unknown_resource_is_404_in_the_request_language(client: Client, catalogue: Catalogue) -> None:
    german = assert_problem(await client.get("/api/v1/resources/einhorn"), 404, "not_found")
    english = assert_problem(await client.get("/api/v1/resources/einhorn", headers=ENGLISH), 404, "not_found")
    assert "einhorn" in german["detail"]
    assert "nicht gefunden" in german["detail"]
    assert "not found" in english["detail"]
    assert german["detail"] != english["detail"]


async def test_inactive_resource_is_not_shown(client: Client, catalogue: Catalogue) -> None:
    assert_problem(await client.get("/api/v1/resources/alter-scanner"), 404, "not_found")


async def test_accept_language_with_quality_values(client: Client, catalogue: Catalogue) -> None:
    headers = {"Accept-Language": "fr-CH, en;q=0.8, de;q=0.5"}
    detail = (await client.get("/api/v1/resources/lasercutter", headers=headers)).json()
    assert detail["name"] == "Laser cutter"
    headers = {"Accept-Language": "de-DE, en;q=0.9"}
    detail = (await client.get("/api/v1/resources/lasercutter", headers=headers)).json()
    assert detail["name"] == "Lasercutter"


# --- OpenAPI -----------------------------------------------------------------------------


async def test_openapi_document_lists_the_api(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert {
        "/api/v1/factors",
        "/api/v1/locations",
        "/api/v1/locations/{slug}/opening-hours",
        "/api/v1/resources",
        "/api/v1/resources/{slug}",
        "/api/v1/auth/register",
        "/api/v1/auth/tokens",
        "/api/v1/auth/tokens/current",
        "/api/v1/me",
    } <= paths
    opening_hours = document["paths"]["/api/v1/locations/{slug}/opening-hours"]["get"]
    assert {"from", "to"} <= {p["name"] for p in opening_hours["parameters"]}


async def test_schema_page_uses_local_assets(client: Client) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = re.findall(r"""(?:src|href)=["'](/schema/assets/[^"']+)["']""", response.text)
    assert assets
    assert not re.search(r"""(?:src|href)=["']https?://""", response.text)
    for asset in assets:
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.content
