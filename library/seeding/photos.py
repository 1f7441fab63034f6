"""`photos.yaml`: pictures of seeded resources and workshops, added the way staff upload them.

Each photo goes through `library.pictures.service.add_photo` (checked, metadata stripped,
variants on disk) in its own transaction, after the catalogue is written. A photo counts as
loaded when its owner already has a photo with the same German alternative text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from library.catalog.models import Resource
from library.db import Database
from library.errors import LibraryError
from library.pictures.models import Photo
from library.pictures.service import Owner, OwnerKind, Upload, add_photo
from library.seeding.files import Fields, SeedError, entry_name, read_yaml, top_level
from library.seeding.report import SeedReport
from library.workshops.models import Workshop

PHOTOS_FILE = "photos.yaml"


@dataclass(frozen=True)
class PhotoSpec:
    owner: Owner
    path: Path
    alt: str
    alt_en: str


def read_photos(seed_dir: Path) -> list[PhotoSpec]:
    """The file's entries, checked; no file, no photos."""
    path = seed_dir / PHOTOS_FILE
    if not path.is_file():
        return []
    problems: list[str] = []
    top = top_level(read_yaml(path), PHOTOS_FILE, ("photos",), problems)
    entries = top.get("photos") or []
    if not isinstance(entries, list):
        raise SeedError([f"{PHOTOS_FILE}: 'photos' must be a list"])
    specs = []
    for index, raw in enumerate(entries):
        where = f"{PHOTOS_FILE}, {entry_name('photo', raw, 'file', index)}"
        fields = Fields(raw, where, problems, ("resource", "workshop", "file", "alt", "alt_en"))
        resource, workshop = fields.text("resource"), fields.text("workshop")
        if bool(resource) == bool(workshop):
            fields.fail("name either a 'resource' or a 'workshop' (its slug)")
        file = fields.text("file", required=True)
        alt = fields.text("alt", required=True, max_length=500)
        alt_en = fields.text("alt_en", max_length=500)
        picture = (seed_dir / file).resolve()
        if file and (seed_dir.resolve() not in picture.parents or not picture.is_file()):
            fields.fail(f"file {file!r} not found in the seed folder")
        kind = OwnerKind.RESOURCE if resource else OwnerKind.WORKSHOP
        specs.append(PhotoSpec(Owner(kind, resource or workshop), picture, alt, alt_en))
    if problems:
        raise SeedError(problems)
    return specs


async def seed_photos(
    db: Database, specs: list[PhotoSpec], media_root: Path, now: datetime, report: SeedReport
) -> None:
    for spec in specs:
        if await _loaded(db, spec):
            report.record("photos")
            continue
        try:
            await add_photo(
                db,
                media_root,
                spec.owner,
                Upload(spec.path.read_bytes(), spec.alt, spec.alt_en),
                actor=None,
                now=now,
            )
        except LibraryError as problem:
            raise SeedError([f"{PHOTOS_FILE}, {spec.path.name}: {problem.detail('en')}"]) from problem
        report.record("photos", created=True)


async def _loaded(db: Database, spec: PhotoSpec) -> bool:
    model: type[Resource] | type[Workshop] = Resource if spec.owner.kind == OwnerKind.RESOURCE else Workshop
    column = Photo.resource_id if spec.owner.kind == OwnerKind.RESOURCE else Photo.workshop_id
    async with db.read() as session:
        found = await session.scalar(
            select(Photo.id)
            .join(model, model.id == column)
            .where(model.slug == spec.owner.slug, Photo.alt == spec.alt)
        )
    return found is not None
