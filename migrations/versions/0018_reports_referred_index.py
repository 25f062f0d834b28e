"""the complaint reports find the reports routed elsewhere through a partial index

Revision ID: 0012_reports
Revises: 0011_tracker
Create Date: 2026-12-04 17:30:00

`ix_complaint_referred_received`: complaint.received_at of the rows that are not learner-route complaints (few),
so the report's "routed elsewhere" branch no longer reads every complaint of the period.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_reports'
down_revision = '0011_tracker'
branch_labels = None
depends_on = None

REFERRED = "kind <> 'complaint'"


def upgrade():
    op.create_index('ix_complaint_referred_received', 'complaint', ['received_at'],
                    sqlite_where=sa.text(REFERRED), postgresql_where=sa.text(REFERRED))


def downgrade():
    op.drop_index('ix_complaint_referred_received', table_name='complaint')
