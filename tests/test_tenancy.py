"""Isolation between centres (SPEC §2, DESIGN §3.3): every tenant route walked as someone else, the scoping
safety net, and pages whose number of SQL statements does not grow with their rows.

Centre A is the `centre` fixture, centre B is `other_centre`. "A's record" is a row that belongs to A.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from flask import g
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from portal import audit, create_app
from portal.auth.models import AccountStatus, User
from portal.config import TestConfig
from portal.db import commit
from portal.extensions import db
from portal.tenancy import ALL_CENTRES, CrossCentreWrite, get_or_404, scoped_select, serve_centre
from portal.workdays import Nation
from tenants import services as centres
from tenants.complaints.intake import ComplaintDetails, submit_complaint
from tenants.complaints.models import Category
from tenants.learners.models import Learner
from tenants.models import Centre, CentreStatus
from tenants.policy import services as policy
from tests.conftest import Auth, _serial, quality_contact_of

TENANT_PREFIX = "/c/<slug>"


# --- the table: every tenant route, how to reach one of centre A's records through it ----------------------

@dataclass(frozen=True)
class TenantRoute:
    """How to call a tenant route for centre A.

    public: True if anyone may use it without an account; False if only the centre's own staff may.
    records: URL argument -> which of centre A's records (a key of `World.records`) it names.
    values: URL arguments that are not records (e.g. a status word), given as they are.
    form: a valid POST body, so that a refusal is never just the form failing validation. "{name}" in a value
        is replaced by centre A's record `name` — a record named in the body rather than the URL.
    ok: what centre A's own people get (the control): proof that the URL reached the record.
    """

    public: bool
    records: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200, 303)

    @property
    def form_records(self) -> list[str]:
        return [name for value in self.form.values() for name in re.findall(r"{(\w+)}", value)]


COMPLAINT_FORM = {"name": "Nell Newton", "email": "nell@example.org", "summary": "My certificate is late.",
                  "subject": "centre", "category": "certificate_late", "outcome_wanted": "My certificate",
                  "hp_contact": ""}
REFERRAL_FORM = {"name": "Nell Newton", "email": "nell@example.org", "summary": "Answers were shared.",
                 "hp_contact": ""}
POLICY_STAGE = {"name": "Stage 1: investigation", "handler": "Complaints officer", "target_days": "8"}
OUR_CASE = {"reference": "{complaint_reference}", "email": "{complainant_email}"}
NEW_LEARNER = {"first_name": "Nina", "last_name": "Newlearner", "enrolment_number": "NEW001"}
OUR_LEARNER = {"first_name": "Lena", "last_name": "Learnwell", "enrolment_number": "LRN4242",
               "qualification": "ILM Level 5 Certificate in Leadership and Management"}
LEARNER_ACTION_OK = (303, 409)  # 409: the case is not at that point — but the link did open it

TENANT_ROUTES: dict[str, TenantRoute] = {
    "centre.public.home": TenantRoute(public=True),
    # staff accounts
    "centre.staff.dashboard": TenantRoute(public=False),
    "centre.staff.accounts": TenantRoute(public=False),
    "centre.staff.request_account": TenantRoute(public=False, form={"name": "Nia Newcomer",
                                                                    "email": "nia.newcomer@example.org"}),
    "centre.staff.approve": TenantRoute(public=False, records={"user_id": "pending_staff"}),
    "centre.staff.decline": TenantRoute(public=False, records={"user_id": "pending_staff"},
                                        form={"reason": "No longer needed"}),
    "centre.staff.close": TenantRoute(public=False, records={"user_id": "active_staff"}),
    "centre.staff.audit_log": TenantRoute(public=False),
    # complaints, the learner's side (no account; a case is reached by its private link)
    "centre.complaints.start": TenantRoute(public=True),
    "centre.complaints.new": TenantRoute(public=True, form=COMPLAINT_FORM),
    "centre.complaints.malpractice": TenantRoute(public=True, form=REFERRAL_FORM),
    "centre.complaints.result_dispute": TenantRoute(public=True, form=REFERRAL_FORM),
    "centre.complaints.received": TenantRoute(public=True),
    "centre.complaints.resend_link": TenantRoute(public=True, form=OUR_CASE),
    "centre.complaints.escalate_without_link": TenantRoute(public=True, form=OUR_CASE),
    "centre.complaints.track": TenantRoute(public=True, records={"token": "tracking_token"}),
    "centre.complaints.accept": TenantRoute(public=True, records={"token": "tracking_token"}, ok=LEARNER_ACTION_OK),
    "centre.complaints.next_stage": TenantRoute(public=True, records={"token": "tracking_token"},
                                                ok=LEARNER_ACTION_OK),
    "centre.complaints.escalate": TenantRoute(public=True, records={"token": "tracking_token"},
                                              ok=LEARNER_ACTION_OK),
    # complaints, centre staff's side
    "centre.cases.queue": TenantRoute(public=False),
    "centre.cases.case": TenantRoute(public=False, records={"complaint_id": "complaint"}),
    "centre.cases.acknowledge": TenantRoute(public=False, records={"complaint_id": "complaint"}),
    "centre.cases.assign": TenantRoute(public=False, records={"complaint_id": "complaint"},
                                       form={"assignee": "{active_staff}"}),
    "centre.cases.post_update": TenantRoute(public=False, records={"complaint_id": "complaint"},
                                            form={"body": "Spoke to the tutor.", "audience": "internal"}),
    "centre.cases.extend": TenantRoute(public=False, records={"complaint_id": "complaint"},
                                       form={"new_due": "2030-01-31", "reason": "Agreed with the learner"},
                                       ok=(303, 422)),
    "centre.cases.close_stage": TenantRoute(public=False, records={"complaint_id": "complaint"},
                                            form={"outcome": "Certificate reissued."}),
    # the complaints policy: the Quality contact's editor (staff), the published version (public)
    "centre.policy.show": TenantRoute(public=False),
    "centre.policy.version": TenantRoute(public=False, records={"version_id": "policy_version"}),
    "centre.policy.section": TenantRoute(public=False, values={"section": "introduction"}),
    "centre.policy.edit_section": TenantRoute(public=False, values={"section": "introduction"},
                                              form={"title": "Complaints policy", "introduction": "How to complain."}),
    "centre.policy.stages": TenantRoute(public=False),
    "centre.policy.stage": TenantRoute(public=False, records={"stage_id": "policy_stage"}),
    "centre.policy.edit_stage": TenantRoute(public=False, records={"stage_id": "policy_stage"}, form=POLICY_STAGE),
    "centre.policy.add_stage": TenantRoute(public=False, form=POLICY_STAGE),
    "centre.policy.remove_stage": TenantRoute(public=False, records={"stage_id": "policy_stage"}),
    "centre.policy.move_stage": TenantRoute(public=False, records={"stage_id": "policy_stage"},
                                            form={"direction": "down"}),
    "centre.policy.publish": TenantRoute(public=False),
    "centre.policy.start_again": TenantRoute(public=False, form={"template": "three_stage"}),
    "centre.public_policy.page": TenantRoute(public=True),
    "centre.public_policy.download": TenantRoute(public=True),
    # complaint reports (centre staff)
    "centre.reports.index": TenantRoute(public=False),
    "centre.reports.export": TenantRoute(public=False),
    # invoices (the Quality contact)
    "centre.invoicing.index": TenantRoute(public=False),
    "centre.invoicing.download": TenantRoute(public=False, records={"invoice_id": "invoice"}),
    # learners (centre staff); the control's POSTs run in this order: add, edit (A's learner keeps its ENR), status
    "centre.learners.index": TenantRoute(public=False),
    "centre.learners.add": TenantRoute(public=False, form=NEW_LEARNER),
    "centre.learners.edit": TenantRoute(public=False, records={"learner_id": "learner"}, form=OUR_LEARNER),
    "centre.learners.set_status": TenantRoute(public=False, records={"learner_id": "learner"},
                                              form={"status": "completed"}),
    # a learner's data (the Quality contact): what is held, the export, the erasure (refused for A's learner, whose
    # held submission is still with the awarding body: 422, nothing changes)
    "centre.learner_data.show": TenantRoute(public=False, records={"learner_id": "learner"}),
    "centre.learner_data.download": TenantRoute(public=False, records={"learner_id": "learner"}, ok=(200,)),
    "centre.learner_data.erase": TenantRoute(public=False, records={"learner_id": "learner"},
                                             form={"enrolment_number": "LRN4242"}, ok=(422,)),
    # submissions (centre staff); the control's POSTs run in this order: accept the fee (A's held submission), an
    # upload naming A's learner with no files (422: only validation), withdraw (refused by then: 303 with a message)
    "centre.submissions.tracker_page": TenantRoute(public=False),
    "centre.submissions.upload_page": TenantRoute(public=False, form={"learner": "{learner}"}, ok=(200, 422)),
    "centre.submissions.show": TenantRoute(public=False, records={"submission_id": "submission"}),
    "centre.submissions.withdraw": TenantRoute(public=False, records={"submission_id": "submission"}),
    "centre.submissions.accept_fee": TenantRoute(public=False, records={"submission_id": "submission"}),
    "centre.submissions.download": TenantRoute(public=False, records={"file_id": "submission_file"}),
}

# Values that name no record anywhere, per kind of record: what "a record that does not exist" looks like.
NOWHERE = {"pending_staff": 987654, "active_staff": 987654, "complaint": 987654,
           "tracking_token": "NoSuchTokenNoSuchTokenNoSuchTokenNoSuchToke",
           "complaint_reference": "C-999999-999999", "complainant_email": "nobody@example.org",
           "policy_version": 987654, "policy_stage": 987654, "learner": 987654,
           "invoice": 987654, "submission": 987654, "submission_file": 987654}

MISSING = ("is a tenant route (under /c/<slug>) with no entry in TENANT_ROUTES in tests/test_tenancy.py. "
           "Add one: is it public, which of centre A's records do its URL arguments (or form fields) name — add "
           "the record to the `world` fixture and NOWHERE if it is a new kind — and a valid POST body. Then every "
           "cross-centre check runs on it.")


def _tenant_rules() -> list[tuple[str, str, frozenset[str]]]:
    """(endpoint, method, URL arguments) of every tenant route, read from the real URL map."""
    app = create_app(TestConfig)
    return sorted((rule.endpoint, method, frozenset(rule.arguments))
                  for rule in app.url_map.iter_rules() if rule.rule.startswith(TENANT_PREFIX)
                  for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))


RULES = _tenant_rules()


def route_of(endpoint: str) -> TenantRoute:
    if endpoint not in TENANT_ROUTES:
        pytest.fail(f"{endpoint} {MISSING}")
    return TENANT_ROUTES[endpoint]


def test_every_tenant_route_is_in_the_table():
    endpoints = {endpoint for endpoint, _, _ in RULES}
    missing = sorted(endpoints - TENANT_ROUTES.keys())
    assert not missing, f"{missing} {MISSING}"
    stale = sorted(TENANT_ROUTES.keys() - endpoints)
    assert not stale, f"TENANT_ROUTES lists {stale}, which are no longer tenant routes: remove them"
    for endpoint, _, arguments in RULES:
        route = TENANT_ROUTES[endpoint]
        given = route.records.keys() | route.values.keys()
        assert given == arguments - {"slug"}, f"{endpoint}: the table gives {sorted(given)}, the URL needs " \
                                              f"{sorted(arguments - {'slug'})}"
        unknown = (set(route.records.values()) | set(route.form_records)) - NOWHERE.keys()
        assert not unknown, f"{endpoint} names records {unknown} that NOWHERE (and `world`) do not know"


def test_the_table_walks_a_real_route_list():
    # A guard on the guard: if the URL map were read wrongly, every check would pass on nothing.
    assert len(RULES) >= 8
    assert ("centre.staff.approve", "POST", frozenset({"slug", "user_id"})) in RULES


# --- the people and records ------------------------------------------------------------------------------

@dataclass
class World:
    app: object
    mailbox: object
    a: Centre
    b: Centre
    records: dict  # name -> the URL/form value naming one of centre A's records (an id, a token, a reference)
    secrets: list  # things only centre A's pages may show
    a_quality_contact: User
    b_quality_contact: User
    b_member: User
    awarding_body: User

    def url(self, endpoint: str, *, slug: str | None = None, records: dict | None = None) -> str:
        """The URL of `endpoint` naming centre A's records (or `records`), on `slug` (A's own by default)."""
        route = route_of(endpoint)
        records = self.records if records is None else records
        values = {"slug": slug or self.a.slug, **route.values,
                  **{arg: records[name] for arg, name in route.records.items()}}
        return self.app.url_map.bind("localhost").build(endpoint, values)

    def form(self, endpoint: str, records: dict | None = None) -> dict:
        records = self.records if records is None else records
        return {key: value.format(**records) for key, value in route_of(endpoint).form.items()}

    def browser(self, person: User | None = None):
        """A fresh client, signed in as `person` (or anonymous)."""
        client = self.app.test_client()
        if person is not None:
            assert Auth(client).sign_in(person).status_code == 303, person.email
        return client


def _invoice_of(centre):
    """An (empty) invoice of `centre`, made straight in the database."""
    from datetime import date

    from portal.invoicing.models import Invoice

    invoice = Invoice(centre_id=centre.id, week_start=date(2026, 3, 2), number=900001, issue_date=date(2026, 3, 11),
                      subtotal_pence=0, vat_rate_bp=2000, vat_pence=0, total_pence=0)
    db.session.add(invoice)
    db.session.commit()
    return invoice


@pytest.fixture
def app_overrides(tmp_path):
    """Stored submission files go to a temporary folder, not instance/uploads."""
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def _held_submission_of(centre, learner, upload_dir: str):
    """A held submission of `learner` with one stored file, made straight in the database (and UPLOAD_DIR)."""
    import io

    from portal.catalogue.models import CentreUnit, LimitRule, Pathway, Unit
    from tenants.submissions import storage
    from tenants.submissions.models import Authenticity, FileKind, Submission, SubmissionFile, SubmissionStatus

    unit = Unit(code="TEN-500", title="Tenancy unit", pathway=Pathway.LEADERSHIP_MANAGEMENT, level=5,
                limit_rule=LimitRule.WORDS_5000)
    db.session.add(unit)
    db.session.flush()
    db.session.add(CentreUnit(centre_id=centre.id, unit_id=unit.id))
    saved = storage.store(io.BytesIO(b"%PDF-1.4 tenancy"), upload_dir, ".pdf")
    submission = Submission(centre_id=centre.id, learner_id=learner.id, unit_id=unit.id, number=1,
                            status=SubmissionStatus.HELD, authenticity=Authenticity.COVER_PAGE, word_count=5001,
                            word_limit=5000, excess_fees=1)
    submission.files.append(SubmissionFile(centre_id=centre.id, kind=FileKind.ASSESSMENT, original_name="a.pdf",
                                           download_name="L.Learnwell-LRN4242(1).pdf", stored_name=saved.stored_name,
                                           sha256=saved.sha256, size=saved.size, content_type=saved.content_type))
    db.session.add(submission)
    db.session.commit()
    return submission


@pytest.fixture
def world(app, mailbox, centre, other_centre, make_staff, make_admin) -> World:
    pending = make_staff(centre, status="pending", name="Pat Pending")
    active = make_staff(centre, name="Ash Active")
    qc = quality_contact_of(centre)
    version = policy.publish(centre, by=qc)  # the draft provisioning made, as the Quality contact publishes it
    commit()
    complaint, token = submit_complaint(centre, ComplaintDetails(
        name="Cara Complainant", email="cara@example.org", summary="Feedback on my assignment never came.",
        category=Category.PROCESS_NOT_FOLLOWED, outcome_wanted="Feedback"))
    learner = Learner(centre_id=centre.id, **OUR_LEARNER)
    db.session.add(learner)
    commit()
    records = {"pending_staff": pending.id, "active_staff": active.id, "complaint": complaint.id,
               "tracking_token": token, "complaint_reference": complaint.reference,
               "complainant_email": complaint.complainant_email, "policy_version": version.id,
               "policy_stage": policy.draft_of(centre).stages[0].id, "learner": learner.id,
               "invoice": _invoice_of(centre).id}
    submission = _held_submission_of(centre, learner, app.config["UPLOAD_DIR"])
    records.update(submission=submission.id, submission_file=submission.files[0].id)
    assert records.keys() == NOWHERE.keys()
    secrets = [centre.name, learner.full_name, learner.enrolment_number,
               pending.name, pending.email, active.name, active.email, complaint.reference,
               complaint.complainant_name, complaint.complainant_email, complaint.summary]
    return World(app=app, mailbox=mailbox, a=centre, b=other_centre, records=records, secrets=secrets,
                 a_quality_contact=qc, b_quality_contact=quality_contact_of(other_centre),
                 b_member=make_staff(other_centre, name="Bo Member"),
                 awarding_body=make_admin())  # every awarding-body role


def send(world: World, client, method: str, url: str, endpoint: str, records: dict | None = None):
    data = world.form(endpoint, records) if method != "GET" else None
    return client.open(url, method=method, data=data)


def snapshot() -> dict:
    """Every row of every table: what a refused request must leave exactly as it was (sign-in's traces aside)."""
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name == "audit_event":  # signing in is recorded; refusals add nothing else (checked by the rows)
            continue
        columns = [column for column in table.columns if column.name != "last_sign_in_at"]
        state[table.name] = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
    return state


def _hidden(world: World, response) -> None:
    """404, with nothing of centre A in it."""
    assert response.status_code == 404, f"got {response.status_code} {response.headers.get('Location') or ''}"
    body = response.get_data(as_text=True)
    leaked = [s for s in world.secrets if s in body]
    assert not leaked, f"the 404 page shows {leaked}"


def _unchanged(before: dict) -> None:
    after = snapshot()
    changed = sorted(table for table in before if before[table] != after[table])
    assert not changed, f"it changed rows of {changed}"


CSRF_TOKEN = re.compile(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]*')


def without_csrf_token(body: str) -> str:
    """The CSRF token is signed with the second it was made: two pages a second apart differ only there."""
    return CSRF_TOKEN.sub(r"\1<token>", body)


def _plain(route: TenantRoute, response, records: dict) -> str:
    """The body with the record values the request itself carried blanked out (echoing them is no leak)."""
    body = without_csrf_token(response.get_data(as_text=True))
    for name in route.form_records:
        if len(str(records[name])) >= 8:  # a reference or an address, not a short id that would match anything
            body = body.replace(str(records[name]), "<record>")
    return body


# Each scenario: who asks, which routes it applies to, and what must happen. A check raises AssertionError.

def _sent_to_sign_in(world, client, endpoint, method):
    before = snapshot()
    response = send(world, client, method, world.url(endpoint), endpoint)
    assert response.status_code == 302, f"got {response.status_code}"
    assert urlsplit(response.headers["Location"]).path == "/sign-in", response.headers["Location"]
    _unchanged(before)


def _hidden_on_our_url(world, client, endpoint, method):
    before = snapshot()
    _hidden(world, send(world, client, method, world.url(endpoint), endpoint))
    _unchanged(before)


def _our_records_on_their_slug(world, client, endpoint, method):
    """B's URL naming A's records answers as for records that exist nowhere (404 when the record is in the URL),
    shows nothing of A, changes nothing, and emails nothing to A's complainant."""
    route, slug = route_of(endpoint), world.b.slug
    before, mail_before = snapshot(), len(world.mailbox.messages)
    ours = send(world, client, method, world.url(endpoint, slug=slug), endpoint)
    _unchanged(before)
    assert world.records["complainant_email"] not in [m["To"] for m in world.mailbox.messages[mail_before:]], \
        "it emailed centre A's complainant"
    if route.records:
        _hidden(world, ours)
    nowhere = send(world, client, method, world.url(endpoint, slug=slug, records=NOWHERE), endpoint, records=NOWHERE)
    assert ours.status_code == nowhere.status_code, f"{ours.status_code} for A's record, {nowhere.status_code} for none"
    assert _plain(route, ours, world.records) == _plain(route, nowhere, NOWHERE), \
        "the page for A's record differs from the page for a record that does not exist"


def _own_centre_gets_in(world, clients, endpoint, method):
    route = route_of(endpoint)
    response = send(world, clients[route.public], method, world.url(endpoint), endpoint)
    assert response.status_code in route.ok, f"got {response.status_code}, expected one of {route.ok}"


def _staff_only(route: TenantRoute) -> bool:
    return not route.public


def _names_records(route: TenantRoute) -> bool:
    return bool(route.records or route.form_records)


@dataclass(frozen=True)
class Scenario:
    visitor: str  # an attribute of World (a person), "anonymous", or "own centre"
    applies: object  # TenantRoute -> bool
    check: object  # (world, client, endpoint, method) -> None, raising AssertionError


SCENARIOS = {
    "anonymous-is-sent-to-sign-in": Scenario("anonymous", _staff_only, _sent_to_sign_in),
    "b-quality-contact-gets-404": Scenario("b_quality_contact", _staff_only, _hidden_on_our_url),
    "b-ordinary-member-gets-404": Scenario("b_member", _staff_only, _hidden_on_our_url),
    "awarding-body-staff-get-404": Scenario("awarding_body", _staff_only, _hidden_on_our_url),
    "b-quality-contact-names-our-records-on-b-slug": Scenario("b_quality_contact",
                                                             lambda r: _staff_only(r) and _names_records(r),
                                                             _our_records_on_their_slug),
    "anyone-names-our-records-on-b-slug": Scenario("anonymous", lambda r: r.public and _names_records(r),
                                                   _our_records_on_their_slug),
}


def _walk(rules, applies, check) -> list[str]:
    """Run `check` on every rule it applies to; every failure, not only the first."""
    failures = []
    for endpoint, method, _ in rules:
        route = TENANT_ROUTES.get(endpoint)
        if route is None:
            failures.append(f"{endpoint} {MISSING}")
        elif applies(route):
            try:
                check(endpoint, method)
            except AssertionError as error:
                failures.append(f"{method} {endpoint}: {error}")
            except Exception as error:  # a crash (500 in production) on one route: report it with the rest
                failures.append(f"{method} {endpoint}: raised {type(error).__name__}: {error}")
    return failures


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_centres_are_kept_apart_on_every_tenant_route(world, scenario):
    """THE cross-centre test: every tenant route in the URL map, for each scenario (one world per scenario,
    every route walked in it). Staff-only routes: anonymous is sent to sign in; B's Quality contact, B's
    ordinary member and awarding-body staff with every role get 404 on A's URL, and B's Quality contact gets 404
    for A's records on B's own URL. Public routes naming records: A's records on B's URL get what a record that
    does not exist gets. Nothing is changed by any of it."""
    case = SCENARIOS[scenario]
    person = None if case.visitor == "anonymous" else getattr(world, case.visitor)
    client = world.browser(person)
    failures = _walk(RULES, case.applies, lambda endpoint, method: case.check(world, client, endpoint, method))
    assert not failures, "\n".join(failures)


def test_control_centre_a_reaches_every_route(world):
    """The control: A's own Quality contact (anyone, on a public route) gets every URL the table builds — so the
    404s above come from isolation, not from broken URLs. GETs first; the POSTs then change A's records in
    the table's order, which each route's `ok` allows for."""
    clients = {True: world.browser(), False: world.browser(world.a_quality_contact)}
    ordered = sorted(RULES, key=lambda rule: (rule[1] != "GET", rule[0]))
    failures = _walk(ordered, lambda route: True,
                     lambda endpoint, method: _own_centre_gets_in(world, clients, endpoint, method))
    assert not failures, "\n".join(failures)


def test_another_centres_page_looks_exactly_like_a_missing_one(world):
    """For B's member, A's staff page and a page of no centre at all are the same 404 (CSRF token aside)."""
    client = world.browser(world.b_quality_contact)
    ours = client.get(world.url("centre.staff.accounts"))
    nowhere = client.get(world.url("centre.staff.accounts", slug="no-such-centre"))
    assert ours.status_code == nowhere.status_code == 404
    assert without_csrf_token(ours.get_data(as_text=True)) == without_csrf_token(nowhere.get_data(as_text=True))


# --- which centres have pages at all (tenants/context.py) ------------------------------------------------

def _centre_in(status: CentreStatus, slug: str) -> Centre:
    """A centre in `status` whose row carries `slug` (forced for applied/declined, which never get one)."""
    centre = centres.submit_application(name=f"{status.value} centre", nation=Nation.ENGLAND,
                                        scottish_public_body=False,
                                        address="2 Low St", contact_name="Applicant",
                                        contact_email=f"{status.value}@example.org", qualifications_sought="ILM")
    if status is CentreStatus.DECLINED:
        centre.status = status
    centre.slug = slug  # the CHECK constraint allows a slug on applied/declined rows: load_centre must not
    commit()
    return centre


PAGES_OF_A_CENTRE = [("GET", "/"), ("GET", "/staff/"), ("GET", "/staff/accounts"), ("GET", "/complaints/"),
                     ("POST", "/staff/accounts/1/approve")]


@pytest.mark.parametrize("status", [CentreStatus.APPLIED, CentreStatus.DECLINED], ids=str)
def test_a_centre_not_yet_approved_has_no_pages(app, client, status):
    _centre_in(status, "not-yet")
    answers = {path: client.open(f"/c/not-yet{path}", method=method).status_code for method, path in PAGES_OF_A_CENTRE}
    assert set(answers.values()) == {404}, answers


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_unknown_slug_is_404(centre, client, signed_in):
    if signed_in:
        Auth(client).sign_in(quality_contact_of(centre))
    answers = {path: client.open(f"/c/no-such-centre{path}", method=method).status_code
               for method, path in PAGES_OF_A_CENTRE}
    assert set(answers.values()) == {404}, answers


@pytest.mark.parametrize("status", [CentreStatus.SUSPENDED, CentreStatus.CLOSED], ids=str)
def test_suspended_and_closed_centres_keep_a_public_page_saying_so(centre, client, status):
    centre.status = status
    commit()
    response = client.get(f"/c/{centre.slug}/")
    assert response.status_code == 200
    assert "Not accepting submissions" in response.get_data(as_text=True)
    # ...and their staff pages send even their own staff to sign in (no session loads, none can start).
    Auth(client).refused_sign_in(quality_contact_of(centre))
    staff_page = client.get(f"/c/{centre.slug}/staff/")
    assert staff_page.status_code == 302 and urlsplit(staff_page.headers["Location"]).path == "/sign-in"


# --- the scoping safety net (portal/tenancy.py) ---------------------------------------------------------

@contextlib.contextmanager
def serving(app, centre: Centre):
    """Inside a request for `centre`'s pages, as tenants.context.load_centre leaves it."""
    with app.test_request_context(f"/c/{centre.slug}/"):
        g.centre = centre
        serve_centre(centre.id)
        try:
            yield
        finally:
            db.session.rollback()
            g.pop("tenant_centre_id", None)
            g.pop("centre", None)


@dataclass
class Pair:
    a: Centre
    b: Centre
    awarding_body: User


@pytest.fixture
def pair(centre, other_centre, make_admin) -> Pair:
    return Pair(a=centre, b=other_centre, awarding_body=make_admin("finance"))


@pytest.fixture
def learners(pair):
    """Two learners at A and one at B, made outside any centre's pages."""
    world = pair
    rows = {
        "a1": Learner(centre_id=world.a.id, first_name="Amy", last_name="Archer", enrolment_number="A1"),
        "a2": Learner(centre_id=world.a.id, first_name="Abe", last_name="Allen", enrolment_number="A2"),
        "b1": Learner(centre_id=world.b.id, first_name="Bea", last_name="Brown", enrolment_number="B1"),
    }
    db.session.add_all(rows.values())
    commit()
    return {name: row.id for name, row in rows.items()}


def _learner_ids(statement=None) -> set[int]:
    return set(db.session.execute(statement if statement is not None else select(Learner.id)).scalars())


def test_safety_net_filters_a_plain_select_to_the_current_centre(app, pair, learners):
    with serving(app, pair.a):
        assert {row.id for row in db.session.execute(select(Learner)).scalars()} == {learners["a1"], learners["a2"]}
    with serving(app, pair.b):  # the criteria is re-evaluated per centre, not cached from the first
        assert {row.id for row in db.session.execute(select(Learner)).scalars()} == {learners["b1"]}
    assert len(db.session.execute(select(Learner)).scalars().all()) == 3  # outside a centre's pages: all


def test_safety_net_can_be_lifted_explicitly_for_a_read_across_centres(app, pair, learners):
    with serving(app, pair.a):
        everyone = select(Learner).execution_options(**{ALL_CENTRES: True})
        assert len(db.session.execute(everyone).scalars().all()) == 3


def test_scoped_get_or_404_refuses_another_centres_row(app, pair, learners):
    with serving(app, pair.a):
        assert get_or_404(Learner, learners["a1"]).first_name == "Amy"
        with pytest.raises(NotFound):
            get_or_404(Learner, learners["b1"])
        with pytest.raises(NotFound):
            get_or_404(Learner, 987654)


def test_scoped_select_outside_a_centre_is_a_programming_error(app, learners):
    with pytest.raises(RuntimeError, match="outside a centre"):
        scoped_select(Learner)


def test_a_new_row_of_another_centre_is_refused_at_flush(app, pair, learners):
    b_id = pair.b.id  # read before: inside A's pages B's row is not there to read (row-level security)
    with serving(app, pair.a):
        db.session.add(Learner(centre_id=b_id, first_name="Eve", last_name="Evil", enrolment_number="X"))
        with pytest.raises(CrossCentreWrite):
            db.session.flush()
    assert _learner_ids() == set(learners.values())


@pytest.mark.parametrize("change", ["edit", "delete", "move_to_current_centre"])
def test_changing_a_row_of_another_centre_is_refused_at_flush(app, pair, learners, change):
    b_learner = db.session.get(Learner, learners["b1"])  # loaded before A's page started: the net never saw it
    with serving(app, pair.a):
        if change == "edit":
            b_learner.first_name = "Changed"
        elif change == "delete":
            db.session.delete(b_learner)
        else:
            b_learner.centre_id = pair.a.id  # pulling B's row into A is a cross-centre write too
        with pytest.raises(CrossCentreWrite):
            db.session.flush()
    db.session.expire_all()
    row = db.session.get(Learner, learners["b1"])
    assert (row.first_name, row.centre_id) == ("Bea", pair.b.id)


def test_a_new_centre_owned_row_without_a_centre_gets_the_current_one(app, pair, learners):
    with serving(app, pair.a):
        learner = Learner(first_name="Nat", last_name="New", enrolment_number="A3")
        db.session.add(learner)
        db.session.flush()
        assert learner.centre_id == pair.a.id
        db.session.commit()
    assert db.session.get(Learner, learner.id).centre_id == pair.a.id


def test_awarding_body_accounts_stay_visible_inside_a_centre(app, pair):
    b_staff = {u.id for u in db.session.execute(select(User).where(User.centre_id == pair.b.id)).scalars()}
    with serving(app, pair.a):
        visible = list(db.session.execute(select(User)).scalars())
    centre_ids = {user.centre_id for user in visible}
    assert centre_ids == {pair.a.id, None}
    assert pair.awarding_body.id in {user.id for user in visible}
    assert b_staff and not b_staff & {user.id for user in visible}


# --- pages that cost the same number of SQL statements whatever their size ------------------------------

def _statements(client, count_queries, url: str) -> int:
    client.get(url)  # warm: first-use work (e.g. caches) is not the page's cost
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(statements)


def _people(n: int, centre: Centre | None = None) -> list[User]:
    """n accounts made straight in the database (no password: only their rows matter here)."""
    rows = [User(centre_id=centre.id if centre else None, name=f"Person {next(_serial)}",
                 email=f"person{next(_serial)}@example.org", status=AccountStatus.ACTIVE) for _ in range(n)]
    db.session.add_all(rows)
    commit()
    return rows


def _centres(n: int) -> list[Centre]:
    """n approved centres made straight in the database."""
    rows = []
    for _ in range(n):
        k = next(_serial)
        rows.append(Centre(name=f"Bulk centre {k}", status=CentreStatus.APPROVED, slug=f"bulk-{k}",
                           centre_number=f"{700000 + k}", nation=Nation.SCOTLAND, scottish_public_body=bool(k % 2),
                           contact_name="Contact", contact_email=f"bulk{k}@example.org"))
    db.session.add_all(rows)
    commit()
    return rows


def _add_staff(centre: Centre, n: int) -> None:
    """n active accounts, each requested by a different person (an N+1 on `requested_by` would show)."""
    requesters = _people(n)
    db.session.add_all(User(centre_id=centre.id, name=f"Member {r.id}", email=f"member{r.id}@example.org",
                            status=AccountStatus.ACTIVE, requested_by_id=r.id) for r in requesters)
    commit()


def test_staff_accounts_page_statements_do_not_grow_with_staff(centre, client, count_queries):
    url = f"/c/{centre.slug}/staff/accounts"
    Auth(client).sign_in(quality_contact_of(centre))
    staff_count = db.session.execute(select(func.count()).where(User.centre_id == centre.id)).scalar()
    _add_staff(centre, 3 - staff_count)
    few = _statements(client, count_queries, url)
    _add_staff(centre, 27)
    assert db.session.execute(select(func.count()).where(User.centre_id == centre.id)).scalar() == 30
    assert _statements(client, count_queries, url) == few


def test_admin_centre_list_statements_do_not_grow_with_centres(app, client, count_queries, make_admin):
    Auth(client).sign_in(make_admin("platform_admin"))
    _centres(3)
    few = _statements(client, count_queries, "/admin/centres")
    _centres(27)
    assert _statements(client, count_queries, "/admin/centres") == few


def test_admin_audit_log_statements_do_not_grow_with_events(app, client, count_queries, make_admin):
    Auth(client).sign_in(make_admin("platform_admin"))

    def add_events(n: int) -> None:
        """n events, each by a different person, half at different centres, half at the awarding body."""
        for i, centre in enumerate(_centres(n)):
            (actor,) = _people(1, centre if i % 2 else None)
            audit.record("test_event", actor=actor, centre_id=actor.centre_id, subject=actor.email)
        db.session.execute(audit.AuditEvent.__table__.delete().where(audit.AuditEvent.action != "test_event"))
        commit()

    add_events(3)
    few = _statements(client, count_queries, "/admin/audit")
    add_events(27)
    count = db.session.execute(select(func.count(audit.AuditEvent.id))
                               .where(audit.AuditEvent.action == "test_event")).scalar()
    assert count == 30
    assert _statements(client, count_queries, "/admin/audit") == few
