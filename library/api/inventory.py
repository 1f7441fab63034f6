"""Staff endpoints for the inventory (API.md, Inventory and house rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from library.accounts.viewer import UserDep
from library.api.bookings import BookingOut, Instant, booking_out
from library.catalog.inventory import block_unit, lift_block
from library.config import Settings
from library.deps import ClockDep, DatabaseDep


class BlockIn(msgspec.Struct, forbid_unknown_fields=True):
    start: Instant
    end: Instant
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class BlockOut(msgspec.Struct):
    id: int
    unit: int
    start: datetime
    end: datetime
    reason: str
    affected_bookings: list[BookingOut]


class InventoryController(Controller):
    path = "/api/v1"
    tags = ("inventory",)

    @post("/units/{unit_id:int}/blocks", summary="Staff: block a unit for a period (e.g. maintenance)")
    async def block(
        self,
        unit_id: FromPath[int],
        data: JSONBody[BlockIn],
        staff: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        state: State,
    ) -> BlockOut:
        settings: Settings = state.settings
        block, affected = await block_unit(
            db, unit_id, start=data.start, end=data.end, reason=data.reason, actor=staff, now=clock.now()
        )
        zone = settings.zone
        return BlockOut(
            id=block.id,
            unit=block.unit_id,
            start=block.start_at.astimezone(zone),
            end=block.end_at.astimezone(zone),
            reason=block.reason,
            affected_bookings=[booking_out(b, zone) for b in affected],
        )

    @delete("/blocks/{block_id:int}", summary="Staff: lift a block", status_code=204)
    async def unblock(
        self, block_id: FromPath[int], staff: UserDep, db: DatabaseDep, clock: ClockDep
    ) -> None:
        await lift_block(db, block_id, actor=staff, now=clock.now())
