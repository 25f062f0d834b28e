"""The demonstration data of `make run`: an awarding-body admin, an assessor and a lead assessor, two centres
(Northgate with submissions in the awarding body's queues, sampling among them), one application.

So the awarding body's overview has something in each of its parts, the demo also leaves:
- results released in each of the last two complete months at both centres, Northgate's referred and Fife's
  passed, so Northgate's referral rate is above the service's in both months and it is flagged for its External
  Quality Assurer, as `service_referral_rates` flags any centre (SPEC §6.3);
- a failed invoicing run: the Wednesday run went before anyone had entered the fee schedule, failed on the
  centre-week it could not price, and was recorded as every run is (`run_invoicing_recorded`); the fees were then
  entered and the run was re-run, which made the invoice."""
from __future__ import annotations

import functools
import io
import logging
import random
from datetime import UTC, date, datetime, time, timedelta

import pyotp
from flask import current_app
from sqlalchemy import select

from portal.admin import assessment_services as assessment
from portal.auth import roles
from portal.auth.models import AccountStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.catalogue import services as catalogue
from portal.catalogue.models import Unit
from portal.catalogue.seed import seed_catalogue
from portal.db import commit, utcnow
from portal.extensions import db
from portal.fees import FeeSchedule
from portal.invoicing.runs import run_invoicing_recorded
from portal.tenancy import for_centre
from portal.workdays import LONDON, Nation, add_working_days, deadline, is_working_day, london_date, to_london
from tenants import services as centres
from tenants.complaints import escalation, handling, intake
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Category, Complaint, Kind
from tenants.learners import services as learners
from tenants.learners.models import Learner, LearnerStatus
from tenants.models import Centre
from tenants.policy import services as policy
from tenants.policy.models import PolicyTemplate
from tenants.staff import services as staff
from tenants.submissions import naming
from tenants.submissions import upload as uploads
from tenants.submissions.models import Result, Submission
from tenants.submissions.tracker import complete_months

CENTRES = [
    dict(name="Northgate Training Ltd", nation=Nation.ENGLAND, scottish_public_body=False,
         address="1 Northgate, Leeds LS1 4AP", contact_name="Priya Shah", contact_email="priya@northgate.example",
         qualifications_sought="ILM Leadership & Management levels 3 and 5", slug="northgate",
         number="100001", qc=("Priya Shah", "qc@northgate.example"),
         staff=("Tom Baker", "tom@northgate.example"), pending=("Ana Lopes", "ana@northgate.example"),
         units=("8600-301", "8600-302", "8600-303", "8600-304", "8600-501", "8600-502", "8600-503"),
         learners=(("Olivia", "Hughes", "NGT1042", "ILM Level 3 Certificate in Leadership and Management"),
                   ("Daniel", "Okafor", "NGT1043", "ILM Level 5 Certificate in Leadership and Management"),
                   ("Grace", "Whitfield", "NGT0998", "ILM Level 3 Award in Leadership and Management"))),
    dict(name="Fife College of Leadership", nation=Nation.SCOTLAND, scottish_public_body=True,
         address="Pittsburgh Road, Dunfermline KY11 8DY", contact_name="Iain Murray",
         contact_email="iain@fife.example", qualifications_sought="ILM Coaching & Mentoring 8585",
         slug="fife-college", number="100002", qc=("Iain Murray", "qc@fife.example"),
         staff=("Morag Reid", "morag@fife.example"), pending=("Callum Ross", "callum@fife.example"),
         units=("8585-300", "8585-301", "8585-302", "8585-303", "8588-500", "8588-501", "8588-502", "8588-503"),
         learners=(("Eilidh", "MacLeod", "FCL2201", "ILM Level 3 Certificate in Effective Coaching and Mentoring"),
                   ("Ross", "Campbell", "FCL2202", "ILM Level 5 Certificate in Management Coaching and Mentoring"),
                   ("Fiona", "Duncan", "FCL2150", "ILM Level 3 Certificate in Effective Coaching and Mentoring"))),
]


