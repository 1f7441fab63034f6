"""Type aliases for what handlers get injected by name (Litestar's NamedDependency)."""

from __future__ import annotations

from litestar.di import NamedDependency

from library.clock import Clock
from library.config import Settings
from library.db import Database

DatabaseDep = NamedDependency[Database]
ClockDep = NamedDependency[Clock]
SettingsDep = NamedDependency[Settings]
