"""invoicing finds unbilled items without reading the billed history: billing marks on submission, partial indexes

Revision ID: 0011_sqlperf
Revises: 0010_rls
Create Date: 2026-12-04 16:00:00

`submission.resubmission_billed`: its (learner, unit, number) is on an invoice as a resubmission (whichever copy
the line names); `submission.excess_billed`: its excess-length fee is on an invoice. Backfilled from the invoice
lines; the partial indexes hold only the rows not marked.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_sqlperf'
down_revision = '0010_rls'
branch_labels = None
depends_on = None

RESUBMISSION = "number > 1 AND clock_started_at IS NOT NULL AND NOT resubmission_billed"
EXCESS = "excess_fees > 0 AND excess_fee_accepted_at IS NOT NULL AND NOT excess_billed"


def upgrade():
    with op.batch_alter_table('submission') as batch:
        batch.add_column(sa.Column('resubmission_billed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('excess_billed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("""
        UPDATE submission SET resubmission_billed = true WHERE EXISTS (
            SELECT 1 FROM invoice_line JOIN submission AS billed ON billed.id = invoice_line.submission_id
            WHERE invoice_line.kind = 'resubmission' AND billed.learner_id = submission.learner_id
              AND billed.unit_id = submission.unit_id AND billed.number = submission.number)""")
    op.execute("""
        UPDATE submission SET excess_billed = true WHERE EXISTS (
            SELECT 1 FROM invoice_line
            WHERE invoice_line.kind = 'excess_length' AND invoice_line.submission_id = submission.id)""")
    op.create_index('ix_submission_unbilled_resubmission', 'submission', ['centre_id', 'clock_started_at'],
                    sqlite_where=sa.text(RESUBMISSION), postgresql_where=sa.text(RESUBMISSION))
    op.create_index('ix_submission_unbilled_excess', 'submission', ['centre_id', 'excess_fee_accepted_at'],
                    sqlite_where=sa.text(EXCESS), postgresql_where=sa.text(EXCESS))
    if op.get_bind().dialect.name == 'postgresql':
        # The marks depend on the number and the fee (only a resubmission, only an excess fee, is ever marked): the
        # planner, assuming them independent, would expect a hundred times the unbilled rows these indexes hold and
        # read a whole table to join their learners rather than look up the few.
        op.execute('CREATE STATISTICS st_submission_billing (mcv) '
                   'ON number, resubmission_billed, excess_fees, excess_billed FROM submission')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP STATISTICS IF EXISTS st_submission_billing')
    op.drop_index('ix_submission_unbilled_excess', table_name='submission')
    op.drop_index('ix_submission_unbilled_resubmission', table_name='submission')
    with op.batch_alter_table('submission') as batch:
        batch.drop_column('excess_billed')
        batch.drop_column('resubmission_billed')
