"""The tally of a seed run, and the one way it changes a row, so that the tally is right."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from library.db import Base

Kind = Literal[
    "certifications",
    "locations",
    "exceptions",
    "resources",
    "units",
    "users",
    "user_certifications",
    "workshops",
    "workshop_sessions",
    "bookings",
    "photos",
]
KIND_ORDER: tuple[Kind, ...] = get_args(Kind)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class SeedReport:
    """What a seed run did, per kind of row, so a second run can be seen to change nothing."""

    tallies: dict[Kind, Tally] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tally(self, kind: Kind) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    def record(self, kind: Kind, *, created: bool = False, changed: bool = False) -> None:
        tally = self.tally(kind)
        if created:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1

    @property
    def created(self) -> int:
        return sum(t.created for t in self.tallies.values())

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.tallies.values())

    @property
    def unchanged(self) -> int:
        return sum(t.unchanged for t in self.tallies.values())

    def summary(self) -> str:
        lines = [f"Seed loaded: {self.created} created, {self.updated} updated, {self.unchanged} unchanged."]
        width = max((len(kind) for kind in self.tallies), default=0)
        for kind, tally in sorted(self.tallies.items(), key=lambda item: KIND_ORDER.index(item[0])):
            lines.append(
                f"  {kind.replace('_', ' '):<{width}}  {tally.created:>4} created  "
                f"{tally.updated:>4} updated  {tally.unchanged:>4} unchanged"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


Row = TypeVar("Row", bound=Base)


def upsert(
    session: AsyncSession,
    report: SeedReport,
    kind: Kind,
    row: Row | None,
    new: tuple[type[Row], Mapping[str, Any]],
    values: Mapping[str, Any],
) -> Row:
    """The existing row with `values` applied, or a new one (a model and its key) with them;
    counted either way."""
    if row is None:
        model, key = new
        row = model(**key, **values)
        session.add(row)
        report.record(kind, created=True)
    else:
        report.record(kind, changed=apply(row, values))
    return row


def apply(row: object, values: Mapping[str, Any]) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written or counted."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
