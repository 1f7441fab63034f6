"""Another town adopts the service: `library seed --dir` loads its own seed folder, served as is."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.live_server import library_env, serving

TOWN = Path(__file__).parent / "towns" / "blaubrunn"


def test_a_second_town_is_loaded_and_served(database_url: str, tmp_path: Path) -> None:
    loaded = subprocess.run(  # noqa: S603 - our own command with a fixed folder
        [sys.executable, "-m", "library.cli", "seed", "--dir", str(TOWN)],
        env=library_env(database_url, tmp_path),
        check=True,
        capture_output=True,
        text=True,
    )
    assert "locations" in loaded.stdout
    with serving(database_url, tmp_path, scheduler_interval="1") as base:
        resources = httpx.get(f"{base}/api/v1/resources").json()
        slugs = {item["slug"] for item in (resources["items"] if isinstance(resources, dict) else resources)}
        assert slugs == {"lesesaal-platz", "kleiner-saal"}
        things = httpx.get(f"{base}/sta/v1.1/Things").json()["value"]
        assert [thing["name"] for thing in things] == ["Stadtbücherei Blaubrunn"]
        (location,) = httpx.get(f"{base}/sta/v1.1/Locations").json()["value"]
        assert location["location"]["coordinates"] == [8.5678, 50.1234]
        deadline = time.monotonic() + 30
        streams: list[dict[str, object]] = []
        while time.monotonic() < deadline and not streams:
            streams = httpx.get(f"{base}/sta/v1.1/Datastreams").json()["value"]
            time.sleep(0.3)
        factors = {stream["properties"]["factor"] for stream in streams}  # type: ignore[index]
        assert factors == {"space", "networking"}
