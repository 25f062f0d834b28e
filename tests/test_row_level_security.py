"""Row-level security (issue 13 §1, docs/row-level-security.md): PostgreSQL's own wall behind portal/tenancy.py.

A query that forgets the scope — a Core statement, raw SQL, an explicit join: the ORM safety net's known holes —
still sees only the current centre's rows, because the database itself filters them for the role the portal
connects as. The awarding body's and the system's work must say it works across centres, or it sees nothing.

Runs on PostgreSQL in both passes: the PostgreSQL pass uses the suite's database; the SQLite pass makes one of its
own for this module (migrated by the owner, used through the application's role, like the suite's).
"""
from __future__ import annotations

import contextlib

import click
import pytest
from click.testing import CliRunner
from flask import g
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from portal import create_app
from portal.cli import as_system_work
from portal.config import TestConfig
from portal.extensions import db
from portal.mail import EmailStatus, OutboundEmail
from portal.tenancy import ALL_CENTRES, RowLevelSecurityBypassed, for_all_centres, working_for_all_centres
from tenants.context import load_centre
from tenants.learners.models import Learner
from tenants.models import Centre
from tenants.submissions.models import Submission
from tests import services
from tests.assessment.factory import make_submission

# Tables that hold no centre's rows, and why; every other table must be under row-level security.
NOT_COVERED = {
    "alembic_version": "the schema's version",
    "counter": "gap-free number series (a name and a number)",
    "unit": "the awarding body's catalogue of units",
    "job_run": "the awarding body's record of its own job runs",
    "fee_schedule": "the awarding body's fees; names only the awarding-body admin who set them",
    "sampling_policy": "the lead assessor's sampling rates; names only the awarding-body person who set them",
}


@pytest.fixture(scope="module")
def database_url(database_url):
    """The suite's database on PostgreSQL; in the SQLite pass, a PostgreSQL database of this module's own."""
    if database_url.startswith("postgresql"):
        yield database_url
        return
    url, _ = services.migrated_postgres_database()
    yield url
    services.drop_postgres_database(url)


@contextlib.contextmanager
def serving(app, centre: Centre):
    """Inside a request for `centre`'s pages, its centre found by the real `load_centre` (the one place)."""
    with app.test_request_context(f"/c/{centre.slug}/"):
        load_centre("centre.public.home", {"slug": centre.slug})
        try:
            yield
        finally:
            db.session.rollback()
            g.pop("tenant_centre_id", None)
            g.pop("centre", None)


@pytest.fixture
def two_centres(centre, other_centre):
    """A submission (with its learner) at each of two centres, made by the test as the system."""
    ours, theirs = make_submission(centre, with_file=False), make_submission(other_centre, with_file=False)
    return {"a": centre, "b": other_centre, "ours": ours.id, "theirs": theirs.id,
            "our_learner": ours.learner_id, "their_learner": theirs.learner_id}


def test_the_portal_connects_as_a_role_row_level_security_holds(app):
    role = db.session.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert tuple(role) == (False, False)  # a superuser, or BYPASSRLS, would see every row whatever the policies
    owned = db.session.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                    "AND tableowner = current_user")).scalar()
    assert owned == 0  # the migrations' owner is another role


def test_every_table_is_covered_or_holds_no_centres_rows(app):
    covered = dict(db.session.execute(text(
        "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity AND EXISTS "
        "(SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname AND p.schemaname = 'public') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r'")).all())
    assert set(covered) == set(db.metadata.tables) | {"alembic_version"}
    uncovered = {table for table, on in covered.items() if not on}
    assert uncovered == set(NOT_COVERED), "a new table needs a policy (or a reason here): " + str(uncovered)
    for name in NOT_COVERED.keys() - {"alembic_version"}:
        table = db.metadata.tables[name]
        assert "centre_id" not in table.c and not any(fk.column.table.name == "centre" for fk in table.foreign_keys)


def test_a_query_that_forgets_the_scope_returns_no_other_centres_rows(app, two_centres):
    submission = Submission.__table__
    with serving(app, two_centres["a"]):
        # Core, raw SQL and an explicit join: none of them is seen by the ORM safety net.
        core = db.session.connection().execute(select(submission.c.id)).scalars().all()
        raw = db.session.execute(text("SELECT id FROM submission")).scalars().all()
        joined = db.session.execute(
            select(Submission.id).select_from(Learner).join(Submission, Submission.learner_id == Learner.id)
        ).scalars().all()
        orm = db.session.execute(select(Submission)).scalars().all()
        centres = db.session.execute(text("SELECT id FROM centre")).scalars().all()
        learners = db.session.execute(text("SELECT count(*) FROM learner")).scalar()
    assert core == raw == joined == [two_centres["ours"]]
    assert [row.id for row in orm] == [two_centres["ours"]]
    assert centres == [two_centres["a"].id]
    assert learners == 1
    # and the awarding body, outside any centre's pages, sees both
    assert sorted(db.session.execute(text("SELECT id FROM submission")).scalars()) == sorted(
        [two_centres["ours"], two_centres["theirs"]])


