"""`make run` seeds the demo; every sign-in it prints works, and it shows each state of the journeys."""
import re

from sqlalchemy import func, select

from portal.cli import DEMO_PASSWORD
from portal.extensions import db
from tenants.complaints.models import Complaint, Exhausted, Kind, Status
from tenants.models import Centre, CentreStatus


def test_demo_seeds_once_and_its_sign_ins_work(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["demo"])
    assert "Seeded" not in again.output
    emails = re.findall(r"^\s+(\S+@\S+)\s", first.output, flags=re.MULTILINE)
    assert len(emails) == 5
    for email in emails:
        response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 303, email
        client.post("/sign-out")
    statuses = dict(db.session.execute(select(Centre.status, func.count()).group_by(Centre.status)).all())
    assert statuses == {CentreStatus.APPROVED: 2, CentreStatus.APPLIED: 1}
    cases = db.session.execute(select(Complaint)).scalars().all()
    assert any(c.exhausted_reason is Exhausted.FINAL_STAGE_CLOSED for c in cases)
    assert any(c.kind is Kind.MALPRACTICE for c in cases)
    assert any(c.status is Status.OPEN and c.escalated_at is None for c in cases)
