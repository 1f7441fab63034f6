"""Staff inventory: resources with their house rules, units, maintenance blocks and retiring units.

Input is checked by the API's own rules (library.catalog.resource_input) and saved by the same
functions as POST/PATCH /api/v1/resources (library.catalog.inventory, library.booking.units).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library.accounts.models import Certification, User
from library.booking import units
from library.catalog import inventory, queries
from library.catalog.models import Factor, Location, Resource, ResourceKind, Unit, UnitBlock, UnitStatus
from library.catalog.policy import POLICY_FIELDS, effective_policy, overrides_of
from library.catalog.resource_input import Expected, ResourceIn, ResourcePatchIn, UnitIn, check_fields, given
from library.db import Database
from library.errors import LibraryError, NotFound, message
from library.http.deps import ClockDep, DatabaseDep
from library.http.problems import status_of
from library.http.viewer import staff_only
from library.i18n import N_, Lang, pick, translate
from library.pictures.images import UPLOAD_BODY_LIMIT
from library.pictures.queries import resource_photos
from library.pictures.service import Owner, OwnerKind
from library.web import parsing
from library.web.catalogue import factor_name, kind_name
from library.web.common import (
    Form,
    PageContext,
    PageContextDep,
    confirm_page,
    confirmed,
    form_values,
    see_other,
)
from library.web.staff_photos import PHOTO_NOTICES, remove_photo, upload_photo

PAGE_SIZE = 50
NOTICES = {
    **PHOTO_NOTICES,
    "created": N_("The resource was added."),
    "saved": N_("The changes were saved."),
    "unit_added": N_("The unit was added."),
    "blocked": N_("The unit is blocked for that period. Bookings in it are listed below the block."),
    "unblocked": N_("The block was lifted."),
    "retired": N_("The unit was retired."),
    "blocked_move": N_(
        "The unit is blocked. Bookings that could move went to another free unit of the same offer, "
        "and their people get an e-mail; any others are listed below."
    ),
    "blocked_cancel": N_(
        "The unit is blocked. Bookings that could move went to another free unit of the same offer; "
        "the others were cancelled with an e-mail that names what is free at that time."
    ),
}
EXPECTED = {
    "required": N_("Please fill in this field."),
    "number": N_("Please enter a whole number from %(low)s to %(high)s."),
    "text": N_("At most %(count)s characters, please."),
    "one_line": N_("One line of at most %(count)s characters, without control characters, please."),
    "lines": N_("At most %(count)s characters, please, without control characters but line breaks."),
    "slug": N_("Only lower-case letters, digits and single hyphens, e.g. lesesaal-2."),
    "choice": N_("Please use one of: %(choices)s."),
    "yes_no": N_("Please write yes or no."),
    "list": N_("At most %(count)s entries of up to 200 characters each."),
    "parts": N_(
        "At most %(count)s parts of up to %(length)s characters each, one per line, without control "
        "characters and without |."
    ),
}
TEXT_FIELDS = ("name", "name_en", "slug", "kind", "factor", "location", "description", "description_en")
CLEARABLE = ("name_en", "description_en", "required_certification", "min_age")
"""Fields a change may empty: the English texts, the certification needed, the age limit."""
FLAGS = ("requires_approval", "needs_staff")


def expected_text(lang: Lang, wrong: Expected) -> str:
    """The sentence for a field the input rules refused."""
    params = {key: "–" if value is None else value for key, value in wrong.params.items()}
    return translate(lang, EXPECTED[wrong.kind], **params)


def resource_input(form: Form, *, new: bool) -> dict[str, Any]:
    """The form as the API's request body would say it: left empty means not given (new) or
    none (a change); features one per line; policy fields empty mean the location's default."""
    raw: dict[str, Any] = {name: form.value(name).strip() for name in TEXT_FIELDS}
    for name in ("capacity", "min_age", "required_certification", "units"):
        raw[name] = form.value(name).strip()
    raw["features"] = [line.strip() for line in form.value("features").splitlines() if line.strip()]
    raw["features_en"] = [
        line.strip() for line in form.value("features_en").splitlines() if line.strip()
    ] or None
    for name in ("loan_parts", "loan_parts_en"):
        raw[name] = [line.strip() for line in form.value(name).splitlines() if line.strip()] or None
    for name in FLAGS:
        raw[name] = form.value(name) == "on"
    raw["policy"] = {name: form.value(f"policy.{name}").strip() or None for name in POLICY_FIELDS}
    if new:
        raw["policy"] = {name: value for name, value in raw["policy"].items() if value is not None} or None
        return {name: value for name, value in raw.items() if value not in ("", None)}
    raw.pop("units")
    for name in ("slug", "capacity"):
        if not raw[name]:
            raw.pop(name)
    for name in CLEARABLE:
        raw[name] = raw[name] or None
    return raw


