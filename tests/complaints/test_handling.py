"""Centre stage handling and the "centre process first" escalation rule: every allowed transition and
every forbidden one, through HTTP."""
import html
from datetime import date, timedelta

import pytest

from portal.db import utcnow
from portal.extensions import db
from portal.workdays import Nation
from tenants.complaints.models import Audience, ComplaintUpdate, Exhausted, Level, Status
from tests.complaints.conftest import act
from tests.conftest import quality_contact_of


@pytest.fixture
def staff_client(app, auth, policy_centre):
    auth.sign_in(quality_contact_of(policy_centre))
    return auth.client


def text(response) -> str:
    """The page as a person reads it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def track(client, centre, token):
    return text(client.get(f"/c/{centre.slug}/complaints/track/{token}"))


def learner(client, centre, token, action):
    return client.post(f"/c/{centre.slug}/complaints/track/{token}/{action}")


def close_stage(client, centre, complaint, outcome="We apologise and have fixed it."):
    response = act(client, centre, complaint, "close-stage", outcome=outcome)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_acknowledge_update_note_extend_and_close(app, staff_client, policy_centre, complain, mailbox):
    complaint, token = complain(policy_centre)
    client = staff_client
    assert act(client, policy_centre, complaint, "acknowledge").status_code == 303
    assert complaint.current_stage.acknowledged_at is not None
    assert "acknowledged" in mailbox.last_to("sam@example.org")["Subject"].lower()
    act(client, policy_centre, complaint, "updates", body="Internal: check the tutor's diary", audience="internal")
    act(client, policy_centre, complaint, "updates", body="We are looking into it", audience="learner")
    page = track(client, policy_centre, token)
    assert "We are looking into it" in page and "tutor's diary" not in page
    staff_page = text(client.get(f"/c/{policy_centre.slug}/cases/{complaint.id}"))
    assert "tutor's diary" in staff_page and "Internal note" in staff_page
    new_due = (complaint.current_stage.due + timedelta(days=7)).date()
    response = act(client, policy_centre, complaint, "extend", new_due=new_due.isoformat(), reason="Tutor on leave",
                   consent="agreed")
    assert response.status_code == 303
    assert complaint.current_stage.extension_reason == "Tutor on leave"
    assert "Extended (you agreed to the new date): Tutor on leave" in track(client, policy_centre, token)
    close_stage(client, policy_centre, complaint)
    assert complaint.status is Status.AWAITING_LEARNER
    assert "ask for the next stage" in mailbox.last_to("sam@example.org").get_content()


def test_extension_must_be_later_and_have_a_reason_and_the_learners_part(staff_client, policy_centre, complain):
    complaint, _ = complain(policy_centre)
    due = complaint.current_stage.due.date()
    earlier = act(staff_client, policy_centre, complaint, "extend", new_due=due.isoformat(), reason="x",
                  consent="agreed")
    assert earlier.status_code == 422 and "must be after the current deadline" in earlier.get_data(as_text=True)
    later = (due + timedelta(days=3)).isoformat()
    no_reason = act(staff_client, policy_centre, complaint, "extend", new_due=later, consent="agreed")
    assert no_reason.status_code == 422 and "Give the reason." in no_reason.get_data(as_text=True)
    unsaid = act(staff_client, policy_centre, complaint, "extend", new_due=later, reason="Tutor on leave")
    assert unsaid.status_code == 422
    assert "Say whether the learner agreed to the new date or was told of it." in text(unsaid)
    assert complaint.current_stage.extended_due is None


def test_learner_accepts_and_the_case_closes(staff_client, policy_centre, complain):
    complaint, token = complain(policy_centre)
    close_stage(staff_client, policy_centre, complaint)
    assert learner(staff_client, policy_centre, token, "accept").status_code == 303
    assert complaint.status is Status.RESOLVED and complaint.closed_at is not None
    again = learner(staff_client, policy_centre, token, "escalate")
    assert again.status_code == 409 and "accepted the centre's outcome" in text(again)


def test_walk_the_centre_stages_then_escalate(staff_client, policy_centre, complain, mailbox, make_admin):
    customer_service = make_admin("customer_service")
    complaint, token = complain(policy_centre)
    for position in (1, 2):
        close_stage(staff_client, policy_centre, complaint)
        early = learner(staff_client, policy_centre, token, "escalate")
        assert early.status_code == 409 and "not the final stage" in early.get_data(as_text=True)
        assert learner(staff_client, policy_centre, token, "next-stage").status_code == 303
        assert complaint.current_stage.position == position + 1
    still_open = learner(staff_client, policy_centre, token, "escalate")
    assert still_open.status_code == 409 and "still at Stage 3" in still_open.get_data(as_text=True)
    close_stage(staff_client, policy_centre, complaint)
    skip = learner(staff_client, policy_centre, token, "next-stage")
    assert skip.status_code == 409 and "final stage" in skip.get_data(as_text=True)
    assert learner(staff_client, policy_centre, token, "escalate").status_code == 303
    assert complaint.exhausted_reason is Exhausted.FINAL_STAGE_CLOSED
    assert complaint.service_request_number.startswith("CSR-")
    stage = complaint.current_stage
    assert stage.level is Level.AWARDING_BODY and stage.first_response_due - stage.opened_at == timedelta(hours=24)
    assert mailbox.to(customer_service.email)
    page = track(staff_client, policy_centre, token)
    assert complaint.service_request_number in page and "Stage 2: customer service" in page
    twice = learner(staff_client, policy_centre, token, "escalate")
    assert twice.status_code == 409 and "already with the awarding body" in twice.get_data(as_text=True)
    # The centre can no longer act on the case.
    refused = act(staff_client, policy_centre, complaint, "close-stage", outcome="late")
    assert refused.status_code == 303 and complaint.current_stage.closed_at is None


def test_missed_deadline_opens_escalation_and_is_recorded(staff_client, policy_centre, complain):
    complaint, token = complain(policy_centre)
    early = learner(staff_client, policy_centre, token, "escalate")
    assert early.status_code == 409 and "is still at Stage 1" in text(early) and "to give its outcome" in text(early)
    complaint.current_stage.respond_due = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert f"{policy_centre.name} did not give the outcome of Stage 1: investigation by its deadline" in \
        track(staff_client, policy_centre, token)
    assert learner(staff_client, policy_centre, token, "escalate").status_code == 303
    assert complaint.exhausted_reason is Exhausted.DEADLINE_MISSED
    assert complaint.centre_stages[0].closed_at is not None


def test_an_update_is_not_a_response_the_missed_deadline_opens_escalation(staff_client, policy_centre, complain):
    """Issue 9: a learner-visible update used to count as the stage's response, so the deadline never opened
    escalation (409 here before the fix)."""
    complaint, token = complain(policy_centre)
    act(staff_client, policy_centre, complaint, "updates", body="We are looking into it", audience="learner")
    complaint.current_stage.respond_due = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Escalate to the awarding body</button>" in track(staff_client, policy_centre, token)
    assert learner(staff_client, policy_centre, token, "escalate").status_code == 303
    assert complaint.exhausted_reason is Exhausted.DEADLINE_MISSED


def test_an_extension_moves_the_missed_deadline(staff_client, policy_centre, complain):
    complaint, token = complain(policy_centre)
    stage = complaint.current_stage
    stage.respond_due = utcnow() - timedelta(minutes=1)
    stage.extended_due = utcnow() + timedelta(days=3)
    db.session.commit()
    refused = learner(staff_client, policy_centre, token, "escalate")
    assert refused.status_code == 409 and "is still at Stage 1" in text(refused)
    assert f"until the end of {stage.extended_due:%A}" in text(refused)


def test_staff_only_complaint_at_scottish_public_body_goes_to_spso(client, auth, make_policy_centre, complain):
    centre = make_policy_centre("Fife College", nation=Nation.SCOTLAND, public_body=True,
                                stages=[{"name": "Stage 1", "handler": "Manager", "target_days": 5}])
    complaint, token = complain(centre, subject="centre_staff")
    auth.sign_in(quality_contact_of(centre))
    close_stage(client, centre, complaint)
    refused = learner(client, centre, token, "escalate")
    assert refused.status_code == 409 and "Scottish Public Services Ombudsman" in refused.get_data(as_text=True)


@pytest.mark.parametrize("action, data", [
    ("acknowledge", {}), ("updates", {"body": "x", "audience": "learner"}), ("close-stage", {"outcome": "x"}),
    ("extend", {"new_due": "2030-01-01", "reason": "x", "consent": "agreed"}), ("assign", {"assignee": "1"})])
def test_another_centre_cannot_act_on_the_case(client, auth, make_policy_centre, complain, action, data):
    a, b = make_policy_centre("A"), make_policy_centre("B")
    complaint, _ = complain(a)
    auth.sign_in(quality_contact_of(b))
    assert client.post(f"/c/{a.slug}/cases/{complaint.id}/{action}", data=data).status_code == 404
    assert client.post(f"/c/{b.slug}/cases/{complaint.id}/{action}", data=data).status_code == 404
    assert client.get(f"/c/{b.slug}/cases/{complaint.id}").status_code == 404
    assert complaint.current_stage.acknowledged_at is None and complaint.current_stage.closed_at is None


def test_assign_to_own_staff_only(staff_client, policy_centre, make_policy_centre, make_staff, complain):
    complaint, _ = complain(policy_centre)
    colleague = make_staff(policy_centre)
    outsider = make_staff(make_policy_centre("Elsewhere"))
    refused = act(staff_client, policy_centre, complaint, "assign", assignee=outsider.id)
    assert refused.status_code == 422 and "Not a valid choice" in text(refused)
    assert act(staff_client, policy_centre, complaint, "assign", assignee=colleague.id).status_code == 303
    assert complaint.current_stage.assigned_to_id == colleague.id


def test_assign_to_starts_empty_until_someone_is_assigned(staff_client, policy_centre, make_staff, complain):
    complaint, _ = complain(policy_centre)
    colleague = make_staff(policy_centre, name="Priya Shah")
    url = f"/c/{policy_centre.slug}/cases/{complaint.id}"
    page = text(staff_client.get(url))
    select = page[page.index('<select id="assignee"'):page.index("</select>", page.index('<select id="assignee"'))]
    assert '<option selected value="">Choose a person</option>' in select or (
        '<option value="">Choose a person</option>' in select and "selected" not in select)
    empty = act(staff_client, policy_centre, complaint, "assign", assignee="")
    assert empty.status_code == 422 and "Choose who handles this stage." in text(empty)
    assert "Not a valid choice" not in text(empty)
    act(staff_client, policy_centre, complaint, "assign", assignee=colleague.id)
    page = text(staff_client.get(url))
    select = page[page.index('<select id="assignee"'):page.index("</select>", page.index('<select id="assignee"'))]
    assert "Choose a person" not in select
    assert f'<option selected value="{colleague.id}">Priya Shah</option>' in select


def test_notifications_are_sent_once(staff_client, policy_centre, complain, mailbox):
    complaint, _ = complain(policy_centre)
    act(staff_client, policy_centre, complaint, "acknowledge")
    act(staff_client, policy_centre, complaint, "acknowledge")
    subjects = [m["Subject"] for m in mailbox.to("sam@example.org")]
    assert sum("acknowledged" in s.lower() for s in subjects) == 1
    assert sum("received" in s.lower() for s in subjects) == 1


def test_queue_filters_and_highlighting(staff_client, policy_centre, complain):
    overdue, _ = complain(policy_centre, name="Olive Overdue", email="o@example.org")
    complain(policy_centre, name="Fred Fine", email="f@example.org", category="finance")
    overdue.current_stage.respond_due = utcnow() - timedelta(hours=1)
    db.session.commit()
    url = f"/c/{policy_centre.slug}/cases/"
    page = staff_client.get(url).get_data(as_text=True)
    assert "Olive Overdue" in page and "Fred Fine" in page and "clock-overdue" in page
    only_overdue = staff_client.get(url + "?due=overdue").get_data(as_text=True)
    assert "Olive Overdue" in only_overdue and "Fred Fine" not in only_overdue
    finance = staff_client.get(url + "?category=finance", headers={"HX-Request": "true"})
    assert "<html" not in finance.get_data(as_text=True) and "Fred Fine" in finance.get_data(as_text=True)
    assert "HX-Request" in finance.headers["Vary"]


def test_queue_and_case_pages_have_a_fixed_number_of_queries(staff_client, policy_centre, complain, count_queries):
    queue_url = f"/c/{policy_centre.slug}/cases/"

    def measure(url=queue_url):
        # The URL is built outside the count: reading the test's own (expired) objects is not the page's query.
        with count_queries() as queries:
            assert staff_client.get(url).status_code == 200
        return len(queries)

    complain(policy_centre, email="one@example.org")
    few = measure()
    for n in range(8):
        complaint, _ = complain(policy_centre, email=f"learner{n}@example.org")
        act(staff_client, policy_centre, complaint, "updates", body=f"Update {n}", audience="learner")
    assert measure() == few
    case_url = f"/c/{policy_centre.slug}/cases/{complaint.id}"
    one_case = measure(case_url)
    for n in range(5):
        act(staff_client, policy_centre, complaint, "updates", body=f"More {n}", audience="internal")
    assert measure(case_url) == one_case


def test_history_entries_record_their_audience(staff_client, policy_centre, complain):
    complaint, _ = complain(policy_centre)
    act(staff_client, policy_centre, complaint, "updates", body="secret", audience="internal")
    entry = db.session.query(ComplaintUpdate).filter_by(body="secret").one()
    assert entry.audience is Audience.CENTRE and entry.author_id is not None


def test_extension_date_is_end_of_london_day(staff_client, policy_centre, complain):
    complaint, _ = complain(policy_centre)
    new_due = date(2031, 7, 1)
    act(staff_client, policy_centre, complaint, "extend", new_due=new_due.isoformat(), reason="Agreed",
        consent="agreed")
    from portal.workdays import to_london

    local = to_london(complaint.current_stage.extended_due)
    assert (local.date(), local.hour, local.minute, local.second) == (new_due, 23, 59, 59)
