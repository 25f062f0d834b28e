"""The awarding body's overview (issue 12 §1): the parts each role allows, each figure against the list its link
opens, and a fixed number of statements whatever the service holds."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.extensions import db
from portal.workdays import Nation
from tenants.models import Centre
from tenants.services import submit_application
from tenants.submissions.models import SubmissionStatus
from tests.assessment.factory import make_submission
from tests.dashboards.conftest import (
    awarding_body_complaints,
    centre_complaints,
    centre_submissions,
    failed_run,
    figures_on,
    listed_total,
)

CS = "Customer service (stage 2; stage one of a direct complaint)"
EXPECTED_FOR_EVERY_ROLE = {
    "Awaiting a decision": 2,
    "Decision due within 1 working day": 0,
    "Decision overdue (20 working days)": 1,
    f"{CS}: open": 2, f"{CS}: due within 1 working day": 1, f"{CS}: overdue": 1,
    "Team leader review: open": 0, "Team leader review: due within 1 working day": 0,
    "Team leader review: overdue": 0,
    "Director's final review: open": 0, "Director's final review: due within 1 working day": 0,
    "Director's final review: overdue": 0,
    "Quality check: waiting": 2, "Quality check: due within 1 working day": 0, "Quality check: overdue": 1,
    "Marking: waiting": 1, "Marking: due within 1 working day": 0, "Marking: overdue": 0,
    "Marking: not allocated to an assessor": 1,
    "Sampling and release: samples waiting for a Lead Assessor": 1,
    "Sampling and release: issues found, not yet mitigated": 0,
    "Centres flagged for their referral rate": 0,
    "Failed or abandoned job runs": 1,
}


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def applications(now) -> None:
    """Two applications: one made today, one made 40 days ago (its 20 working days are over)."""
    for name, applied in (("Riverside College", now), ("Harbour Skills", now - timedelta(days=40))):
        centre = submit_application(name=name, nation=Nation.WALES, scottish_public_body=False, address="Cardiff",
                                    contact_name="Dana Reeve", contact_email="dana@riverside.example",
                                    qualifications_sought="ILM Level 3")
        centre.applied_at = applied
    db.session.commit()


@pytest.fixture
def service(overview_centre):
    centre, version = overview_centre
    now = utcnow()
    applications(now)
    awarding_body_complaints(now)
    centre_complaints(centre, version, now)  # not escalated: the centre's own, never counted here
    centre_submissions(centre, now)
    make_submission(centre, status=SubmissionStatus.MARKED, with_file=False, sample_selected=True)
    failed_run()
    return centre


def test_every_figure_counts_the_list_its_link_opens(service, client, auth, make_admin):
    auth.sign_in(make_admin())  # every role
    page = client.get("/admin/")
    assert page.status_code == 200
    shown = figures_on(page.get_data(as_text=True))
    assert {label: figure.count for label, figure in shown.items()} == EXPECTED_FOR_EVERY_ROLE
    for label, figure in shown.items():
        listed = client.get(figure.url)
        assert listed.status_code == 200, (label, figure.url)
        html = listed.get_data(as_text=True)
        if figure.url.startswith("/admin/applications"):
            assert html.count('<th scope="row"><a href="/admin/applications/') == figure.count, label
        elif figure.url.startswith(("/admin/complaints", "/admin/assessment")):
            assert listed_total(html) == figure.count, (label, figure.url)
        elif figure.url == "/admin/jobs":
            assert html.count('<div class="notice notice--error">') == figure.count
    assert "Complaints received per month" in page.get_data(as_text=True)


def test_each_person_sees_the_parts_their_roles_allow(service, client, auth, make_admin):
    allowed = {
        "assessment": {label for label in EXPECTED_FOR_EVERY_ROLE if label.startswith(("Quality check", "Marking"))},
        "lead_assessor": {label for label in EXPECTED_FOR_EVERY_ROLE if label.startswith("Sampling")},
        "customer_service": {label for label in EXPECTED_FOR_EVERY_ROLE if label.startswith(CS)},
        "team_leader": {label for label in EXPECTED_FOR_EVERY_ROLE if label.startswith("Team leader")},
        "eqa": {"Centres flagged for their referral rate"},
        "finance": {"Failed or abandoned job runs"},
        "quality": {label for label in EXPECTED_FOR_EVERY_ROLE if "ecision" in label},
    }
    for role, labels in allowed.items():
        auth.sign_in(make_admin(role))
        html = client.get("/admin/").get_data(as_text=True)
        assert set(figures_on(html)) == labels, role
        # The trend is for the people who read the complaint reports.
        assert ("Complaints received per month" in html) == (role in ("customer_service", "team_leader", "quality"))
        auth.sign_out()


def test_the_overview_runs_a_fixed_number_of_statements(overview_centre, client, auth, make_admin, count_queries):
    centre, version = overview_centre
    auth.sign_in(make_admin())
    client.get("/admin/")  # warm: work done once a day (the service-wide referral rates) is not the page's cost
    sizes = []
    for batches in (1, 2):
        now = utcnow()
        for _ in range(batches):
            applications(now)
            awarding_body_complaints(now)
            centre_complaints(centre, version, now)
            centre_submissions(centre, now)
            failed_run()
        with count_queries() as statements:
            assert client.get("/admin/").status_code == 200
        sizes.append(len(statements))
    assert sizes[0] == sizes[1], sizes
    assert db.session.query(Centre).count() >= 7