def checked(form: Form, lang: Lang, raw: Mapping[str, Any], struct: type[msgspec.Struct]) -> bool:
    for wrong in check_fields(raw, struct):
        form.add(wrong.field, expected_text(lang, wrong))
    return not form.has_errors


def resource_form(resource: Resource) -> Form:
    """A resource as its edit form shows it."""
    own = overrides_of(resource.policy)
    certification = resource.required_certification
    return Form(
        values={
            "name": resource.name,
            "name_en": resource.name_en or "",
            "slug": resource.slug,
            "kind": resource.kind.value,
            "factor": resource.factor.value,
            "location": resource.location.slug,
            "description": resource.description,
            "description_en": resource.description_en or "",
            "capacity": str(resource.capacity),
            "features": "\n".join(str(feature) for feature in resource.features or []),
            "features_en": "\n".join(str(feature) for feature in resource.features_en or []),
            "loan_parts": "\n".join(str(part) for part in resource.loan_parts or []),
            "loan_parts_en": "\n".join(str(part) for part in resource.loan_parts_en or []),
            "requires_approval": "on" if resource.requires_approval else "",
            "required_certification": certification.key if certification else "",
            "min_age": "" if resource.min_age is None else str(resource.min_age),
            "needs_staff": "on" if resource.needs_staff else "",
            **{f"policy.{name}": str(own[name]) if name in own else "" for name in POLICY_FIELDS},
        }
    )


async def choices(db: Database, lang: Lang) -> dict[str, Any]:
    """What the resource form offers to choose from."""
    async with db.read() as session:
        locations = (
            await session.scalars(
                select(Location)
                .options(selectinload(Location.policy))
                .order_by(Location.position, Location.slug)
            )
        ).all()
        certifications = (await session.scalars(select(Certification).order_by(Certification.key))).all()
    return {
        "locations": locations,
        "certifications": certifications,
        "kinds": [(kind.value, kind_name(lang, kind)) for kind in ResourceKind],
        "factors": [(factor.value, factor_name(lang, factor)) for factor in Factor],
        "policy_fields": POLICY_FIELDS,
    }


async def unit_details(db: Database, unit_id: int, now: datetime) -> dict[str, Any]:
    """A unit with its resource, its blocks that have not ended (each with the bookings it
    touches) and its upcoming bookings."""
    async with db.read() as session:
        unit = await session.scalar(
            select(Unit)
            .where(Unit.id == unit_id)
            .options(selectinload(Unit.resource).selectinload(Resource.location))
        )
        if unit is None:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        blocks = (
            await session.scalars(
                select(UnitBlock)
                .where(UnitBlock.unit_id == unit_id, UnitBlock.end_at > now)
                .order_by(UnitBlock.start_at)
            )
        ).all()
        touched = [
            (block, await units.bookings_during(session, unit_id, block.start_at, block.end_at))
            for block in blocks
        ]
        upcoming = await units.upcoming_bookings(session, unit_id, now)
    return {
        "unit": unit,
        "resource": unit.resource,
        "zone": ZoneInfo(unit.resource.location.timezone),
        "blocks": touched,
        "upcoming": upcoming,
    }


async def unit_zone(db: Database, unit_id: int) -> ZoneInfo:
    """The time zone of the unit's location, in which staff type times."""
    async with db.read() as session:
        timezone = await session.scalar(
            select(Location.timezone)
            .join(Resource, Resource.location_id == Location.id)
            .join(Unit, Unit.resource_id == Resource.id)
            .where(Unit.id == unit_id)
        )
    if timezone is None:
        raise NotFound(N_("The unit %(id)s"), id=unit_id)
    return ZoneInfo(timezone)


