"""Staff: people at the desk, found by part of their name, e-mail address or library card
number, and visitor accounts made for them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, QueryParameter

from library import texts
from library.accounts import people
from library.accounts.models import Language, Role, User
from library.api.common import Limit, Offset, Page, RowId, page_of
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


class PersonChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """What staff correct about a person; a field left out stays as it is."""

    birth_date: date | msgspec.UnsetType | None = msgspec.UNSET
    birth_date_verified: bool | msgspec.UnsetType = msgspec.UNSET
    library_card: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType | None = msgspec.UNSET


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

    @patch(
        "/{user_id:int}",
        summary="Staff: correct a person's birth date (and mark it verified) or library card; audited",
    )
    async def change(
        self,
        user_id: RowId,
        data: JSONBody[PersonChangeIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> PersonOut:
        now = clock.now()
        change = people.StaffCorrection(
            card=None if data.library_card is msgspec.UNSET else (data.library_card or ""),
            birth_date=None if data.birth_date is msgspec.UNSET else data.birth_date,
            forget_birth_date=data.birth_date is None,
            verified=None if data.birth_date_verified is msgspec.UNSET else data.birth_date_verified,
        )
        person = await people.correct_by_staff(
            db, user_id, change, actor=user, today=now.astimezone(settings.zone).date(), now=now
        )
        return person_out(person)
