"""complaint stages record how the learner took part in an extension, and when it was made

Revision ID: 0005_learner_way
Revises: 0004_invoicing
Create Date: 2026-12-03 12:20:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0005_learner_way'
down_revision = '0004_invoicing'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint_stage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_consent', sa.Enum('agreed', 'told', name='extension_consent',
                                                                   native_enum=False, create_constraint=True,
                                                                   length=32), nullable=True))
        batch_op.add_column(sa.Column('extended_at', portal.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('complaint_stage', schema=None) as batch_op:
        batch_op.drop_constraint('extension_consent', type_='check')  # SQLite's table copy would keep it
        batch_op.drop_column('extended_at')
        batch_op.drop_column('extension_consent')
