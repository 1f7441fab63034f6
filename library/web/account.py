"""Account pages: registering, the profile, the private calendar address, export and deletion of
one's data, password reset by e-mail, and what the library keeps about people (/privacy).

Every form calls the same account functions as the API (library/accounts/); registering and
setting a new password sign the person in with a fresh session, as the login form does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from library import privacy
from library.accounts import people, resets, service, verification
from library.accounts.models import Language, User
from library.accounts.queries import held_certifications
from library.errors import LibraryError, message
from library.http.deps import ClockDep, DatabaseDep
from library.http.problems import headers_of, status_of
from library.http.viewer import SESSION_COOKIE, UserDep, client_address
from library.i18n import LANGUAGES, N_, Lang, known_language, own_name, translate
from library.notify import feeds
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other
from library.web.pages import ending_session, language_cookie, session_lifetime, with_session

NOTICES = {
    "welcome": N_("Welcome! Your account is ready and you are signed in."),
    "profile_saved": N_("Your details have been saved."),
    "calendar_off": N_("Your private calendar address has been switched off."),
    "password_changed": N_("Your new password is set. You have been signed out everywhere else."),
    "verification_sent": N_("We have sent you a new link to confirm your e-mail address."),
    "email_verified": N_("Thank you: your e-mail address is confirmed."),
    "card_saved": N_("Your library card number has been saved."),
}
WITHOUT_MAIL = {
    "verification_sent": N_(
        "The library cannot send e-mails at the moment: your link goes out as soon as it can. "
        "If it is urgent, please ask at the desk."
    ),
}
"""The notices while no mail server is configured: they promise no e-mail."""
RESET_REQUESTED = N_(
    "If there is an account with this e-mail address, we have sent it a link to set a new password. "
    "The link is valid for %(minutes)s minutes."
)
RESET_WAITS = N_(
    "If there is an account with this e-mail address, a link to set a new password goes out as soon as "
    "the library can send e-mails again; at the moment it cannot. The link is valid for %(minutes)s minutes. "
    "If it is urgent, please ask at the desk."
)
"""The reset notice while no mail server is configured: it promises no e-mail now."""
FUTURE_BIRTH_DATE = N_("The birth date cannot be in the future.")
PASSWORDS_DIFFER = N_("The two passwords are not the same.")
BAD_EMAIL = N_("Please enter an e-mail address such as name@example.org.")
NEVER_CACHE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""For pages that show a secret (a calendar address, a reset link's token in the URL)."""

LANGUAGE_CHOICES = tuple((code, own_name(code)) for code in LANGUAGES)


def birth_date_of(form: Form, lang: Lang, today: date) -> date | None:
    """The optional birth date typed into a form, not in the future."""
    birth_date = parsing.day(form, "birth_date", lang)
    if birth_date is not None and birth_date > today:
        form.add("birth_date", translate(lang, FUTURE_BIRTH_DATE))
        return None
    return birth_date


def language_of(form: Form) -> Language:
    return Language(known_language(form.value("language")))


