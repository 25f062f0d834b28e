"""invoicing reads a centre's week by its billing dates: (centre, clock_started_at), (centre, excess accepted)

Revision ID: 0010_perfbench
Revises: 0010_perfpages
Create Date: 2026-12-03 16:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_perfbench'
down_revision = '0010_perfpages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_submission_centre_clock_started', 'submission', ['centre_id', 'clock_started_at'])
    op.create_index('ix_submission_centre_excess_accepted', 'submission', ['centre_id', 'excess_fee_accepted_at'])


def downgrade():
    op.drop_index('ix_submission_centre_excess_accepted', table_name='submission')
    op.drop_index('ix_submission_centre_clock_started', table_name='submission')
