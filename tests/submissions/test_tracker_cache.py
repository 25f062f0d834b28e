"""The tracker's answers are reused while nothing they show has changed (tenants/submissions/page_cache.py).

The invariant: after any sequence of writes — through services, the ORM or a bulk UPDATE — every tracker page, for
each person, is exactly what it is made without the cache. And one person's page is never another's."""
from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from portal.catalogue import services as catalogue
from portal.catalogue.models import Unit
from portal.db import commit, utcnow
from portal.extensions import db
from tenants.learners import services as learners
from tenants.learners.services import LearnerDetails
from tenants.models import Centre
from tenants.submissions import page_cache, upload
from tenants.submissions.models import Result, Submission, SubmissionStatus
from tests.conftest import Auth
from tests.submissions.test_tracker import add_submission
from tests.submissions.test_tracker import learners as make_learners

URLS = ("", "?sort=due", "?sort=learner", "?status=released", "?due=overdue", "?learner=last00")


def without_tokens(body: str) -> str:
    """A page with its CSRF tokens blanked: each rendering signs the session's secret afresh (same secret, same
    session, a new timestamp), so two renderings of one page differ there and only there."""
    return re.sub(r'(csrf_token" value=|X-CSRFToken": )"[^"]*"', r'\1""', body)


def the_cache(app) -> page_cache.PageCache:
    return app.extensions[page_cache.EXTENSION]


def _operations(setting, admin):
    """Writes of every kind the tracker must see: services, plain ORM changes, a bulk UPDATE, the catalogue."""
    centre = setting.centre

    def rename_learner():
        learner = db.session.get(type(setting.learner), setting.learner.id)
        details = LearnerDetails(first_name=learner.first_name, last_name=learner.last_name + "x", email="",
                                 enrolment_number=learner.enrolment_number, qualification="")
        learners.update_learner(centre, learner, details, by=setting.member)
        commit()

    def add_one():
        (person,) = make_learners(centre, 1, start=100 + db.session.query(Submission).count())
        add_submission(centre, person, setting.unit, qc_due=utcnow() + timedelta(days=3))

    def release_oldest():
        row = db.session.query(Submission).filter(Submission.status != SubmissionStatus.RELEASED).order_by(
            Submission.id).first()
        if row is not None:
            row.status, row.result, row.released_at = SubmissionStatus.RELEASED, Result.REFERRED, utcnow()
            commit()

    def bulk_overdue():
        db.session.execute(update(Submission).where(Submission.status == SubmissionStatus.AWAITING_QC)
                           .values(qc_due=utcnow() - timedelta(days=1), due_at=utcnow() - timedelta(days=1)))
        commit()

    def hold_and_withdraw():
        (person,) = make_learners(centre, 1, start=500 + db.session.query(Submission).count())
        held = add_submission(centre, person, setting.long_unit, status=SubmissionStatus.HELD)
        upload.withdraw(held, by=setting.member)
        commit()

    def retitle_unit():
        unit = db.session.get(Unit, setting.unit.id)
        details = catalogue.UnitDetails(code=unit.code, title=unit.title + " (revised)", pathway=unit.pathway,
                                        level=unit.level, limit_rule=unit.limit_rule)
        catalogue.update_unit(unit, details, by=admin)
        commit()

    return {f.__name__: f for f in (rename_learner, add_one, release_oldest, bulk_overdue, hold_and_withdraw,
                                    retitle_unit)}


OPERATIONS = ("rename_learner", "add_one", "release_oldest", "bulk_overdue", "hold_and_withdraw", "retitle_unit")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=5))
def test_after_any_writes_every_page_is_what_it_would_be_without_the_cache(app, setting, make_staff, make_admin,
                                                                          steps):
    staff = make_staff(setting.centre)
    other = app.test_client()
    assert Auth(other).sign_in(staff).status_code == 303
    operations = _operations(setting, make_admin("platform_admin", email=None))
    base = setting.url("tracker_page")
    clients = (setting.client, other)
    for client in clients:  # every page made once: the cache holds each person's
        for url in URLS:
            client.get(base + url)
    for step in steps:
        operations[step]()
        for client in clients:
            for url in URLS:
                seen = without_tokens(client.get(base + url).get_data(as_text=True))
                cache = app.extensions.get(page_cache.EXTENSION)
                app.extensions.pop(page_cache.EXTENSION, None)
                made = without_tokens(client.get(base + url).get_data(as_text=True))
                app.extensions[page_cache.EXTENSION] = cache
                assert seen == made, (step, url)


def test_a_page_is_reused_for_its_person_only_and_costs_no_query(setting, make_staff, app, count_queries):
    (person,) = make_learners(setting.centre, 1)
    add_submission(setting.centre, person, setting.unit)
    url = setting.url("tracker_page")
    first = setting.client.get(url).get_data(as_text=True)
    with count_queries() as statements:
        again = setting.client.get(url).get_data(as_text=True)
    # The centre (with its version) and the signed-in person: nothing of the tracker's own.
    assert len(statements) == 2 and not any("submission" in s for s in statements), statements
    assert without_tokens(again) == without_tokens(first) and ">Invoices<" in first  # the Quality contact's menu
    staff = make_staff(setting.centre, name="Tess Staff")
    other = app.test_client()
    assert Auth(other).sign_in(staff).status_code == 303
    theirs = other.get(url).get_data(as_text=True)
    assert ">Invoices<" not in theirs and "Tess Staff" in theirs and setting.member.name not in theirs
    assert len(the_cache(app)._items) == 2


def test_the_version_moves_with_every_write_to_what_the_tracker_shows(setting):
    """The database moves it (triggers): an ORM change, a bulk UPDATE, a unit of the catalogue."""

    def version() -> int:
        db.session.expire_all()
        return db.session.get(Centre, setting.centre.id).data_version

    (person,) = make_learners(setting.centre, 1)
    before = version()
    row = add_submission(setting.centre, person, setting.unit)
    assert version() > before
    before = version()
    db.session.execute(update(Submission).where(Submission.id == row.id).values(number=2))
    db.session.commit()
    assert version() > before
    before = version()
    db.session.execute(update(Unit).where(Unit.id == setting.unit.id).values(title="Another title"))
    db.session.commit()
    assert version() > before
    before = version()
    db.session.rollback()
    person.last_name = "Changed"
    db.session.rollback()  # a write that rolls back moves nothing
    assert version() == before


def test_a_page_expires_when_one_of_its_dates_falls_due(setting, monkeypatch):
    """No write happens when a quality check becomes overdue: the clock alone changes the page."""
    from tenants.submissions import routes
    from tests.conftest import moving_clock

    (person,) = make_learners(setting.centre, 1)
    add_submission(setting.centre, person, setting.unit, qc_due=utcnow() + timedelta(hours=2))
    clock = moving_clock(monkeypatch, routes)
    url = setting.url("tracker_page")
    assert "Overdue" not in setting.client.get(url).get_data(as_text=True)
    clock.move(hours=1)
    assert "Overdue" not in setting.client.get(url).get_data(as_text=True)
    clock.move(hours=2)
    assert "Overdue" in setting.client.get(url).get_data(as_text=True)
    assert "1 submission" in setting.client.get(url, query_string={"due": "overdue"}).get_data(as_text=True)
