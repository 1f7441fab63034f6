"""The catalogue a booking is decided against, kept in memory and checked by one cheap read.

Locations, their weekly hours and dated exceptions, resources, units, policies: they change
rarely, yet every booking needs them. Each process keeps what it has read, per database, tagged
with the `catalogue_version` counter that triggers bump in the same transaction as every change
(migration 0007). A booking reads the counter first; if it moved, whichever process changed the
catalogue, the copy is dropped and read again. So nothing is ever stale across processes.

What is cached was read inside a transaction. If that transaction rolls back, its view may have
held its own uncommitted changes, so the copy is dropped then too.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import User
from library.booking.queries import LocationHours, load_location_hours, load_resource_facts
from library.booking.rules import ResourceFacts
from library.catalog.models import CatalogueVersion, Location, Resource, Unit
from library.db import dialect_of
from library.errors import NotFound
from library.i18n import N_


@dataclass(frozen=True)
class LocationFacts:
    """One location's hours (every dated exception), resources in name order and unit labels."""

    hours: LocationHours
    resources: tuple[ResourceFacts, ...]
    unit_labels: Mapping[int, str]

    def resource(self, slug: str) -> ResourceFacts:
        return self.by_slug[slug]

    @cached_property
    def by_slug(self) -> dict[str, ResourceFacts]:
        return {r.slug: r for r in self.resources}

    @cached_property
    def by_id(self) -> dict[int, ResourceFacts]:
        return {r.id: r for r in self.resources}


class Catalogue:
    """One process's copy of one database's catalogue, valid at `version`."""

    def __init__(self) -> None:
        self.version: int | None = None
        self._locations: dict[int, LocationFacts] = {}
        self._location_of: dict[str, int] = {}
        self._location_of_id: dict[int, int] = {}
        self._location_named: dict[str, int] = {}

    def forget(self, _session: Any = None) -> None:
        self.version = None
        self._locations.clear()
        self._location_of.clear()
        self._location_of_id.clear()
        self._location_named.clear()

    def at(self, version: int | None) -> Catalogue:
        if version != self.version:
            self.forget()
            self.version = version
        return self

    async def location_of(self, session: AsyncSession, resource_slug: str) -> LocationFacts:
        """The location holding that resource, read on first use: five statements, or `NotFound`."""
        location_id = self._location_of.get(resource_slug)
        if location_id is None:
            location_id = await session.scalar(
                select(Resource.location_id).where(Resource.slug == resource_slug)
            )
            if location_id is None:
                raise NotFound(N_("The offer"))
        found = self._locations.get(location_id)
        if found is None or resource_slug not in found.by_slug:
            # On PostgreSQL a resource committed since the counter was read may be visible
            # already; reading the location again gives facts at least as new as the counter.
            found = await self._load(session, location_id)
        return found

    async def resource_by_id(self, session: AsyncSession, resource_id: int) -> ResourceFacts:
        """One resource's facts by its id (a booking's resource), read as in `location_of`."""
        location_id = self._location_of_id.get(resource_id)
        if location_id is None:
            location_id = await session.scalar(select(Resource.location_id).where(Resource.id == resource_id))
            if location_id is None:
                raise NotFound(N_("The offer"))
        found = self._locations.get(location_id)
        if found is None or resource_id not in found.by_id:
            found = await self._load(session, location_id)
        return found.by_id[resource_id]

    async def location_by_id(self, session: AsyncSession, location_id: int) -> LocationFacts:
        """The location with that id, read on first use as in `location_of`."""
        found = self._locations.get(location_id)
        return found if found is not None else await self._load(session, location_id)

    async def location_named(self, session: AsyncSession, slug: str) -> LocationFacts:
        """The location with that slug, read on first use as in `location_of`, or `NotFound`."""
        location_id = self._location_named.get(slug)
        if location_id is None:
            location_id = await session.scalar(select(Location.id).where(Location.slug == slug))
            if location_id is None:
                raise NotFound(N_("The location '%(slug)s'"), slug=slug)
        found = self._locations.get(location_id)
        return found if found is not None else await self._load(session, location_id)

    async def _load(self, session: AsyncSession, location_id: int) -> LocationFacts:
        hours = await load_location_hours(session, location_id, date.min, date.max)
        resources = await load_resource_facts(session, hours.base_policy, Resource.location_id == location_id)
        labels = await session.execute(
            select(Unit.id, Unit.label)
            .join(Resource, Resource.id == Unit.resource_id)
            .where(Resource.location_id == location_id)
        )
        found = LocationFacts(hours, tuple(resources), {unit_id: label for unit_id, label in labels})
        event.listen(session.sync_session, "after_rollback", self.forget, once=True)
        self._locations[location_id] = found
        self._location_of.update((r.slug, location_id) for r in resources)
        self._location_of_id.update((r.id, location_id) for r in resources)
        self._location_named[hours.slug] = location_id
        return found


VERSION = select(CatalogueVersion.version).where(CatalogueVersion.id == 1)
VERSION_LOCKING_PERSON = VERSION.join(User, User.id == bindparam("person")).with_for_update(of=User)
"""Built once: these run before every booking and every availability answer."""

_catalogues: weakref.WeakKeyDictionary[Any, Catalogue] = weakref.WeakKeyDictionary()
"""Per connection pool, i.e. per database and process; the read and write engines share one."""


async def current_catalogue(session: AsyncSession, *, locking_person: int | None = None) -> Catalogue:
    """This process's catalogue, emptied if the database's counter moved: one statement.

    With `locking_person` the same statement locks that person's row on PostgreSQL, which
    serialises one person's bookings so quotas hold under concurrent requests (SQLite's write
    transactions already run one at a time).
    """
    connection = await session.connection()  # plain Core: no ORM work
    if locking_person is not None and dialect_of(session) == "postgresql":
        version = await connection.scalar(VERSION_LOCKING_PERSON, {"person": locking_person})
    else:
        version = await connection.scalar(VERSION)
    pool = session.get_bind().pool  # type: ignore[union-attr]
    catalogue = _catalogues.get(pool)
    if catalogue is None:
        catalogue = _catalogues[pool] = Catalogue()
    return catalogue.at(version)
