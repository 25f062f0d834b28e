"""overviews remember each person's last visit; invoices record their payment

Revision ID: 0010_dashboards
Revises: 0010_perfbench
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0010_dashboards'
down_revision = '0010_perfbench'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'overview_visit',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('overview', sa.String(length=20), nullable=False),
        sa.Column('last_seen_at', portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('since', portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_overview_visit_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'overview', name=op.f('pk_overview_visit')),
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('paid_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoice_paid_on'), ['paid_on'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invoice_paid_recorded_by_id_user_account'), 'user_account',
                                    ['paid_recorded_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoice_paid_recorded_by_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invoice_paid_on'))
        batch_op.drop_column('paid_recorded_by_id')
        batch_op.drop_column('paid_on')
    op.drop_table('overview_visit')
