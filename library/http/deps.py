"""What handlers get injected by name (Litestar's NamedDependency), and how it is resolved."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import NamedDependency
from litestar.routes import HTTPRoute

from library.clock import Clock
from library.config import Settings
from library.db import Database

DatabaseDep = NamedDependency[Database]
ClockDep = NamedDependency[Clock]
SettingsDep = NamedDependency[Settings]


def resolve_in_turn(app: Litestar) -> None:
    """Have every handler's dependencies resolved one after the other.

    Litestar resolves the dependencies that do not need each other side by side, in an anyio
    task group: a group and a task per dependency, on every request. Ours are the database, the
    clock and the settings (values from the app's state) and the viewer (one lookup), which gain
    nothing from running side by side; the group cost a booking 0.23 of its 1.92 ms of CPU
    (docs/benchmarks.md). Litestar awaits a batch of one directly, so each batch is split into
    batches of one, in the batches' order: a dependency still comes after what it needs.
    """
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for _, model in route.route_handler_map.values():
                model.dependency_batches = [
                    {dependency}
                    for batch in model.dependency_batches
                    for dependency in sorted(batch, key=lambda dependency: dependency.key)
                ]