def _activate(user: User, password: str) -> None:
    user.status, user.password_hash = AccountStatus.ACTIVE, hash_password(password)


def _complain(centre: Centre, name: str, email: str, summary: str, **extra) -> Complaint:
    details = ComplaintDetails(name=name, email=email, summary=summary, outcome_wanted="An explanation",
                               category=extra.pop("category", Category.PROCESS_NOT_FOLLOWED), **extra)
    complaint, _ = intake.submit_complaint(centre, details)
    return complaint


def _complaints_demo(centre: Centre, qc: User, slug: str) -> None:
    """Publish the centre's policy and leave complaints at each point of the journey (links: see the outbox)."""
    if slug == "fife-college":
        policy.start_again(centre, PolicyTemplate.THREE_STAGE, by=qc)
    policy.publish(centre, by=qc)
    _complain(centre, "Jo Bloggs", f"jo@{slug}-learner.example", "My certificate has not arrived after 10 weeks.",
              category=Category.CERTIFICATE_LATE)
    acknowledged = _complain(centre, "Ravi Patel", f"ravi@{slug}-learner.example",
                             "My tutor cancelled three sessions without notice.")
    handling.acknowledge(acknowledged, by=qc)
    reply_by = to_london(acknowledged.current_stage.due)
    handling.post_update(acknowledged, f"We are speaking to the tutor and will reply by {reply_by:%A %-d %B}.",
                         learner_visible=True, by=qc)
    overdue = _complain(centre, "Chris Lee", f"chris@{slug}-learner.example", "I was charged twice for registration.",
                        category=Category.FINANCE)
    # The centre missed its deadline: the case came in long enough ago that its response was due two working days
    # before today (working days of the centre's nation, as every clock).
    stage = overdue.current_stage
    _received_earlier(overdue, _working_days_before(london_date(utcnow()), stage.target_days + 2, centre.nation))
    escalated = _complain(centre, "Alex Kim", f"alex@{slug}-learner.example",
                          "The assessment process was not followed as published.")
    for _ in range(len(escalated.policy_version.stages) - 1):
        handling.close_stage(escalated, "We reviewed the process and found it was followed.", by=qc)
        handling.learner_asks_next_stage(escalated)
    handling.close_stage(escalated, "Final review: we uphold the earlier findings.", by=qc)
    escalation.escalate(escalated)
    intake.record_referral(centre, Kind.MALPRACTICE, ComplaintDetails(
        name="A. Nonymous", email=f"report@{slug}-learner.example", summary="Answers to the unit test were shared."))
    _resolved_history(centre, qc, slug)


# Complaints resolved in earlier months, so the overview's and the reports' trends have something to show:
# (months ago, resolved within the deadline?) — most on time, some late.
HISTORY = ((5, True), (4, True), (4, False), (3, True), (3, True), (2, True), (2, False), (2, False), (1, True),
           (1, True))


def _resolved_history(centre: Centre, qc: User, slug: str) -> None:
    """Cases received on the 5th of earlier months, acknowledged, answered (on time or late) and accepted."""
    from tenants.complaints.models import ComplaintUpdate

    today = london_date(utcnow())
    for n, (months_ago, on_time) in enumerate(HISTORY):
        month = (today.month - months_ago - 1) % 12 + 1
        year = today.year - (1 if month > today.month else 0)
        case = _complain(centre, f"Learner {n + 1}", f"past{n + 1}@{slug}-learner.example",
                         "My feedback came later than the centre promised.", category=list(Category)[n % 7])
        _received_earlier(case, date(year, month, 5))  # its clocks, history and emails move with it
        handling.acknowledge(case, by=qc)
        handling.close_stage(case, "We apologise: feedback is now given within the published time.", by=qc)
        handling.learner_accepts(case)
        db.session.flush()
        stage = case.current_stage
        stage.acknowledged_at = case.received_at + timedelta(days=1)
        answered = stage.respond_due - timedelta(days=1) if on_time else stage.respond_due + timedelta(days=3)
        stage.responded_at = stage.closed_at = answered
        stage.learner_decided_at = case.closed_at = answered + timedelta(days=1)
        for entry in db.session.execute(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == case.id,
                                                                      ComplaintUpdate.kind != "received")).scalars():
            entry.at = answered  # the acknowledgement, the outcome and the acceptance, as they happened


