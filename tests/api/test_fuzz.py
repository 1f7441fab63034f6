"""schemathesis against the running service's own OpenAPI document, on both engines.

Every check runs (schemathesis's default); schemathesis.toml turns off the one exclusion and
says why.

Signed in as staff so the fuzzer reaches every route. The one operation that revokes the token it
is called with runs in a second pass with a token of its own, so nothing is left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from library.accounts.models import Role
from library.config import PROJECT_ROOT
from library.db import Database
from tests.support import factories

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
REVOKES_ITS_TOKEN = "/api/v1/auth/tokens/current"
MAX_EXAMPLES = os.environ.get("LIBRARY_FUZZ_EXAMPLES", "25")


def staff_token(base: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/tokens",
        json={"email": "staff@example.org", "password": factories.DEFAULT_PASSWORD},
    )
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


def fuzz(base: str, token: str, *selection: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own venv's schemathesis, fixed arguments
        [
            str(SCHEMATHESIS),
            "--no-color",
            "--config-file",
            str(PROJECT_ROOT / "schemathesis.toml"),
            "run",
            f"{base}/schema/openapi.json",
            "--max-examples",
            MAX_EXAMPLES,
            "--header",
            f"Authorization: Bearer {token}",
            *selection,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


async def test_schemathesis_finds_nothing(live_server: str, db: Database) -> None:
    await factories.create_user(db, "staff@example.org", role=Role.STAFF, name="Sam Staff")
    # Both tokens first: the fuzzer's wrong passwords will throttle sign-ins from this address.
    tokens = staff_token(live_server), staff_token(live_server)
    for token, selection in zip(
        tokens, (("--exclude-path", REVOKES_ITS_TOKEN), ("--include-path", REVOKES_ITS_TOKEN)), strict=True
    ):
        result = fuzz(live_server, token, *selection)
        report = result.stdout[-20000:] + result.stderr[-5000:]
        assert result.returncode == 0, report
        assert "No issues found" in result.stdout or " passed" in result.stdout, report
