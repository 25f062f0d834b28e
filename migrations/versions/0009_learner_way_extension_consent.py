"""complaint stages record how the learner took part in an extension, and when it was made

Revision ID: 0009_learner_way
Revises: 0008_rules_review_eqa
Create Date: 2026-12-03 12:20:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0009_learner_way'
down_revision = '0008_rules_review_eqa'
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
        # The enum column's own CHECK goes first: SQLite's batch copy would otherwise keep it without its column.
        batch_op.drop_constraint(op.f('ck_complaint_stage_extension_consent'), type_='check')
        batch_op.drop_column('extended_at')
        batch_op.drop_column('extension_consent')
