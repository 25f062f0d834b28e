"""no-loss: job runs can be "abandoned"; every outbox message has its Message-ID from the start

Revision ID: 0005_no_loss
Revises: 0004_invoicing
Create Date: 2026-12-03 12:30:00

A run whose process was killed never records its end: the portal marks it "abandoned" once it is older than
its timeout (portal/invoicing/runs.py), so the job_run status CHECK constraint gains that value. Outbox rows
written before Message-IDs were given on writing get one now, so a retry of them is the same message too.
"""
from email.utils import make_msgid

import sqlalchemy as sa
from alembic import op

revision = '0005_no_loss'
down_revision = '0004_invoicing'
branch_labels = None
depends_on = None

OLD = ('running', 'succeeded', 'failed')
NEW = (*OLD, 'abandoned')
CHECK = 'ck_job_run_job_run_status'


def _status_check(values) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table('job_run') as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.create_check_constraint(op.f(CHECK), sa.text(f"status IN ({listed})"))


def upgrade():
    _status_check(NEW)
    outbox = sa.table('outbound_email', sa.column('id', sa.Integer), sa.column('message_id', sa.String))
    connection = op.get_bind()
    for (email_id,) in connection.execute(sa.select(outbox.c.id).where(outbox.c.message_id == '')).all():
        connection.execute(outbox.update().where(outbox.c.id == email_id)
                           .values(message_id=make_msgid(domain='centre-portal.invalid')))


def downgrade():
    op.execute("UPDATE job_run SET status = 'failed' WHERE status = 'abandoned'")
    _status_check(OLD)
