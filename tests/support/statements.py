"""The SQL statements a database is sent, as the driver sees them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from library.db import Database


@contextmanager
def statements_on(db: Database) -> Iterator[list[str]]:
    """The SQL statements `db` sends while the block runs (`before_cursor_execute`). SQLite's
    `BEGIN` is not one of them, as PostgreSQL's driver begins without a statement of its own."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            sent.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)
