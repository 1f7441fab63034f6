from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from library.catalog.models import Location
from library.db import Database


async def test_fresh_database_is_empty_and_writable(db: Database) -> None:
    async with db.write() as session:
        session.add(Location(slug="x", name="X"))
    async with db.read() as session:
        names = (await session.scalars(select(Location.name))).all()
    assert names == ["X"]


async def test_app_serves_the_test_database(db: Database, client: AsyncTestClient[Litestar]) -> None:
    async with db.write() as session:
        session.add(Location(slug="boefingen", name="Stadtteilbibliothek Böfingen"))
    response = await client.get("/api/v1/locations")
    assert response.status_code == 200
    assert [loc["slug"] for loc in response.json()] == ["boefingen"]
