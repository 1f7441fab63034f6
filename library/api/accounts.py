"""Accounts: registration, API tokens and the caller's own profile."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from library import privacy, texts
from library.accounts import resets, service, verification
from library.accounts.models import Language, Role
from library.accounts.queries import held_certifications
from library.api.common import language
from library.errors import NotAllowed, NotSignedIn
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, ViewerDep, client_address
from library.i18n import pick

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Name = Annotated[str, texts.line(200, min_length=1)]
Password = Annotated[str, msgspec.Meta(max_length=1024)]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Name
    birth_date: date | None = None
    language: Language = Language.DE


class UserOut(msgspec.Struct):
    id: int
    email: str
    name: str
    role: Role


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password


class TokenOut(msgspec.Struct):
    token: str
    expires_at: datetime


class PasswordResetIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class NewPasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class VerifiedOut(msgspec.Struct):
    email_verified: bool


class DeleteAccountIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


class HeldCertificationOut(msgspec.Struct):
    key: str
    name: str
    expires_at: datetime | None


class MeOut(UserOut):
    birth_date: date | None
    language: Language
    email_verified: bool
    certifications: list[HeldCertificationOut]


class AccountsController(Controller):
    path = "/api/v1"
    tags = ("accounts",)

    @post("/auth/register", summary="Create a visitor account")
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RegisterIn],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> UserOut:
        now = clock.now()
        user = await service.register_account(
            db,
            email=data.email,
            password=data.password,
            name=data.name,
            birth_date=data.birth_date,
            language=data.language,
            address=client_address(request),
            per_hour=settings.registrations_per_hour,
            now=now,
        )
        await verification.send_verification(db, user, now, secret_key=settings.secret_key)
        return UserOut(user.id, user.email, user.name, user.role)

    @post("/auth/tokens", summary="Sign in and get a bearer token")
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenIn],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> TokenOut:
        now = clock.now()
        subjects = service.LoginSubjects.of(data.email, client_address(request))
        # A failure is recorded (and committed) before it is reported.
        user = await service.sign_in(db, email=data.email, password=data.password, subjects=subjects, now=now)
        if user is None:
            raise NotSignedIn("invalid_credentials")
        token, row = await service.issue_token(db, user, now, timedelta(days=settings.token_lifetime_days))
        return TokenOut(token, row.expires_at.astimezone(settings.zone))

    @delete("/auth/tokens/current", summary="Sign out: the token stops working", status_code=204)
    async def revoke_current_token(self, viewer: ViewerDep, db: DatabaseDep, clock: ClockDep) -> None:
        if viewer.via != "token" or viewer.token_id is None:
            raise NotSignedIn("unauthenticated")
        await service.revoke_token(db, viewer.token_id, clock.now())

    @post(
        "/auth/password-reset",
        summary="Ask for a password reset link by mail; the same answer whether the account exists or not",
        status_code=202,
        media_type=MediaType.TEXT,
    )
    async def request_password_reset(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordResetIn],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> None:
        await resets.request_password_reset(
            db,
            data.email,
            clock.now(),
            address=client_address(request),
            secret_key=settings.secret_key,
        )

    @post(
        "/auth/password-reset/{token:str}",
        summary="Set a new password with the link's token; signs the account out everywhere",
        status_code=204,
    )
    async def reset_password(
        self, token: FromPath[str], data: JSONBody[NewPasswordIn], db: DatabaseDep, clock: ClockDep
    ) -> None:
        await resets.reset_password(db, token, data.password, clock.now())

    @post(
        "/auth/verify",
        summary="Confirm the e-mail address with the token of the link sent by mail",
        status_code=200,
    )
    async def verify_email(self, data: JSONBody[VerifyIn], db: DatabaseDep, clock: ClockDep) -> VerifiedOut:
        await verification.verify_email(db, data.token, clock.now())
        return VerifiedOut(email_verified=True)

    @post(
        "/me/verification",
        summary="Send the link that confirms the caller's e-mail address again",
        status_code=202,
        media_type=MediaType.TEXT,
    )
    async def send_verification(
        self, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> None:
        await verification.send_verification(db, user, clock.now(), secret_key=settings.secret_key)

    @get("/me", summary="The caller's profile and certifications")
    async def me(
        self,
        request: Request[Any, Any, Any],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> MeOut:
        lang = language(request)
        zone = settings.zone
        now = clock.now()
        async with db.read() as session:
            held = await held_certifications(session, user.id)
        return MeOut(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            birth_date=user.birth_date,
            language=user.language,
            email_verified=user.email_verified_at is not None,
            certifications=[
                HeldCertificationOut(
                    h.certification.key,
                    pick(lang, h.certification.name, h.certification.name_en),
                    h.expires_at.astimezone(zone) if h.expires_at else None,
                )
                for h in held
                if h.expires_at is None or h.expires_at > now
            ],
        )

    @get("/me/export", summary="Everything the service holds about the caller, as a JSON download")
    async def export(self, user: UserDep, db: DatabaseDep, clock: ClockDep) -> Response[dict[str, Any]]:
        now = clock.now()
        async with db.read() as session:
            data = await privacy.export_user_data(session, user, now)
        filename = privacy.export_filename(user, now)
        return Response(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @delete(
        "/me",
        summary="Delete the caller's account: future bookings cancelled, personal data anonymised",
        status_code=204,
    )
    async def delete_me(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DeleteAccountIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> None:
        now = clock.now()
        if not await privacy.password_confirmed(
            db, user, data.password, address=client_address(request), now=now
        ):
            raise NotAllowed("wrong_password", "password")
        await privacy.delete_account(db, user, now)
