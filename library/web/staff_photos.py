"""Staff adding and removing photos on a page: the form read, the refusal put next to its field.

Both the resource edit page and a workshop's photo page use these, so the two behave alike.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from sqlalchemy import select

from library.accounts.models import User
from library.errors import InvalidInput, LibraryError, NotFound
from library.http.problems import status_of
from library.http.viewer import UserDep, staff_only
from library.i18n import N_, translate
from library.pictures.images import MAX_BYTES, UPLOAD_BODY_LIMIT, check_alt
from library.pictures.queries import workshop_photos
from library.pictures.service import Owner, OwnerKind, Upload, add_photo, delete_photo
from library.web.common import Form, PageContext, PageContextDep, see_other
from library.workshops.models import Workshop

PHOTO_NOTICES = {
    "photo_added": N_("The photo was added."),
    "photo_removed": N_("The photo was removed."),
}
NO_FILE = N_("Please choose a picture file.")
FILE_FIELDS = {"file": "file", "alt": "alt", "alt_en": "alt_en"}


async def upload_photo(
    context: PageContext, user: User, owner: Owner, data: dict[str, Any]
) -> tuple[Form, int] | None:
    """Add the photo from a posted form; when refused, the form as typed with the sentence next to
    its field, and the status to answer with."""
    lang = context.lang
    form = Form(values={name: str(data.get(name) or "") for name in ("alt", "alt_en")})
    file = data.get("file")
    content = await file.read(MAX_BYTES + 1) if isinstance(file, UploadFile) and file.filename else b""
    if not content:
        form.add("file", translate(lang, NO_FILE))
    try:
        check_alt(form.value("alt"))
    except InvalidInput as problem:
        form.absorb(problem, lang, FILE_FIELDS)
    if form.has_errors:
        return form, 422
    try:
        await add_photo(
            context.db,
            context.settings.media_root,
            owner,
            Upload(content, form.value("alt"), form.value("alt_en")),
            actor=user,
            now=context.now,
        )
    except LibraryError as problem:
        form.absorb(problem, lang, FILE_FIELDS)
        return form, status_of(problem)
    return None


async def remove_photo(context: PageContext, user: User, owner: Owner, photo_id: int) -> None:
    await delete_photo(context.db, context.settings.media_root, owner, photo_id, actor=user, now=context.now)


class StaffWorkshopPhotoPages(Controller):
    """A workshop's photos: the page to add and remove them, linked from the workshops overview."""

    path = "/staff/workshops/{slug:str}/photos"
    include_in_schema = False
    guards = (staff_only,)

    @get("/", name="staff-workshop-photos")
    async def page(self, context: PageContextDep, slug: FromPath[str]) -> Response[Any]:
        return await workshop_photos_page(context, slug)

    @post("/", name="staff-workshop-photo-add", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def add(
        self, context: PageContextDep, user: UserDep, slug: FromPath[str], data: MultipartBody[dict[str, Any]]
    ) -> Response[Any]:
        refused = await upload_photo(context, user, Owner(OwnerKind.WORKSHOP, slug), data)
        if refused is not None:
            form, status = refused
            return await workshop_photos_page(context, slug, form=form, status=status)
        return see_other(f"/staff/workshops/{slug}/photos", done="photo_added")

    @post("/{photo_id:int}/delete", name="staff-workshop-photo-delete")
    async def delete(
        self, context: PageContextDep, user: UserDep, slug: FromPath[str], photo_id: FromPath[int]
    ) -> Response[Any]:
        await remove_photo(context, user, Owner(OwnerKind.WORKSHOP, slug), photo_id)
        return see_other(f"/staff/workshops/{slug}/photos", done="photo_removed")


async def workshop_photos_page(
    context: PageContext, slug: str, *, form: Form | None = None, status: int = 200
) -> Response[Any]:
    async with context.db.read() as session:
        workshop = await session.scalar(select(Workshop).where(Workshop.slug == slug))
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=slug)
        photos = (await workshop_photos(session, [workshop.id]))[workshop.id]
    return context.render(
        "staff/workshop_photos.html",
        status=status,
        workshop=workshop,
        photos=photos,
        photo_form=form or Form(),
        notice=context.notice(PHOTO_NOTICES),
    )
