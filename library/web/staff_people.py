"""Staff: who holds which certification (grant and revoke, as the API does), and for
administrators the accounts: search, roles, deactivation. All changes are audited by the
services they call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import time

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from library.accounts import people
from library.accounts import service as accounts
from library.accounts.models import Certification, Role, User, UserCertification
from library.catalog.hours import local_instant
from library.errors import InvalidInput, LibraryError
from library.http.problems import status_of
from library.http.viewer import UserDep, admin_only, staff_only
from library.i18n import N_, pick, translate
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other
from library.workshops import service as workshops

NOTICES = {
    "granted": N_("The certification was granted; the person is told by e-mail."),
    "revoked": N_("The certification was revoked."),
    "role_changed": N_("The role was changed."),
    "deactivated": N_("The account was deactivated; it can no longer sign in."),
    "reactivated": N_("The account was reactivated."),
}
USERS_SHOWN = 50
END_OF_DAY = time(23, 59, 59)


class StaffPeoplePages(Controller):
    path = "/staff"
    include_in_schema = False
    guards = (staff_only,)

    @get("/certifications", name="staff-certifications")
    async def certifications(self, context: PageContextDep) -> Template:
        return await certifications_page(context)

    @post("/certifications/grant", name="staff-certifications-grant")
    async def grant(
        self, context: PageContextDep, user: UserDep, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        lang = context.lang
        form = Form(values=form_values(data))
        email = parsing.text(form, "email", lang, required=True, max_length=254)
        reason = parsing.text(form, "reason", lang, required=True)
        until = parsing.day(form, "expires", lang)
        if not form.value("key"):
            form.add("key", translate(lang, parsing.REQUIRED))
        expires_at = local_instant(until, END_OF_DAY, context.settings.zone) if until else None
        if expires_at is not None and expires_at <= context.now:
            form.add("expires", translate(lang, N_("The expiry date must lie in the future.")))
        status = 422
        if not form.has_errors:
            try:
                async with context.db.read() as session:
                    person = await session.scalar(
                        select(User).where(
                            User.email == accounts.normalise_email(email), User.deleted_at.is_(None)
                        )
                    )
                if person is None:
                    raise InvalidInput("unknown_user", "email")
                await workshops.grant_certification(
                    context.db,
                    person.id,
                    form.value("key"),
                    expires_at=expires_at,
                    note=reason,
                    actor=user,
                    now=context.now,
                )
                return see_other("/staff/certifications", done="granted")
            except LibraryError as problem:
                form.absorb(problem, lang)
                status = status_of(problem)
        return await certifications_page(context, grant_form=form, status=status)

    @post("/certifications/revoke", name="staff-certifications-revoke")
    async def revoke(
        self, context: PageContextDep, user: UserDep, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        form = Form(values=form_values(data))
        reason = parsing.text(form, "reason", context.lang, required=True)
        user_id = parsing.whole_number(form, "user_id", context.lang, low=1, high=2**62, required=True)
        if form.has_errors or user_id is None:
            return await certifications_page(context, revoke_form=form, status=422)
        await workshops.revoke_certification(
            context.db, user_id, form.value("key"), reason=reason, actor=user, now=context.now
        )
        return see_other("/staff/certifications", done="revoked")

    @get("/users", name="staff-users", guards=[admin_only])
    async def users(self, context: PageContextDep, q: FromQuery[str] = "") -> Template:
        return await users_page(context, q)

    @post("/users/{user_id:int}/role", name="staff-users-role", guards=[admin_only])
    async def change_role(
        self,
        context: PageContextDep,
        user_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        if data.get("role") not in Role.__members__.values():
            failure = Form(general=translate(context.lang, N_("Please choose a role.")))
            return await users_page(context, data.get("q", ""), action_form=failure, status=422)
        return await account_action(
            context,
            data.get("q", ""),
            lambda: accounts.change_role(
                context.db, user_id, Role(data["role"]), actor=user, now=context.now
            ),
            done="role_changed",
        )

    @post("/users/{user_id:int}/active", name="staff-users-active", guards=[admin_only])
    async def set_active(
        self,
        context: PageContextDep,
        user_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        active = data.get("active") == "yes"
        return await account_action(
            context,
            data.get("q", ""),
            lambda: accounts.set_active(context.db, user_id, active, actor=user, now=context.now),
            done="reactivated" if active else "deactivated",
        )


async def account_action(
    context: PageContext,
    query: str,
    change: Callable[[], Awaitable[object]],
    *,
    done: str,
) -> Template | Redirect:
    """An administrator's change to one account, then back to the same search; a refusal is
    shown above the list."""
    try:
        await change()
    except LibraryError as problem:
        failure = Form(general=problem.detail(context.lang))
        return await users_page(context, query, action_form=failure, status=status_of(problem))
    return see_other("/staff/users", done=done, **({"q": query} if query else {}))


async def certifications_page(
    context: PageContext,
    *,
    grant_form: Form | None = None,
    revoke_form: Form | None = None,
    status: int = 200,
) -> Template:
    async with context.db.read() as session:
        certifications = list(await session.scalars(select(Certification).order_by(Certification.name)))
        held = await session.scalars(
            select(UserCertification)
            .join(User, User.id == UserCertification.user_id)
            .where(UserCertification.revoked_at.is_(None))
            .options(joinedload(UserCertification.user))
            .order_by(User.name, UserCertification.granted_at)
        )
        holders: dict[int, list[UserCertification]] = defaultdict(list)
        for one in held:
            holders[one.certification_id].append(one)
    return context.render(
        "staff/certifications.html",
        status=status,
        certifications=certifications,
        holders=holders,
        options=[(c.key, pick(context.lang, c.name, c.name_en)) for c in certifications],
        now=context.now,
        zone=context.settings.zone,
        grant_form=grant_form or Form(),
        revoke_form=revoke_form or Form(),
        notice=context.notice(NOTICES),
    )


async def users_page(
    context: PageContext,
    query: str,
    *,
    action_form: Form | None = None,
    status: int = 200,
) -> Template:
    """Accounts found as the desk finds people (name, e-mail or card number), by name."""
    async with context.db.read() as session:
        found = list(await people.search(session, query, limit=USERS_SHOWN))
    return context.render(
        "staff/users.html",
        status=status,
        query=query,
        users=found[:USERS_SHOWN],
        more=len(found) > USERS_SHOWN,
        search_form=Form(values={"q": query}),
        action_form=action_form or Form(),
        notice=context.notice(NOTICES),
    )
