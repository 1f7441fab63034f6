"""The engines a test runs on, through the `database_url` fixture (tests/conftest.py)."""

from __future__ import annotations

import pytest

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
ENGINES = ["sqlite", POSTGRES]
"""Every test that takes a database runs on both engines by default."""

POSTGRES_ONLY = pytest.mark.parametrize("database_url", [POSTGRES], indirect=True)
"""For a test of what only PostgreSQL does."""
