"""Small helpers that put test rows into a database through the models.

Each helper opens its own write transaction, so the rows are committed and visible to the
application under test (the `client` fixture) right away. `get_token` and `assert_problem`
work through the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from library.accounts.models import Certification, Language, Role, User, UserCertification
from library.accounts.passwords import hash_password
from library.catalog.models import (
    ExceptionPeriod,
    Factor,
    Location,
    OpeningException,
    OpeningPeriod,
    Policy,
    Resource,
    ResourceKind,
    Unit,
    UnitStatus,
)
from library.db import Database

DEFAULT_PASSWORD = "Ulmer-Spatz-2026"


@dataclass(frozen=True)
class Hours:
    """A weekly opening period: ISO weekday (1 = Monday) and local wall-clock times."""

    weekday: int
    start: time
    end: time
    staffed: bool = True


def hours(weekday: int, start: str, end: str, *, staffed: bool = True) -> Hours:
    return Hours(weekday, time.fromisoformat(start), time.fromisoformat(end), staffed)


# Monday to Friday 10-19 with staff; Saturday 10-14 with staff and 14-19 self-service; Sunday closed.
STANDARD_WEEK: tuple[Hours, ...] = (
    *(hours(day, "10:00", "19:00") for day in range(1, 6)),
    hours(6, "10:00", "14:00"),
    hours(6, "14:00", "19:00", staffed=False),
)


async def create_location(
    db: Database,
    *,
    slug: str = "zentralbibliothek",
    name: str = "Zentralbibliothek",
    name_en: str | None = "Central Library",
    address: str = "Vestgasse 1, 89073 Ulm",
    timezone: str = "Europe/Berlin",
    position: int = 0,
    weekly: Sequence[Hours] = STANDARD_WEEK,
    policy: Mapping[str, int | None] | None = None,
) -> Location:
    """A location with weekly opening periods and, if given, its default policy."""
    async with db.write() as session:
        location = Location(
            slug=slug, name=name, name_en=name_en, address=address, timezone=timezone, position=position
        )
        location.opening_periods = [
            OpeningPeriod(weekday=h.weekday, start_time=h.start, end_time=h.end, staffed=h.staffed)
            for h in weekly
        ]
        if policy is not None:
            location.policy = Policy(**policy)
        session.add(location)
    return location


async def add_exception(
    db: Database,
    location: Location,
    date_from: date,
    date_to: date | None = None,
    *,
    closed: bool = True,
    reason: str = "",
    reason_en: str | None = None,
    periods: Sequence[tuple[str, str, bool]] = (),
) -> OpeningException:
    """A closure (no periods) or special hours (`closed=False` with periods) on some dates."""
    async with db.write() as session:
        exception = OpeningException(
            location_id=location.id,
            date_from=date_from,
            date_to=date_to or date_from,
            closed=closed,
            reason=reason,
            reason_en=reason_en,
            periods=[
                ExceptionPeriod(
                    start_time=time.fromisoformat(start), end_time=time.fromisoformat(end), staffed=staffed
                )
                for start, end, staffed in periods
            ],
        )
        session.add(exception)
    return exception


async def create_certification(
    db: Database,
    key: str,
    *,
    name: str | None = None,
    name_en: str | None = None,
    valid_months: int | None = None,
) -> Certification:
    async with db.write() as session:
        certification = Certification(
            key=key, name=name or key, name_en=name_en, description="", valid_months=valid_months
        )
        session.add(certification)
    return certification


async def create_resource(
    db: Database,
    location: Location,
    slug: str,
    *,
    name: str | None = None,
    name_en: str | None = None,
    kind: ResourceKind = ResourceKind.ROOM,
    factor: Factor = Factor.SPACE,
    description: str = "",
    description_en: str | None = None,
    capacity: int = 1,
    features: Sequence[Any] = (),
    units: int | Sequence[str] = 1,
    retired_units: int = 0,
    requires_approval: bool = False,
    certification: Certification | None = None,
    min_age: int | None = None,
    needs_staff: bool = False,
    active: bool = True,
    policy: Mapping[str, int | None] | None = None,
    loan_parts: Sequence[str] | None = None,
    loan_parts_en: Sequence[str] | None = None,
) -> Resource:
    """A resource with available units (a count or their labels), retired ones and a policy."""
    labels = [f"{slug}-{n}" for n in range(1, units + 1)] if isinstance(units, int) else list(units)
    async with db.write() as session:
        resource = Resource(
            slug=slug,
            location_id=location.id,
            kind=kind,
            factor=factor,
            name=name or slug,
            name_en=name_en,
            description=description,
            description_en=description_en,
            capacity=capacity,
            features=list(features),
            requires_approval=requires_approval,
            required_certification_id=certification.id if certification else None,
            min_age=min_age,
            needs_staff=needs_staff,
            active=active,
            loan_parts=list(loan_parts) if loan_parts is not None else None,
            loan_parts_en=list(loan_parts_en) if loan_parts_en is not None else None,
        )
        resource.units = [Unit(label=label) for label in labels] + [
            Unit(label=f"{slug}-retired-{n}", status=UnitStatus.RETIRED) for n in range(1, retired_units + 1)
        ]
        if policy is not None:
            resource.policy = Policy(**policy)
        session.add(resource)
    return resource


async def create_user(
    db: Database,
    email: str = "anna@example.org",
    *,
    password: str = DEFAULT_PASSWORD,
    name: str = "Anna Muster",
    role: Role = Role.VISITOR,
    birth_date: date | None = None,
    language: Language = Language.DE,
) -> User:
    async with db.write() as session:
        user = User(
            email=email.lower(),
            name=name,
            password_hash=hash_password(password),
            role=role,
            birth_date=birth_date,
            language=language,
        )
        session.add(user)
    return user


async def grant_certification(
    db: Database,
    user: User,
    certification: Certification,
    *,
    granted_at: datetime,
    expires_at: datetime | None = None,
    revoked_at: datetime | None = None,
) -> UserCertification:
    async with db.write() as session:
        held = UserCertification(
            user_id=user.id,
            certification_id=certification.id,
            granted_at=granted_at,
            expires_at=expires_at,
            revoked_at=revoked_at,
        )
        session.add(held)
    return held


async def get_token(
    client: AsyncTestClient[Litestar], email: str = "anna@example.org", password: str = DEFAULT_PASSWORD
) -> str:
    """A bearer token, got the way a client gets one: POST /api/v1/auth/tokens."""
    response = await client.post("/api/v1/auth/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    """Check an RFC 9457 problem answer (API.md, Conventions) and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body
