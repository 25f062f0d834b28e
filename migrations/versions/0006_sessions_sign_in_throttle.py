"""sessions: per-account sign-in throttle (wrong passwords in a row, paused until)

Revision ID: 0006_sessions
Revises: 0005_no_loss
Create Date: 2026-12-03 12:20:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


revision = '0006_sessions'
down_revision = '0005_no_loss'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sign_in_paused_until', portal.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('sign_in_paused_until')
        batch_op.drop_column('failed_sign_ins')
