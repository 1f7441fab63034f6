"""kill -9 under load, on both engines: the server dies in the middle of requests and starts
again on the same database, and nothing it answered is lost.

The visitors and the database checks are those of bench/load.py, the kill and restart those of
bench/crash.py (`python -m bench.crash` runs it longer, with a hundred visitors).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from bench.crash import load_through_kills
from bench.load import check_database
from tests.support.live_server import free_port, library_env, serving_on

VISITORS = 10
SECONDS = 15


def test_a_killed_server_loses_nothing_it_answered(database_url: str, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "library.cli", "seed"],
        env=library_env(database_url, tmp_path),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()

    tally, restarts = asyncio.run(
        load_through_kills(
            f"http://127.0.0.1:{port}",
            lambda: serving_on(port, database_url, tmp_path),
            visitors=VISITORS,
            seconds=SECONDS,
            kills=1,
            seed=1,
            think=0.1,
        )
    )

    assert len(restarts) == 1
    assert sum(tally.unanswered.values()) > 0, "no request met the dead server"
    assert tally.bookings, "no booking was accepted"
    assert tally.server_error_count == 0, tally.server_errors
    checks = check_database(database_url, tally)
    assert {check.name: check.problems for check in checks} == {check.name: 0 for check in checks}
