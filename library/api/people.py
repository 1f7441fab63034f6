"""Staff: people at the desk, found by part of their name, e-mail address or library card
number, and visitor accounts made for them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter

from library import texts
from library.accounts import people
from library.accounts.models import Language, Role, User
from library.api.common import Limit, Offset, Page, page_of
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only


class PersonOut(msgspec.Struct, omit_defaults=True):
    id: int
    name: str
    role: Role
    birth_date_verified: bool
    email: str | None = None
    library_card: str | None = None
    birth_date: date | None = None


class NewPersonIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, texts.line(200, min_length=1)]
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)] | None = None
    library_card: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    birth_date: date | None = None
    language: Language = Language.DE


def person_out(person: User) -> PersonOut:
    return PersonOut(
        id=person.id,
        name=person.name,
        role=person.role,
        email=person.mailbox,
        library_card=person.library_card,
        birth_date=person.birth_date,
        birth_date_verified=person.birth_date_verified_at is not None,
    )


class PeopleController(Controller):
    path = "/api/v1/users"
    tags = ("people",)
    guards = (staff_only,)

    @get("/", summary="Staff: people whose name, e-mail address or library card number contains q")
    async def find(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        q: Annotated[str, QueryParameter(max_length=200, description="Part of a name, e-mail or card")] = "",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[PersonOut]:
        async with db.read() as session:
            found = await people.search(session, q, limit=limit, offset=offset)
        return page_of(request, found, person_out, limit=limit, offset=offset)

    @post("/", summary="Staff: a visitor account made at the desk; with an e-mail, a link to set a password")
    async def create(
        self,
        data: JSONBody[NewPersonIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> PersonOut:
        now = clock.now()
        person = await people.create_at_desk(
            db,
            name=data.name,
            email=data.email,
            library_card=data.library_card,
            birth_date=data.birth_date,
            language=data.language,
            actor=user,
            today=now.astimezone(settings.zone).date(),
            now=now,
            secret_key=settings.secret_key,
        )
        return person_out(person)
