"""docs/architecture.md: the service function a controller calls opens the write transaction;
the presenters (and what they share in library.http) never open one themselves."""

from __future__ import annotations

from pathlib import Path

import library

PRESENTERS = ("api", "web", "http")
OPENING_A_TRANSACTION = (".write()", ".begin(")


def test_no_presenter_opens_a_write_transaction() -> None:
    root = Path(library.__file__).parent
    sources = [path for package in PRESENTERS for path in sorted((root / package).rglob("*.py"))]
    assert sources, "the presenters' source files are found"
    openings = [
        f"{path.relative_to(root.parent)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(opening in line for opening in OPENING_A_TRANSACTION)
    ]
    assert openings == [], "call a service function that opens the transaction instead"
