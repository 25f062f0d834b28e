"""the tracker: indexes in the order of its "due" sort and of a status filter (keyset pages read from an index)

Revision ID: 0011_tracker
Revises: 0010_rls
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_tracker'
down_revision = '0010_rls'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        # Replaces (centre_id, is_current, due_at): with the sort's later keys in the index, a page among the
        # submissions with no date due (most of a centre's history) is read from the index, not sorted.
        batch_op.drop_index('ix_submission_tracker_due')
        batch_op.create_index('ix_submission_tracker_due_order', ['centre_id', 'is_current', 'due_at',
                                                                  sa.text('uploaded_at DESC'), sa.text('id DESC')])
        # One status (the overview's figures link to the tracker filtered so): newest first, counted from the index.
        batch_op.create_index('ix_submission_tracker_status', ['centre_id', 'is_current', 'status', 'uploaded_at',
                                                               'id'])


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_tracker_status')
        batch_op.drop_index('ix_submission_tracker_due_order')
        batch_op.create_index('ix_submission_tracker_due', ['centre_id', 'is_current', 'due_at'])
