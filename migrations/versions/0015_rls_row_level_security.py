"""row-level security on every table that holds a centre's rows (PostgreSQL; nothing on SQLite)

The second wall behind portal/tenancy.py (docs/row-level-security.md). Every policy reads two settings that the
application sets at the start of each transaction (portal.tenancy): `portal.centre_id`, the centre whose pages
are being served, and `portal.all_centres`, on for the awarding body's and the system's work. With neither set a
covered table shows no row at all.

Revision ID: 0010_rls
Revises: 0010_totp
Create Date: 2026-12-03 16:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_rls'
down_revision = '0010_totp'
branch_labels = None
depends_on = None

POLICY = "centre_isolation"

# The centre's rows only (the awarding body sees them with portal.all_centres). Tables with a nullable centre_id
# are here too when their rows of no centre are the awarding body's own cases, which a centre never reads:
# direct complaints and everything that hangs from them.
OWN_CENTRE = ("centre_unit", "complaint_policy", "policy_stage", "policy_version", "learner", "submission",
              "submission_file", "invoice", "invoice_line", "eqa_follow_up",
              "complaint", "complaint_stage", "complaint_update", "complaint_notice", "tracking_link")
# The centre's rows and the awarding body's (centre_id NULL): a centre's pages show awarding-body staff by name,
# record audit events of no centre (a sign-in by awarding-body staff) and queue email of no centre (a set-password
# link). Rows of another centre stay invisible.
OWN_CENTRE_OR_AWARDING_BODY = ("user_account", "audit_event", "outbound_email", "reminder_sent")
# Rows with no centre_id of their own, reached through a parent: visible exactly when the parent row is (the
# policy's sub-query runs under the parent's own policy).
THROUGH_PARENT = {"password_link": ("user_id", "user_account"), "role_grant": ("user_id", "user_account"),
                  "recovery_code": ("user_id", "user_account"), "overview_visit": ("user_id", "user_account")}
# Awarding-body records that name a centre or its learner: never read on a centre's pages.
AWARDING_BODY_ONLY = ("conflict_of_interest",)

CENTRE_ID = ("CREATE OR REPLACE FUNCTION portal_centre_id() RETURNS integer LANGUAGE sql STABLE AS "
             "$$ SELECT NULLIF(current_setting('portal.centre_id', true), '')::integer $$")
ALL_CENTRES = ("CREATE OR REPLACE FUNCTION portal_all_centres() RETURNS boolean LANGUAGE sql STABLE AS "
               "$$ SELECT coalesce(current_setting('portal.all_centres', true), '') = 'on' $$")


# Each setting is read once per statement (a scalar sub-select is an InitPlan), not once per row: the planner then
# estimates the policy as an unknown boolean instead of a rare equality, and keeps its hash joins at scale (the
# weekly invoicing's search for due work, across centres, was planned for 52 rows where 10,441 came, as nested
# loops, without it; with it, the same plan as with no policy at all).
ALL, CURRENT = "(SELECT portal_all_centres())", "(SELECT portal_centre_id())"


def _conditions() -> dict[str, str]:
    conditions = {table: f"{ALL} OR centre_id = {CURRENT}" for table in OWN_CENTRE}
    conditions.update({table: f"{ALL} OR centre_id = {CURRENT} OR (centre_id IS NULL AND {CURRENT} IS NOT NULL)"
                       for table in OWN_CENTRE_OR_AWARDING_BODY})
    conditions.update({table: f"{ALL} OR EXISTS (SELECT 1 FROM {parent} WHERE {parent}.id = {column})"
                       for table, (column, parent) in THROUGH_PARENT.items()})
    conditions.update({table: ALL for table in AWARDING_BODY_ONLY})
    # The centres themselves: a centre's pages see their own centre; finding a centre by its slug (before any
    # centre is current) is a read across centres, said so in tenants/context.py.
    conditions["centre"] = f"{ALL} OR id = {CURRENT}"
    return conditions


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no row-level security: tenancy rests on portal/tenancy.py alone there
    op.execute(CENTRE_ID)
    op.execute(ALL_CENTRES)
    for table, condition in _conditions().items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        # FORCE: the tables' owner is held to the policies too (migrations say portal.all_centres=on, env.py), so
        # a deployment that wrongly runs the app as the owner still keeps centres apart.
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({condition}) WITH CHECK ({condition})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _conditions():
        op.execute(f"DROP POLICY {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION portal_all_centres()")
    op.execute("DROP FUNCTION portal_centre_id()")
