"""Photos of resources and workshops: staff upload (multipart) and delete; the details list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, delete, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from library.api.common import RowId
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only
from library.pictures.images import MAX_BYTES, UPLOAD_BODY_LIMIT
from library.pictures.models import Photo
from library.pictures.queries import variants
from library.pictures.service import Owner, OwnerKind, Upload, add_photo, delete_photo


class VariantOut(msgspec.Struct):
    url: str
    width: int
    type: str


class PhotoOut(msgspec.Struct, omit_defaults=True):
    id: int
    alt: str
    width: int
    height: int
    variants: list[VariantOut]
    alt_en: str | None = None


def photo_out(photo: Photo) -> PhotoOut:
    return PhotoOut(
        id=photo.id,
        alt=photo.alt,
        width=photo.width,
        height=photo.height,
        variants=[VariantOut(v.url, v.width, v.type) for v in variants(photo)],
        alt_en=photo.alt_en,
    )


@dataclass
class PhotoUpload:
    """A JPEG, PNG or WebP picture (at most 10 MiB) and what it shows, in German and optionally English."""

    file: UploadFile
    alt: str = ""
    alt_en: str = ""


UploadBody = Annotated[PhotoUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


async def read_upload(data: PhotoUpload) -> Upload:
    """The file's bytes (one more than allowed is enough to say it is too large) and the texts."""
    return Upload(await data.file.read(MAX_BYTES + 1), data.alt, data.alt_en)


class PhotosController(Controller):
    path = "/api/v1"
    tags = ("photos",)
    guards = (staff_only,)

    @post(
        "/resources/{slug:str}/photos",
        summary="Staff: add a photo of a resource (multipart: file, alt, alt_en)",
        status_code=201,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def add_resource_photo(
        self,
        slug: FromPath[str],
        data: UploadBody,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> PhotoOut:
        owner = Owner(OwnerKind.RESOURCE, slug)
        photo = await add_photo(
            db, settings.media_root, owner, await read_upload(data), actor=user, now=clock.now()
        )
        return photo_out(photo)

    @delete("/resources/{slug:str}/photos/{photo_id:int}", summary="Staff: remove a photo of a resource")
    async def delete_resource_photo(
        self,
        slug: FromPath[str],
        photo_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> None:
        owner = Owner(OwnerKind.RESOURCE, slug)
        await delete_photo(db, settings.media_root, owner, photo_id, actor=user, now=clock.now())

    @post(
        "/workshops/{slug:str}/photos",
        summary="Staff: add a photo of a workshop (multipart: file, alt, alt_en)",
        status_code=201,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def add_workshop_photo(
        self,
        slug: FromPath[str],
        data: UploadBody,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> PhotoOut:
        owner = Owner(OwnerKind.WORKSHOP, slug)
        photo = await add_photo(
            db, settings.media_root, owner, await read_upload(data), actor=user, now=clock.now()
        )
        return photo_out(photo)

    @delete("/workshops/{slug:str}/photos/{photo_id:int}", summary="Staff: remove a photo of a workshop")
    async def delete_workshop_photo(
        self,
        slug: FromPath[str],
        photo_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> None:
        owner = Owner(OwnerKind.WORKSHOP, slug)
        await delete_photo(db, settings.media_root, owner, photo_id, actor=user, now=clock.now())
