"""rules review: External Quality Assurer role and follow-ups of centres flagged for their referral rate

Revision ID: 0008_rules_review_eqa
Revises: 0007_lead_assessor
Create Date: 2026-12-03 12:30:00

The awarding-body role columns are VARCHAR with a CHECK constraint listing the roles (the Role enum): both gain
'eqa', and complaint stages 'lead_assessor' too (role grants have allowed it since 0007).
"""
from alembic import op
import sqlalchemy as sa

import portal.db  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0008_rules_review_eqa'
down_revision = '0007_lead_assessor'
branch_labels = None
depends_on = None

OLD_ROLES = ('platform_admin', 'customer_service', 'team_leader', 'director', 'quality', 'assessment', 'finance')
BEFORE = {'role_grant': OLD_ROLES + ('lead_assessor',), 'complaint_stage': OLD_ROLES}
AFTER = {'role_grant': OLD_ROLES + ('lead_assessor', 'eqa'), 'complaint_stage': OLD_ROLES + ('lead_assessor', 'eqa')}
ROLE_COLUMNS = (('role_grant', 'ck_role_grant_role'), ('complaint_stage', 'ck_complaint_stage_stage_role'))


def _roles_check(roles) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def _set_roles(roles_by_table) -> None:
    for table, constraint in ROLE_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(constraint), type_='check')
            batch_op.create_check_constraint(op.f(constraint), _roles_check(roles_by_table[table]))


def upgrade():
    _set_roles(AFTER)
    op.create_table('eqa_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('visit', 'action', name='eqa_follow_up_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('rates', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_eqa_follow_up_centre_id_centre'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_eqa_follow_up_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eqa_follow_up'))
    )
    with op.batch_alter_table('eqa_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eqa_follow_up_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eqa_follow_up_recorded_at'), ['recorded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('eqa_follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eqa_follow_up_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_eqa_follow_up_centre_id'))
    op.drop_table('eqa_follow_up')
    op.execute(sa.text("DELETE FROM role_grant WHERE role = 'eqa'"))
    _set_roles(BEFORE)