def _working_days_before(day: date, n: int, nation: Nation) -> date:
    """The working day `n` working days before `day`: `add_working_days` of the answer, n, gives `day` back when
    `day` is a working day (or the working day after it when it is not)."""
    earlier = day
    while add_working_days(earlier, n, nation) > day or not is_working_day(earlier, nation):
        earlier -= timedelta(days=1)
    return earlier


def _received_earlier(complaint: Complaint, day: date) -> None:
    """Move a case just submitted back to 10:00 (London) on `day`, as if it had come in then: its first stage's
    clocks are worked out again from that moment with the working-day service, and its history, emails and audit
    events move with it (the dates they quote are rewritten to the new deadlines)."""
    from portal.audit import AuditEvent
    from portal.mail import OutboundEmail
    from tenants.complaints.models import ComplaintNotice, ComplaintUpdate

    db.session.flush()
    received = datetime.combine(day, time(10), LONDON).astimezone(UTC)
    delta = complaint.received_at - received
    stage = complaint.current_stage
    nation = complaint.centre.nation
    old_due = f"{to_london(stage.acknowledge_due):%A %-d %B %Y}"
    complaint.received_at = stage.opened_at = received
    stage.acknowledge_due = deadline(received, complaint.policy_version.acknowledge_days, nation)
    stage.respond_due = deadline(received, stage.target_days, nation)
    new_due = f"{to_london(stage.acknowledge_due):%A %-d %B %Y}"
    for entry in db.session.execute(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint.id)
                                    ).scalars():
        entry.at -= delta
        entry.body = entry.body.replace(old_due, new_due)
    for notice in db.session.execute(select(ComplaintNotice).where(ComplaintNotice.complaint_id == complaint.id)
                                     ).scalars():
        notice.at -= delta
        email = db.session.get(OutboundEmail, notice.email_id) if notice.email_id else None
        if email is not None:
            email.created_at -= delta
            email.body = email.body.replace(old_due, new_due)
    for event in db.session.execute(select(AuditEvent).where(AuditEvent.subject == complaint.reference)).scalars():
        event.at -= delta


def _catalogue_demo(centre: Centre, admin: User, qc: User, spec: dict) -> None:
    """The awarding body approves the centre for its units; the centre registers a few more learners (the last
    one has completed)."""
    units = db.session.execute(db.select(Unit.id).where(Unit.code.in_(spec["units"]))).scalars().all()
    catalogue.approve_units(centre, units, by=admin)
    for first, last, enr, qualification in spec["learners"]:
        learner = learners.add_learner(centre, learners.LearnerDetails(
            first_name=first, last_name=last, enrolment_number=enr, qualification=qualification,
            email=f"{first.lower()}.{last.lower()}@{spec['slug']}-learner.example"), by=qc)
    learners.set_status(centre, learner, LearnerStatus.COMPLETED, by=qc)


# --- submissions (Northgate): generated Word files stored through the real upload service -------------------------

_WORDS = ("team", "leader", "change", "plan", "review", "feedback", "goal", "communication", "stakeholder", "coaching",
          "performance", "motivation", "objective", "delegation", "conflict", "budget", "risk", "culture", "learning",
          "meeting", "decision", "evidence", "reflection", "improvement", "workplace", "trust", "priority")


