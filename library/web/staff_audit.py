"""Staff: the audit log as sentences (web.audit_sentences), searched by actor, action, object and
dates; the field changes stay below each sentence for whoever needs the detail. Account actions
are for admins only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template

from library.accounts import audit_search
from library.accounts.models import Role
from library.audit.models import AuditEntry
from library.catalog.hours import local_instant
from library.http.viewer import staff_only
from library.i18n import N_, Lang, format_datetime, translate
from library.web import audit_sentences, parsing
from library.web.common import Form, PageContextDep

PER_PAGE = 50


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def changes(entry: AuditEntry, lang: Lang, zone: ZoneInfo) -> list[Change]:
    """Every field the entry's before or after names, in the order they were written."""
    before, after = entry.before or {}, entry.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [
        Change(name, readable(before.get(name), lang, zone), readable(after.get(name), lang, zone))
        for name in fields
        if name not in before or name not in after or before[name] != after[name]
    ]


def readable(value: Any, lang: Lang, zone: ZoneInfo) -> str:
    """A stored JSON value as a person reads it: instants in local time, nothing as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return translate(lang, N_("yes") if value else N_("no"))
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None or "T" not in value:
            return value
        return format_datetime(moment, lang, zone)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class StaffAuditPages(Controller):
    path = "/staff/audit"
    include_in_schema = False
    guards = (staff_only,)

    @get("/", name="staff-audit")
    async def audit(
        self,
        context: PageContextDep,
        actor: FromQuery[str] = "",
        action: FromQuery[str] = "",
        object_type: FromQuery[str] = "",
        object_id: FromQuery[str] = "",
        date_from: FromQuery[str] = "",
        date_to: FromQuery[str] = "",
        page: FromQuery[str] = "1",
    ) -> Template:
        lang = context.lang
        zone: ZoneInfo = context.settings.zone
        form = Form(
            values={
                "actor": actor.strip(),
                "action": action.strip(),
                "object_type": object_type.strip(),
                "object_id": object_id.strip(),
                "date_from": date_from.strip(),
                "date_to": date_to.strip(),
                "page": page,
            }
        )
        first = parsing.day(form, "date_from", lang)
        last = parsing.day(form, "date_to", lang)
        number = parsing.whole_number(form, "page", lang, low=1, high=100_000) or 1
        if first and last and last < first:
            form.add("date_to", translate(lang, N_("The last day must not be before the first.")))
        rows: list[Any] = []
        admin = context.viewer.user is not None and context.viewer.user.role is Role.ADMIN
        names: dict[tuple[str, str], tuple[str, str]] = {}
        async with context.db.read() as session:
            types = await audit_search.object_types(session)
            if not form.has_errors:
                wanted = audit_search.AuditFilter(
                    actor=form.value("actor"),
                    action=form.value("action"),
                    object_type=form.value("object_type"),
                    object_id=form.value("object_id"),
                    since=local_instant(first, time(0), zone) if first else None,
                    before=local_instant(last + timedelta(days=1), time(0), zone) if last else None,
                    hidden_prefix="" if admin else audit_sentences.ACCOUNT_PREFIX,
                )
                rows = await audit_search.search(
                    session, wanted, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
                )
                names = await audit_sentences.describe(session, (entry for entry, _ in rows), lang, zone)
        shown = rows[:PER_PAGE]
        query = {name: form.value(name) for name in form.values if name != "page" and form.value(name)}
        return context.render(
            "staff/audit.html",
            status=422 if form.has_errors else 200,
            form=form,
            entries=[
                (
                    entry,
                    person,
                    audit_sentences.sentence(
                        entry.action, audit_sentences.facts_of(entry, person, names, lang, zone), lang
                    ),
                    changes(entry, lang, zone),
                )
                for entry, person in shown
            ],
            object_types=[(name, name) for name in types],
            page=number,
            has_more=len(rows) > PER_PAGE,
            query=query,
            zone=zone,
        )
