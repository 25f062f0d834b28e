"""SPEC §5.1, the rules: a draft from a template at provisioning, editing it, publishing immutable dated versions,
the three-yearly review."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.db import commit
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import Nation
from tenants.policy import services
from tenants.policy.document import text_blocks
from tenants.policy.models import ComplaintPolicy, PolicyStage, PolicyTemplate, PolicyVersion
from tenants.policy.templates import STAGES
from tests.conftest import quality_contact_of

AWARDING_BODY_STAGES = [("Investigation", 8), ("Review", 2), ("Final review", 10)]


def stages(policy) -> list[tuple[int, str, str, int]]:
    return [(s.position, s.name, s.handler, s.target_days) for s in policy.stages]


def events(action: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.execute(statement).scalars())


# --- provisioning and the two templates ------------------------------------------------------------------

def test_approving_a_centre_provisions_a_draft_from_the_awarding_body_model(centre, draft):
    assert draft is not None and draft.centre_id == centre.id
    assert draft.template is PolicyTemplate.AWARDING_BODY_MODEL
    assert draft.acknowledge_days == 2
    assert [(s.name, s.target_days) for s in draft.stages] == AWARDING_BODY_STAGES
    assert [s.position for s in draft.stages] == [1, 2, 3]
    assert all(s.centre_id == centre.id for s in draft.stages)
    assert draft.title == "Northgate Training complaints policy"
    # Written as the centre's own policy, with its own contact details and the regulator of its nation.
    assert "Northgate Training wants every learner" in draft.introduction
    assert "applicant" in draft.contact_details and "1 High St" in draft.contact_details
    assert "escalate your complaint to the awarding body" in draft.signposting
    assert "Ofqual" in draft.signposting and "SPSO" not in draft.signposting
    assert "ILM" not in draft.introduction + draft.signposting + draft.confidentiality  # the centre's voice
    assert services.current_version(centre) is None  # nothing public until the Quality contact publishes


def test_provisioning_publishes_nothing_and_the_draft_is_one_per_centre(centre, other_centre):
    assert db.session.execute(select(func.count(PolicyVersion.id))).scalar() == 0
    assert db.session.execute(select(func.count(ComplaintPolicy.id))).scalar() == 2


def test_the_three_stage_template_is_2_4_15_with_acknowledgement_in_2(centre, qc):
    policy = services.start_again(centre, PolicyTemplate.THREE_STAGE, by=qc)
    commit()
    assert policy.template is PolicyTemplate.THREE_STAGE
    assert policy.acknowledge_days == 2
    assert [s.target_days for s in policy.stages] == [2, 4, 15]
    assert [s.position for s in policy.stages] == [1, 2, 3]
    assert [e.detail for e in events("policy_draft_restarted")] == [
        "from the template: Three-stage policy (2, 4 and 15 working days)"]


@pytest.mark.parametrize(("nation", "public_body", "regulator", "spso"), [
    (Nation.ENGLAND, False, "Ofqual", False),
    (Nation.WALES, False, "Qualifications Wales", False),
    (Nation.NORTHERN_IRELAND, False, "CCEA", False),
    (Nation.SCOTLAND, False, "SQA", False),
    (Nation.SCOTLAND, True, "SQA", True),
])
def test_signposting_names_the_regulator_of_the_centres_nation(make_centre, nation, public_body, regulator, spso):
    policy = services.draft_of(make_centre(nation=nation, public_body=public_body))
    assert regulator in policy.signposting
    assert ("Scottish Public Services Ombudsman (SPSO)" in policy.signposting) is spso
    if spso:
        assert "12 months" in policy.signposting and "academic judgements" in policy.signposting


def test_template_texts_never_repeat_stage_targets(centre):
    """Targets live in the stage rows only: changing a stage can never leave the prose contradicting it."""
    policy = services.draft_of(centre)
    for template in PolicyTemplate:
        for stage in STAGES[template]:
            for text in (policy.introduction, policy.confidentiality, policy.signposting):
                assert f"{stage.target_days} working days" not in text


def test_starting_again_replaces_the_draft_and_keeps_published_versions(centre, qc, draft):
    services.update_section(centre, draft, "confidentiality", confidentiality="Our own words.", by=qc)
    services.publish(centre, by=qc)
    services.add_stage(centre, draft, name="Appeal", handler="Board", target_days=20, by=qc)
    commit()
    services.start_again(centre, PolicyTemplate.AWARDING_BODY_MODEL, by=qc)
    commit()
    draft = services.draft_of(centre)
    assert [(s.name, s.target_days) for s in draft.stages] == AWARDING_BODY_STAGES
    assert draft.confidentiality.startswith("We will keep your complaint confidential.")
    assert services.current_version(centre).confidentiality == "Our own words."
    assert db.session.execute(select(func.count(ComplaintPolicy.id))).scalar() == 1


def test_only_the_quality_contact_changes_the_policy(centre, draft, make_staff, other_centre):
    for actor in (make_staff(centre), quality_contact_of(other_centre), None):
        with pytest.raises(PermissionError):
            services.update_section(centre, draft, "confidentiality", confidentiality="x", by=actor)
        with pytest.raises(PermissionError):
            services.publish(centre, by=actor)
        with pytest.raises(PermissionError):
            services.start_again(centre, PolicyTemplate.THREE_STAGE, by=actor)
        with pytest.raises(PermissionError):
            services.remove_stage(centre, draft.stages[0], by=actor)


# --- editing the draft ------------------------------------------------------------------------------------

def test_update_section_cleans_and_checks_text(centre, qc, draft):
    services.update_section(centre, draft, "introduction", title="  Our   policy \n", by=qc,
                            introduction="First.\r\n\r\n- one\r\n- two\x0b\x00  \r\n")
    assert draft.title == "Our policy"
    assert draft.introduction == "First.\n\n- one\n- two"  # Windows line ends, control characters and spaces go
    with pytest.raises(Refused) as refused:
        services.update_section(centre, draft, "signposting", signposting=" \n ", by=qc)
    assert refused.value.field == "signposting"
    with pytest.raises(Refused, match="200 characters or fewer"):
        services.update_section(centre, draft, "introduction", title="x" * 201, introduction="ok", by=qc)
    with pytest.raises(ValueError):
        services.update_section(centre, draft, "contact", confidentiality="wrong section", by=qc)


@pytest.mark.parametrize("days", [0, 11, -1, True])
def test_acknowledgement_is_1_to_10_working_days(centre, qc, draft, days):
    with pytest.raises(Refused) as refused:
        services.update_section(centre, draft, "acknowledgement", acknowledge_days=days, by=qc)
    assert refused.value.field == "acknowledge_days"


def test_a_stage_needs_a_name_a_handler_and_a_target_of_1_to_60_days(centre, qc, draft):
    stage = draft.stages[0]
    for values, field in [({"name": " ", "handler": "H", "target_days": 5}, "name"),
                          ({"name": "N", "handler": "", "target_days": 5}, "handler"),
                          ({"name": "N", "handler": "H", "target_days": 0}, "target_days"),
                          ({"name": "N", "handler": "H", "target_days": 61}, "target_days"),
                          ({"name": "N" * 121, "handler": "H", "target_days": 5}, "name")]:
        with pytest.raises(Refused) as refused:
            services.update_stage(centre, stage, by=qc, **values)
        assert refused.value.field == field
    services.update_stage(centre, stage, name=" Local   resolution ", handler="Tutor", target_days=60, by=qc)
    assert (stage.name, stage.handler, stage.target_days) == ("Local resolution", "Tutor", 60)


def test_stages_can_be_added_up_to_five(centre, qc, draft):
    services.add_stage(centre, draft, name="Appeal panel", handler="Board", target_days=20, by=qc)
    services.add_stage(centre, draft, name="Governors", handler="Chair", target_days=30, by=qc)
    commit()
    assert [s.position for s in services.draft_of(centre).stages] == [1, 2, 3, 4, 5]
    with pytest.raises(Refused, match="up to 5 stages"):
        services.add_stage(centre, draft, name="Sixth", handler="Anyone", target_days=5, by=qc)


def test_removing_a_stage_renumbers_the_rest_and_one_stage_always_stays(centre, qc, draft):
    services.remove_stage(centre, draft.stages[0], by=qc)
    commit()
    draft = services.draft_of(centre)
    assert stages(draft) == [(1, "Review", "Team leader or manager", 2), (2, "Final review",
                                                                            "Head of centre or a director", 10)]
    services.remove_stage(centre, draft.stages[1], by=qc)
    commit()
    draft = services.draft_of(centre)
    with pytest.raises(Refused, match="at least one stage"):
        services.remove_stage(centre, draft.stages[0], by=qc)
    assert [s.name for s in draft.stages] == ["Review"]


def test_moving_stages_up_and_down(centre, qc, draft):
    first, second, third = draft.stages
    services.move_stage(centre, third, "up", by=qc)
    commit()
    assert [s.name for s in services.draft_of(centre).stages] == ["Investigation", "Final review", "Review"]
    services.move_stage(centre, first, "down", by=qc)
    commit()
    assert [(s.position, s.name) for s in services.draft_of(centre).stages] == [
        (1, "Final review"), (2, "Investigation"), (3, "Review")]
    with pytest.raises(Refused, match="already the first"):
        services.move_stage(centre, services.draft_of(centre).stages[0], "up", by=qc)
    with pytest.raises(Refused, match="already the last"):
        services.move_stage(centre, services.draft_of(centre).stages[-1], "down", by=qc)


# --- publishing --------------------------------------------------------------------------------------------

def test_publishing_makes_version_1_then_2_with_a_snapshot_a_date_and_an_audit_event(centre, qc, draft):
    first = services.publish(centre, by=qc)
    commit()
    assert (first.number, first.published_by_id, first.centre_id) == (1, qc.id, centre.id)
    assert first.published_at.tzinfo is not None
    assert first.stages == [{"name": "Investigation", "handler": "Complaints officer", "target_days": 8},
                            {"name": "Review", "handler": "Team leader or manager", "target_days": 2},
                            {"name": "Final review", "handler": "Head of centre or a director", "target_days": 10}]
    assert first.title == draft.title and first.signposting == draft.signposting
    services.update_stage(centre, draft.stages[0], name="Investigation", handler="Complaints officer",
                          target_days=6, by=qc)
    second = services.publish(centre, by=qc)
    commit()
    assert second.number == 2 and second.stages[0]["target_days"] == 6
    assert services.current_version(centre).id == second.id
    assert [v.number for v in services.versions_of(centre)] == [2, 1]
    assert [e.subject for e in events("policy_published")] == ["complaints policy version 1",
                                                               "complaints policy version 2"]


def test_versions_are_numbered_per_centre(centre, other_centre, qc):
    services.publish(centre, by=qc)
    services.publish(other_centre, by=quality_contact_of(other_centre))
    commit()
    assert services.current_version(centre).number == services.current_version(other_centre).number == 1


def test_editing_the_draft_after_publishing_does_not_change_the_published_version(centre, qc, draft):
    published = services.publish(centre, by=qc)
    commit()
    before = services.version_snapshot(published)
    services.update_section(centre, draft, "introduction", title="A new title", introduction="New words.", by=qc)
    services.update_stage(centre, draft.stages[0], name="Looked into", handler="Anyone", target_days=30, by=qc)
    services.remove_stage(centre, draft.stages[2], by=qc)
    services.add_stage(centre, draft, name="Extra", handler="Board", target_days=9, by=qc)
    services.start_again(centre, PolicyTemplate.THREE_STAGE, by=qc)
    commit()
    db.session.expire_all()
    again = db.session.get(PolicyVersion, published.id)
    assert services.version_snapshot(again) == before
    assert again.title == "Northgate Training complaints policy" and again.stages[0]["name"] == "Investigation"


def test_a_published_version_cannot_be_changed_through_the_orm(centre, qc):
    published = services.publish(centre, by=qc)
    commit()
    published.title = "Rewritten history"
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(PolicyVersion, published.id).title == "Northgate Training complaints policy"


def test_publishing_refuses_an_incomplete_draft(centre, qc, draft):
    draft.contact_details = ""  # as a draft left over from an older release might be
    commit()
    with pytest.raises(Refused, match="Enter how people can contact you"):
        services.publish(centre, by=qc)
    assert services.current_version(centre) is None


def test_publishing_without_a_draft_is_refused(centre, qc, draft):
    db.session.delete(draft)
    commit()
    with pytest.raises(Refused, match="no draft"):
        services.publish(centre, by=qc)


def test_unpublished_changes_compare_the_draft_with_the_current_version(centre, qc, draft):
    assert services.overview(centre).unpublished_changes  # nothing published yet
    services.publish(centre, by=qc)
    commit()
    assert not services.overview(centre).unpublished_changes
    services.move_stage(centre, services.draft_of(centre).stages[0], "down", by=qc)
    commit()
    assert services.overview(centre).unpublished_changes


# --- review due every three years ---------------------------------------------------------------------------

def _version_published(on: datetime) -> PolicyVersion:
    return PolicyVersion(number=1, published_at=on, title="t", acknowledge_days=2, stages=[])


@pytest.mark.parametrize(("published", "due"), [
    (datetime(2026, 11, 23, 10, 0, tzinfo=UTC), date(2029, 11, 23)),
    (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), date(2031, 2, 28)),  # no 29 February in 2031
    (datetime(2027, 6, 30, 23, 30, tzinfo=UTC), date(2030, 7, 1)),  # 00:30 on 1 July in London
])
def test_review_is_due_three_years_after_publication(published, due):
    assert _version_published(published).review_due == due


def test_review_state_is_current_then_due_soon_then_overdue():
    version = _version_published(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert services.review_state(version, date(2029, 8, 1)) is services.ReviewState.CURRENT
    assert services.review_state(version, date(2029, 8, 25)) is services.ReviewState.DUE_SOON
    assert services.review_state(version, date(2029, 11, 23)) is services.ReviewState.DUE_SOON  # due today
    assert services.review_state(version, date(2029, 11, 24)) is services.ReviewState.OVERDUE


# --- the text format -----------------------------------------------------------------------------------------

def test_text_blocks_make_paragraphs_bullets_and_keep_line_breaks():
    blocks = text_blocks("Intro line\nsecond line\n- one\n- two\n\n\nAfter.\n  \n- solo")
    assert [(b.kind, getattr(b, "lines", getattr(b, "items", None))) for b in blocks] == [
        ("paragraph", ("Intro line", "second line")), ("bullets", ("one", "two")), ("paragraph", ("After.",)),
        ("bullets", ("solo",))]
    assert text_blocks("") == [] and text_blocks(None) == []


def test_draft_stages_are_ordered_by_position(centre, qc, draft):
    services.move_stage(centre, draft.stages[2], "up", by=qc)
    commit()
    db.session.expire_all()
    rows = db.session.execute(select(PolicyStage.name).where(PolicyStage.policy_id == draft.id)
                              .order_by(PolicyStage.position)).scalars().all()
    assert rows == [s.name for s in services.draft_of(centre).stages] == ["Investigation", "Final review", "Review"]


def test_publishing_the_same_policy_again_needs_the_review_confirmed(centre, qc, draft):
    services.publish(centre, by=qc)
    commit()
    with pytest.raises(Refused, match="The draft is the same as version 1") as refused:
        services.publish(centre, by=qc)
    assert refused.value.field == "unchanged"
    db.session.rollback()
    assert services.publish(centre, by=qc, unchanged=True).number == 2