def test_writes_that_forget_the_scope_touch_no_other_centres_rows(app, two_centres):
    b_id = two_centres["b"].id  # inside A's pages B's row cannot even be read back
    with serving(app, two_centres["a"]):
        changed = db.session.execute(update(Learner.__table__).values(last_name="Changed")).rowcount
        with pytest.raises(DBAPIError, match="row-level security"), db.session.begin_nested():
            db.session.connection().execute(Learner.__table__.insert().values(
                centre_id=b_id, first_name="Eve", last_name="Evil", enrolment_number="X"))
        db.session.commit()
    assert changed == 1
    names = dict(db.session.execute(select(Learner.id, Learner.last_name)).all())
    assert names[two_centres["our_learner"]] == "Changed" and names[two_centres["their_learner"]] != "Changed"
    assert len(names) == 2


def test_the_centre_stays_current_after_a_commit_mid_request(app, two_centres):
    with serving(app, two_centres["a"]):
        db.session.commit()  # SET LOCAL ended with that transaction: the next one must be told again
        after_commit = db.session.execute(text("SELECT id FROM submission")).scalars().all()
        setting = db.session.execute(text("SELECT current_setting('portal.centre_id', true)")).scalar()
    assert after_commit == [two_centres["ours"]] and setting == str(two_centres["a"].id)


def test_work_that_does_not_say_it_is_for_all_centres_sees_no_centres_rows(app, two_centres):
    with app.app_context():  # a new context: a job, a command or a page that declared nothing
        assert db.session.execute(select(func.count()).select_from(Submission)).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM centre")).scalar() == 0
        db.session.commit()
        for_all_centres()  # what the awarding body's pages, jobs and commands say
        assert db.session.execute(select(func.count()).select_from(Submission)).scalar() == 2
        assert db.session.execute(text("SELECT count(*) FROM centre")).scalar() == 2
        db.session.remove()


def test_a_connection_back_in_the_pool_carries_no_centre(app, two_centres):
    with serving(app, two_centres["a"]):
        db.session.execute(text("SELECT 1"))
    db.session.remove()
    with app.app_context():  # likely the very connection the centre's request used
        scope = db.session.execute(text("SELECT current_setting('portal.centre_id', true), "
                                        "current_setting('portal.all_centres', true)")).one()
        assert scope[0] in (None, "") and scope[1] in (None, "", "off")
        db.session.remove()


def test_one_statement_may_read_across_centres_and_only_that_one(app, two_centres):
    with serving(app, two_centres["a"]):
        everyone = db.session.execute(select(Learner.id).execution_options(**{ALL_CENTRES: True})).scalars().all()
        next_one = db.session.execute(text("SELECT count(*) FROM learner")).scalar()
    assert len(everyone) == 2 and next_one == 1


def test_a_job_run_inside_a_centres_request_works_across_centres_then_gives_the_scope_back(app, two_centres,
                                                                                            mailbox):
    from jobs.email import send_email

    theirs = OutboundEmail(to="b@example.org", subject="For centre B", body="Hello", centre_id=two_centres["b"].id)
    db.session.add(theirs)
    db.session.commit()
    email_id = theirs.id
    with serving(app, two_centres["a"]):
        db.session.execute(text("SELECT 1"))  # the request's transaction is open when the job runs inline
        send_email(email_id)
        with working_for_all_centres():
            assert db.session.execute(text("SELECT count(*) FROM learner")).scalar() == 2
        back = db.session.execute(text("SELECT count(*) FROM learner")).scalar()
    assert back == 1
    assert db.session.get(OutboundEmail, email_id).status == EmailStatus.SENT
    assert mailbox.last_to("b@example.org")["Subject"] == "For centre B"


def test_commands_say_they_work_across_centres(app, two_centres):
    @click.command("count-learners")
    def count_learners() -> None:
        click.echo(db.session.execute(text("SELECT count(*) FROM learner")).scalar())

    def run(command) -> str:
        with app.app_context():  # as `flask` runs a command: a context of its own that declares nothing itself
            output = CliRunner().invoke(command, catch_exceptions=False).output.strip()
            db.session.remove()
        return output

    assert run(count_learners) == "0"  # undeclared: no centre's row
    assert run(as_system_work(count_learners)) == "2"
    # and every command of the portal is declared so (Flask's and Flask-Migrate's own need no centre's rows)
    portal_commands = {name: command for name, command in app.cli.commands.items()
                       if name not in {"db", "run", "shell", "routes"}}
    assert {"demo", "invoices", "uploads", "complaints", "catalogue"} <= portal_commands.keys()
    for command in portal_commands.values():
        for leaf in command.commands.values() if isinstance(command, click.Group) else [command]:
            assert getattr(leaf.callback, "for_all_centres", False), leaf.name


def test_the_portal_refuses_to_connect_as_a_role_that_bypasses_row_level_security(app):
    superuser = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=services.POSTGRES_ADMIN_URL)
    with superuser.app_context():
        with pytest.raises(RowLevelSecurityBypassed, match="superuser"):
            db.session.execute(text("SELECT 1"))
        db.session.remove()
        db.engine.dispose()
