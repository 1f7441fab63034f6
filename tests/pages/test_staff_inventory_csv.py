"""Importing and exporting the inventory as CSV on the staff pages: all or nothing, and a round trip."""

from __future__ import annotations

import asyncio
import csv
import io

from httpx import Response
from sqlalchemy import func, select

from library.accounts.models import Certification, Role
from library.audit.models import AuditEntry
from library.catalog.models import Resource, ResourceKind, Unit
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import csrf_token, sign_in
from tests.support.staff_pages import assert_staff_only

IMPORT = "/staff/resources/import"
GOOD = (
    "slug,name,name_en,kind,factor,location,features,requires_approval,policy.max_minutes,"
    "unit_label,inventory_number,serial_number,condition\n"
    "naehmaschine,Nähmaschine,Sewing machine,device,technology,zentralbibliothek,Overlock | Freiarm,yes,180,"
    "Maschine 1,INV-100,SN-1,new\n"
    "naehmaschine,,,,,,,,,Maschine 2,INV-101,,\n"
    "gruppenraum,Gruppenraum,,room,space,zentralbibliothek,,no,,,,,\n"
)


async def staff_world(db: Database) -> None:
    location = await factories.create_location(db)
    await factories.create_certification(db, "laser", name="Lasercutter-Einweisung")
    await factories.create_resource(db, location, "lesesaal", name="Lesesaal", units=1)
    await factories.create_user(db, "sam@example.org", name="Sam Theke", role=Role.STAFF)


async def things_to_lend(db: Database) -> None:
    """Things with parts in German and English, with German parts only, and with none."""
    location = await factories.create_location(db, slug="weststadt", name="Weststadt")
    await factories.create_resource(
        db,
        location,
        "kamera",
        name="Kamera",
        kind=ResourceKind.LOAN,
        units=1,
        loan_parts=["Akku", "Ladegerät", "Tasche"],
        loan_parts_en=["Battery", "Charger", "Bag"],
    )
    # Parts without English ones, and an empty list as the API may store it ("no parts" too).
    await factories.create_resource(
        db, location, "bohrer", name="Bohrer", kind=ResourceKind.LOAN, units=1, loan_parts=["Koffer"]
    )
    await factories.create_resource(db, location, "spiel", kind=ResourceKind.LOAN, units=1, loan_parts=[])


async def upload(client: Client, text: str, name: str = "inventar.csv") -> Response:
    token = await csrf_token(client, IMPORT)
    return await client.post(
        IMPORT,
        data={"_csrf_token": token},
        files={"file": (name, text.encode(), "text/csv")},
        follow_redirects=False,
    )


async def resource_count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count(Resource.id))) or 0)


async def test_the_import_and_export_are_for_staff_only(client: Client, db: Database) -> None:
    await staff_world(db)
    await assert_staff_only(client, db, IMPORT, "/staff/resources/export.csv")


