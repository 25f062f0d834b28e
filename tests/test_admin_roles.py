"""The awarding body's area (/admin): every route walked as anonymous, centre staff, and awarding-body staff
with and without the roles the route needs (SPEC §1, `portal.web.requires_role`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from portal import create_app
from portal.auth.models import Role
from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.config import TestConfig
from portal.db import utcnow
from portal.extensions import db
from portal.mail import OutboundEmail
from portal.workdays import Nation
from tenants import services as centres
from tenants.complaints.escalation import submit_direct_complaint
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Status
from tenants.models import Centre
from tests.assessment.factory import route_records as assessment_records
from tests.conftest import Auth, make_awarding_body_user, quality_contact_of

ADMIN_PREFIX = "/admin"

# Routes under /admin without `required_roles`: open to every awarding-body account, whatever its roles.
# Anything else under /admin must be guarded by @requires_role, or this list must say it is open on purpose.
OPEN_TO_ALL_AWARDING_BODY_STAFF = {"admin.dashboard"}


@dataclass(frozen=True)
class AdminRoute:
    """records: URL argument -> which record of the `records` fixture it names; values: literal arguments."""

    records: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


ADMIN_ROUTES: dict[str, AdminRoute] = {
    "admin.dashboard": AdminRoute(),
    "admin.applications": AdminRoute(),
    "admin.application": AdminRoute(records={"centre_id": "application"}),
    "admin.decline_application": AdminRoute(records={"centre_id": "application"}),
    "admin.centre_list": AdminRoute(),
    "admin.centre": AdminRoute(records={"centre_id": "centre"}),
    "admin.request_staff": AdminRoute(records={"centre_id": "centre"}),
    "admin.appoint_quality_contact": AdminRoute(records={"centre_id": "centre"}),
    "admin.change_status": AdminRoute(records={"centre_id": "centre"}, values={"new_status": "suspended"}),
    "admin.outbox": AdminRoute(),
    "admin.outbox_message": AdminRoute(records={"email_id": "email"}),
    "admin.audit_log": AdminRoute(),
    "admin.people": AdminRoute(),
    "admin.change_role": AdminRoute(records={"user_id": "person"}),
    "admin.reset_two_factor": AdminRoute(records={"user_id": "person"}),
    "admin_complaints.queue": AdminRoute(),
    "admin_complaints.case": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.acknowledge": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.assign": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.post_update": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.extend": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.announce_centre_contact": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.record_centre_contacted": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_complaints.close_stage": AdminRoute(records={"complaint_id": "complaint"}),
    "admin_assessment.index": AdminRoute(),
    "admin_assessment.queue": AdminRoute(values={"queue_name": "marking"}),
    "admin_assessment.submission": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.download": AdminRoute(records={"submission_id": "submission", "file_id": "submission_file"}),
    "admin_assessment.accept": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.reject": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.allocate": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.record_result": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.sample": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.confirm_result": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.sampling_policy": AdminRoute(),
    "admin_assessment.release": AdminRoute(records={"submission_id": "submission"}),
    "admin_assessment.conflicts": AdminRoute(),
    "admin_reports.index": AdminRoute(),
    "admin_reports.export": AdminRoute(),
    "admin_eqa.index": AdminRoute(),
    "admin_eqa.record_follow_up": AdminRoute(),
    "admin_invoicing.invoices": AdminRoute(),
    "admin_invoicing.download": AdminRoute(records={"invoice_id": "invoice"}),
    "admin_invoicing.fees": AdminRoute(),
    "admin_invoicing.jobs": AdminRoute(),
    "admin_invoicing.rerun": AdminRoute(records={"run_id": "job_run"}),
    "admin_invoicing.record_paid": AdminRoute(records={"invoice_id": "invoice"}),
    "catalogue.units": AdminRoute(),
    "catalogue.add_unit": AdminRoute(),
    "catalogue.edit_unit": AdminRoute(records={"unit_id": "unit"}),
    "catalogue.unit_status": AdminRoute(records={"unit_id": "unit"}),
    "catalogue.centre_units": AdminRoute(records={"centre_id": "centre"}),
}

MISSING = ("is under /admin but has no entry in ADMIN_ROUTES in tests/test_admin_roles.py: add one saying which "
           "record its URL arguments name, so every role check runs on it.")

_APP = create_app(TestConfig)


def _admin_rules() -> list[tuple[str, str, frozenset[str]]]:
    return sorted((rule.endpoint, method, frozenset(rule.arguments))
                  for rule in _APP.url_map.iter_rules() if rule.rule.startswith(ADMIN_PREFIX)
                  for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))


RULES = _admin_rules()


def required_roles(endpoint: str) -> tuple[Role, ...]:
    return tuple(getattr(_APP.view_functions[endpoint], "required_roles", ()))


def route_of(endpoint: str) -> AdminRoute:
    if endpoint not in ADMIN_ROUTES:
        pytest.fail(f"{endpoint} {MISSING}")
    return ADMIN_ROUTES[endpoint]


def test_every_admin_route_is_in_the_table_and_guarded():
    endpoints = {endpoint for endpoint, _, _ in RULES}
    assert len(endpoints) >= 10, "the URL map was not read"
    missing = sorted(endpoints - ADMIN_ROUTES.keys())
    assert not missing, f"{missing} {MISSING}"
    stale = sorted(ADMIN_ROUTES.keys() - endpoints)
    assert not stale, f"ADMIN_ROUTES lists {stale}, which are no longer /admin routes: remove them"
    unguarded = sorted(e for e in endpoints if not required_roles(e) and e not in OPEN_TO_ALL_AWARDING_BODY_STAFF)
    assert not unguarded, (f"{unguarded} have no @requires_role(...). Guard them, or — if every awarding-body "
                           "account may use them — add them to OPEN_TO_ALL_AWARDING_BODY_STAFF.")
    needlessly_open = sorted(e for e in OPEN_TO_ALL_AWARDING_BODY_STAFF if required_roles(e))
    assert not needlessly_open, f"{needlessly_open} now require roles: take them off OPEN_TO_ALL_AWARDING_BODY_STAFF"
    for endpoint, _, arguments in RULES:
        route = ADMIN_ROUTES[endpoint]
        assert route.records.keys() | route.values.keys() == arguments, f"{endpoint}: URL arguments {arguments}"


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}  # where the records' stored files go (a submission's)


@pytest.fixture
def records(centre, other_centre) -> dict:
    """Rows the admin URLs name: an application awaiting a decision, a centre, an email in the outbox, and a
    direct complaint whose final outcome is given (so an empty POST by any complaint role changes nothing: each
    action is refused because no stage is open; who may act on which stage is tested in tests/complaints_ab/)."""
    application = centres.submit_application(
        name="Hopeful Learning", nation=Nation.WALES, scottish_public_body=False, address="3 Hill Rd",
        contact_name="Hope Applicant", contact_email="hope@example.org", qualifications_sought="ILM")
    db.session.commit()
    email = db.session.execute(db.select(OutboundEmail).order_by(OutboundEmail.id)).scalars().first()
    complaint, _ = submit_direct_complaint(ComplaintDetails(name="Pat Public", email="pat@example.org",
                                                            summary="Late certificate", outcome_wanted="Sort it"))
    complaint.current_stage.closed_at, complaint.status = utcnow(), Status.RESOLVED
    db.session.commit()
    unit = Unit(code="8600-301", title="Managing a team", pathway=Pathway.LEADERSHIP_MANAGEMENT, level=3,
                limit_rule=LimitRule.WORDS_5000)
    db.session.add(unit)
    db.session.commit()
    invoice, job_run = _invoice_and_failed_run(centre)
    # An awarding-body account whose appointed roles the people page changes (an empty POST changes nothing).
    person = make_awarding_body_user(email="person@awarding-body.example", roles=("assessment",), name="Pat Person")
    return {"person": person, "application": application, "centre": centre, "email": email, "complaint": complaint,
            "unit": unit, "invoice": invoice, "job_run": job_run, **assessment_records(centre)}


def _invoice_and_failed_run(centre):
    """An (empty) invoice of `centre` and a failed invoicing run, made straight in the database."""
    from datetime import date

    from portal.invoicing.models import Invoice, JobRun, RunStatus

    invoice = Invoice(centre_id=centre.id, week_start=date(2026, 3, 2), number=900001, issue_date=date(2026, 3, 11),
                      subtotal_pence=0, vat_rate_bp=2000, vat_pence=0, total_pence=0)
    job_run = JobRun(kind="invoicing", args={"as_of": "2026-03-11"}, status=RunStatus.FAILED, error="boom")
    db.session.add_all([invoice, job_run])
    db.session.commit()
    return invoice, job_run


def url_for_route(endpoint: str, records: dict) -> str:
    route = route_of(endpoint)
    values = {**route.values, **{arg: records[name].id for arg, name in route.records.items()}}
    return _APP.url_map.bind("localhost").build(endpoint, values)


def send(client, method: str, url: str):
    # An empty POST: every /admin form refuses it (422 or a redirect with a message), so nothing changes.
    return client.open(url, method=method, data={} if method == "POST" else None)


def centre_states() -> list:
    """What an empty POST must never change: the centres, the roles of the `person` record, the sampling policy,
    the submissions' handling (sampling and release included)."""
    from portal.auth.models import RoleGrant, User
    from tenants.submissions.models import SamplingPolicy, Submission

    return [db.session.execute(db.select(Centre.id, Centre.status, Centre.slug).order_by(Centre.id)).all(),
            db.session.execute(db.select(RoleGrant.role).join(User).where(User.email == "person@awarding-body.example")
                               .order_by(RoleGrant.role)).all(),
            db.session.execute(db.select(db.func.count(SamplingPolicy.id))).scalar_one(),
            db.session.execute(db.select(Submission.id, Submission.status, Submission.sampled_at,
                                         Submission.mitigation).order_by(Submission.id)).all()]


