"""Photos through the API: staff upload and delete, the details list them, the files are served."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from library.audit.models import AuditEntry
from library.config import Settings
from library.db import Database
from library.pictures.models import Photo
from tests.support.api import Client, new_workshop, setup_library
from tests.support.factories import assert_problem, bearer, get_token
from tests.support.pictures import camera_jpeg, has_gps, picture


@pytest.fixture
async def staff(client: Client, db: Database) -> str:
    await setup_library(db)
    return await get_token(client, "staff@example.org")


async def upload(
    client: Client, token: str, path: str, content: bytes, alt: str = "Ein Raum", **extra: str
) -> Any:
    return await client.post(
        path,
        files={"file": ("bild.jpg", content, "image/jpeg")},
        data={"alt": alt, **extra},
        headers=bearer(token),
    )


def files_in(settings: Settings) -> set[str]:
    root = settings.media_root
    return {p.name for p in root.iterdir()} if root.exists() else set()


async def test_staff_add_a_photo_and_the_resource_lists_it(
    client: Client, staff: str, settings: Settings
) -> None:
    response = await upload(
        client, staff, "/api/v1/resources/gruppenraum-1/photos", camera_jpeg(1600, 800), alt_en="A room"
    )
    assert response.status_code == 201, response.text
    photo = response.json()
    assert (photo["width"], photo["height"]) == (800, 1600)  # upright
    assert photo["alt"] == "Ein Raum"
    assert photo["alt_en"] == "A room"
    assert {(v["width"], v["type"]) for v in photo["variants"]} == {
        (w, t) for w in (320, 640, 800) for t in ("image/webp", "image/jpeg")
    }
    detail = (await client.get("/api/v1/resources/gruppenraum-1")).json()
    assert detail["photos"] == [photo]
    assert (await client.get("/api/v1/resources/gruppenraum-2")).json()["photos"] == []
    assert len(files_in(settings)) == 6


async def test_a_served_variant_has_no_metadata_and_is_cached_for_long(client: Client, staff: str) -> None:
    photo = (await upload(client, staff, "/api/v1/resources/gruppenraum-1/photos", camera_jpeg())).json()
    for variant in photo["variants"]:
        served = await client.get(variant["url"])
        assert served.status_code == 200
        assert served.headers["content-type"] == variant["type"]
        assert "immutable" in served.headers["cache-control"]
        assert not has_gps(served.content)
        assert b"SecretCam" not in served.content
        again = await client.get(variant["url"], headers={"If-None-Match": served.headers["etag"]})
        assert again.status_code == 304
    assert (await client.get("/media/../library.sqlite3")).status_code == 404
    assert (await client.get("/media/" + "0" * 32 + "-320.jpg")).status_code == 404


async def test_photos_keep_their_order_and_deleting_removes_the_files(
    client: Client, staff: str, settings: Settings, db: Database
) -> None:
    path = "/api/v1/resources/gruppenraum-1/photos"
    first = (await upload(client, staff, path, picture("PNG", 300, 200), alt="Erstes")).json()
    second = (await upload(client, staff, path, picture("WEBP", 300, 200), alt="Zweites")).json()
    listed = (await client.get("/api/v1/resources/gruppenraum-1")).json()["photos"]
    assert [p["alt"] for p in listed] == ["Erstes", "Zweites"]
    assert len(files_in(settings)) == 4

    response = await client.delete(f"{path}/{first['id']}", headers=bearer(staff))
    assert response.status_code == 204
    assert [p["id"] for p in (await client.get("/api/v1/resources/gruppenraum-1")).json()["photos"]] == [
        second["id"]
    ]
    assert len(files_in(settings)) == 2
    assert (await client.get(first["variants"][0]["url"])).status_code == 404
    # Another resource's path does not reach this photo.
    wrong = await client.delete(
        f"/api/v1/resources/gruppenraum-2/photos/{second['id']}", headers=bearer(staff)
    )
    assert_problem(wrong, 404, "not_found")
    async with db.read() as session:
        actions = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("photo.%")))
        )
    assert sorted(actions) == ["photo.add", "photo.add", "photo.delete"]


async def test_workshops_have_photos_in_their_details(client: Client, staff: str) -> None:
    workshop = await new_workshop(client, staff)
    response = await upload(client, staff, f"/api/v1/workshops/{workshop['slug']}/photos", picture("JPEG"))
    assert response.status_code == 201, response.text
    detail = (await client.get(f"/api/v1/workshops/{workshop['slug']}")).json()
    assert [p["id"] for p in detail["photos"]] == [response.json()["id"]]
    assert "alt_en" not in detail["photos"][0]
    listed = (await client.get("/api/v1/workshops")).json()["items"]
    assert all("photos" not in item for item in listed)
    gone = await client.delete(
        f"/api/v1/workshops/{workshop['slug']}/photos/{response.json()['id']}", headers=bearer(staff)
    )
    assert gone.status_code == 204


@pytest.mark.parametrize(
    ("content", "alt", "status", "code", "field"),
    [
        (b"%PDF-1.4 a document", "Ein Raum", 422, "photo_type", "file"),
        (picture("GIF", 20, 20), "Ein Raum", 422, "photo_type", "file"),
        (picture("PNG", 20, 20), "  ", 422, "alt_required", "alt"),
        (b"\xff\xd8" + b"\0" * (10 * 1024 * 1024), "Ein Raum", 413, "photo_too_large", "file"),
    ],
)
async def test_bad_uploads_are_refused_with_a_problem_naming_the_field(
    client: Client,
    staff: str,
    settings: Settings,
    content: bytes,
    alt: str,
    status: int,
    code: str,
    field: str,
) -> None:
    response = await upload(client, staff, "/api/v1/resources/gruppenraum-1/photos", content, alt=alt)
    problem = assert_problem(response, status, code)
    assert problem["errors"] == [{"field": field, "source": "body"}]
    assert files_in(settings) == set()


async def test_a_body_far_over_the_limit_is_cut_off(client: Client, staff: str) -> None:
    content = b"\0" * (17 * 1024 * 1024)
    response = await upload(client, staff, "/api/v1/resources/gruppenraum-1/photos", content)
    assert_problem(response, 413, "request_too_large")


async def test_only_staff_upload_and_delete(client: Client, staff: str, db: Database) -> None:
    visitor = await get_token(client, "anna@example.org")
    path = "/api/v1/resources/gruppenraum-1/photos"
    assert_problem(await upload(client, visitor, path, picture()), 403, "forbidden")
    anonymous = await client.post(path, files={"file": ("a.png", picture(), "image/png")}, data={"alt": "x"})
    assert anonymous.status_code == 401
    photo = (await upload(client, staff, path, picture())).json()
    assert_problem(await client.delete(f"{path}/{photo['id']}", headers=bearer(visitor)), 403, "forbidden")
    assert_problem(
        await upload(client, staff, "/api/v1/resources/nirgendwo/photos", picture()), 404, "not_found"
    )
    async with db.read() as session:
        assert len((await session.scalars(select(Photo))).all()) == 1


async def test_concurrent_uploads_get_distinct_places(client: Client, staff: str) -> None:
    path = "/api/v1/resources/gruppenraum-1/photos"
    answers = await asyncio.gather(
        *(upload(client, staff, path, picture(), alt=f"Bild {n}") for n in range(4))
    )
    assert [a.status_code for a in answers] == [201] * 4
    listed = (await client.get("/api/v1/resources/gruppenraum-1")).json()["photos"]
    assert len(listed) == 4


def test_media_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIBRARY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LIBRARY_MEDIA_DIR", str(tmp_path / "elsewhere"))
    assert Settings.from_env().media_root == tmp_path / "elsewhere"
    monkeypatch.delenv("LIBRARY_MEDIA_DIR")
    assert Settings.from_env().media_root == tmp_path / "media"
