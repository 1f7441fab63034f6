"""Reading what a person holds, for their profile in the API and on the account page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import UserCertification


async def held_certifications(session: AsyncSession, user_id: int) -> list[UserCertification]:
    """Certifications granted and not revoked (expired ones too), oldest first, each with its name."""
    return list(
        await session.scalars(
            select(UserCertification)
            .where(UserCertification.user_id == user_id, UserCertification.revoked_at.is_(None))
            .options(selectinload(UserCertification.certification))
            .order_by(UserCertification.granted_at)
        )
    )