@functools.lru_cache(maxsize=64)
def _docx(*texts: str) -> bytes:
    """A Word document with one paragraph per text (python-docx, as a learner's word processor would write it).

    Made once per process for the same texts: the same essay or result sheet is then the same file, byte for byte,
    however many times a process seeds the demo (the test suite seeds it in many tests)."""
    from docx import Document

    document = Document()
    for text in texts:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _essay(words: int, seed: int) -> bytes:
    """`words` words of generated text (not meant to be read), a hundred to a paragraph, under a title."""
    rng = random.Random(seed)
    text = [rng.choice(_WORDS) for _ in range(words)]
    return _docx("Leading a team through change", *(" ".join(text[i:i + 100]).capitalize() + "."
                                                    for i in range(0, words, 100)))


def _result_sheet(learner: Learner, *lines: str) -> bytes:
    return _docx("ILMA result sheet", f"Learner name: {learner.full_name}",
                 f"Enrolment number: {learner.enrolment_number}", *lines)


def _upload(centre: Centre, qc: User, enr: str, unit_code: str, words: int, *, number: int = 1,
            at: datetime | None = None) -> Submission:
    learner = db.session.execute(for_centre(Learner, centre).where(Learner.enrolment_number == enr)).scalar_one()
    unit = db.session.execute(db.select(Unit).where(Unit.code == unit_code)).scalar_one()
    name = naming.learner_stem(learner, number) + ".docx"  # as a careful centre names the file
    files = uploads.UploadFiles(assessment=uploads.Incoming(name, io.BytesIO(_essay(words, seed=len(enr) + words))),
                                result_sheet=uploads.Incoming("result sheet.docx", io.BytesIO(_result_sheet(learner))))
    submission = uploads.upload_submission(
        centre, learner=learner, unit=unit, files=files, cover_page=True, accept_corrected_name=False, by=qc,
        upload_dir=current_app.config["UPLOAD_DIR"], now=at or utcnow())
    db.session.flush()
    return submission


def _mark(submission: Submission, admin: User, assessor: User, result: Result, criteria: str = "") -> None:
    """Quality check, allocation, and the assessor's result with its marked result sheet."""
    assessment.accept_quality_check(submission, by=admin)
    assessment.allocate(submission, assessor, by=admin)
    lines = ([f"Result: referred on {criteria}.", "Feedback: evaluate the options you considered."]
             if criteria else ["Result: pass.", "Feedback: a clear account of leading the team through change."])
    assessment.record_result(submission, result, criteria, io.BytesIO(_result_sheet(submission.learner, *lines)),
                             filename="marked result sheet.docx", by=assessor)


def _refer(submission: Submission, admin: User, assessor: User, lead: User) -> None:
    """A referral, confirmed by the lead assessor's sample (a new assessor's results are all sampled), released."""
    _mark(submission, admin, assessor, Result.REFERRED, "AC 1.2, AC 3.1")
    assessment.sample(submission, "confirmed", "Referral agreed: the feedback says what to rework.", by=lead)
    assessment.release(submission, by=lead)


def _backdate(submission: Submission, delta: timedelta, nation: Nation) -> None:
    """Move a submission's history back in time (so the demo has a resubmission in a week already invoiced). Its
    clocks are worked out again from the earlier start with the working-day service: moving a deadline by calendar
    days would miss the bank holidays in between."""
    for name in ("uploaded_at", "clock_started_at", "qc_decided_at", "allocated_at", "marked_at", "sampled_at",
                 "released_at"):
        if getattr(submission, name) is not None:
            setattr(submission, name, getattr(submission, name) - delta)
    submission.qc_due = deadline(submission.clock_started_at, uploads.QC_WORKING_DAYS, nation)
    submission.sla_due = deadline(submission.clock_started_at, uploads.SLA_WORKING_DAYS, nation)


