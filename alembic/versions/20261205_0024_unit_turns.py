"""PostgreSQL: the writers of one unit's active bookings on one day take turns, so that the
overlap check cannot deadlock.

Two transactions inserting overlapping bookings of one unit at the same moment each put their
row into the exclusion constraint's index, each find the other's uncommitted row there and wait
for each other. PostgreSQL breaks such a deadlock only after `deadlock_timeout` (a second); 32
requests for one slot kept breaking them for over a minute. A BEFORE trigger takes
transaction-level advisory locks before the row reaches the index, one for each (UTC) day its
occupied span touches on its unit, in the order of the days: a second writer of that unit and
day waits for the first to commit, then meets a plain overlap that a retry answers at once.
Writers of other units or days do not wait, so transactions that write several bookings (a
series) rarely wait for each other; when two take the same turns in opposite orders, PostgreSQL
ends one as a deadlock, which counts as a lost race (booking.conflicts). An update that leaves a
booking in the constraint as it was (pending -> confirmed -> checked in) takes no turn. SQLite's
writers take turns already.

Revision ID: 0024_unit_turns
Revises: 0023_drop_people_days
Create Date: 2026-12-05 21:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_unit_turns"
down_revision: str | None = "0023_drop_people_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT_TURN = 0x0B00_0001
"""The first of an advisory lock's two keys, naming the kind of lock; the second stands for the
unit and the day (a hash: two that share it merely take turns too)."""
ACTIVE = "('pending', 'confirmed', 'checked_in')"
"""The statuses inside the exclusion constraint (0001)."""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION bookings_take_unit_turn() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            day timestamp;
        BEGIN
            IF NEW.status NOT IN {ACTIVE} THEN
                RETURN NEW;  -- outside the exclusion constraint
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status IN {ACTIVE}
                AND NEW.unit_id = OLD.unit_id
                AND NEW.occupied_start = OLD.occupied_start
                AND NEW.occupied_end = OLD.occupied_end THEN
                RETURN NEW;  -- it stays in the constraint as it was
            END IF;
            FOR day IN
                SELECT generate_series(
                    date_trunc('day', NEW.occupied_start AT TIME ZONE 'UTC'),
                    (NEW.occupied_end - interval '1 microsecond') AT TIME ZONE 'UTC',
                    interval '1 day'
                )
            LOOP
                PERFORM pg_advisory_xact_lock({UNIT_TURN}, hashtext(NEW.unit_id || ' ' || day::date));
            END LOOP;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER bookings_take_unit_turn
        BEFORE INSERT OR UPDATE ON bookings
        FOR EACH ROW EXECUTE FUNCTION bookings_take_unit_turn()
        """
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER bookings_take_unit_turn ON bookings")
    op.execute("DROP FUNCTION bookings_take_unit_turn()")
