"""Lead assessors' sampling (SPEC §6.3; portal/admin/sampling.py): which results the policy selects, which
results may be released, the sample's outcome and its mitigation, and the policy a platform admin sets."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from portal.admin import assessment_services as assessment
from portal.admin import sampling
from portal.admin.sampling import Policy, select_for
from portal.audit import AuditEvent
from portal.db import commit, utcnow
from portal.extensions import db
from portal.rules import Refused
from tenants.submissions.models import (
    FileKind,
    Mitigation,
    Result,
    SampleBasis,
    SampleOutcome,
    SamplingPolicy,
    SubmissionStatus,
)
from tests.assessment.factory import make_submission
from tests.assessment.test_services import MARKED_SHEET
from tests.conftest import quality_contact_of

S = SubmissionStatus
NOV = datetime(2026, 11, 2, 10, tzinfo=UTC)


def audit_actions(prefix: str) -> list[tuple[str, str]]:
    return list(db.session.execute(db.select(AuditEvent.action, AuditEvent.detail)
                                   .where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.id)).all())


# --- selection: the rule itself, as a table ------------------------------------------------------------------------

@pytest.mark.parametrize(("policy", "marked_before", "monthly_before", "basis", "selected"), [
    # The default: each assessor's first 5 all selected...
    (Policy(5, 10), 0, 0, SampleBasis.NEW_ASSESSOR, True),
    (Policy(5, 10), 4, 0, SampleBasis.NEW_ASSESSOR, True),
    # ...then 10% of each month: the month's 1st, 11th, 21st.
    (Policy(5, 10), 5, 0, SampleBasis.MONTHLY, True),
    (Policy(5, 10), 6, 1, SampleBasis.MONTHLY, False),
    (Policy(5, 10), 14, 9, SampleBasis.MONTHLY, False),
    (Policy(5, 10), 15, 10, SampleBasis.MONTHLY, True),
    (Policy(5, 10), 16, 11, SampleBasis.MONTHLY, False),
    (Policy(5, 10), 25, 20, SampleBasis.MONTHLY, True),
    (Policy(5, 10), 400, 0, SampleBasis.MONTHLY, True),  # a new month: its first is always selected
    # No new-assessor phase; 25%: the 1st, 5th, 9th.
    (Policy(0, 25), 0, 0, SampleBasis.MONTHLY, True),
    (Policy(0, 25), 3, 3, SampleBasis.MONTHLY, False),
    (Policy(0, 25), 4, 4, SampleBasis.MONTHLY, True),
    (Policy(0, 25), 8, 8, SampleBasis.MONTHLY, True),
    # 100%: every one; 1%: only the month's first (and the 101st).
    (Policy(0, 100), 7, 7, SampleBasis.MONTHLY, True),
    (Policy(2, 1), 2, 0, SampleBasis.MONTHLY, True),
    (Policy(2, 1), 50, 48, SampleBasis.MONTHLY, False),
    (Policy(2, 1), 102, 100, SampleBasis.MONTHLY, True),
])
def test_which_results_are_selected(policy, marked_before, monthly_before, basis, selected):
    chosen = select_for(policy, marked_before=marked_before, monthly_before=monthly_before, month="November 2026")
    assert (chosen.basis, chosen.selected) == (basis, selected)


def test_the_reason_says_why():
    assert select_for(Policy(5, 10), marked_before=2, monthly_before=0, month="November 2026").reason == \
        "new assessor: marked submission 3 of the first 5"
    assert select_for(Policy(5, 10), marked_before=9, monthly_before=3, month="November 2026").reason == \
        "10% a month: the assessor's marked submission 4 in November 2026 (not selected)"


def test_at_any_point_of_a_month_at_least_the_percentage_is_selected():
    for percent in (1, 7, 10, 33, 50, 99, 100):
        picks = 0
        for position in range(1, 301):
            picks += sampling.is_monthly_pick(position, percent)
            assert picks * 100 >= position * percent, (percent, position)
            assert picks >= 1


# --- selection: through the real marking, month by month -----------------------------------------------------------

def allocated(centre, assessor):
    return make_submission(centre, status=S.MARKING, assessor_id=assessor.id, allocated_at=utcnow())


def mark_at(monkeypatch, centre, assessor, moment: datetime):
    sub = allocated(centre, assessor)
    monkeypatch.setattr("portal.admin.assessment_services.utcnow", lambda: moment)
    assessment.record_result(sub, Result.PASS, "", io.BytesIO(MARKED_SHEET), by=assessor)
    commit()
    return sub


def test_a_new_assessors_marking_over_two_months(monkeypatch, centre, other_centre, assessor, make_admin):
    """Default policy. November: the first 5 (new assessor), then the month's 1st and 11th of the rest. December:
    the month's 1st. Another assessor starts their own count; the centres do not matter."""
    selected = []
    for i in range(17):
        sub = mark_at(monkeypatch, centre if i % 2 else other_centre, assessor, NOV + timedelta(hours=i))
        selected.append(sub.sample_selected)
    assert selected == [True] * 5 + [True] + [False] * 9 + [True] + [False]
    december = [mark_at(monkeypatch, centre, assessor, datetime(2026, 12, 1, 9 + i, tzinfo=UTC)).sample_selected
                for i in range(3)]
    assert december == [True, False, False]
    newcomer = mark_at(monkeypatch, centre, make_admin("assessment"), datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert newcomer.sample_selected and newcomer.sample_basis is SampleBasis.NEW_ASSESSOR
    event = audit_actions("submission.marked")[-1][1]
    assert "Selected for sampling: new assessor: marked submission 1 of the first 5" in event


def test_the_month_is_londons(monkeypatch, centre, make_admin):
    """31 May 2026 23:30 UTC is 1 June 00:30 in London: the first of June, so selected again."""
    sampling.set_policy(0, 10, by=make_admin("platform_admin"))
    veteran = make_admin("assessment")
    may = [mark_at(monkeypatch, centre, veteran, datetime(2026, 5, 31, 20 + i, tzinfo=UTC)) for i in range(3)]
    june = mark_at(monkeypatch, centre, veteran, datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    assert [s.sample_selected for s in may] == [True, False, False]
    assert june.sample_selected and "June 2026" in june.sample_reason
    assert sampling.month_bounds(june.marked_at)[0] == datetime(2026, 5, 31, 23, tzinfo=UTC)


def test_a_policy_change_applies_to_results_marked_afterwards(monkeypatch, centre, assessor, make_admin):
    first = mark_at(monkeypatch, centre, assessor, NOV)
    sampling.set_policy(0, 100, by=make_admin("platform_admin"))
    commit()
    assert first.sample_selected and first.sample_basis is SampleBasis.NEW_ASSESSOR  # kept as decided
    later = [mark_at(monkeypatch, centre, assessor, NOV + timedelta(hours=i)) for i in (1, 2)]
    assert [s.sample_basis for s in later] == [SampleBasis.MONTHLY] * 2 and all(s.sample_selected for s in later)


# --- which results may be released, as a table -------------------------------------------------------------------

LEAD_NOTE = "Decision on AC 2.2 not supported by the evidence."


@pytest.mark.parametrize(("state", "releasable", "label", "message"), [
    (dict(), True, "Not selected: may be released", ""),
    (dict(sample_selected=True, sample_reason="new assessor: marked submission 2 of the first 5"), False,
     "Sample before release", "selected for sampling (new assessor: marked submission 2 of the first 5): a lead "
                              "assessor must sample it before it is released"),
    (dict(sample_selected=True, sample_outcome=SampleOutcome.CONFIRMED), True, "Sampled: confirmed", ""),
    (dict(sample_outcome=SampleOutcome.CONFIRMED), True, "Sampled: confirmed", ""),  # sampled though not selected
    (dict(sample_selected=True, sample_outcome=SampleOutcome.ISSUES_FOUND), False,
     "Issues found: re-mark, or a lead assessor confirms", "found issues in this result's sample"),
    (dict(sample_outcome=SampleOutcome.ISSUES_FOUND), False,  # issues in a sample it was not selected for
     "Issues found: re-mark, or a lead assessor confirms", "once its assessor re-marks it, or a lead assessor"),
    (dict(sample_selected=True, sample_outcome=SampleOutcome.ISSUES_FOUND, mitigation=Mitigation.REMARKED), True,
     "Issues found, then re-marked", ""),
    (dict(sample_outcome=SampleOutcome.ISSUES_FOUND, mitigation=Mitigation.CONFIRMED), True,
     "Issues found, then confirmed by a lead assessor", ""),
])
def test_which_results_can_be_released(centre, assessor, lead, state, releasable, label, message):
    if "sample_outcome" in state:
        state = {**state, "sampled_at": NOV, "sampled_by_id": lead.id, "sample_note": LEAD_NOTE}
    if "mitigation" in state:
        state = {**state, "mitigated_at": NOV, "mitigated_by_id": lead.id}
    sub = make_submission(centre, status=S.MARKED, assessor_id=assessor.id, result=Result.PASS, marked_at=NOV,
                          **state)
    computed = sampling.sampling_state(sub)
    assert (computed.releasable, computed.label) == (releasable, label)
    # The queue's filter agrees with the page.
    ids = set(db.session.execute(db.select(sampling.Submission.id).where(sampling.releasable())).scalars())
    assert (sub.id in ids) is releasable
    if releasable:
        assessment.release(sub, by=lead)
        assert sub.status is S.RELEASED
    else:
        with pytest.raises(Refused) as refused:
            assessment.release(sub, by=lead)
        assert message in refused.value.message
        assert sub.status is S.MARKED and sub.released_at is None


# --- the sample's outcome and the mitigation -----------------------------------------------------------------------

def marked(centre, assessor, **values):
    return make_submission(centre, status=S.MARKED, assessor_id=assessor.id, result=Result.PASS, marked_at=NOV,
                           sample_selected=True, sample_reason="new assessor: marked submission 1 of the first 5",
                           **values)


def test_issues_found_need_notes_and_tell_the_assessor(centre, assessor, lead, mailbox):
    sub = marked(centre, assessor)
    with pytest.raises(Refused, match="Say what the issues are") as refused:
        assessment.sample(sub, "issues_found", "   ", by=lead)
    assert refused.value.field == "note" and sub.sampled_at is None
    with pytest.raises(Refused, match="Choose the outcome"):
        assessment.sample(sub, "maybe", by=lead)
    assessment.sample(sub, SampleOutcome.ISSUES_FOUND, LEAD_NOTE, by=lead)
    commit()
    message = mailbox.last_to(assessor.email)
    assert "Issues found in a sample of your marking" in message["Subject"] and LEAD_NOTE in message.get_content()
    # The centre hears nothing until release (its Quality contact has only the set-password email).
    assert [m["Subject"] for m in mailbox.to(quality_contact_of(centre).email)] == ["Set your Centre Portal password"]
    assert audit_actions("submission.sampled") == [("submission.sampled", f"Issues found. {LEAD_NOTE}")]


def test_a_re_mark_mitigates_replacing_the_marked_sheet(centre, assessor, lead, app, signed_in):
    sub = make_submission(centre, status=S.MARKING, assessor_id=assessor.id)
    assessment.record_result(sub, Result.PASS, "", io.BytesIO(MARKED_SHEET), by=assessor)
    assessment.sample(sub, "issues_found", LEAD_NOTE, by=lead)
    commit()
    # Only the allocated assessor re-marks, and only while the issues are open.
    with pytest.raises(PermissionError):
        assessment.record_result(sub, Result.PASS, "", io.BytesIO(MARKED_SHEET), by=lead)
    assessment.record_result(sub, Result.REFERRED, "ac 2.2", io.BytesIO(MARKED_SHEET), filename="v2.docx",
                             by=assessor)
    commit()
    assert sub.status is S.MARKED and sub.result is Result.REFERRED and sub.referred_criteria == "AC 2.2"
    assert sub.mitigation is Mitigation.REMARKED and sub.mitigated_by_id == assessor.id
    assert "the earlier result was pass" in sub.mitigation_note
    kinds = sorted(f.kind.value for f in sub.files if f.kind is not FileKind.ASSESSMENT)
    assert kinds == ["marked_result_sheet", "superseded_marked_result_sheet"]
    with pytest.raises(Refused, match="marked, awaiting release"):  # no second re-mark once mitigated
        assessment.record_result(sub, Result.PASS, "", io.BytesIO(MARKED_SHEET), by=assessor)
    assert [a for a, _ in audit_actions("submission.")] == ["submission.marked", "submission.sampled",
                                                            "submission.remarked"]
    assessment.release(sub, by=lead)
    commit()
    # The centre sees the new marked sheet, never the one the lead assessor found issues in.
    client = signed_in(quality_contact_of(centre))
    page = client.get(f"/c/{centre.slug}/submissions/{sub.id}").get_data(as_text=True)
    assert page.count("marked-result-sheet") + page.count("marked result sheet") >= 1
    superseded = next(f for f in sub.files if f.kind is FileKind.SUPERSEDED_SHEET)
    current = next(f for f in sub.files if f.kind is FileKind.MARKED_RESULT_SHEET)
    assert f"/files/{current.id}" in page and f"/files/{superseded.id}" not in page


def test_a_lead_assessor_confirms_the_result_instead(centre, assessor, lead, make_admin):
    sub = marked(centre, assessor)
    with pytest.raises(Refused, match="Only a result whose sample found issues"):
        assessment.confirm_result(sub, "Fine", by=lead)
    assessment.sample(sub, "issues_found", LEAD_NOTE, by=lead)
    with pytest.raises(Refused, match="Say why") as refused:
        assessment.confirm_result(sub, " ", by=lead)
    assert refused.value.field == "note"
    marker_and_lead = make_admin("assessment", "lead_assessor")
    own = marked(centre, marker_and_lead, sampled_at=NOV, sampled_by_id=lead.id,
                 sample_outcome=SampleOutcome.ISSUES_FOUND, sample_note=LEAD_NOTE)
    with pytest.raises(Refused, match="another lead assessor confirms it"):
        assessment.confirm_result(own, "My decision stands", by=marker_and_lead)
    assessment.confirm_result(sub, "Discussed with the assessor: the evidence for AC 2.2 is in appendix B.", by=lead)
    commit()
    assert sub.mitigation is Mitigation.CONFIRMED and sub.mitigated_by_id == lead.id
    assert sampling.sampling_state(sub).releasable
    with pytest.raises(Refused, match="Only a result whose sample found issues"):
        assessment.confirm_result(sub, "Again", by=lead)
    assert audit_actions("submission.result_confirmed")[0][1].endswith("the evidence for AC 2.2 is in appendix B.")


# --- the policy a platform admin sets ------------------------------------------------------------------------------

def test_the_default_policy(app):
    policy = sampling.current_policy()
    assert (policy.new_assessor_count, policy.monthly_percent, policy.set_at) == (5, 10, None)
    assert policy.describe() == ("Each assessor's first 5 marked submissions, then 10% of each assessor's marked "
                                 "submissions each calendar month (at least one)")


def test_only_a_platform_admin_sets_the_policy(make_admin):
    for roles in (("assessment",), ("lead_assessor",), ("quality", "finance", "director")):
        with pytest.raises(PermissionError):
            sampling.set_policy(3, 20, by=make_admin(*roles))
    admin = make_admin("platform_admin")
    sampling.set_policy(3, 20, "More new assessors this term.", by=admin)
    commit()
    policy = sampling.current_policy()
    assert (policy.new_assessor_count, policy.monthly_percent, policy.set_by_id) == (3, 20, admin.id)
    (action, detail), = audit_actions("sampling.policy_set")
    assert detail == ("Was: Each assessor's first 5 marked submissions, then 10% of each assessor's marked "
                      "submissions each calendar month (at least one). Now: Each assessor's first 3 marked "
                      "submissions, then 20% of each assessor's marked submissions each calendar month (at least "
                      "one). More new assessors this term.")


@pytest.mark.parametrize(("count", "percent", "field", "message"), [
    (-1, 10, "new_assessor_count", "from 0 to 50"),
    (51, 10, "new_assessor_count", "from 0 to 50"),
    (5, 0, "monthly_percent", "every assessor's marking is sampled each month"),
    (5, 101, "monthly_percent", "from 1 to 100"),
    (5, 10, None, "policy in force already"),
])
def test_policy_refusals(make_admin, count, percent, field, message):
    with pytest.raises(Refused, match=message) as refused:
        sampling.set_policy(count, percent, by=make_admin("platform_admin"))
    assert refused.value.field == field
    assert db.session.execute(db.select(db.func.count(SamplingPolicy.id))).scalar_one() == 0


def test_the_policy_page(make_admin, signed_in):
    admin = make_admin("platform_admin")
    client = signed_in(admin)
    page = client.get("/admin/assessment/sampling-policy").get_data(as_text=True)
    assert "Each assessor&#39;s first 5 marked submissions" in page and "The default" in page
    response = client.post("/admin/assessment/sampling-policy", data={"new_assessor_count": "",
                                                                       "monthly_percent": "0"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter a number of submissions." in body and "every assessor&#39;s marking is sampled" in body
    response = client.post("/admin/assessment/sampling-policy", data={"new_assessor_count": "5",
                                                                       "monthly_percent": "10"})
    assert response.status_code == 422 and "policy in force already" in response.get_data(as_text=True)
    response = client.post("/admin/assessment/sampling-policy", data={
        "new_assessor_count": "8", "monthly_percent": "15", "note": "Standardisation event"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Sampling policy saved" in body and "Each assessor&#39;s first 8 marked submissions" in body
    assert "Standardisation event" in body and admin.name in body
    assert "Sampling policy" not in signed_in(make_admin("assessment")).get("/admin/assessment/").get_data(
        as_text=True)
