"""Staff: people at the desk. Find a person by part of their name, e-mail address or library
card number (the API's search), make a visitor account for someone at the desk, and see one
person's bookings, workshop sign-ups and certifications; correct their birth date and card."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from library.accounts import people
from library.accounts.models import User
from library.accounts.queries import held_certifications
from library.booking.queries import list_bookings
from library.errors import LibraryError, NotFound
from library.http.problems import status_of
from library.http.viewer import UserDep, staff_only
from library.i18n import N_
from library.web import parsing
from library.web.account import LANGUAGE_CHOICES, birth_date_of, language_of
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other
from library.web.my_bookings import status_name
from library.workshops.queries import registrations_of

NOTICES = {
    "created": N_("The account was made."),
    "created_mailed": N_("The account was made; the person gets an e-mail with a link to choose a password."),
    "birth_date": N_("The birth date was saved."),
    "card": N_("The library card number was saved."),
}
PEOPLE_SHOWN = 50
BOOKINGS_SHOWN = 50


class StaffPersonPages(Controller):
    path = "/staff/people"
    include_in_schema = False
    guards = (staff_only,)

    @get("/", name="staff-people")
    async def find(self, context: PageContextDep, q: FromQuery[str] = "") -> Template:
        return await people_page(context, q[:200])

    @post("/", name="staff-people-create")
    async def create(
        self, context: PageContextDep, user: UserDep, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        lang, now = context.lang, context.now
        today = now.astimezone(context.settings.zone).date()
        form = Form(values=form_values(data))
        name = parsing.text(form, "name", lang, required=True, max_length=200)
        email = parsing.text(form, "email", lang, max_length=254)
        card = parsing.text(form, "library_card", lang, max_length=40)
        birth_date = birth_date_of(form, lang, today)
        language = language_of(form)
        status = 422
        if not form.has_errors:
            try:
                person = await people.create_at_desk(
                    context.db,
                    name=name,
                    email=email or None,
                    library_card=card or None,
                    birth_date=birth_date,
                    language=language,
                    actor=user,
                    today=today,
                    now=now,
                    secret_key=context.settings.secret_key,
                )
                return see_other(f"/staff/people/{person.id}", done="created_mailed" if email else "created")
            except LibraryError as problem:
                form.absorb(problem, lang)
                status = status_of(problem)
        return await people_page(context, "", new_form=form, status=status)

    @get("/{user_id:int}", name="staff-person")
    async def person(self, context: PageContextDep, user_id: FromPath[int]) -> Template:
        return await person_page(context, user_id)

    @post("/{user_id:int}/birth-date", name="staff-person-birth-date")
    async def birth_date(
        self,
        context: PageContextDep,
        user: UserDep,
        user_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang, now = context.lang, context.now
        today = now.astimezone(context.settings.zone).date()
        form = Form(values=form_values(data))
        birth_date = birth_date_of(form, lang, today)
        if not form.has_errors:
            try:
                await people.set_birth_date_by_staff(
                    context.db,
                    user_id,
                    birth_date,
                    verified=form.value("verified") == "on",
                    actor=user,
                    today=today,
                    now=now,
                )
                return see_other(f"/staff/people/{user_id}", done="birth_date")
            except LibraryError as problem:
                form.absorb(problem, lang, raising=(NotFound,))
                return await person_page(context, user_id, birth_form=form, status=status_of(problem))
        return await person_page(context, user_id, birth_form=form, status=422)

    @post("/{user_id:int}/card", name="staff-person-card")
    async def card(
        self,
        context: PageContextDep,
        user: UserDep,
        user_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        form = Form(values=form_values(data))
        card = parsing.text(form, "library_card", context.lang, max_length=40)
        if not form.has_errors:
            try:
                await people.set_library_card(context.db, user_id, card or None, actor=user, now=context.now)
                return see_other(f"/staff/people/{user_id}", done="card")
            except LibraryError as problem:
                form.absorb(problem, context.lang, raising=(NotFound,))
                return await person_page(context, user_id, card_form=form, status=status_of(problem))
        return await person_page(context, user_id, card_form=form, status=422)


async def people_page(
    context: PageContext, query: str, *, new_form: Form | None = None, status: int = 200
) -> Template:
    """The search (nothing listed before one is typed) and the form for a new account."""
    found: list[User] = []
    if query.strip():
        async with context.db.read() as session:
            found = list(await people.search(session, query, limit=PEOPLE_SHOWN))
    return context.render(
        "staff/people.html",
        status=status,
        query=query,
        found=found[:PEOPLE_SHOWN],
        more=len(found) > PEOPLE_SHOWN,
        search_form=Form(values={"q": query}),
        new_form=new_form or Form(values={"language": context.lang}),
        languages=LANGUAGE_CHOICES,
        notice=context.notice(NOTICES),
    )


async def person_page(
    context: PageContext,
    user_id: int,
    *,
    birth_form: Form | None = None,
    card_form: Form | None = None,
    status: int = 200,
) -> Template:
    """One person: details, bookings (newest first), workshop sign-ups and certifications."""
    lang = context.lang
    async with context.db.read() as session:
        person = await session.get(User, user_id)
        if person is None or person.deleted_at is not None:
            raise NotFound(N_("The account %(id)s"), id=user_id)
        bookings = await list_bookings(session, owner_id=user_id, newest_first=True, limit=BOOKINGS_SHOWN)
        registrations = await registrations_of(session, user_id)
        certifications = await held_certifications(session, user_id)
    return context.render(
        "staff/person.html",
        status=status,
        person=person,
        bookings=bookings,
        registrations=registrations,
        certifications=certifications,
        status_name=lambda value: status_name(lang, value),
        now=context.now,
        zone=context.settings.zone,
        birth_form=birth_form
        or Form(
            values={
                "birth_date": person.birth_date.isoformat() if person.birth_date else "",
                "verified": "on" if person.birth_date_verified_at else "",
            }
        ),
        card_form=card_form or Form(values={"library_card": person.library_card or ""}),
        notice=context.notice(NOTICES),
    )
