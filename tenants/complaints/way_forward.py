"""The learner's way forward on a case: ONE decision from which the tracking page, the updates and the emails are
written, and against which the learner's actions are checked (SPEC §5.2, §5.3).

"Centre process first" never becomes "centre process forever":

- The centre's process is exhausted when its final stage is closed, or when one of its stages let its deadline
  pass without an outcome (open past the deadline, or closed after it). A deadline can only be extended before it
  passes, so a missed deadline stays missed: the right to escalate stays until the learner uses it or accepts.
- A stage's response is its outcome (closing it). An update ("we are looking into it") is not one.
- At the awarding body a stage still open past its deadline lets the learner ask for the next stage; its final
  stage past its deadline signposts the regulator.
- At a Scottish public-body centre the SPSO is shown once the centre's process is exhausted — beside escalation,
  or instead of it for a complaint only about the centre's staff — and again after the awarding body's final stage;
  never for a complaint about the awarding body's own products or services.

The invariant (tested by tests/complaints/test_way_forward_machine.py): in every state of a complaint the learner
waits for a stage whose deadline has not passed, has a choice (accept, next stage, escalate), is signposted where
to go next, or the case is finished.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.db import utcnow
from portal.workdays import to_london
from tenants.complaints.models import Complaint, ComplaintStage, Exhausted, Kind, Level, Route, Status
from tenants.complaints.signposting import SPSO, Regulator, only_about_public_body_staff, regulators_for, spso_applies
from tenants.complaints.stages import AWARDING_BODY_STAGES, is_final_centre_stage

ACCEPT, NEXT_STAGE, ESCALATE = "accept", "next_stage", "escalate"
LONDON_DATE = "%A %-d %B %Y"


def _day(moment: datetime) -> str:
    return to_london(moment).strftime(LONDON_DATE)


@dataclass(frozen=True)
class Eligibility:
    """Whether the case can go to the awarding body now: the reason it can, or why it cannot."""

    reason: Exhausted | None
    explanation: str

    @property
    def allowed(self) -> bool:
        return self.reason is not None


@dataclass(frozen=True)
class WayForward:
    """What the learner can do now, and the words that tell them."""

    choices: frozenset[str]
    escalation: Eligibility
    message: str  # what the learner can do now, as the page, the update and the email say it
    next_stage: str | None = None  # the stage a NEXT_STAGE choice opens
    regulators: tuple[Regulator, ...] = ()  # where the learner can go now, outside the portal
    regulators_heading: str = ""
    regulators_intro: str = ""
    waiting_until: datetime | None = None  # an open stage whose deadline has not passed
    finished: bool = False  # accepted, referred elsewhere, or the awarding body's final outcome given

    def refusal(self, decision: str) -> str:
        """Why `decision` is refused now, saying only what the portal will allow instead."""
        if decision == ESCALATE:
            return self.escalation.explanation
        lead = {ACCEPT: "There is no stage outcome waiting for your decision.",
                NEXT_STAGE: "There is no next stage to ask for now."}.get(decision, "That cannot be done.")
        return f"{lead} {self.message}".strip()


def centre_exhausted(complaint: Complaint, now: datetime) -> tuple[Exhausted, ComplaintStage] | None:
    """Whether the centre's process is exhausted, why, and by which stage."""
    stages = complaint.centre_stages
    if not stages:
        return None
    last = stages[-1]
    if last.closed_at is not None and is_final_centre_stage(complaint, last):
        return Exhausted.FINAL_STAGE_CLOSED, last
    missed = next((stage for stage in stages if stage.overdue(now)), None)
    return (Exhausted.DEADLINE_MISSED, missed) if missed is not None else None


def _staff_only_at_public_body(complaint: Complaint) -> bool:
    centre = complaint.centre
    return only_about_public_body_staff(centre.nation, centre.scottish_public_body,
                                        complaint.subject.value == "centre_staff")


def eligibility(complaint: Complaint, now: datetime | None = None) -> Eligibility:
    """Apply the "centre process first" rule to a case."""
    now = now or utcnow()
    if complaint.kind is not Kind.COMPLAINT or complaint.route is not Route.CENTRE:
        return Eligibility(None, "Only a complaint made to a centre can be escalated to the awarding body.")
    if complaint.escalated_at is not None:
        return Eligibility(None, "This complaint is already with the awarding body.")
    if complaint.status is Status.RESOLVED:
        return Eligibility(None, "This complaint is closed: you accepted the centre's outcome.")
    centre = complaint.centre
    exhausted = centre_exhausted(complaint, now)
    if _staff_only_at_public_body(complaint):
        when = ("The centre's process is exhausted, so the next step is" if exhausted else
                "After the centre's process the next step is")
        return Eligibility(None, f"Your complaint is only about the behaviour of {centre.name}'s staff, and "
                                 f"{centre.name} is a Scottish public body. {when} the {SPSO.name} ({SPSO.url}), "
                                 "not the awarding body.")
    if exhausted is not None:
        reason, stage = exhausted
        if reason is Exhausted.FINAL_STAGE_CLOSED:
            return Eligibility(reason, "The centre's final stage is closed.")
        return Eligibility(reason, f"{centre.name} did not give the outcome of {stage.name} by its deadline, the "
                                   f"end of {_day(stage.due)}.")
    stage = complaint.current_stage
    if stage.closed_at is not None:
        return Eligibility(None, f"{stage.name} of {centre.name}'s process is closed, but it is not the final "
                                 "stage: ask the centre for the next stage first.")
    return Eligibility(None, f"Your complaint is still at {stage.name} of {centre.name}'s complaints process. The "
                             f"centre has until the end of {_day(stage.due)} to give its outcome. You can escalate to "
                             "the awarding body once the centre's final stage is closed, or if the centre misses a "
                             "deadline without giving its outcome.")


