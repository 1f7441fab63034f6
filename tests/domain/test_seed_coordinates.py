"""Coordinates of a location in locations.yaml: read, checked, and marked approximate where said."""

from __future__ import annotations

from pathlib import Path

import pytest

from library.seeding.locations import Coordinates, read_locations

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


def _one_location(tmp_path: Path, coordinates: str) -> tuple[Coordinates | None, list[str]]:
    (tmp_path / "locations.yaml").write_text(
        "locations:\n"
        "  - slug: mitte\n"
        "    name: Mitte\n"
        "    address: Markt 1\n"
        f"    coordinates: {coordinates}\n",
        encoding="utf-8",
    )
    problems: list[str] = []
    specs = read_locations(tmp_path, problems)
    return (specs[0].coordinates if specs else None), problems


def test_the_ulm_seed_places_every_location() -> None:
    problems: list[str] = []
    specs = {spec.slug: spec for spec in read_locations(SEED_DIR, problems)}
    assert not problems
    assert specs["zentralbibliothek"].coordinates == Coordinates(48.3984, 9.9918, approximate=False)
    assert all(spec.coordinates is not None for spec in specs.values())
    assert all(spec.coordinates.approximate for slug, spec in specs.items() if slug != "zentralbibliothek")  # type: ignore[union-attr]


def test_coordinates_are_read(tmp_path: Path) -> None:
    found, problems = _one_location(tmp_path, "{lat: 50.5, lon: 8, approximate: true}")
    assert problems == []
    assert found == Coordinates(50.5, 8.0, approximate=True)


@pytest.mark.parametrize(
    "coordinates",
    [
        "{lat: 91, lon: 8}",
        "{lat: 50, lon: 181}",
        "{lat: '50', lon: 8}",
        "{lat: 50}",
        "{lat: 50, lon: 8, approximate: maybe}",
        "{lat: 50, lon: 8, height: 3}",
        "[50, 8]",
    ],
)
def test_bad_coordinates_are_a_problem_naming_the_location(tmp_path: Path, coordinates: str) -> None:
    _found, problems = _one_location(tmp_path, coordinates)
    assert len(problems) == 1
    assert "mitte" in problems[0]
    assert "coordinates" in problems[0]
