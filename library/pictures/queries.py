"""Reading photos for pages and the API: each owner's photos in order, and the URLs of their files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.pictures.images import FORMATS, MEDIA_TYPES, variant_widths
from library.pictures.models import Photo
from library.pictures.store import file_name

MEDIA_PATH = "/media"


@dataclass(frozen=True)
class VariantLink:
    url: str
    width: int
    type: str


def variants(photo: Photo) -> list[VariantLink]:
    """Every file of a photo, WebP before JPEG, narrow before wide (the order of a srcset)."""
    return [
        VariantLink(f"{MEDIA_PATH}/{file_name(photo.key, width, ext)}", width, MEDIA_TYPES[ext])
        for ext in FORMATS
        for width in variant_widths(photo.width)
    ]


async def resource_photos(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, list[Photo]]:
    """The photos of these resources, in their order, by resource id."""
    found: dict[int, list[Photo]] = defaultdict(list)
    if resource_ids:
        rows = await session.scalars(
            select(Photo).where(Photo.resource_id.in_(resource_ids)).order_by(Photo.position, Photo.id)
        )
        for photo in rows:
            assert photo.resource_id is not None
            found[photo.resource_id].append(photo)
    return found


async def workshop_photos(session: AsyncSession, workshop_ids: Sequence[int]) -> dict[int, list[Photo]]:
    """The photos of these workshops, in their order, by workshop id."""
    found: dict[int, list[Photo]] = defaultdict(list)
    if workshop_ids:
        rows = await session.scalars(
            select(Photo).where(Photo.workshop_id.in_(workshop_ids)).order_by(Photo.position, Photo.id)
        )
        for photo in rows:
            assert photo.workshop_id is not None
            found[photo.workshop_id].append(photo)
    return found
