"""Lists that grow (issue 12 §6): the audit logs and the outbox are paged and filtered by person, centre, event and
date, at a fixed number of statements; events read as sentences."""
from datetime import timedelta

from portal import audit
from portal.db import commit, utcnow
from portal.extensions import db
from portal.mail import OutboundEmail
from tests.conftest import quality_contact_of


def text(response) -> str:
    return response.get_data(as_text=True)


def _events(centre, count: int, *, action: str = "submission.released", at=None):
    for number in range(count):
        db.session.add(audit.AuditEvent(action=action, centre_id=centre.id, subject=f"O.Hughes-NGT{1000 + number}(1)",
                                        at=at or utcnow()))
    commit()


def test_events_read_as_sentences(app):
    event = audit.AuditEvent(action="submission.released", subject="O.Hughes-NGT1042(1)")
    assert audit.sentence(event) == "Result released for O.Hughes-NGT1042(1)"
    assert audit.sentence(audit.AuditEvent(action="something_new", subject="X")) == "Something new: X"


def test_the_audit_log_is_paged_and_filtered_at_a_fixed_cost(auth, make_admin, make_centre, count_queries):
    admin = make_admin("platform_admin")
    north, south = make_centre("Northgate"), make_centre("Southgate")
    auth.sign_in(admin)

    def statements(path: str) -> int:
        auth.client.get(path)
        with count_queries() as run:
            assert auth.client.get(path).status_code == 200
        return len(run)

    _events(north, 3)
    few = statements("/admin/audit?event=submission.released")
    _events(north, 150)
    _events(south, 5, action="learner_added", at=utcnow() - timedelta(days=10))
    assert statements("/admin/audit?event=submission.released") == few

    first = text(auth.client.get("/admin/audit?event=submission.released"))
    assert "153 events." in first and "Page 1 of 2" in first and "Result released for O.Hughes-NGT" in first
    assert "Submission.released" not in first
    assert 'href="/admin/audit?event=submission.released&amp;page=2"' in first  # the pager keeps the filters
    by_centre = text(auth.client.get(f"/admin/audit?centre={south.id}&event=learner_added"))
    assert "5 events." in by_centre and "Learner O.Hughes-NGT1000(1) added" in by_centre
    by_date = text(auth.client.get(f"/admin/audit?until={(utcnow() - timedelta(days=5)).date().isoformat()}"))
    assert "5 events." in by_date
    by_person = text(auth.client.get("/admin/audit?person=NGT1100"))
    assert "1 event." in by_person


def test_a_centres_audit_log_is_paged_and_filtered(auth, make_centre):
    centre, other = make_centre("Northgate"), make_centre("Southgate")
    _events(centre, 120)
    _events(other, 3, action="learner_added")
    auth.sign_in(quality_contact_of(centre))
    page = text(auth.client.get(f"/c/{centre.slug}/staff/audit?event=submission.released"))
    assert "120 events." in page and "Page 1 of 2" in page
    assert "Learner O.Hughes" not in text(auth.client.get(f"/c/{centre.slug}/staff/audit?event=learner_added"))
    assert 'name="centre"' not in page  # a centre sees only its own log


def test_the_outbox_is_paged_and_filtered(auth, make_admin, make_centre):
    admin = make_admin("platform_admin")
    centre = make_centre("Northgate")
    for number in range(105):
        db.session.add(OutboundEmail(to=f"learner{number}@example.org", subject=f"Message {number}", body="",
                                     centre_id=centre.id if number < 3 else None))
    commit()
    auth.sign_in(admin)
    page = text(auth.client.get("/admin/outbox"))
    assert "Page 1 of 2" in page
    assert "1 email." in text(auth.client.get("/admin/outbox?person=learner17@"))
    assert "3 emails." in text(auth.client.get(f"/admin/outbox?centre={centre.id}&person=learner"))


def test_file_sizes_read_the_same_on_both_sides():
    from pathlib import Path

    from portal.web import file_size

    assert [file_size(n) for n in (1, 812, 1024, 37 * 1024 - 100, 2_516_582)] == [
        "1 byte", "812 bytes", "1 KB", "37 KB", "2.4 MB"]
    templates = Path(__file__).resolve().parent.parent / "templates"
    for page in ("submissions/show.html", "admin/assessment/submission.html"):  # the centre's side, the awarding body's
        assert "| file_size }}" in (templates / page).read_text()
