"""the tracker: indexes in the order of its "due" sort and of a status filter (keyset pages read from an index);
each centre's data version, moved by the database itself whenever what the tracker shows changes

`centre.data_version` is the key under which pages made from a centre's submissions are cached
(tenants/submissions/page_cache.py). Triggers move it on every INSERT, UPDATE and DELETE of the centre's
submissions, learners and units approved, and on any change to the unit catalogue (every centre's): whatever writes
— a service through the ORM, a bulk UPDATE, a job, a command, psql — the version moves in the same transaction as
the data, so a page cached under the old version is never served again. It moves to the current time in microseconds
(or one more than before, if the clock is behind), so a version is never reused, not even after a restore.

Revision ID: 0011_tracker
Revises: 0011_sqlperf
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_tracker'
down_revision = '0011_sqlperf'
branch_labels = None
depends_on = None


# Rows whose change changes what a centre's tracker shows: (table, its centre column).
CENTRE_ROWS = (("submission", "centre_id"), ("learner", "centre_id"), ("centre_unit", "centre_id"))
PG_NEXT = "GREATEST(data_version + 1, (extract(epoch from clock_timestamp()) * 1000000)::bigint)"
SQLITE_NEXT = "MAX(data_version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))"


def _postgresql_triggers():
    # Statement-level triggers with transition tables: one UPDATE of the centres concerned per statement, however
    # many rows it wrote (seeding writes 100,000 submissions). They run as the writer: row-level security lets a
    # centre's work move its own centre's version, which is the only one its rows can name.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION portal_move_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_TABLE_NAME = 'unit' THEN
            UPDATE centre SET data_version = {PG_NEXT};
          ELSIF TG_OP = 'INSERT' THEN
            UPDATE centre SET data_version = {PG_NEXT} WHERE id IN (SELECT centre_id FROM new_rows);
          ELSIF TG_OP = 'UPDATE' THEN
            UPDATE centre SET data_version = {PG_NEXT}
             WHERE id IN (SELECT centre_id FROM new_rows UNION SELECT centre_id FROM old_rows);
          ELSE
            UPDATE centre SET data_version = {PG_NEXT} WHERE id IN (SELECT centre_id FROM old_rows);
          END IF;
          RETURN NULL;
        END $$""")
    for table in [name for name, _ in CENTRE_ROWS] + ["unit"]:
        for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS "
                                                                             "new_rows"),
                              ("DELETE", "OLD TABLE AS old_rows")):
            op.execute(f"CREATE TRIGGER data_version_{event.lower()} AFTER {event} ON {table} REFERENCING {tables} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION portal_move_data_version()")


def _sqlite_triggers():
    for table, column in CENTRE_ROWS:
        for event, ids in (("INSERT", f"NEW.{column}"), ("UPDATE", f"OLD.{column}, NEW.{column}"),
                           ("DELETE", f"OLD.{column}")):
            op.execute(f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
                       f"UPDATE centre SET data_version = {SQLITE_NEXT} WHERE id IN ({ids}); END")
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER data_version_unit_{event.lower()} AFTER {event} ON unit BEGIN "
                   f"UPDATE centre SET data_version = {SQLITE_NEXT}; END")


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for table in [name for name, _ in CENTRE_ROWS] + ["unit"]:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER data_version_{event} ON {table}")
        op.execute("DROP FUNCTION portal_move_data_version()")
        return
    for table in [name for name, _ in CENTRE_ROWS] + ["unit"]:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER data_version_{table}_{event}")


def upgrade():
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.BigInteger(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    with op.batch_alter_table('submission', schema=None) as batch_op:
        # Replaces (centre_id, is_current, due_at): with the sort's later keys in the index, a page among the
        # submissions with no date due (most of a centre's history) is read from the index, not sorted.
        batch_op.drop_index('ix_submission_tracker_due')
        batch_op.create_index('ix_submission_tracker_due_order', ['centre_id', 'is_current', 'due_at',
                                                                  sa.text('uploaded_at DESC'), sa.text('id DESC')])
        # One status (the overview's figures link to the tracker filtered so): newest first, counted from the index.
        batch_op.create_index('ix_submission_tracker_status', ['centre_id', 'is_current', 'status', 'uploaded_at',
                                                               'id'])


def downgrade():
    _drop_triggers()
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.drop_column('data_version')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_tracker_status')
        batch_op.drop_index('ix_submission_tracker_due_order')
        batch_op.create_index('ix_submission_tracker_due', ['centre_id', 'is_current', 'due_at'])
