"""Adding and removing photos: the checks and variants first, then the row in one transaction.

The files are written before the row is committed and removed again if the commit fails, so a
row never names missing files; removing a photo deletes the row first and its files after the
commit, so a page never links to a file that is already gone while the row is still there.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import User
from library.audit.log import record
from library.catalog.models import Resource
from library.db import Database, dialect_of
from library.errors import NotFound
from library.i18n import N_
from library.pictures import store
from library.pictures.images import check_alt, prepare, variant_widths
from library.pictures.models import Photo
from library.workshops.models import Workshop


class OwnerKind(enum.StrEnum):
    RESOURCE = "resource"
    WORKSHOP = "workshop"


@dataclass(frozen=True)
class Owner:
    """What a photo shows: a resource or a workshop, named by its slug."""

    kind: OwnerKind
    slug: str


@dataclass(frozen=True)
class Upload:
    content: bytes
    alt: str
    alt_en: str = ""


async def add_photo(
    db: Database, media_root: Path, owner: Owner, upload: Upload, *, actor: User | None, now: datetime
) -> Photo:
    """Check, resize and store an uploaded picture as the owner's last photo."""
    alt = check_alt(upload.alt)
    alt_en = " ".join(upload.alt_en.split()) or None
    if alt_en is not None:
        check_alt(alt_en)
    async with db.read() as session:
        await _owner_id(session, owner)  # before the work of resizing: does it exist at all?
    prepared = await asyncio.to_thread(prepare, upload.content)
    key = store.new_key()
    await asyncio.to_thread(store.write, media_root, key, prepared.variants)
    try:
        async with db.write() as session:
            owner_id = await _owner_id(session, owner, lock=True)
            column = _owner_column(owner.kind)
            last = await session.scalar(select(func.max(Photo.position)).where(column == owner_id))
            photo = Photo(
                position=(last or 0) + 1,
                alt=alt,
                alt_en=alt_en,
                width=prepared.width,
                height=prepared.height,
                key=key,
                created_by_id=actor.id if actor else None,
                created_at=now,
                **{column.key: owner_id},
            )
            session.add(photo)
            await session.flush()
            record(
                session,
                actor_id=actor.id if actor else None,
                action="photo.add",
                object_type=owner.kind.value,
                object_id=owner_id,
                at=now,
                after={"photo": photo.id, "alt": alt, "alt_en": alt_en},
            )
    except BaseException:
        await asyncio.to_thread(store.remove, media_root, key, variant_widths(prepared.width))
        raise
    return photo


async def delete_photo(
    db: Database, media_root: Path, owner: Owner, photo_id: int, *, actor: User | None, now: datetime
) -> None:
    """Remove one of the owner's photos and its files."""
    async with db.write() as session:
        owner_id = await _owner_id(session, owner, lock=True)
        photo = await session.scalar(
            select(Photo).where(Photo.id == photo_id, _owner_column(owner.kind) == owner_id)
        )
        if photo is None:
            raise NotFound(N_("The photo %(id)s"), id=photo_id)
        key, width = photo.key, photo.width
        await session.delete(photo)
        record(
            session,
            actor_id=actor.id if actor else None,
            action="photo.delete",
            object_type=owner.kind.value,
            object_id=owner_id,
            at=now,
            before={"photo": photo_id, "alt": photo.alt, "alt_en": photo.alt_en},
        )
    await asyncio.to_thread(store.remove, media_root, key, variant_widths(width))


def _owner_column(kind: OwnerKind) -> Any:
    return Photo.resource_id if kind == OwnerKind.RESOURCE else Photo.workshop_id


async def _owner_id(session: AsyncSession, owner: Owner, *, lock: bool = False) -> int:
    """The owner's row id; locked until commit on PostgreSQL, so photos are numbered one at a time
    (SQLite's writers take turns anyway)."""
    model: type[Resource] | type[Workshop] = Resource if owner.kind == OwnerKind.RESOURCE else Workshop
    statement = select(model.id).where(model.slug == owner.slug)
    if lock and dialect_of(session) == "postgresql":
        statement = statement.with_for_update()
    found = await session.scalar(statement)
    if found is None:
        if owner.kind == OwnerKind.RESOURCE:
            raise NotFound(N_("The offer '%(slug)s'"), slug=owner.slug)
        raise NotFound(N_("The workshop '%(slug)s'"), slug=owner.slug)
    return found
