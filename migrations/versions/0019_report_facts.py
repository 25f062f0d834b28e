"""the complaint reports' stored facts: per case, the London month received and what its stages count (issue 11 §1)

Revision ID: 0013_report_facts
Revises: 0012_reports
Create Date: 2026-12-04 19:30:00

Kept current by the flush hooks of tenants/complaints/report_facts.py (the same transaction as any change to a stage);
filled here for the cases already there, with the same rules: the London calendar month of `received_at` as
year * 12 + month - 1; the count, furthest position and its name of the centre stages; the stages (of any level, and
of the centre's) not closed by their deadline in force (open, or closed after COALESCE(extended_due, respond_due));
the positions of the stages closed, and closed by that deadline, as bits (bit p - 1 for position p).
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = '0013_report_facts'
down_revision = '0012_reports'
branch_labels = None
depends_on = None

LONDON = ZoneInfo("Europe/London")
COUNTS = ('report_centre_stages', 'report_late_stages', 'report_centre_late_stages', 'report_closed_stages',
          'report_closed_on_time')  # NOT NULL, 0 by default


def _columns() -> list:
    return [sa.Column('report_month', sa.Integer(), nullable=True),
            sa.Column('report_centre_furthest', sa.Integer(), nullable=True),
            sa.Column('report_centre_stage_name', sa.String(length=120), nullable=True),
            *[sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in COUNTS]]
LATE = "(s.closed_at IS NULL OR s.closed_at > COALESCE(s.extended_due, s.respond_due))"
ON_TIME = "s.closed_at <= COALESCE(s.extended_due, s.respond_due)"
BITS = "COALESCE(SUM(1 << (s.position - 1)), 0)"  # the positions as bits: bit p - 1 for position p


def _starts(index: int) -> datetime:
    """The UTC instant at which London month `index` (year * 12 + month - 1) starts."""
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=LONDON).astimezone(UTC)


def _backfill_months() -> None:
    instant = portal.db.UTCDateTime(timezone=True)
    complaint = sa.table('complaint', sa.column('received_at', instant), sa.column('report_month', sa.Integer()))
    bind = op.get_bind()
    first, last = bind.execute(sa.select(sa.func.min(complaint.c.received_at),
                                         sa.func.max(complaint.c.received_at))).one()
    if first is None:
        return
    month = first.astimezone(LONDON).year * 12 + first.astimezone(LONDON).month - 1
    end = last.astimezone(LONDON).year * 12 + last.astimezone(LONDON).month - 1
    for index in range(month, end + 1):  # one UPDATE per month of the span
        bind.execute(sa.update(complaint).where(complaint.c.received_at >= sa.bindparam('starts', type_=instant),
                                                complaint.c.received_at < sa.bindparam('ends', type_=instant))
                     .values(report_month=index), {'starts': _starts(index), 'ends': _starts(index + 1)})


def upgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        for column in _columns():
            batch_op.add_column(column)
    _backfill_months()
    stages = "FROM complaint_stage s WHERE s.complaint_id = complaint.id"
    centre = f"{stages} AND s.level = 'centre'"
    op.execute(f"UPDATE complaint SET report_centre_stages = (SELECT COUNT(*) {centre}), "
               f"report_centre_furthest = (SELECT MAX(s.position) {centre}), "
               f"report_centre_stage_name = (SELECT s.name {centre} ORDER BY s.position DESC LIMIT 1), "
               f"report_late_stages = (SELECT COUNT(*) {stages} AND {LATE}), "
               f"report_centre_late_stages = (SELECT COUNT(*) {centre} AND {LATE}), "
               f"report_closed_stages = (SELECT {BITS} {stages} AND s.closed_at IS NOT NULL), "
               f"report_closed_on_time = (SELECT {BITS} {stages} AND {ON_TIME})")


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        for column in reversed(_columns()):
            batch_op.drop_column(column.name)
