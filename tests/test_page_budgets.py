"""Statement budgets for every page (issue 11 §5): each GET route of `app.url_map` is requested at two sizes of
data — the demo, then the demo with several times more of everything — and must run no more than its budget of
SQL statements at both, and the same number at both (no statement per row, whatever the data size).

The budgets are generated from the URL map: a GET route without a line in BUDGETS fails
`test_every_page_has_a_budget` with its endpoint named. Add one line per new page:
    "endpoint": (who, statements),
who is the visitor: "anonymous", "admin" (an awarding-body account with every role), "centre" (the Quality
contact of the demo's Northgate) or "half-signed-in" (the admin after the password, before the second step).
URL arguments come from the demo's records (`_arguments`).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from portal.cli import DEMO_PASSWORD
from portal.extensions import db

# endpoint: (who, most statements). One line per page, so new pages merge as one line each.
BUDGETS: dict[str, tuple[str, int]] = {
    "admin.application": ("admin", 3),
    "admin.applications": ("admin", 2),
    "admin.audit_log": ("admin", 5),
    "admin.centre": ("admin", 6),
    "admin.centre_list": ("admin", 2),
    "admin.dashboard": ("admin", 8),
    "admin.outbox": ("admin", 4),
    "admin.outbox_message": ("admin", 2),
    "admin.people": ("admin", 3),
    "admin_assessment.conflicts": ("admin", 4),
    "admin_assessment.download": ("admin", 2),
    "admin_assessment.index": ("admin", 4),
    "admin_assessment.queue": ("admin", 5),
    "admin_assessment.sampling_policy": ("admin", 4),
    "admin_assessment.submission": ("admin", 6),
    "admin_complaints.case": ("admin", 5),
    "admin_complaints.queue": ("admin", 3),
    "admin_eqa.index": ("admin", 5),
    "admin_invoicing.download": ("admin", 3),
    "admin_invoicing.fees": ("admin", 2),
    "admin_invoicing.invoices": ("admin", 3),
    "admin_invoicing.jobs": ("admin", 3),
    "admin_reports.export": ("admin", 2),
    "admin_reports.index": ("admin", 3),
    "auth.forgot_password": ("anonymous", 0),
    "auth.second_step": ("half-signed-in", 1),
    "auth.set_up_two_factor": ("centre", 2),
    "auth.two_factor_page": ("admin", 2),
    "auth.set_password": ("anonymous", 2),
    "auth.sign_in": ("anonymous", 0),
    "catalogue.add_unit": ("admin", 1),
    "catalogue.edit_unit": ("admin", 2),
    "catalogue.units": ("admin", 2),
    "centre.cases.case": ("centre", 8),
    "centre.cases.queue": ("centre", 5),
    "centre.complaints.escalate_without_link": ("anonymous", 1),
    "centre.complaints.malpractice": ("anonymous", 1),
    "centre.complaints.new": ("anonymous", 2),
    "centre.complaints.received": ("anonymous", 1),
    "centre.complaints.resend_link": ("anonymous", 1),
    "centre.complaints.result_dispute": ("anonymous", 1),
    "centre.complaints.start": ("anonymous", 2),
    "centre.complaints.track": ("anonymous", 4),
    "centre.invoicing.download": ("centre", 4),
    "centre.invoicing.index": ("centre", 4),
    "centre.learners.add": ("centre", 2),
    "centre.learners.edit": ("centre", 3),
    "centre.learners.index": ("centre", 4),
    "centre.learner_data.show": ("centre", 7),
    "centre.policy.add_stage": ("centre", 7),
    "centre.policy.edit_section": ("centre", 7),
    "centre.policy.edit_stage": ("centre", 6),
    "centre.policy.section": ("centre", 5),
    "centre.policy.show": ("centre", 5),
    "centre.policy.stage": ("centre", 6),
    "centre.policy.stages": ("centre", 5),
    "centre.policy.start_again": ("centre", 5),
    "centre.policy.version": ("centre", 4),
    "centre.public.home": ("anonymous", 2),
    "centre.public_policy.download": ("anonymous", 2),
    "centre.public_policy.page": ("anonymous", 2),
    "centre.reports.export": ("centre", 3),
    "centre.reports.index": ("centre", 3),
    "centre.staff.accounts": ("centre", 4),
    "centre.staff.audit_log": ("centre", 5),
    "centre.staff.dashboard": ("centre", 8),
    "centre.staff.request_account": ("centre", 2),
    "centre.submissions.download": ("centre", 5),
    "centre.submissions.show": ("centre", 6),
    "centre.submissions.tracker_page": ("centre", 5),
    "centre.submissions.upload_page": ("centre", 5),
    "complaints.direct": ("anonymous", 1),
    "complaints.index": ("anonymous", 1),
    "complaints.received": ("anonymous", 0),
    "complaints.resend": ("anonymous", 0),
    "complaints.track": ("anonymous", 3),
    "public.apply": ("anonymous", 0),
    "public.healthz": ("anonymous", 1),
    "public.home": ("anonymous", 1),
    "static": ("anonymous", 0),
}
# No page may be given more than this (issue 11's table).
CEILING = 8
# Pages that answer with something other than 200 for a plain visit with the demo's records.
STATUS = {"centre.complaints.received": 303, "complaints.received": 303}


def get_routes(app) -> list:
    """Every GET rule of the URL map (HEAD and OPTIONS come with GET)."""
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]


def test_every_page_has_a_budget(app):
    missing = sorted({rule.endpoint for rule in get_routes(app)} - set(BUDGETS))
    assert not missing, (f"pages without a statement budget: {', '.join(missing)} — add a line for each to "
                         "BUDGETS in tests/test_page_budgets.py")
    stale = sorted(set(BUDGETS) - {rule.endpoint for rule in get_routes(app)})
    assert not stale, f"budgets for endpoints that no longer exist: {', '.join(stale)}"
    over = {endpoint: budget for endpoint, (_, budget) in BUDGETS.items() if budget > CEILING}
    assert not over, f"budgets above the ceiling of {CEILING} statements: {over}"


# --- the data -----------------------------------------------------------------------------------------------------

def _seed_demo(app) -> dict:
    """The ids and tokens the URLs are built from (at the demo's Northgate unless said): the demo, plus the few
    records it has no page for: a direct complaint, live tracking and password links."""
    from portal.auth.models import PasswordLink, User
    from portal.auth.services import issue_password_link
    from portal.catalogue.models import Unit
    from portal.db import commit
    from portal.demo import seed_demo
    from portal.invoicing.models import Invoice
    from portal.mail import OutboundEmail
    from tenants.complaints import escalation, tracking
    from tenants.complaints.intake import ComplaintDetails
    from tenants.complaints.models import Category, Complaint, Route, Subject
    from tenants.learners.models import Learner
    from tenants.models import Centre, CentreStatus
    from tenants.policy.models import PolicyStage, PolicyVersion
    from tenants.submissions.models import Submission, SubmissionFile

    seed_demo(DEMO_PASSWORD)
    one = lambda statement: db.session.execute(statement.limit(1)).scalars().first()  # noqa: E731
    northgate = one(select(Centre).where(Centre.slug == "northgate"))
    direct, _ = escalation.submit_direct_complaint(ComplaintDetails(
        name="Pat Public", email="pat@example.org", summary="Your website lost my certificate order.",
        subject=Subject.PRODUCT_SERVICE, category=Category.WEBSITE), from_centre=None)
    db.session.flush()
    centre_case = one(select(Complaint).where(Complaint.centre_id == northgate.id, Complaint.route == Route.CENTRE)
                      .order_by(Complaint.id))
    escalated = one(select(Complaint).where(Complaint.centre_id == northgate.id,
                                            Complaint.escalated_at.is_not(None)))
    tokens = {"centre.complaints.track": tracking.issue_link(centre_case),
              "complaints.track": tracking.issue_link(direct)}
    member = one(select(User).where(User.email == "tom@northgate.example"))
    tokens["auth.set_password"] = issue_password_link(member, reason="A new password.")
    commit()
    submission = one(select(Submission).where(Submission.centre_id == northgate.id).order_by(Submission.id))
    assert db.session.execute(select(PasswordLink)).first()
    return {
        "slug": "northgate",
        "centre_id": northgate.id,
        "application_id": one(select(Centre.id).where(Centre.status == CentreStatus.APPLIED)),
        "submission_id": submission.id,
        "file_id": one(select(SubmissionFile.id).where(SubmissionFile.submission_id == submission.id)),
        "centre_case_id": centre_case.id,
        "escalated_id": escalated.id,
        "email_id": one(select(OutboundEmail.id)),
        "invoice_id": one(select(Invoice.id).where(Invoice.centre_id == northgate.id)),
        "unit_id": one(select(Unit.id)),
        "learner_id": one(select(Learner.id).where(Learner.centre_id == northgate.id)),
        "stage_id": one(select(PolicyStage.id).where(PolicyStage.centre_id == northgate.id)),
        "version_id": one(select(PolicyVersion.id).where(PolicyVersion.centre_id == northgate.id)),
        "tokens": tokens,
    }


def _grow(records: dict, times: int) -> None:
    """`times` more of every kind of record the pages list, made through the services (and, for invoices, copied
    rows): complaints at each point of their journey, direct complaints, learners, staff, submissions at each
    state, applications, invoices, emails and audit events (which the services write as they go)."""
    from portal.auth.models import User
    from portal.db import commit
    from portal.demo import _complain, _mark, _refer, _upload
    from portal.invoicing.models import Invoice, InvoiceLine
    from portal.workdays import Nation
    from tenants import services as centres
    from tenants.complaints import escalation, handling
    from tenants.complaints.intake import ComplaintDetails
    from tenants.complaints.models import Category, Subject
    from tenants.learners import services as learners
    from tenants.models import Centre
    from tenants.staff import services as staff
    from tenants.submissions.models import Result

    northgate = db.session.get(Centre, records["centre_id"])
    users = {u.email: u for u in db.session.execute(select(User)).scalars()}
    qc, admin = users["qc@northgate.example"], users["admin@awarding-body.example"]
    assessor, lead = users["assessor@awarding-body.example"], users["lead@awarding-body.example"]
    invoice = db.session.get(Invoice, records["invoice_id"])
    last_number = db.session.execute(select(db.func.max(Invoice.number))).scalar()
    for n in range(times):
        tag = f"grow{n}"
        learner = learners.add_learner(northgate, learners.LearnerDetails(
            first_name="Extra", last_name=f"Learner {n}", enrolment_number=f"XTR{n:04d}",
            qualification="ILM Level 3 Award in Leadership and Management",
            email=f"{tag}@northgate-learner.example"), by=qc)
        member = staff.request_staff_account(northgate, name=f"Extra Staff {n}", email=f"{tag}@northgate.example",
                                             job_title="Tutor", requested_by=qc)
        staff.approve_staff_account(northgate, member, by=qc)
        acknowledged = _complain(northgate, f"Learner {tag}", f"{tag}@learner.example", "Sessions were cancelled.")
        handling.acknowledge(acknowledged, by=qc)
        escalated = _complain(northgate, f"Escalating {tag}", f"e{tag}@learner.example", "The process was wrong.")
        for _ in range(len(escalated.policy_version.stages) - 1):
            handling.close_stage(escalated, "We found the process was followed.", by=qc)
            handling.learner_asks_next_stage(escalated)
        handling.close_stage(escalated, "Final review: the findings stand.", by=qc)
        escalation.escalate(escalated)
        escalation.submit_direct_complaint(ComplaintDetails(
            name=f"Public {tag}", email=f"p{tag}@example.org", summary="A late certificate.",
            subject=Subject.PRODUCT_SERVICE, category=Category.WEBSITE), from_centre=None)
        db.session.flush()
        made = [_upload(northgate, qc, learner.enrolment_number, unit, 300 + n)
                for unit in ("8600-301", "8600-302", "8600-303")]
        _mark(made[1], admin, assessor, Result.PASS)
        _refer(made[2], admin, assessor, lead)
        centres.submit_application(
            name=f"Applicant {tag}", nation=Nation.WALES, scottish_public_body=False, address="1 Road",
            contact_name="Applicant", contact_email=f"{tag}@applicant.example", qualifications_sought="ILM")
        last_number += 1
        copy = Invoice(centre_id=invoice.centre_id, week_start=invoice.week_start - timedelta(weeks=n + 1),
                       number=last_number, issue_date=invoice.issue_date - timedelta(weeks=n + 1),
                       subtotal_pence=invoice.subtotal_pence, vat_rate_bp=invoice.vat_rate_bp,
                       vat_pence=invoice.vat_pence, total_pence=invoice.total_pence)
        copy.lines = [InvoiceLine(**{c: getattr(line, c) for c in ("centre_id", "kind",
                                     "learner_name", "enrolment_number", "unit_code", "number", "occurred_at",
                                     "quantity", "unit_price_pence", "amount_pence")}, submission_id=submission.id)
                      for line in invoice.lines[:1] for submission in made]
        db.session.add(copy)
        commit()


# --- the visit ----------------------------------------------------------------------------------------------------

def _arguments(endpoint: str, rule, records: dict) -> list[dict]:
    """The URL arguments of a rule from the records (one set per value of an `any(...)` converter)."""
    by_name = {
        "slug": records["slug"], "submission_id": records["submission_id"], "file_id": records["file_id"],
        "email_id": records["email_id"], "invoice_id": records["invoice_id"], "unit_id": records["unit_id"],
        "learner_id": records["learner_id"], "stage_id": records["stage_id"], "version_id": records["version_id"],
        "section": "introduction", "filename": "portal.css",
        "centre_id": records["application_id"] if endpoint == "admin.application" else records["centre_id"],
        "complaint_id": records["escalated_id"] if endpoint.startswith("admin") else records["centre_case_id"],
        "token": records["tokens"].get(endpoint),
    }
    sets = [{}]
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            sets = [{**s, name: value} for s in sets for value in sorted(converter.items)]
        else:
            assert by_name.get(name) is not None, f"{endpoint}: no value for the URL argument <{name}>"
            sets = [{**s, name: by_name[name]} for s in sets]
    return sets


def _measure(app, clients: dict, records: dict, count_queries, *, warm: bool) -> dict[str, tuple[int, int]]:
    """(status, statements) of each page visit, keyed by its URL. Warm: each page is visited once before, as
    work done once a day (the tracker's service-wide referral rates) is not the page's cost."""
    from flask import url_for

    seen = {}
    for rule in get_routes(app):
        who = BUDGETS.get(rule.endpoint, ("admin", 0))[0]
        for args in _arguments(rule.endpoint, rule, records):
            with app.test_request_context():
                url = url_for(rule.endpoint, **args)
            client = clients[who]
            if warm:
                client.get(url).close()
            with count_queries() as statements:
                response = client.get(url)
            response.close()  # a file sent (static, downloads) is closed here
            seen[(rule.endpoint, url)] = (response.status_code, len(statements))
    return seen


def _signed_in(app, email: str | None, *, second_step: bool = True):
    """A client signed in as `email` (answering the second step of two-factor sign-in unless told not to)."""
    from tests.conftest import Auth

    client = app.test_client()
    if email and second_step:
        assert Auth(client).sign_in(email, DEMO_PASSWORD).status_code == 303, email
    elif email:
        response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 303 and response.location == "/sign-in/code", email
    return client


@pytest.fixture
def app_overrides(tmp_path):
    # The demo stores its submissions' files. Pages are counted as made, never as reused: the tracker's cache
    # (tenants/submissions/page_cache.py, tested with the tracker) would answer the warm visits from memory.
    return {"UPLOAD_DIR": str(tmp_path / "uploads"), "PAGE_CACHE_ENTRIES": 0}


def test_every_page_keeps_its_statement_budget_at_two_sizes(app, count_queries):
    records = _seed_demo(app)
    clients = {"anonymous": _signed_in(app, None), "admin": _signed_in(app, "admin@awarding-body.example"),
               "centre": _signed_in(app, "qc@northgate.example"),
               "half-signed-in": _signed_in(app, "admin@awarding-body.example", second_step=False)}
    small = _measure(app, clients, records, count_queries, warm=True)
    _grow(records, 2)
    large = _measure(app, clients, records, count_queries, warm=False)
    problems = []
    for (endpoint, url), (status, statements) in small.items():
        budget = BUDGETS.get(endpoint, (None, 0))[1]
        more_status, more = large[(endpoint, url)]
        expected = STATUS.get(endpoint, 200)
        if status != expected or more_status != expected:
            problems.append(f"{endpoint} {url}: answered {status} then {more_status}, expected {expected}")
        if statements > budget or more > budget:
            problems.append(f"{endpoint} {url}: {statements} then {more} statements, budget {budget}")
        elif statements != more:
            problems.append(f"{endpoint} {url}: {statements} statements with the demo, {more} with more data")
    assert not problems, "\n".join(problems)


def test_roles_are_read_once_a_request_with_the_signed_in_account_only(app, centre, make_staff, make_admin,
                                                                       count_queries):
    """Issue 11 §1: the signed-in account's roles come with it (one statement); the people a page lists by name
    never load theirs (roles used to follow every query that loaded users)."""
    from tests.conftest import Auth

    for _ in range(3):
        make_staff(centre)
    client = app.test_client()
    assert Auth(client).sign_in(make_admin("platform_admin")).status_code == 303
    with count_queries() as statements:
        page = client.get(f"/admin/centres/{centre.id}")
    assert page.status_code == 200
    reading_roles = [s for s in statements if "role_grant" in s]
    assert len(reading_roles) == 1 and "FROM user_account" in reading_roles[0], reading_roles
