"""certifications.yaml: the certifications a resource may require and a workshop may grant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import Certification
from library.seeding.files import CERTIFICATIONS_FILE, Fields, duplicates, entry_name, read_yaml, top_level
from library.seeding.report import SeedReport, upsert


@dataclass(frozen=True)
class CertificationSpec:
    key: str
    name: str
    name_en: str | None
    description: str
    description_en: str | None
    valid_months: int | None


def read_certifications(seed_dir: Path, problems: list[str]) -> tuple[CertificationSpec, ...]:
    top = top_level(
        read_yaml(seed_dir / CERTIFICATIONS_FILE), CERTIFICATIONS_FILE, {"certifications"}, problems
    )
    specs: list[CertificationSpec] = []
    for index, raw in enumerate(top.items("certifications")):
        where = f"{CERTIFICATIONS_FILE}, {entry_name('certification', raw, 'key', index)}"
        fields = Fields(
            raw, where, problems, {"key", "name", "name_en", "description", "description_en", "valid_months"}
        )
        specs.append(
            CertificationSpec(
                key=fields.slug("key"),
                name=fields.text("name", required=True, max_length=200),
                name_en=fields.optional_text("name_en", max_length=200),
                description=fields.text("description", multiline=True),
                description_en=fields.optional_text("description_en", multiline=True),
                valid_months=fields.integer("valid_months", minimum=1),
            )
        )
    for key in duplicates(spec.key for spec in specs):
        problems.append(f"{CERTIFICATIONS_FILE}: duplicate certification key '{key}'")
    return tuple(specs)


async def upsert_certifications(
    session: AsyncSession, specs: Sequence[CertificationSpec], report: SeedReport
) -> dict[str, Certification]:
    rows = await session.scalars(select(Certification).where(Certification.key.in_([s.key for s in specs])))
    existing = {row.key: row for row in rows}
    result: dict[str, Certification] = {}
    for spec in specs:
        values = {
            "name": spec.name,
            "name_en": spec.name_en,
            "description": spec.description,
            "description_en": spec.description_en,
            "valid_months": spec.valid_months,
        }
        new = (Certification, {"key": spec.key})
        result[spec.key] = upsert(session, report, "certifications", existing.get(spec.key), new, values)
    return result
