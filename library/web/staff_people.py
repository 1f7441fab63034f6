"""Staff: who holds which certification (grant and revoke, as the API does), and for
administrators the accounts: search, roles, deactivation. All changes are audited by the
services they call."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from library.accounts import service as accounts
from library.accounts.models import Certification, Role, User, UserCertification
from library.catalog.hours import local_instant
from library.config import Settings
from library.db import escape_like
from library.errors import InvalidInput, LibraryError
from library.http.answers import page_language
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.problems import status_of
from library.http.viewer import UserDep, ViewerDep, admin_only, staff_only
from library.i18n import N_, pick, translate
from library.web import parsing
from library.web.common import AnyRequest, Form, form_values, notice, render, see_other
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
    async def certifications(
        self,
        request: AnyRequest,
        viewer: ViewerDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> Template:
        return await certifications_page(request, viewer, db, clock.now(), settings)

    @post("/certifications/grant", name="staff-certifications-grant")
    async def grant(
        self,
        request: AnyRequest,
        viewer: ViewerDep,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = page_language(request)
        now = clock.now()
        form = Form(values=form_values(data))
        email = parsing.text(form, "email", lang, required=True, max_length=254)
        reason = parsing.text(form, "reason", lang, required=True)
        until = parsing.day(form, "expires", lang)
        if not form.value("key"):
            form.add("key", translate(lang, parsing.REQUIRED))
        expires_at = local_instant(until, END_OF_DAY, settings.zone) if until else None
        if expires_at is not None and expires_at <= now:
            form.add("expires", translate(lang, N_("The expiry date must lie in the future.")))
        status = 422
        if not form.has_errors:
            try:
                async with db.read() as session:
                    person = await session.scalar(
                        select(User).where(
                            User.email == accounts.normalise_email(email), User.deleted_at.is_(None)
                        )
                    )
                if person is None:
                    raise InvalidInput("unknown_user", "email")
                await workshops.grant_certification(
                    db,
                    person.id,
                    form.value("key"),
                    expires_at=expires_at,
                    note=reason,
                    actor=user,
                    now=now,
                )
                return see_other("/staff/certifications", done="granted")
            except LibraryError as problem:
                form.absorb(problem, lang)
                status = status_of(problem)
        return await certifications_page(request, viewer, db, now, settings, grant_form=form, status=status)

    @post("/certifications/revoke", name="staff-certifications-revoke")
    async def revoke(
        self,
        request: AnyRequest,
        viewer: ViewerDep,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = page_language(request)
        form = Form(values=form_values(data))
        reason = parsing.text(form, "reason", lang, required=True)
        user_id = parsing.whole_number(form, "user_id", lang, low=1, high=2**62, required=True)
        if form.has_errors or user_id is None:
            return await certifications_page(
                request, viewer, db, clock.now(), settings, revoke_form=form, status=422
            )
        await workshops.revoke_certification(
            db, user_id, form.value("key"), reason=reason, actor=user, now=clock.now()
        )
        return see_other("/staff/certifications", done="revoked")

    @get("/users", name="staff-users", guards=[admin_only])
    async def users(
        self,
        request: AnyRequest,
        viewer: ViewerDep,
        db: DatabaseDep,
        q: FromQuery[str] = "",
    ) -> Template:
        return await users_page(request, viewer, db, q)

    @post("/users/{user_id:int}/role", name="staff-users-role", guards=[admin_only])
    async def change_role(
        self,
        request: AnyRequest,
        user_id: FromPath[int],
        viewer: ViewerDep,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        query = data.get("q", "")
        if data.get("role") not in Role.__members__.values():
            failure = Form(general=translate(page_language(request), N_("Please choose a role.")))
            return await users_page(request, viewer, db, query, action_form=failure, status=422)
        try:
            async with db.write() as session:
                await accounts.change_role(session, user_id, Role(data["role"]), actor=user, now=clock.now())
        except LibraryError as problem:
            failure = Form(general=problem.detail(page_language(request)))
            return await users_page(
                request, viewer, db, query, action_form=failure, status=status_of(problem)
            )
        return see_other("/staff/users", done="role_changed", **({"q": query} if query else {}))

    @post("/users/{user_id:int}/active", name="staff-users-active", guards=[admin_only])
    async def set_active(
        self,
        request: AnyRequest,
        user_id: FromPath[int],
        viewer: ViewerDep,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        query = data.get("q", "")
        active = data.get("active") == "yes"
        try:
            async with db.write() as session:
                await accounts.set_active(session, user_id, active, actor=user, now=clock.now())
        except LibraryError as problem:
            failure = Form(general=problem.detail(page_language(request)))
            return await users_page(
                request, viewer, db, query, action_form=failure, status=status_of(problem)
            )
        done = "reactivated" if active else "deactivated"
        return see_other("/staff/users", done=done, **({"q": query} if query else {}))


async def certifications_page(
    request: AnyRequest,
    viewer: ViewerDep,
    db: DatabaseDep,
    now: datetime,
    settings: Settings,
    *,
    grant_form: Form | None = None,
    revoke_form: Form | None = None,
    status: int = 200,
) -> Template:
    async with db.read() as session:
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
    lang = page_language(request)
    return render(
        request,
        "staff/certifications.html",
        viewer,
        status=status,
        certifications=certifications,
        holders=holders,
        options=[(c.key, pick(lang, c.name, c.name_en)) for c in certifications],
        now=now,
        zone=settings.zone,
        grant_form=grant_form or Form(),
        revoke_form=revoke_form or Form(),
        notice=notice(request, NOTICES),
    )


async def users_page(
    request: AnyRequest,
    viewer: ViewerDep,
    db: DatabaseDep,
    query: str,
    *,
    action_form: Form | None = None,
    status: int = 200,
) -> Template:
    """Accounts whose name or e-mail address contains the search, by name; deleted ones are gone."""
    wanted = query.strip().lower()
    statement = (
        select(User).where(User.deleted_at.is_(None)).order_by(User.name, User.id).limit(USERS_SHOWN + 1)
    )
    if wanted:
        pattern = f"%{escape_like(wanted)}%"
        statement = statement.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    async with db.read() as session:
        found = list(await session.scalars(statement))
    return render(
        request,
        "staff/users.html",
        viewer,
        status=status,
        query=query,
        users=found[:USERS_SHOWN],
        more=len(found) > USERS_SHOWN,
        search_form=Form(values={"q": query}),
        action_form=action_form or Form(),
        notice=notice(request, NOTICES),
    )