def walk(check) -> list[str]:
    """`check(endpoint, method)` on every /admin rule; every failure, not only the first."""
    failures = []
    for endpoint, method, _ in RULES:
        if endpoint not in ADMIN_ROUTES:
            failures.append(f"{endpoint} {MISSING}")
            continue
        try:
            check(endpoint, method)
        except AssertionError as error:
            failures.append(f"{method} {endpoint}: {error}")
        except Exception as error:  # a crash (500 in production): report it with the rest
            failures.append(f"{method} {endpoint}: raised {type(error).__name__}: {error}")
    return failures


def signed_in(app, account):
    client = app.test_client()
    assert Auth(client).sign_in(account).status_code == 303, account.email
    return client


def test_anonymous_is_sent_to_sign_in_everywhere(app, records):
    client = app.test_client()

    def check(endpoint, method):
        response = send(client, method, url_for_route(endpoint, records))
        assert response.status_code == 302, f"got {response.status_code}"
        assert urlsplit(response.headers["Location"]).path == "/sign-in"

    failures = walk(check)
    assert not failures, "\n".join(failures)


def test_centre_staff_get_404_everywhere(app, records):
    """Even a centre's Quality contact: the awarding body's pages do not exist for centre staff."""
    client = signed_in(app, quality_contact_of(records["centre"]))
    before = centre_states()

    def check(endpoint, method):
        response = send(client, method, url_for_route(endpoint, records))
        assert response.status_code == 404, f"got {response.status_code}"
        assert "Hopeful Learning" not in response.get_data(as_text=True)

    failures = walk(check)
    assert not failures, "\n".join(failures)
    assert centre_states() == before


