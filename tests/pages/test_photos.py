"""Photos on the pages: staff add and remove them (errors next to the field, nothing typed lost);
visitors see them with srcset, sizes, width, height and alt text, or the factor's drawing."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from sqlalchemy import select

from library.catalog.models import Factor
from library.config import Settings
from library.db import Database
from library.pictures.models import Photo
from library.workshops.models import Workshop
from tests.support.api import Client
from tests.support.forms import csrf_token, sign_in
from tests.support.pictures import camera_jpeg, picture
from tests.support.staff_pages import assert_staff_only, desk_world

EDIT_PAGE = "/staff/resources/lesesaal"
PHOTOS = "/staff/resources/lesesaal/photos"


async def post_photo(
    client: Client, url: str, content: bytes | None, form_page: str, **fields: str
) -> Response:
    token = await csrf_token(client, form_page)
    files = {"file": ("foto.jpg", content, "image/jpeg")} if content is not None else None
    return await client.post(url, data={"_csrf_token": token, **fields}, files=files, follow_redirects=False)


async def photos_in(db: Database) -> list[Photo]:
    async with db.read() as session:
        return list(await session.scalars(select(Photo).order_by(Photo.position)))


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="error-{name}">([^<]*)</p>', html)
    assert found is not None, f"no error next to {name}"
    return found.group(1)


async def test_staff_add_a_photo_on_the_edit_page_and_visitors_see_it(
    client: Client, db: Database, settings: Settings
) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    answer = await post_photo(
        client, PHOTOS, camera_jpeg(1600, 1000), EDIT_PAGE, alt="Lesesaal mit Tischen", alt_en="Reading room"
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{EDIT_PAGE}?done=photo_added"
    edit = await client.get(answer.headers["location"])
    assert "Das Foto wurde hinzugefügt." in edit.text
    assert 'alt="Lesesaal mit Tischen"' in edit.text
    [photo] = await photos_in(db)
    assert (photo.width, photo.height) == (1000, 1600)

    page = (await client.get("/resources/lesesaal")).text
    assert re.search(r'<source type="image/webp" srcset="/media/[0-9a-f]{32}-320\.webp 320w, ', page)
    assert 'width="1000" height="1600" alt="Lesesaal mit Tischen"' in page
    assert 'sizes="(min-width: 44rem) 40rem, 100vw"' in page
    english = (await client.get("/resources/lesesaal", headers={"Accept-Language": "en"})).text
    assert 'alt="Reading room"' in english
    cards = (await client.get("/catalogue")).text
    assert 'alt="Lesesaal mit Tischen"' in cards
    assert 'loading="lazy"' in cards


async def test_a_resource_without_photos_shows_its_factors_drawing(client: Client, db: Database) -> None:
    world = await desk_world(db)
    page = (await client.get("/resources/lesesaal")).text
    assert f'src="/static/placeholders/{world.resource.factor.value}.svg?v=' in page
    for factor in Factor:
        drawing = await client.get(f"/static/placeholders/{factor.value}.svg")
        assert drawing.status_code == 200
        assert drawing.text.startswith("<svg")


async def test_refusals_stand_next_to_the_field_and_keep_what_was_typed(
    client: Client, db: Database, settings: Settings
) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    typed: dict[str, Any] = {"alt": "Ein Sessel am Fenster", "alt_en": "An armchair"}

    not_a_picture = await post_photo(client, PHOTOS, b"%PDF-1.4", EDIT_PAGE, **typed)
    assert not_a_picture.status_code == 422
    assert "kein Bild" in field_error(not_a_picture.text, "file")
    assert 'value="Ein Sessel am Fenster"' in not_a_picture.text
    assert 'value="An armchair"' in not_a_picture.text

    too_large = await post_photo(client, PHOTOS, b"\xff\xd8" + b"\0" * (10 * 1024 * 1024), EDIT_PAGE, **typed)
    assert too_large.status_code == 413
    assert "10 MiB" in field_error(too_large.text, "file")
    assert 'value="Ein Sessel am Fenster"' in too_large.text

    no_alt = await post_photo(client, PHOTOS, picture(), EDIT_PAGE, alt=" ", alt_en="An armchair")
    assert no_alt.status_code == 422
    assert field_error(no_alt.text, "alt")
    assert 'value="An armchair"' in no_alt.text

    no_file = await post_photo(client, PHOTOS, None, EDIT_PAGE, **typed)
    assert no_file.status_code == 422
    assert field_error(no_file.text, "file") == "Bitte wählen Sie eine Bilddatei."
    assert await photos_in(db) == []
    media = settings.media_root
    assert not media.exists() or not any(media.iterdir())


async def test_staff_remove_a_photo_and_its_files(client: Client, db: Database, settings: Settings) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    await post_photo(client, PHOTOS, picture("PNG", 700, 500), EDIT_PAGE, alt="Erstes")
    [photo] = await photos_in(db)
    assert len(list(settings.media_root.iterdir())) == 6
    token = await csrf_token(client, EDIT_PAGE)
    gone = await client.post(
        f"{PHOTOS}/{photo.id}/delete", data={"_csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert await photos_in(db) == []
    assert list(settings.media_root.iterdir()) == []


async def test_a_workshop_has_a_photo_page_for_staff(client: Client, db: Database) -> None:
    await desk_world(db)
    async with db.write() as session:
        session.add(Workshop(slug="naehkurs", title="Nähkurs", factor=Factor.KNOWHOW))
    await assert_staff_only(client, db, "/staff/workshops/naehkurs/photos")
    await sign_in(client, "sam@example.org")
    overview = (await client.get("/staff/workshops")).text
    assert 'href="/staff/workshops/naehkurs/photos"' in overview
    page = "/staff/workshops/naehkurs/photos"
    refused = await post_photo(client, page, picture("GIF", 20, 20), page, alt="Nähmaschinen")
    assert refused.status_code == 422
    assert 'value="Nähmaschinen"' in refused.text
    added = await post_photo(client, page, picture("WEBP"), page, alt="Nähmaschinen")
    assert added.status_code == 303
    public = (await client.get("/workshops/naehkurs")).text
    assert 'alt="Nähmaschinen"' in public
    assert (await client.get("/staff/workshops/nirgendwo/photos")).status_code == 404


async def test_visitors_cannot_add_photos(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "anna@example.org")
    refused = await post_photo(client, PHOTOS, picture(), "/catalogue", alt="x")
    assert refused.status_code == 403
    assert await photos_in(db) == []
