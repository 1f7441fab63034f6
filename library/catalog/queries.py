"""Reading the catalogue: set-based queries that load what a view needs in one go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ScalarSelect, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.catalog.models import Factor, Location, Resource, ResourceKind, Unit, UnitStatus
from library.db import escape_like
from library.errors import NotFound
from library.i18n import N_, Lang, pick


@dataclass(frozen=True)
class ResourceFilter:
    factor: Factor | None = None
    kind: ResourceKind | None = None
    location: str | None = None
    q: str | None = None


def unit_count_column() -> ScalarSelect[int]:
    return (
        select(func.count(Unit.id))
        .where(Unit.resource_id == Resource.id, Unit.status == UnitStatus.AVAILABLE)
        .correlate(Resource)
        .scalar_subquery()
    )


def _filtered(statement: Select[Resource, int], where: ResourceFilter) -> Select[Resource, int]:
    statement = statement.where(Resource.active.is_(True))
    if where.factor is not None:
        statement = statement.where(Resource.factor == where.factor)
    if where.kind is not None:
        statement = statement.where(Resource.kind == where.kind)
    if where.location is not None:
        statement = statement.where(Location.slug == where.location)
    if where.q:
        pattern = f"%{escape_like(where.q.strip().lower())}%"
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        Resource.name,
                        func.coalesce(Resource.name_en, ""),
                        Resource.description,
                        func.coalesce(Resource.description_en, ""),
                        Resource.slug,
                    )
                )
            )
        )
    return statement


async def list_resources(
    session: AsyncSession, where: ResourceFilter, *, limit: int, offset: int
) -> tuple[Sequence[tuple[Resource, int]], bool]:
    """A page of resources with their bookable unit counts, and whether more follow."""
    statement = (
        select(Resource, unit_count_column())
        .join(Location, Location.id == Resource.location_id)
        .options(selectinload(Resource.location), selectinload(Resource.required_certification))
        .order_by(Location.position, Location.slug, Resource.name, Resource.id)
        .limit(limit + 1)
        .offset(offset)
    )
    rows = (await session.execute(_filtered(statement, where))).all()
    return rows[:limit], len(rows) > limit


async def resource_counts_by_factor(session: AsyncSession) -> dict[Factor, int]:
    rows = await session.execute(
        select(Resource.factor, func.count()).where(Resource.active.is_(True)).group_by(Resource.factor)
    )
    return {factor: count for factor, count in rows}


async def location_exists(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Location.id).where(Location.slug == slug)) is not None


async def get_location(session: AsyncSession, slug: str) -> Location:
    """A location with its default policy, or `NotFound`."""
    location = await session.scalar(
        select(Location).where(Location.slug == slug).options(joinedload(Location.policy))
    )
    if location is None:
        raise NotFound(N_("The location '%(slug)s'"), slug=slug)
    return location


async def get_resource(session: AsyncSession, slug: str) -> tuple[Resource, int]:
    row = (
        await session.execute(
            select(Resource, unit_count_column())
            .where(Resource.slug == slug, Resource.active.is_(True))
            .options(
                selectinload(Resource.location).selectinload(Location.policy),
                selectinload(Resource.required_certification),
                selectinload(Resource.policy),
                selectinload(Resource.units),
            )
        )
    ).first()
    if row is None:
        raise NotFound(N_("The offer '%(slug)s'"), slug=slug)
    return row[0], row[1]


def features_in(lang: Lang, resource: Resource) -> list[str]:
    """The features in the language asked for: the English list where asked and present (as
    `pick` does for names), else the German one; empty entries left out."""
    english = [str(feature) for feature in resource.features_en or [] if feature]
    german = [str(feature) for feature in resource.features or [] if feature]
    return pick(lang, german, english)


def parts_in(lang: Lang, resource: Resource) -> list[str]:
    """The parts of a thing lent in the language asked for, in the German parts' order: the
    English list where asked and complete (one for each German part), else the German one."""
    german = [str(part) for part in resource.loan_parts or []]
    english = [str(part) for part in resource.loan_parts_en or []]
    return pick(lang, german, english if len(english) == len(german) else [])
