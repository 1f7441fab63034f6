"""0021: units that exist before it get their label code, each its own, and the triggers stay."""

from __future__ import annotations

import asyncio
import re

from library import migrations
from library.db import make_engine
from tests.domain.test_migrations import overlap_guard_present


def run(url: str, sql: str) -> list[tuple[object, ...]]:
    async def go() -> list[tuple[object, ...]]:
        engine = make_engine(url, pool_size=0)
        try:
            async with engine.begin() as conn:
                result = await conn.exec_driver_sql(sql)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_existing_units_get_distinct_codes(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0014")
    run(
        url,
        "INSERT INTO locations (slug, name, address, timezone, description, position, "
        "coordinates_approximate) VALUES ('zb', 'Zentralbibliothek', '', 'Europe/Berlin', '', 0, false)",
    )
    run(
        url,
        "INSERT INTO resources (slug, location_id, kind, factor, name, description, capacity, features, "
        "requires_approval, needs_staff, active, created_at, updated_at) SELECT 'drucker', id, 'device', "
        "'technology', 'Drucker', '', 1, '[]', false, false, true, '2026-01-02 03:04:05+00:00', "
        "'2026-01-02 03:04:05+00:00' FROM locations",
    )
    for label in ("Drucker 1", "Drucker 2", "Drucker 3"):
        run(
            url,
            "INSERT INTO units (resource_id, label, condition, status, notes) "
            f"SELECT id, '{label}', 'good', 'available', '' FROM resources",
        )

    sqlite = url.startswith("sqlite")
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'units' ORDER BY name"
    before = run(url, triggers) if sqlite else []

    migrations.upgrade(url)

    if sqlite:  # the table rebuild keeps the catalogue-version triggers
        assert before
        assert run(url, triggers) == before
    codes = [str(code) for (code,) in run(url, "SELECT code FROM units ORDER BY id")]
    assert len(set(codes)) == 3
    assert all(re.fullmatch(r"[2-9a-hjkmnp-z]{8}", code) for code in codes)
    assert overlap_guard_present(url)
    migrations.downgrade(url, "0014")
    migrations.upgrade(url)
