"""The seed's photos (seed/photos.yaml): loaded the way an upload is, once, with their files."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from library.config import PROJECT_ROOT
from library.db import Database
from library.pictures.models import Photo
from library.seeding.files import SeedError
from library.seeding.load import load_seed
from library.seeding.photos import read_photos

SEED_DIR = PROJECT_ROOT / "seed"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_the_seed_pictures_are_small_and_each_is_used() -> None:
    specs = read_photos(SEED_DIR)
    assert len(specs) >= 4
    assert {spec.owner.kind.value for spec in specs} == {"resource", "workshop"}
    for spec in specs:
        assert spec.path.stat().st_size < 40_000, spec.path.name
        assert spec.alt
        assert spec.alt_en
    shipped = {path.name for path in (SEED_DIR / "photos").iterdir()}
    assert shipped == {spec.path.name for spec in specs}


async def test_seed_photos_load_once_through_the_upload_path(db: Database, tmp_path: Path) -> None:
    media = tmp_path / "media"
    report = await load_seed(db, SEED_DIR, now=NOW, media_root=media)
    specs = read_photos(SEED_DIR)
    assert report.tally("photos").created == len(specs)
    async with db.read() as session:
        photos = list(await session.scalars(select(Photo)))
    assert len(photos) == len(specs)
    files = sorted(media.iterdir())
    assert len(files) == 6 * len(specs)  # 320, 640 and 1200 px wide, WebP and JPEG
    with Image.open(io.BytesIO(files[0].read_bytes())) as image:
        assert not image.getexif()

    again = await load_seed(db, SEED_DIR, now=NOW, media_root=media)
    assert again.tally("photos").created == 0
    assert again.tally("photos").unchanged == len(specs)
    assert sorted(media.iterdir()) == files


async def test_a_bad_photo_entry_is_named(db: Database, tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed)
    (seed / "photos.yaml").write_text(
        "photos:\n"
        "  - resource: gruppenraum-1\n    file: photos/fehlt.jpg\n    alt: Ein Raum\n"
        "  - resource: gruppenraum-1\n    workshop: x\n    file: photos/forum.jpg\n"
        "  - resource: gruppenraum-1\n    file: ../resources.yaml\n    alt: Keine Datei hier\n",
        encoding="utf-8",
    )
    with pytest.raises(SeedError) as refused:
        await load_seed(db, seed, now=NOW, media_root=tmp_path / "media")
    problems = "\n".join(refused.value.problems)
    assert "'photos/fehlt.jpg' not found" in problems
    assert "either a 'resource' or a 'workshop'" in problems
    assert "'alt' is missing" in problems
    assert "'../resources.yaml' not found" in problems
    async with db.read() as session:
        assert (await session.scalars(select(Photo))).all() == []