async def test_a_good_file_is_imported_whole(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    form = await client.get(IMPORT)
    assert 'enctype="multipart/form-data"' in form.text
    assert "<code>inventory_number</code>" in form.text

    response = await upload(client, GOOD)

    assert response.status_code == 200, response.text
    assert "Die Datei wurde importiert" in response.text
    result = response.text.split('id="done-title"')[1].split("</section>")[0]
    assert "4 hinzugefügt, 0 geändert, 0 unverändert" in result  # two resources, two units
    assert '<a href="/staff/resources/naehmaschine">naehmaschine</a>' in result
    assert "/staff/resources/lesesaal" not in result
    async with db.read() as session:
        labels = (
            await session.scalars(
                select(Unit.label).join(Resource).where(Resource.slug == "naehmaschine").order_by(Unit.id)
            )
        ).all()
    assert labels == ["Maschine 1", "Maschine 2"]
    assert await resource_count(db) == 3


async def test_a_bad_file_saves_nothing_and_reports_every_bad_row(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    bad = GOOD + (
        "drucker,Drucker,,printer,technology,zentralbibliothek,,vielleicht,,Drucker 1,INV-100,,\n"
        "lesesaal,Lesesaal,,room,space,weststadt,,,,,,,\n"
    )

    response = await upload(client, bad)

    assert response.status_code == 422
    assert "Nichts wurde importiert" in response.text
    report = response.text.split("<tbody>")[1]
    for row, column in (
        (5, "kind"),
        (5, "requires_approval"),
        (5, "inventory_number"),
        (6, "location"),  # lesesaal exists: the row would update it, but not to a location that does not
    ):
        assert f'<th scope="row">{row}</th>\n      <td><code>{column}</code></td>' in report
    assert "Bitte verwenden Sie einen dieser Werte: room, workspace, device, loan." in report
    assert "Es gibt keinen Standort „weststadt“." in report
    assert await resource_count(db) == 1


async def test_a_file_that_is_not_csv_text_is_refused_readably(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    token = await csrf_token(client, IMPORT)

    latin = await client.post(
        IMPORT,
        data={"_csrf_token": token},
        files={"file": ("x.csv", "Nähmaschine".encode("latin-1"), "text/csv")},
    )
    nothing = await client.post(IMPORT, data={"_csrf_token": token}, files={"file": ("", b"", "text/csv")})

    assert latin.status_code == 422
    assert "UTF-8" in latin.text
    assert nothing.status_code == 422
    assert 'role="alert"' in nothing.text


async def test_an_export_imports_again_and_exports_the_same(client: Client, db: Database) -> None:
    await staff_world(db)
    await things_to_lend(db)
    await sign_in(client, "sam@example.org")
    assert (await upload(client, GOOD)).status_code == 200
    async with db.write() as session:
        # What a file must quote: quotes, commas and line breaks; and a certification to refer to.
        room = await session.scalar(select(Resource).where(Resource.slug == "gruppenraum"))
        assert room is not None
        room.min_age = 16
        room.description = 'Mit "Beamer",\nzweite Zeile'
        room.required_certification_id = await session.scalar(
            select(Certification.id).where(Certification.key == "laser")
        )

    exported = await client.get("/staff/resources/export.csv")

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    first = exported.content.decode("utf-8-sig")
    # The same inventory under new slugs and inventory numbers goes in again...
    renamed = (
        first.replace("naehmaschine", "naehmaschine-2")
        .replace("gruppenraum", "gruppenraum-2")
        .replace("lesesaal", "lesesaal-2")
        .replace("kamera", "kamera-2")
        .replace("bohrer", "bohrer-2")
        .replace("spiel", "spiel-2")
        .replace("INV-10", "INV-20")
    )
    again = await upload(client, renamed)
    assert again.status_code == 200, again.text
    # ...and comes out as it went in.
    second = (await client.get("/staff/resources/export.csv")).content.decode("utf-8-sig")
    lines = second.splitlines()
    header, rows = lines[0], lines[1:]
    assert header == first.splitlines()[0]
    original_rows = first.splitlines()[1:]
    renamed_rows = renamed.splitlines()[1:]
    assert sorted(rows) == sorted(original_rows + renamed_rows)
    assert "Akku | Ladegerät | Tasche,Battery | Charger | Bag," in first
    async with db.read() as session:
        copies = {
            resource.slug: (resource.loan_parts, resource.loan_parts_en)
            for resource in await session.scalars(select(Resource).where(Resource.slug.like("%-2")))
        }
    assert copies["kamera-2"] == (["Akku", "Ladegerät", "Tasche"], ["Battery", "Charger", "Bag"])
    assert copies["bohrer-2"] == (["Koffer"], None)
    assert copies["spiel-2"] == (None, None)


FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/","Klick")',
    "name_en": "+1+1",
    "description": "-2+3 Plätze",
    "description_en": "@SUM(A1:A9)",
}


async def test_formulas_are_neutralised_in_the_export_and_come_back_on_import(
    client: Client, db: Database
) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    async with db.write() as session:
        room = await session.scalar(select(Resource).where(Resource.slug == "lesesaal"))
        assert room is not None
        for column, value in FORMULAS.items():
            setattr(room, column, value)
        unit = await session.scalar(select(Unit).where(Unit.resource_id == room.id))
        assert unit is not None
        unit.label = "'=schon neutralisiert"  # an apostrophe of its own stays

    first = (await client.get("/staff/resources/export.csv")).content.decode("utf-8-sig")

    cells = [cell for row in csv.reader(io.StringIO(first)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK" in first
    again = await upload(client, first.replace("lesesaal", "lesesaal-2").replace("INV-", "INV2-"))
    assert again.status_code == 200, again.text
    assert "Nichts geändert" not in again.text
    async with db.read() as session:
        copy = await session.scalar(select(Resource).where(Resource.slug == "lesesaal-2"))
        assert copy is not None
        assert {column: getattr(copy, column) for column in FORMULAS} == FORMULAS
        labels = (await session.scalars(select(Unit.label).where(Unit.resource_id == copy.id))).all()
    assert labels == ["'=schon neutralisiert"]


async def test_an_unchanged_export_imported_again_changes_nothing_and_says_so(
    client: Client, db: Database
) -> None:
    await staff_world(db)
    await things_to_lend(db)
    await sign_in(client, "sam@example.org")
    await upload(client, GOOD)
    exported = (await client.get("/staff/resources/export.csv")).content.decode("utf-8-sig")
    assert "Akku | Ladegerät | Tasche,Battery | Charger | Bag," in exported
    async with db.read() as session:
        entries = await session.scalar(select(func.count(AuditEntry.id)))

    again = await upload(client, exported)

    assert again.status_code == 200, again.text
    assert "Nichts geändert" in again.text
    assert "nichts wurde gespeichert" in again.text
    assert "geändert:" not in again.text
    async with db.read() as session:
        assert await session.scalar(select(func.count(AuditEntry.id))) == entries


async def test_a_changed_file_lists_row_by_row_what_it_added_and_updated(
    client: Client, db: Database
) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    await upload(client, GOOD)
    changed = (
        "slug,name,kind,factor,location,unit_label,unit_label_en,inventory_number,condition\n"
        "naehmaschine,Nähmaschine,Gerät,Technologie,zentralbibliothek,Maschine 1,Machine 1,INV-100,neu\n"
        "naehmaschine,,,,,Maschine 2,,INV-101,beschädigt\n"
        "naehmaschine,,,,,Maschine 3,,INV-102,\n"
    )

    response = await upload(client, changed)

    assert response.status_code == 200, response.text
    rows = response.text.split('id="done-title"')[1].split("<tbody>")[1].split("</tbody>")[0]
    lines = [" ".join(line.split()) for line in rows.split("</tr>")[:-1]]
    assert "unverändert" in lines[0]  # the resource on row 2
    assert "geändert: unit_label_en" in lines[1]
    assert "geändert: condition" in lines[2]
    assert "hinzugefügt" in lines[3]
    assert "1 hinzugefügt, 2 geändert, 1 unverändert" in response.text
    async with db.read() as session:
        units = (
            await session.execute(
                select(Unit.label, Unit.label_en, Unit.condition)
                .join(Resource)
                .where(Resource.slug == "naehmaschine")
                .order_by(Unit.id)
            )
        ).all()
    assert [(label, en, condition.value) for label, en, condition in units] == [
        ("Maschine 1", "Machine 1", "new"),
        ("Maschine 2", None, "damaged"),
        ("Maschine 3", None, "good"),
    ]


async def test_a_number_of_another_offers_unit_is_reported_and_nothing_saved(
    client: Client, db: Database
) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    await upload(client, GOOD)

    response = await upload(
        client,
        "slug,name,kind,factor,location,unit_label,inventory_number\n"
        "gruppenraum,Gruppenraum,room,space,zentralbibliothek,Tisch,INV-100\n"
        "neu,Neu,room,space,zentralbibliothek,,\n",
    )

    assert response.status_code == 422
    assert "gehört zu einer Einheit von naehmaschine" in response.text
    assert await resource_count(db) == 3


async def test_two_imports_at_once_take_turns(client: Client, db: Database) -> None:
    await staff_world(db)
    await sign_in(client, "sam@example.org")
    header = "slug,name,kind,factor,location,capacity,unit_label,inventory_number\n"

    # The same new resource twice: added once; the other is told and saves nothing.
    new = header + "werkbank,Werkbank,device,technology,zentralbibliothek,1,Bank 1,INV-500\n"
    first, second = await asyncio.gather(upload(client, new), upload(client, new))
    assert sorted([first.status_code, second.status_code]) in ([200, 200], [200, 409])
    async with db.read() as session:
        units = (await session.scalars(select(Unit.label).where(Unit.inventory_number == "INV-500"))).all()
    assert units == ["Bank 1"]

    # Two changes of it: each compares with what the other left, so the audit log is a chain.
    changes = [
        header + f"werkbank,Werkbank,device,technology,zentralbibliothek,{n},Bank 1,INV-500\n" for n in (2, 3)
    ]
    answers = await asyncio.gather(*(upload(client, text) for text in changes))
    assert [answer.status_code for answer in answers] == [200, 200]
    async with db.read() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "resource.update").order_by(AuditEntry.id)
            )
        ).all()
    assert len(entries) == 2
    assert entries[0].before == {"capacity": 1}
    assert entries[0].after == entries[1].before
