"""learners: when a learner's personal data was erased at their request (UK GDPR Article 17)

Revision ID: 0010_gdpr
Revises: 0010_dashboards
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0010_gdpr'
down_revision = '0010_dashboards'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', portal.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