def test_awarding_body_staff_without_the_role_get_403(app, records, make_admin):
    """For each guarded route, an account with every role except the ones it needs (or with none): 403."""
    clients = {}

    def client_without(needed: tuple[Role, ...]):
        others = tuple(role.value for role in Role if role not in needed)
        if others not in clients:
            account = make_admin(*(others or ("finance",)))
            if not others:
                account.role_grants.clear()
                db.session.commit()
            clients[others] = signed_in(app, account)
        return clients[others]

    before = centre_states()

    def check(endpoint, method):
        if endpoint in OPEN_TO_ALL_AWARDING_BODY_STAFF:
            return
        needed = required_roles(endpoint)
        assert needed, "no required_roles and not listed as open"
        response = send(client_without(needed), method, url_for_route(endpoint, records))
        assert response.status_code == 403, f"got {response.status_code} without any of {[r.value for r in needed]}"

    failures = walk(check)
    assert not failures, "\n".join(failures)
    assert centre_states() == before


def test_awarding_body_staff_with_a_role_get_in(app, records, make_admin):
    """Each role a route names is enough on its own; an open route lets in an account with no role at all.
    Empty POSTs: the forms refuse them (422, or 303 with a message) and nothing changes."""
    clients = {}

    def client_with(role: Role | None):
        if role not in clients:
            account = make_admin(role.value if role else "finance")
            if role is None:
                account.role_grants.clear()
                db.session.commit()
            clients[role] = signed_in(app, account)
        return clients[role]

    before = centre_states()

    def check(endpoint, method):
        roles = [None] if endpoint in OPEN_TO_ALL_AWARDING_BODY_STAFF else list(required_roles(endpoint))
        for role in roles:
            response = send(client_with(role), method, url_for_route(endpoint, records))
            assert response.status_code in (200, 303, 422), f"got {response.status_code} with role {role}"

    failures = walk(check)
    assert not failures, "\n".join(failures)
    assert centre_states() == before