def _submissions_demo(centre: Centre, qc: User, admin: User, assessor: User, lead: User) -> None:
    """One submission awaiting quality check, one released referral (so "Start resubmission 2" shows), one held
    over the word limit (the fee choice), and for the lead assessor: a pass awaiting its sample, and a referral
    whose sample found issues (held until the assessor re-marks it or the lead assessor confirms it)."""
    _upload(centre, qc, "NGT1042", "8600-301", 1850)
    _refer(_upload(centre, qc, "NGT1043", "8600-501", 3900), admin, assessor, lead)
    _upload(centre, qc, "ABC123", "8600-502", 5400)
    # A referral three weeks ago and its resubmission in the week before last: invoiced on a past Wednesday.
    earlier = _upload(centre, qc, "ABC123", "8600-301", 2600)
    _refer(earlier, admin, assessor, lead)
    _backdate(earlier, timedelta(days=21), centre.nation)
    _upload(centre, qc, "ABC123", "8600-301", 2700, number=2, at=utcnow() - timedelta(days=14))
    _mark(_upload(centre, qc, "NGT1042", "8600-302", 2300), admin, assessor, Result.PASS)
    held = _upload(centre, qc, "NGT1043", "8600-503", 2900)
    _mark(held, admin, assessor, Result.REFERRED, "AC 2.1")
    assessment.sample(held, "issues_found", "AC 2.1 is met on page 4 (the team meeting evidence): the referral looks "
                      "wrong. Re-mark, or tell me why it stands.", by=lead)


# Results released in the last two complete months (SPEC §6.3), the month before last first: (centre, enrolment
# number, unit, result). Northgate's are referred and Fife's passed: Northgate's rate is above the service's in both.
RELEASED_EARLIER = ((("northgate", "NGT0998", "8600-303", Result.REFERRED),
                     ("fife-college", "FCL2201", "8585-301", Result.PASS),
                     ("fife-college", "FCL2202", "8588-501", Result.PASS)),
                    (("northgate", "NGT0998", "8600-304", Result.REFERRED),
                     ("fife-college", "FCL2201", "8585-302", Result.PASS),
                     ("fife-college", "FCL2202", "8588-502", Result.PASS)))


def _released_in(submission: Submission, month_start: datetime, nation: Nation) -> None:
    """Move a submission just released back so its result was released at 10:00 (London) on the 12th of the month
    starting at `month_start`: its history moves with it and its clocks are worked out again (`_backdate`)."""
    released = datetime.combine(month_start.date().replace(day=12), time(10), LONDON).astimezone(UTC)
    _backdate(submission, submission.released_at - released, nation)


def _referral_rates_demo(by_slug: dict[str, tuple[Centre, User]], admin: User, assessor: User, lead: User) -> None:
    """Results released in each of the last two complete months at both centres, through the assessment services
    (quality check, allocation, marking, the lead assessor's sample, release), then moved back into their month:
    the EQA page and the overview flag Northgate, as they would any centre above the service's rate."""
    for month_start, results in zip(complete_months(utcnow())[:2], RELEASED_EARLIER, strict=True):
        for slug, enr, unit, result in results:
            centre, qc = by_slug[slug]
            submission = _upload(centre, qc, enr, unit, 2100)
            _mark(submission, admin, assessor, result, "AC 1.1" if result is Result.REFERRED else "")
            assessment.sample(submission, "confirmed", "Agreed: the feedback says what the result rests on.", by=lead)
            assessment.release(submission, by=lead)
            _released_in(submission, month_start, centre.nation)


def _failed_invoicing_run(admin: User) -> None:
    """The Wednesday invoicing ran before the fee schedule was entered: the centre-week with a resubmission could not
    be priced, so the run failed and was recorded as failed (the jobs page and the overview show it). The admin then
    entered the fees (£45.00 a resubmission, VAT 20%, from 1 January 2026) and re-ran it, which made the invoice."""
    today = london_date(utcnow())
    # The failure is the demo's own: its traceback would only alarm whoever ran `make run` (the run records it).
    invoicing_log = logging.getLogger("portal.invoicing.services")
    level = invoicing_log.level
    invoicing_log.setLevel(logging.CRITICAL)
    try:
        failed, _ = run_invoicing_recorded(today)
    finally:
        invoicing_log.setLevel(level)
    if not failed.error:
        raise RuntimeError("the demo's first invoicing run was meant to fail for want of a fee schedule")
    db.session.add(FeeSchedule(effective_from=date(2026, 1, 1), resubmission_fee_pence=4500, vat_rate_bp=2000,
                               created_by_id=admin.id))
    commit()
    run_invoicing_recorded(today, rerun_of=failed.id)