class AccountPages(Controller):
    include_in_schema = False

    # ------------------------------------------------------------------ register

    @get("/register", name="register")
    async def register_form(self, context: PageContextDep) -> Template | Redirect:
        if context.viewer.user is not None:
            return see_other("/account")
        form = Form(values={"language": context.lang})
        return context.render("account/register.html", form=form, languages=LANGUAGE_CHOICES)

    @post("/register", name="register-submit")
    async def register(
        self,
        context: PageContextDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        now = context.now
        form = Form(values=form_values(data))
        name = parsing.text(form, "name", lang, required=True, max_length=200)
        email = parsing.text(form, "email", lang, required=True, max_length=254)
        if email and not service.EMAIL_PATTERN.match(service.normalise_email(email)):
            form.add("email", translate(lang, BAD_EMAIL))
        password = data.get("password", "")
        if not password:
            form.add("password", translate(lang, parsing.REQUIRED))
        birth_date = birth_date_of(form, lang, now.astimezone(context.settings.zone).date())
        language = language_of(form)
        if not form.has_errors:
            try:
                # The password is hashed before any transaction opens (see register_account).
                user = await service.register_account(
                    context.db,
                    email=email,
                    password=password,
                    name=name,
                    birth_date=birth_date,
                    language=language,
                    address=client_address(context.request),
                    per_hour=context.settings.registrations_per_hour,
                    now=now,
                )
                session_id = await verification.first_session(
                    context.db,
                    user,
                    now,
                    session_lifetime(context),
                    ending=ending_session(context),
                    secret_key=context.settings.secret_key,
                )
            except LibraryError as problem:
                if problem.code == "email_taken":
                    form.add("email", problem.detail(lang))
                else:
                    form.absorb(problem, lang, fields={"password": "password"})
                return context.refused(
                    "account/register.html",
                    problem,
                    form=form,
                    languages=LANGUAGE_CHOICES,
                )
            return with_session(
                see_other("/account", done="welcome"), session_id, context.settings, lang=language
            )
        return context.render("account/register.html", status=422, form=form, languages=LANGUAGE_CHOICES)

    # ------------------------------------------------------------------ the account

    @get("/account", name="account")
    async def account(self, context: PageContextDep, user: UserDep) -> Template:
        return await account_page(context, user, profile_form(user))

    @post("/account", name="account-submit")
    async def save_profile(
        self,
        context: PageContextDep,
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        now = context.now
        today = now.astimezone(context.settings.zone).date()
        form = Form(values=form_values(data))
        name = parsing.text(form, "name", lang, required=True, max_length=200)
        birth_date = birth_date_of(form, lang, today)
        language = language_of(form)
        if not form.has_errors:
            try:
                await service.update_profile(
                    context.db,
                    user.id,
                    name=name,
                    birth_date=birth_date,
                    language=language,
                    today=today,
                    now=now,
                )
            except LibraryError as problem:
                form.absorb(problem, lang)
                return await account_page(context, user, form, status=status_of(problem))
            redirect = see_other("/account", done="profile_saved")
            redirect.cookies.append(language_cookie(language, context.settings))
            return redirect
        return await account_page(context, user, form, status=422)

    @post("/account/library-card", name="account-library-card")
    async def save_library_card(
        self, context: PageContextDep, user: UserDep, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        """The number on the person's library card, so the desk finds them by it."""
        card_form = Form(values=form_values(data))
        card = parsing.text(card_form, "library_card", context.lang, max_length=40)
        if not card_form.has_errors:
            try:
                await people.set_library_card(context.db, user.id, card or None, actor=user, now=context.now)
                return see_other("/account", done="card_saved")
            except LibraryError as problem:
                card_form.absorb(problem, context.lang)
                return await account_page(
                    context, user, profile_form(user), card_form=card_form, status=status_of(problem)
                )
        return await account_page(context, user, profile_form(user), card_form=card_form, status=422)

    @post("/account/calendar", name="account-calendar")
    async def renew_calendar(self, context: PageContextDep, user: UserDep) -> Template:
        """A new private calendar address, shown this once (only its hash is kept): so this answer
        is a page of its own rather than a redirect, and is never cached."""
        token = await feeds.renew_calendar_token(context.db, user.id)
        url = feeds.user_feed_url(context.settings.base_url, token)
        page = context.render(
            "account/calendar.html",
            url=url,
            webcal_url="webcal://" + url.split("://", 1)[1],
        )
        page.headers.update(NEVER_CACHE)
        return page

    @post("/account/calendar/off", name="account-calendar-off")
    async def calendar_off(self, user: UserDep, db: DatabaseDep) -> Redirect:
        await feeds.revoke_calendar_token(db, user.id)
        return see_other("/account", done="calendar_off")

    @get(["/account/calendar", "/account/calendar/off"], name="account-calendar-return")
    async def back_to_account(self) -> Redirect:
        """Signing in again after a session ran out returns to a button's address: show the account."""
        return see_other("/account")

    @get("/account/export", name="account-export")
    async def export(self, user: UserDep, db: DatabaseDep, clock: ClockDep) -> Response[dict[str, Any]]:
        """The same JSON as GET /api/v1/me/export, as a download."""
        now = clock.now()
        async with db.read() as session:
            data = await privacy.export_user_data(session, user, now)
        filename = privacy.export_filename(user, now)
        return Response(
            data,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    @get("/account/delete", name="account-delete")
    async def delete_form(self, context: PageContextDep, user: UserDep) -> Template:
        return context.render("account/delete.html", form=Form())

    @post("/account/delete", name="account-delete-submit")
    async def delete(
        self,
        context: PageContextDep,
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Asks for the password first, as DELETE /api/v1/me does; then signs out and goes home."""
        lang = context.lang
        now = context.now
        form = Form()
        try:
            confirmed = await privacy.password_confirmed(
                context.db, user, data.get("password", ""), address=client_address(context.request), now=now
            )
            if confirmed:
                await privacy.delete_account(context.db, user, now)
        except LibraryError as problem:
            form.general = problem.detail(lang)
            return context.refused("account/delete.html", problem, form=form)
        if not confirmed:
            # The page shows it next to the field like any other typing mistake (the API says 403).
            form.add("password", message("wrong_password", lang))
            return context.render("account/delete.html", status=422, form=form)
        redirect = see_other("/", done="account_deleted")
        redirect.delete_cookie(SESSION_COOKIE)
        return redirect

    # ------------------------------------------------------------------ password reset

    @get("/password-reset", name="password-reset")
    async def reset_request_form(self, context: PageContextDep) -> Template:
        done = context.request.query_params.get("done") == "reset_requested"
        minutes = int(resets.RESET_LIFETIME.total_seconds() // 60)
        return context.render(
            "account/password_reset.html",
            form=Form(),
            notice=translate(
                context.lang, RESET_REQUESTED if context.mail_on else RESET_WAITS, minutes=minutes
            )
            if done
            else None,
        )

    @post("/password-reset", name="password-reset-submit")
    async def request_reset(
        self,
        context: PageContextDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """The same answer whether an account has this address or not."""
        lang = context.lang
        form = Form(values=form_values(data))
        email = parsing.text(form, "email", lang, required=True, max_length=254)
        if not form.has_errors:
            try:
                await resets.request_password_reset(
                    context.db,
                    email,
                    context.now,
                    address=client_address(context.request),
                    secret_key=context.settings.secret_key,
                )
            except LibraryError as problem:
                form.general = problem.detail(lang)
                return context.refused("account/password_reset.html", problem, form=form)
            return see_other("/password-reset", done="reset_requested")
        return context.render("account/password_reset.html", status=422, form=form)

    @get("/password-reset/{token:str}", name="password-reset-token")
    async def new_password_form(self, context: PageContextDep, token: FromPath[str]) -> Template:
        page = context.render("account/new_password.html", form=Form(), token=token)
        page.headers.update(NEVER_CACHE)
        return page

    @post("/password-reset/{token:str}", name="password-reset-token-submit")
    async def set_new_password(
        self,
        context: PageContextDep,
        token: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        now = context.now
        form = Form()
        password = data.get("password", "")
        if not password:
            form.add("password", translate(lang, parsing.REQUIRED))
        elif data.get("password_repeat", "") != password:
            form.add("password_repeat", translate(lang, PASSWORDS_DIFFER))
        status, link_dead = 422, False
        if not form.has_errors:
            try:
                session_id = await resets.reset_password_and_sign_in(
                    context.db,
                    token,
                    password,
                    now,
                    session_lifetime(context),
                    ending=ending_session(context),
                )
            except LibraryError as problem:
                form.absorb(problem, lang, fields={"password": "password"})
                status, link_dead = status_of(problem), problem.code == "reset_link_invalid"
            else:
                redirect = see_other("/account", done="password_changed")
                return with_session(redirect, session_id, context.settings, lang=None)
        page = context.render(
            "account/new_password.html",
            status=status,
            form=form,
            token=token,
            link_dead=link_dead,
        )
        page.headers.update(NEVER_CACHE)
        return page

    # ------------------------------------------------------------------ e-mail verification

    @post("/account/verification", name="account-verification")
    async def send_verification(self, context: PageContextDep, user: UserDep) -> Template | Redirect:
        settings = context.settings
        try:
            await verification.send_verification(
                context.db, user, context.now, secret_key=settings.secret_key
            )
        except LibraryError as problem:
            form = Form()
            form.general = problem.detail(context.lang)
            page = await account_page(context, user, form, status=status_of(problem))
            page.headers.update(headers_of(problem))
            return page
        return see_other("/account", done="verification_sent")

    @get("/verify-email/{token:str}", name="verify-email")
    async def verify_email_form(self, context: PageContextDep, token: FromPath[str]) -> Template:
        """A button rather than a confirmation on opening: mail scanners open links too."""
        page = context.render("account/verify_email.html", form=Form(), token=token)
        page.headers.update(NEVER_CACHE)
        return page

    @post("/verify-email/{token:str}", name="verify-email-submit")
    async def verify_email(self, context: PageContextDep, token: FromPath[str]) -> Template | Redirect:
        try:
            await verification.verify_email(context.db, token, context.now)
        except LibraryError as problem:
            form = Form()
            form.general = problem.detail(context.lang)
            page = context.render(
                "account/verify_email.html", status=status_of(problem), form=form, token=token
            )
            page.headers.update(NEVER_CACHE)
            return page
        return see_other("/account", done="email_verified")

    # ------------------------------------------------------------------ privacy

    @get("/privacy", name="privacy")
    async def privacy_page(self, context: PageContextDep) -> Template:
        return context.render(
            "privacy.html",
            retention_days=context.settings.retention_days,
            session_hours=context.settings.session_lifetime_hours,
            reset_minutes=int(resets.RESET_LIFETIME.total_seconds() // 60),
        )


def profile_form(user: User) -> Form:
    """The profile form as stored."""
    return Form(
        values={
            "name": user.name,
            "birth_date": user.birth_date.isoformat() if user.birth_date else "",
            "language": user.language.value,
        }
    )


async def account_page(
    context: PageContext, user: User, form: Form, *, card_form: Form | None = None, status: int = 200
) -> Template:
    """The profile form (as typed, when it has errors), card, certifications, calendar and data."""
    async with context.db.read() as session:
        held = await held_certifications(session, user.id)
    return context.render(
        "account/account.html",
        status=status,
        form=form,
        card_form=card_form or Form(values={"library_card": user.library_card or ""}),
        person=user,
        certifications=held,
        zone=context.settings.timezone,
        now=context.now,
        has_calendar=user.calendar_token_hash is not None,
        email_unverified=user.email_verified_at is None,
        verification_required=context.settings.verify_email,
        languages=LANGUAGE_CHOICES,
        notice=context.notice(NOTICES, WITHOUT_MAIL),
    )