def way_forward(complaint: Complaint, now: datetime | None = None) -> WayForward:
    """What the learner can do on this case now."""
    now = now or utcnow()
    verdict = eligibility(complaint, now)
    if complaint.kind is not Kind.COMPLAINT:
        return WayForward(frozenset(), verdict, complaint.referral_note, finished=True)
    if complaint.status is Status.RESOLVED:
        if complaint.regulator:  # the awarding body's final outcome
            return WayForward(frozenset(), verdict, _final_message(complaint), finished=True,
                              regulators=tuple(regulators_for(complaint)),
                              regulators_heading="If you are not happy with the final outcome",
                              regulators_intro="This is the end of the awarding body's complaints procedure. You "
                                               "can take your complaint to the regulator:")
        return WayForward(frozenset(), verdict, "You accepted the outcome. The complaint is closed.", finished=True)
    stage = complaint.current_stage
    if stage.level is Level.CENTRE:
        return _at_the_centre(complaint, stage, verdict, now)
    return _at_the_awarding_body(complaint, stage, verdict, now)


def _join(options: list[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def _at_the_centre(complaint: Complaint, stage: ComplaintStage, verdict: Eligibility, now: datetime) -> WayForward:
    centre = complaint.centre
    choices, options, said = set(), [], []
    next_stage = None
    if complaint.status is Status.AWAITING_LEARNER and not is_final_centre_stage(complaint, stage):
        next_stage = complaint.policy_version.stages[len(complaint.centre_stages)]["name"]
        choices.add(NEXT_STAGE)
        options.append(f"ask for the next stage of {centre.name}'s process ({next_stage})")
    if verdict.allowed:
        choices.add(ESCALATE)
        options.append("escalate your complaint to the awarding body")
        said.append(verdict.explanation if verdict.reason is Exhausted.DEADLINE_MISSED
                    else "This was the final stage of the centre's complaints process.")
    exhausted = centre_exhausted(complaint, now) is not None
    spso = exhausted and spso_applies(complaint)
    if spso:
        options.append(f"take it to the {SPSO.name}")
    staff_only = _staff_only_at_public_body(complaint)
    if staff_only:
        said.append(verdict.explanation)
    waiting = stage.due if stage.is_open and not stage.overdue(now) else None
    if complaint.status is Status.AWAITING_LEARNER:
        choices.add(ACCEPT)
        said.append(f"If you are not satisfied you can {_join(options)}, or accept the outcome." if options
                    else "You can accept the outcome.")
    elif options:
        said.append(f"You can now {_join(options)}.")
        if waiting is not None:
            said.append(f"Or wait for the outcome of {stage.name}, due by the end of {_day(waiting)}.")
    elif not staff_only:
        said.append(verdict.explanation)
    else:
        said.append(f"{centre.name} has until the end of {_day(stage.due)} to give the outcome of {stage.name}.")
    if spso:
        said.append(f"{SPSO.note} ({SPSO.url})")
    return WayForward(frozenset(choices), verdict, " ".join(said), next_stage=next_stage,
                      regulators=(SPSO,) if spso else (), waiting_until=waiting,
                      regulators_heading="The Scottish Public Services Ombudsman (SPSO)" if spso else "",
                      regulators_intro=(f"{centre.name} is a Scottish public body and its complaints process is "
                                        "exhausted:" if spso else ""))


def _at_the_awarding_body(complaint: Complaint, stage: ComplaintStage, verdict: Eligibility,
                          now: datetime) -> WayForward:
    stages = AWARDING_BODY_STAGES[complaint.route]
    index = len(complaint.awarding_body_stages)
    following = stages[index].name if index < len(stages) else None
    if complaint.status is Status.AWAITING_LEARNER:
        if following is None:  # not reached: the final stage's outcome resolves the case
            return WayForward(frozenset({ACCEPT}), verdict, "You can accept the outcome.")
        return WayForward(frozenset({ACCEPT, NEXT_STAGE}), verdict, next_stage=following,
                          message=f"If you are not satisfied you can ask for the next stage ({following}), or "
                                  "accept the outcome.")
    if not stage.overdue(now):
        return WayForward(frozenset(), verdict, waiting_until=stage.due,
                          message=f"{stage.name} is with {stage.handler}, who aim to give its outcome by the end of "
                                  f"{_day(stage.due)}.")
    late = f"{stage.name} was due to give its outcome by the end of {_day(stage.due)} and has not."
    if following is not None:
        return WayForward(frozenset({NEXT_STAGE}), verdict, next_stage=following,
                          message=f"{late} You can ask for the next stage ({following}) now, or wait for the outcome.")
    return WayForward(frozenset(), verdict, regulators=tuple(regulators_for(complaint)),
                      message=f"{late} You can take your complaint to the regulator now, or wait for the outcome.",
                      regulators_heading="The awarding body's final stage is past its deadline",
                      regulators_intro="The awarding body has not given its final outcome in time. You can take your "
                                       "complaint to the regulator:")


def _final_message(complaint: Complaint) -> str:
    where = "; ".join(f"{r.name} ({r.url}): {r.note}" for r in regulators_for(complaint))
    return ("This is the end of the awarding body's complaints procedure. If you are not happy with the final outcome "
            f"you can take it to the regulator: {where}")
