"""pages sorted and paged by the database: indexes matching the tracker's and the queues' sorts (issue 11 §1)

Revision ID: 0010_perfpages
Revises: 0009_learner_way
Create Date: 2026-12-03 16:50:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0010_perfpages'
down_revision = '0009_learner_way'
branch_labels = None
depends_on = None



def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        # The date that matters now (tenants.submissions.models.due_now), kept by the model on every flush.
        batch_op.add_column(sa.Column('due_at', portal.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE submission SET due_at = CASE WHEN status = 'awaiting_qc' THEN qc_due "
               "WHEN status IN ('marking', 'marked') THEN sla_due END")
    with op.batch_alter_table('submission', schema=None) as batch_op:
        # The tracker: a centre's current submissions, newest upload first (scanned backwards) or by due date.
        batch_op.create_index('ix_submission_tracker_uploaded', ['centre_id', 'is_current', 'uploaded_at', 'id'])
        batch_op.create_index('ix_submission_tracker_due', ['centre_id', 'is_current', 'due_at'])
        # The awarding body's assessment queues: one status, most urgent clock first.
        batch_op.create_index('ix_submission_queue_qc_due', ['status', 'is_current', 'qc_due', 'uploaded_at', 'id'])
        batch_op.create_index('ix_submission_queue_sla_due',
                              ['status', 'is_current', 'sla_due', 'uploaded_at', 'id'])
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        # The position of the case's current stage (tenants.complaints.models._keep_stage_position).
        batch_op.add_column(sa.Column('stage_position', sa.Integer(), nullable=True))
    op.execute("UPDATE complaint SET stage_position = (SELECT MAX(position) FROM complaint_stage "
               "WHERE complaint_stage.complaint_id = complaint.id)")
    with op.batch_alter_table('learner', schema=None) as batch_op:
        # The tracker's "learner" sort walks a centre's learners by name.
        batch_op.create_index('ix_learner_centre_name', ['centre_id', 'last_name', 'first_name', 'id'])


def downgrade():
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('stage_position')
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_index('ix_learner_centre_name')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_queue_sla_due')
        batch_op.drop_index('ix_submission_queue_qc_due')
        batch_op.drop_index('ix_submission_tracker_due')
        batch_op.drop_index('ix_submission_tracker_uploaded')
        batch_op.drop_column('due_at')
