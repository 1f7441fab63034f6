from sqlalchemy import select

from library.catalog.models import Location
from library.db import Database


async def test_fresh_database_is_empty_and_writable(db: Database) -> None:
    async with db.write() as session:
        session.add(Location(slug="x", name="X"))
    async with db.read() as session:
        names = (await session.scalars(select(Location.name))).all()
    assert names == ["X"]