def seed_demo(password: str) -> None:
    """Create the demo through the same services the portal uses (so the audit log and outbox fill up)."""
    admin = User(email="admin@awarding-body.example", name="Alex Morgan", job_title="Platform administrator",
                 status=AccountStatus.ACTIVE, password_hash=hash_password(password),
                 role_grants=[RoleGrant(role=role) for role in Role])
    assessor = User(email="assessor@awarding-body.example", name="Jordan Ellis", job_title="Assessor",
                    status=AccountStatus.ACTIVE, password_hash=hash_password(password),
                    role_grants=[RoleGrant(role=Role.ASSESSMENT)])
    lead = User(email="lead@awarding-body.example", name="Rae Lindqvist", job_title="Lead Assessor",
                status=AccountStatus.ACTIVE, password_hash=hash_password(password))
    # A platform admin must sign in with a second factor: the demo admin is enrolled with a fresh secret, which
    # `flask demo` prints (add it to an authenticator app, or compute the codes with pyotp).
    admin.two_factor_secret, admin.two_factor_enabled_at = pyotp.random_base32(), utcnow()
    db.session.add_all([admin, assessor, lead])
    db.session.flush()
    roles.appoint(lead, Role.LEAD_ASSESSOR, by=admin)  # appointed by a platform admin, as on the people page
    seed_catalogue()
    by_slug = {}
    for spec in CENTRES:
        centre = centres.submit_application(
            name=spec["name"], nation=spec["nation"], scottish_public_body=spec["scottish_public_body"],
            address=spec["address"], contact_name=spec["contact_name"], contact_email=spec["contact_email"],
            qualifications_sought=spec["qualifications_sought"])
        centre.applied_at = utcnow() - timedelta(days=30)
        qc = centres.approve_application(centre, slug=spec["slug"], centre_number=spec["number"],
                                         quality_contact_name=spec["qc"][0], quality_contact_email=spec["qc"][1],
                                         by=admin)
        _activate(qc, password)
        member = staff.request_staff_account(centre, name=spec["staff"][0], email=spec["staff"][1],
                                             job_title="Tutor", requested_by=qc)
        staff.approve_staff_account(centre, member, by=qc)
        _activate(member, password)
        staff.request_staff_account(centre, name=spec["pending"][0], email=spec["pending"][1],
                                    job_title="Assessor", requested_by=member)
        db.session.add(Learner(centre_id=centre.id, first_name="Sam", last_name="Smith",
                               email=f"sam.smith@{spec['slug']}-learner.example", enrolment_number="ABC123",
                               qualification="ILM Level 5 Certificate in Leadership and Management"))
        _catalogue_demo(centre, admin, qc, spec)
        by_slug[spec["slug"]] = (centre, qc)
        _complaints_demo(centre, qc, spec["slug"])
        if spec["slug"] == "northgate":
            _submissions_demo(centre, qc, admin, assessor, lead)
    centres.submit_application(
        name="Harbour Skills CIC", nation=Nation.NORTHERN_IRELAND, scottish_public_body=False,
        address="12 Donegall Quay, Belfast BT1 3EA", contact_name="Niamh Kelly",
        contact_email="niamh@harbour.example", qualifications_sought="ILM Leadership & Management level 3")
    _referral_rates_demo(by_slug, admin, assessor, lead)
    commit()
    _failed_invoicing_run(admin)  # what the Wednesday job did: a failed run, then its re-run made one invoice