def unit_form(unit: Unit) -> Form:
    return Form(
        values={
            "label": unit.label,
            "label_en": unit.label_en or "",
            "inventory_number": unit.inventory_number or "",
            "serial_number": unit.serial_number or "",
            "condition": unit.condition.value,
        }
    )


def unit_input(form: Form) -> dict[str, Any]:
    """label, inventory number, serial number and condition; the English label and the numbers
    empty mean none."""
    return {
        "label": form.value("label").strip(),
        "label_en": form.value("label_en").strip() or None,
        "inventory_number": form.value("inventory_number").strip() or None,
        "serial_number": form.value("serial_number").strip() or None,
        "condition": form.value("condition").strip() or "good",
    }


def page_links(path: str, kept: Mapping[str, str], number: int, more: bool) -> tuple[str | None, str | None]:
    def link(n: int) -> str:
        return f"{path}?" + urlencode({**kept, "page": str(n)})

    return (link(number - 1) if number > 1 else None, link(number + 1) if more else None)


RESOLUTIONS: dict[str, units.Resolve] = {"keep": "keep", "move": "move", "cancel": "cancel"}
"""What a new block does with the bookings it touches, as the form names it (API.md, `resolve`)."""


class StaffInventoryPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    # Resources

    @get("/staff/resources", name="staff-resources")
    async def resources(self, context: PageContextDep, page: FromQuery[str] = "1") -> Response[Any]:
        lang = context.lang
        form = Form(
            values={
                name: context.request.query_params.get(name, "")
                for name in ("q", "location", "kind", "factor")
            }
        )
        kind = form.value("kind") if form.value("kind") in [k.value for k in ResourceKind] else None
        factor = form.value("factor") if form.value("factor") in [f.value for f in Factor] else None
        for name, value in (("kind", kind), ("factor", factor)):
            if form.value(name) and value is None:
                form.add(name, translate(lang, N_("Please choose from the list.")))
        number = int(page) if page.isdigit() and int(page) >= 1 else 1
        offered = await choices(context.db, context.lang)
        location = form.value("location") or None
        if location and location not in [loc.slug for loc in offered["locations"]]:
            form.add("location", translate(lang, N_("Please choose from the list.")))
            location = None
        async with context.db.read() as session:
            rows, more = await queries.list_resources(
                session,
                queries.ResourceFilter(
                    Factor(factor) if factor else None,
                    ResourceKind(kind) if kind else None,
                    location,
                    parsing.text(form, "q", lang, max_length=200) or None,
                ),
                limit=PAGE_SIZE,
                offset=(number - 1) * PAGE_SIZE,
            )
        previous_page, next_page = page_links(
            "/staff/resources", {k: v for k, v in form.values.items() if v}, number, more
        )
        return context.render(
            "staff/resources.html",
            status=422 if form.has_errors else 200,
            form=form,
            rows=rows,
            page=number,
            previous_page=previous_page,
            next_page=next_page,
            notice=context.notice(NOTICES),
            **offered,
        )

    @get("/staff/resources/new", name="staff-resource-new")
    async def new_resource(self, context: PageContextDep) -> Response[Any]:
        offered = await choices(context.db, context.lang)
        first = offered["locations"][0].slug if offered["locations"] else ""
        form = Form(values={"location": first, "capacity": "1", "units": "1"})
        return context.render("staff/resource_form.html", form=form, resource=None, **offered)

    @post("/staff/resources/new", name="staff-resource-create")
    async def create_resource(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang = context.lang
        form = Form(values=form_values(data))
        raw = resource_input(form, new=True)
        if checked(form, lang, raw, ResourceIn):
            values = given(msgspec.convert(raw, ResourceIn, strict=False))
            count = values.pop("units")
            try:
                resource = await inventory.create_resource(
                    context.db, values, units=count, actor=user, now=context.now
                )
            except LibraryError as problem:
                form.absorb(problem, lang)
                return context.render(
                    "staff/resource_form.html",
                    status=status_of(problem),
                    form=form,
                    resource=None,
                    **await choices(context.db, context.lang),
                )
            return see_other(f"/staff/resources/{resource.slug}", done="created")
        return context.render(
            "staff/resource_form.html",
            status=422,
            form=form,
            resource=None,
            **await choices(context.db, context.lang),
        )

    @get("/staff/resources/{slug:str}", name="staff-resource")
    async def resource(self, context: PageContextDep, slug: FromPath[str]) -> Response[Any]:
        return await self._resource_page(context, slug)

    async def _resource_page(
        self,
        context: PageContext,
        slug: str,
        *,
        form: Form | None = None,
        unit: Form | None = None,
        photo: Form | None = None,
        status: int = 200,
    ) -> Response[Any]:
        async with context.db.read() as session:
            resource, _ = await queries.get_resource(session, slug)
            photos = (await resource_photos(session, [resource.id]))[resource.id]
        offered = await choices(context.db, context.lang)
        return context.render(
            "staff/resource_form.html",
            status=status,
            form=form or resource_form(resource),
            unit_form=unit or Form(values={"condition": "good"}),
            photo_form=photo or Form(),
            photos=photos,
            resource=resource,
            defaults=effective_policy(resource.location.policy, None).as_dict(),
            notice=context.notice(NOTICES),
            **offered,
        )

    @post("/staff/resources/{slug:str}", name="staff-resource-update")
    async def update_resource(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang = context.lang
        form = Form(values=form_values(data))
        raw = resource_input(form, new=False)
        if not form.value("capacity").strip():
            form.add("capacity", translate(lang, parsing.REQUIRED))
        if not checked(form, lang, {**raw, "slug": raw.get("slug") or None}, ResourceIn):
            return await self._resource_page(context, slug, form=form, status=422)
        try:
            resource = await inventory.update_resource(
                context.db,
                slug,
                given(msgspec.convert(raw, ResourcePatchIn, strict=False)),
                actor=user,
                now=context.now,
            )
        except LibraryError as problem:
            form.absorb(problem, lang, raising=(NotFound,))
            return await self._resource_page(context, slug, form=form, status=status_of(problem))
        return see_other(f"/staff/resources/{resource.slug}", done="saved")

    # Photos

    @post(
        "/staff/resources/{slug:str}/photos",
        name="staff-resource-photo-add",
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def add_photo(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        slug: FromPath[str],
        data: MultipartBody[dict[str, Any]],
    ) -> Response[Any]:
        refused = await upload_photo(context, user, Owner(OwnerKind.RESOURCE, slug), data)
        if refused is not None:
            form, status = refused
            return await self._resource_page(context, slug, photo=form, status=status)
        return see_other(f"/staff/resources/{slug}", done="photo_added")

    @post("/staff/resources/{slug:str}/photos/{photo_id:int}/delete", name="staff-resource-photo-delete")
    async def delete_photo(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        slug: FromPath[str],
        photo_id: FromPath[int],
    ) -> Response[Any]:
        await remove_photo(context, user, Owner(OwnerKind.RESOURCE, slug), photo_id)
        return see_other(f"/staff/resources/{slug}", done="photo_removed")

    # Units

    @post("/staff/resources/{slug:str}/units", name="staff-unit-add")
    async def add_unit(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang = context.lang
        form = Form(values=form_values(data))
        raw = unit_input(form)
        if not checked(form, lang, raw, UnitIn):
            return await self._resource_page(context, slug, unit=form, status=422)
        try:
            await inventory.add_unit(
                context.db,
                slug,
                msgspec.convert(raw, UnitIn, strict=False).spec(),
                actor=user,
                now=context.now,
            )
        except LibraryError as problem:
            form.absorb(problem, lang, raising=(NotFound,))
            return await self._resource_page(context, slug, unit=form, status=status_of(problem))
        return see_other(f"/staff/resources/{slug}", done="unit_added")

    @get("/staff/units/{unit_id:int}", name="staff-unit")
    async def unit(self, context: PageContextDep, unit_id: FromPath[int]) -> Response[Any]:
        return await self._unit_page(context, unit_id)

    async def _unit_page(
        self,
        context: PageContext,
        unit_id: int,
        *,
        form: Form | None = None,
        block: Form | None = None,
        stranded: Sequence[Any] = (),
        status: int = 200,
    ) -> Response[Any]:
        details = await unit_details(context.db, unit_id, context.now)
        return context.render(
            "staff/unit.html",
            status=status,
            form=form or unit_form(details["unit"]),
            block_form=block or Form(),
            stranded=stranded,
            notice=context.notice(NOTICES),
            **details,
        )

    @post("/staff/units/{unit_id:int}", name="staff-unit-update")
    async def update_unit(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang, now = context.lang, context.now
        form = Form(values=form_values(data))
        raw = unit_input(form)
        if not checked(form, lang, raw, UnitIn):
            return await self._unit_page(context, unit_id, form=form, status=422)
        changes = msgspec.to_builtins(msgspec.convert(raw, UnitIn, strict=False))
        try:
            await units.update_unit(context.db, unit_id, changes, actor=user, now=now)
        except LibraryError as problem:
            form.absorb(problem, lang, raising=(NotFound,))
            return await self._unit_page(context, unit_id, form=form, status=status_of(problem))
        return see_other(f"/staff/units/{unit_id}", done="saved")

    @post("/staff/units/{unit_id:int}/retire", name="staff-unit-retire")
    async def retire_unit(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        """Retire after a confirmation; with upcoming bookings, list them and ask again (`force`),
        as the API's 409."""
        now = context.now
        if not confirmed(data) and data.get("force") != "yes":
            lang = context.lang
            async with context.db.read() as session:
                unit = await session.scalar(
                    select(Unit).where(Unit.id == unit_id).options(selectinload(Unit.resource))
                )
            if unit is None:
                raise NotFound(N_("The unit %(id)s"), id=unit_id)
            return confirm_page(
                context,
                data,
                action=f"/staff/units/{unit_id}/retire",
                heading=translate(lang, N_("Retire this unit?")),
                subject=f"{pick(lang, unit.resource.name, unit.resource.name_en)}: {unit.label}",
                consequence=translate(
                    lang, N_("A retired unit can no longer be booked; its history is kept.")
                ),
                yes=translate(lang, N_("Yes, retire the unit")),
                no=translate(lang, N_("No, keep it")),
                back=f"/staff/units/{unit_id}",
            )
        try:
            await units.update_unit(
                context.db,
                unit_id,
                {"status": UnitStatus.RETIRED},
                force=data.get("force") == "yes",
                actor=user,
                now=now,
            )
        except units.UnitHasBookings as stranded:
            return await self._unit_page(context, unit_id, stranded=stranded.bookings, status=409)
        return see_other(f"/staff/units/{unit_id}", done="retired")

    # Blocks

    @post("/staff/units/{unit_id:int}/blocks", name="staff-unit-block")
    async def block_unit(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang, now = context.lang, context.now
        form = Form(values=form_values(data))
        zone = await unit_zone(context.db, unit_id)
        for name in ("start", "end"):
            if not form.value(name).strip():
                form.add(name, translate(lang, parsing.REQUIRED))
        start = parsing.local_moment(form, "start", lang, zone)
        end = parsing.local_moment(form, "end", lang, zone)
        reason = parsing.text(form, "reason", lang, required=True, max_length=300)
        if start is not None and end is not None and end <= start:
            form.add("end", message("end_before_start", lang))
        resolve = RESOLUTIONS.get(form.value("resolve") or "keep")
        if resolve is None:
            form.add("resolve", translate(lang, N_("Please choose from the list.")))
        if form.has_errors or start is None or end is None or resolve is None:
            return await self._unit_page(context, unit_id, block=form, status=422)
        await units.block_unit(
            context.db, unit_id, start=start, end=end, reason=reason, actor=user, now=now, resolve=resolve
        )
        return see_other(
            f"/staff/units/{unit_id}", done=f"blocked_{resolve}" if resolve != "keep" else "blocked"
        )

    @post("/staff/blocks/{block_id:int}/lift", name="staff-block-lift")
    async def lift_block(
        self,
        user: NamedDependency[User],
        db: DatabaseDep,
        clock: ClockDep,
        block_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        unit_id = data.get("unit", "")
        await inventory.lift_block(db, block_id, actor=user, now=clock.now())
        return see_other(
            f"/staff/units/{unit_id}" if unit_id.isdigit() else "/staff/resources", done="unblocked"
        )
