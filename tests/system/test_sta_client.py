"""Fraunhofer's FROST client (frost-sta-client) reads our SensorThings API as it reads FROST."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import frost_sta_client as fsc
import httpx

from tests.support.live_server import library_env, serving


def _wait_for_observations(base: str) -> None:
    """The scheduler's first tick writes each datastream's first observation."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/sta/v1.1/Observations", params={"$top": "1"}).json()
        if body["value"]:
            return
        time.sleep(0.3)
    raise AssertionError("no observation written within 30 seconds of starting")


def test_the_frost_client_lists_expands_and_pages(database_url: str, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "library.cli", "seed"], env=library_env(database_url, tmp_path), check=True
    )
    with serving(database_url, tmp_path, scheduler_interval="1") as base:
        _wait_for_observations(base)
        service = fsc.SensorThingsService(f"{base}/sta/v1.1")

        things = list(service.things().query().expand("Datastreams").list())
        names = {thing.name for thing in things}
        assert "Zentralbibliothek" in names
        assert len(things) == 5  # the five Ulm locations of the seed
        central = next(thing for thing in things if thing.name == "Zentralbibliothek")
        streams = list(central.datastreams)
        assert streams, "the central library has datastreams"
        assert all(stream.name.startswith("Zentralbibliothek: ") for stream in streams)

        # Page through every observation two at a time, following @iot.nextLink.
        total = httpx.get(f"{base}/sta/v1.1/Observations", params={"$count": "true", "$top": "0"}).json()
        observations = list(service.observations().query().top(2).orderby("id", "ASC").list())
        ids = [observation.id for observation in observations]
        assert len(ids) >= total["@iot.count"] > 2
        assert ids == sorted(set(ids))
        assert all(isinstance(observation.result, int | float) for observation in observations)

        located = list(service.locations().query().filter("name eq 'Zentralbibliothek'").list())
        assert [location.name for location in located] == ["Zentralbibliothek"]
