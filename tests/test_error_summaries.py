"""Every form's error summary (issue 12 §5, after the GOV.UK Design System's error summary).

Every POST endpoint of `app.url_map` has a line below, so a new form without one fails
`test_every_post_endpoint_is_covered` with its endpoint named. A line says who may use the form and the page
that shows it; FORMS are forms with fields a person fills, BUTTONS forms that are a button (and hidden values).

`test_every_form_shows_its_errors_the_same_way` opens each page, finds the form that posts to the endpoint,
and submits it as the person would with nothing filled in, then with a mix of wrong values (too long, not an
email, not a date, not one of the choices), with and without htmx where the form has `hx-post`. Whenever the answer
shows errors:
- there is one error summary, and it lists every field the page marks as wrong, and nothing else;
- each link's `#id` is a field of the page (for a radio group or checkboxes, its first option, as GOV.UK does);
- the links are in the order the fields are on the page;
- a full page's title starts with "Error:";
- the summary is always in the same place: immediately before the page's h1 (a full page), or before the
  heading of the part an htmx answer replaces; a part without a heading (a table row) fills the page's
  `error_summary_slot` above the h1 out of band.
Each form must show errors for at least one of the two submissions. A BUTTONS form must have no field to fill.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.tenancy import for_centre
from tests.test_page_budgets import _arguments, _seed_demo, _signed_in

# Rendered pages are what this file checks; the engine beneath does not change them (see tests/conftest.py).
pytestmark = pytest.mark.one_database


@dataclass(frozen=True)
class Page:
    """Who may use the form, and the page (an endpoint) that shows it; `records` names the records its URL takes
    where the page's usual ones (`tests.test_page_budgets._arguments`) are in the wrong state for this form."""

    who: str
    endpoint: str
    records: dict[str, str] = field(default_factory=dict)


CENTRE_CASE = {"complaint_id": "overdue_case_id"}
MARKING = {"submission_id": "marking_submission_id"}
SAMPLING = {"submission_id": "sampling_submission_id"}
MITIGATION = {"submission_id": "mitigation_submission_id"}

# Forms with fields to fill: endpoint -> the page that shows the form.
FORMS: dict[str, Page] = {
    "admin.application": Page("admin", "admin.application"),
    "admin.appoint_quality_contact": Page("admin", "admin.centre"),
    "admin.change_status": Page("admin", "admin.centre"),
    "admin.decline_application": Page("admin", "admin.application"),
    "admin.request_staff": Page("admin", "admin.centre"),
    "admin_assessment.allocate": Page("admin", "admin_assessment.submission", MARKING),
    "admin_assessment.confirm_result": Page("admin", "admin_assessment.submission", MITIGATION),
    "admin_assessment.conflicts": Page("admin", "admin_assessment.conflicts"),
    "admin_assessment.record_result": Page("admin", "admin_assessment.submission", MARKING),
    "admin_assessment.reject": Page("admin", "admin_assessment.submission"),
    "admin_assessment.sample": Page("admin", "admin_assessment.submission", SAMPLING),
    "admin_assessment.sampling_policy": Page("admin", "admin_assessment.sampling_policy"),
    "admin_complaints.assign": Page("admin", "admin_complaints.case", {"complaint_id": "direct_id"}),
    "admin_complaints.close_stage": Page("admin", "admin_complaints.case", {"complaint_id": "direct_id"}),
    "admin_complaints.extend": Page("admin", "admin_complaints.case", {"complaint_id": "direct_id"}),
    "admin_complaints.post_update": Page("admin", "admin_complaints.case", {"complaint_id": "direct_id"}),
    "admin_complaints.announce_centre_contact": Page("admin", "admin_complaints.case"),
    "admin_eqa.record_follow_up": Page("admin", "admin_eqa.index"),
    "admin_invoicing.fees": Page("admin", "admin_invoicing.fees"),
    "admin_invoicing.record_paid": Page("admin", "admin_invoicing.invoices"),
    "auth.forgot_password": Page("anonymous", "auth.forgot_password"),
    "auth.second_step": Page("half-signed-in", "auth.second_step"),
    "auth.set_password": Page("anonymous", "auth.set_password"),
    "auth.set_up_two_factor": Page("centre", "auth.set_up_two_factor"),
    "auth.sign_in": Page("anonymous", "auth.sign_in"),
    "catalogue.add_unit": Page("admin", "catalogue.add_unit"),
    "catalogue.centre_units": Page("admin", "admin.centre"),
    "catalogue.edit_unit": Page("admin", "catalogue.edit_unit"),
    "centre.cases.assign": Page("centre", "centre.cases.case", CENTRE_CASE),
    "centre.cases.close_stage": Page("centre", "centre.cases.case", CENTRE_CASE),
    "centre.cases.extend": Page("centre", "centre.cases.case"),  # a case within its deadline
    "centre.cases.post_update": Page("centre", "centre.cases.case", CENTRE_CASE),
    "centre.complaints.escalate_without_link": Page("anonymous", "centre.complaints.escalate_without_link"),
    "centre.complaints.malpractice": Page("anonymous", "centre.complaints.malpractice"),
    "centre.complaints.new": Page("anonymous", "centre.complaints.new"),
    "centre.complaints.resend_link": Page("anonymous", "centre.complaints.resend_link"),
    "centre.complaints.result_dispute": Page("anonymous", "centre.complaints.result_dispute"),
    "centre.learner_data.erase": Page("centre", "centre.learner_data.show", {"learner_id": "erasable_learner_id"}),
    "centre.learners.add": Page("centre", "centre.learners.add"),
    "centre.learners.edit": Page("centre", "centre.learners.edit"),
    "centre.policy.add_stage": Page("centre", "centre.policy.add_stage"),
    "centre.policy.edit_section": Page("centre", "centre.policy.edit_section"),
    "centre.policy.edit_stage": Page("centre", "centre.policy.edit_stage"),
    "centre.policy.publish": Page("centre", "centre.policy.show"),  # unchanged: confirmed by a box to tick
    "centre.policy.start_again": Page("centre", "centre.policy.start_again"),
    "centre.staff.decline": Page("centre", "centre.staff.accounts"),
    "centre.staff.request_account": Page("centre", "centre.staff.request_account"),
    "centre.submissions.upload_page": Page("centre", "centre.submissions.upload_page"),
    "complaints.direct": Page("anonymous", "complaints.direct"),
    "complaints.resend": Page("anonymous", "complaints.resend"),
    "public.apply": Page("anonymous", "public.apply"),
}

# Forms that are a button: endpoint -> the page that shows it.
BUTTONS: dict[str, Page] = {
    "admin.change_role": Page("admin", "admin.people"),
    "admin.reset_two_factor": Page("admin", "admin.people"),
    "admin_assessment.accept": Page("admin", "admin_assessment.submission"),
    "admin_assessment.release": Page("admin", "admin_assessment.submission", {"submission_id": "releasable_id"}),
    "admin_complaints.acknowledge": Page("admin", "admin_complaints.case", {"complaint_id": "direct_id"}),
    "admin_complaints.record_centre_contacted": Page("admin", "admin_complaints.case"),
    "admin_invoicing.rerun": Page("admin", "admin_invoicing.jobs"),
    "auth.new_recovery_codes": Page("admin", "auth.two_factor_page"),
    "auth.sign_out": Page("centre", "centre.staff.dashboard"),
    "catalogue.unit_status": Page("admin", "catalogue.units"),
    "centre.cases.acknowledge": Page("centre", "centre.cases.case", CENTRE_CASE),
    "centre.complaints.accept": Page("anonymous", "centre.complaints.track", {"token": "decided_token"}),
    "centre.complaints.escalate": Page("anonymous", "centre.complaints.track", {"token": "final_token"}),
    "centre.complaints.next_stage": Page("anonymous", "centre.complaints.track", {"token": "decided_token"}),
    "centre.learner_data.download": Page("centre", "centre.learner_data.show"),
    "centre.learners.set_status": Page("centre", "centre.learners.index"),
    "centre.policy.move_stage": Page("centre", "centre.policy.stages"),
    "centre.policy.remove_stage": Page("centre", "centre.policy.stages"),
    "centre.staff.approve": Page("centre", "centre.staff.accounts"),
    "centre.staff.close": Page("centre", "centre.staff.accounts"),
    "centre.submissions.accept_fee": Page("centre", "centre.submissions.show", {"submission_id": "held_id"}),
    "centre.submissions.withdraw": Page("centre", "centre.submissions.show", {"submission_id": "held_id"}),
    "complaints.accept": Page("anonymous", "complaints.track", {"token": "direct_decided_token"}),
    "complaints.next_stage": Page("anonymous", "complaints.track", {"token": "direct_decided_token"}),
}

NOT_FILLED = {"hidden", "submit", "button", "image", "reset"}


def post_routes(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_post_endpoint_is_covered(app):
    posted = post_routes(app)
    missing = sorted(posted - set(FORMS) - set(BUTTONS))
    assert not missing, (f"forms without a line: {', '.join(missing)} — add each to FORMS (a form with fields) or "
                         "BUTTONS in tests/test_error_summaries.py, with the page that shows it")
    assert not set(FORMS) & set(BUTTONS)
    stale = sorted((set(FORMS) | set(BUTTONS)) - posted)
    assert not stale, f"lines for endpoints that no longer take a POST: {', '.join(stale)}"


# --- the data: the demo, plus the few states of a record whose forms the demo's records do not show ----------------

def _states(records: dict) -> None:
    """Records in the states some forms need, made through the services."""
    from portal.admin import assessment_services as assessment
    from portal.auth.models import User
    from portal.auth.two_factor import begin_enrolment
    from portal.db import commit
    from portal.demo import _complain, _mark, _upload
    from tenants.complaints import handling, tracking
    from tenants.complaints.models import Complaint
    from tenants.learners.models import Learner
    from tenants.models import Centre
    from tenants.submissions.models import Result, Submission, SubmissionStatus

    users = {u.email: u for u in db.session.execute(select(User)).scalars()}
    admin, qc = users["admin@awarding-body.example"], users["qc@northgate.example"]
    northgate = db.session.get(Centre, records["centre_id"])
    at_northgate = db.session.execute(for_centre(Submission, northgate)
                                      .order_by(Submission.id)).scalars().all()
    marking = _upload(northgate, qc, "NGT1043", "8600-304", 1500)  # quality checked, allocated to the admin
    assessment.accept_quality_check(marking, by=admin)
    assessment.allocate(marking, admin, by=admin)
    records["marking_submission_id"] = marking.id
    marked = [s for s in at_northgate if s.status is SubmissionStatus.MARKED]
    records["sampling_submission_id"] = next(s.id for s in marked if s.sampled_at is None)
    records["mitigation_submission_id"] = next(s.id for s in marked if s.sampled_at is not None)
    releasable = _upload(northgate, qc, "NGT1042", "8600-304", 1600)  # marked, its sample confirmed
    _mark(releasable, admin, users["assessor@awarding-body.example"], Result.PASS)
    assessment.sample(releasable, "confirmed", "Agreed.", by=users["lead@awarding-body.example"])
    records["releasable_id"] = releasable.id
    begin_enrolment(users["assessor@awarding-body.example"])  # an admin may reset it
    records["held_id"] = next(s.id for s in at_northgate if s.status is SubmissionStatus.HELD)
    # A learner with nothing open, whose data may be erased.
    records["erasable_learner_id"] = db.session.execute(
        for_centre(Learner, northgate).where(Learner.enrolment_number == "NGT0998").with_only_columns(Learner.id)
    ).scalar_one()
    records["overdue_case_id"] = db.session.execute(
        select(Complaint.id).where(Complaint.complainant_email == "chris@northgate-learner.example")).scalar_one()
    decided = _complain(northgate, "Dee Cided", "dee@northgate-learner.example", "The room was too cold.")
    handling.acknowledge(decided, by=qc)
    handling.close_stage(decided, "We have fixed the heating.", by=qc)
    final = _complain(northgate, "Finn Al", "finn@northgate-learner.example", "My appeal was not heard.")
    for _ in range(len(final.policy_version.stages) - 1):
        handling.close_stage(final, "We found the process was followed.", by=qc)
        handling.learner_asks_next_stage(final)
    handling.close_stage(final, "Final review: the findings stand.", by=qc)
    direct = db.session.execute(select(Complaint).where(Complaint.complainant_email == "pat@example.org")
                                ).scalar_one()
    records["direct_id"] = direct.id
    records["decided_token"], records["final_token"] = tracking.issue_link(decided), tracking.issue_link(final)
    commit()
    answered = _direct_complaint_answered()
    records["direct_decided_token"] = tracking.issue_link(answered)
    commit()


def _direct_complaint_answered():
    """A second direct complaint whose first stage the awarding body has answered (the learner's choices show)."""
    from portal.auth.models import User
    from tenants.complaints import escalation, handling
    from tenants.complaints.intake import ComplaintDetails
    from tenants.complaints.models import Category, Subject

    admin = db.session.execute(select(User).where(User.email == "admin@awarding-body.example")).scalar_one()
    complaint, _ = escalation.submit_direct_complaint(ComplaintDetails(
        name="Dana Direct", email="dana@example.org", summary="My certificate was sent to the wrong address.",
        subject=Subject.PRODUCT_SERVICE, category=Category.WEBSITE), from_centre=None)
    db.session.flush()
    handling.acknowledge(complaint, by=admin)
    handling.close_stage(complaint, "We have sent a new certificate.", by=admin)
    return complaint


# --- the check ----------------------------------------------------------------------------------------------------

def _page_url(app, page: Page, records: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == page.endpoint and "GET" in r.methods)
    args = _arguments(page.endpoint, rule, records)[0]
    args.update({name: records[key] for name, key in page.records.items()})
    with app.test_request_context():
        return url_for(page.endpoint, **args)


def _forms_posting_to(app, html: str, page_url: str, endpoint: str) -> list:
    adapter = app.url_map.bind("localhost")
    found = []
    for form in lxml.html.fromstring(html).forms:
        if (form.get("method") or "get").lower() != "post":
            continue
        buttons = form.xpath('.//button[not(@type) or @type="submit"] | .//input[@type="submit"]')
        actions = {b.get("formaction") or form.get("action") or page_url for b in buttons} or {form.get("action")}
        for action in actions:
            path = urlsplit(urljoin("http://localhost" + page_url, action or page_url)).path
            try:
                if adapter.match(path, method="POST")[0] == endpoint:
                    found.append((form, path))
            except HTTPException:
                continue
    return found


def _fields(form) -> list:
    return [element for element in form.iter("input", "select", "textarea")
            if element.get("name") and (element.tag != "input" or (element.get("type") or "text") not in NOT_FILLED)]


def _submissions(form) -> list[tuple[str, dict]]:
    """(what, values): nothing filled in, then a mix of wrong values. Hidden values are sent as they are."""
    hidden = {e.get("name"): e.get("value") or "" for e in form.iter("input")
              if e.get("name") and e.get("type") == "hidden"}
    empty, wrong = dict(hidden), dict(hidden)
    for element in _fields(form):
        name, kind = element.get("name"), (element.get("type") or "text") if element.tag == "input" else element.tag
        if kind in ("radio", "checkbox", "file"):
            if kind in ("radio", "checkbox"):
                wrong[name] = "not-a-choice"
            continue
        empty[name] = ""
        limit = element.getparent().xpath(f'.//*[@id="{element.get("id")}-info"]/@data-character-count')
        wrong[name] = {"email": "not an email", "date": "31/02/2026", "number": "many", "select": "not-a-choice",
                       "tel": "x" * 300}.get(kind, "x" * (int(limit[0]) + 1 if limit else 300))
    return [("nothing filled in", empty), ("wrong values", wrong)]


def _problems(html: str, *, full_page: bool) -> list[str] | None:
    """What breaks the rules in an answer with errors (None: the answer shows no errors)."""
    doc = lxml.html.fromstring(html) if full_page else lxml.html.fragment_fromstring(html, create_parent="div")
    summaries = doc.xpath('//div[contains(concat(" ", @class, " "), " error-summary ")]')
    marked = {e.get("id")[:-len("-error")] for e in doc.xpath('//*[contains(@class, "field-error")][@id]')}
    if not summaries:
        return [f"fields marked wrong with no error summary: {sorted(marked)}"] if marked else None
    problems = []
    if len(summaries) > 1:
        problems.append(f"{len(summaries)} error summaries")
    summary = summaries[0]
    order = {element: n for n, element in enumerate(doc.iter())}
    targets, linked = [], set()
    for href in summary.xpath(".//a/@href"):
        found = doc.xpath(f'//*[@id="{href[1:]}"]') if href.startswith("#") else []
        if not found or found[0].tag not in ("input", "select", "textarea"):
            problems.append(f"the summary's link {href} is to no field of the page")
            continue
        target = found[0]
        targets.append((order[target], href))
        group = target.get("name")
        first_of_group = target.get("type") in ("radio", "checkbox") and doc.xpath(
            f'//input[@name="{group}"]')[0] is target
        linked.add(target.get("id")[:-2] if first_of_group and target.get("id").endswith("-0") else target.get("id"))
        if target.get("type") in ("radio", "checkbox") and not first_of_group:
            problems.append(f"the summary's link {href} is not to the first option of its group")
    if [t for _, t in targets] != [t for _, t in sorted(targets)]:
        problems.append(f"the summary lists {[t for _, t in targets]}, the page's order is "
                        f"{[t for _, t in sorted(targets)]}")
    if marked != linked:
        problems.append(f"fields marked wrong {sorted(marked)}, fields the summary links to {sorted(linked)}")
    following = summary.getnext()
    slot = summary.getparent()
    if following is None and slot.get("id") == "error-summary-slot":  # the page's place for it, above the h1
        if not full_page:  # an htmx answer fills it out of band (the test checks the page has it above its h1)
            return problems + ([] if slot.get("hx-swap-oob") else ["the error summary's slot is not out of band"])
        following = slot.getnext()
    if full_page:
        if not doc.findtext(".//title", "").startswith("Error:"):
            problems.append(f"the title {doc.findtext('.//title')!r} does not start with 'Error:'")
        if following is None or following.tag != "h1":
            problems.append(f"the summary is followed by <{getattr(following, 'tag', None)}>, not the page's h1")
    elif following is None or following.tag not in ("h1", "h2", "h3", "h4"):
        problems.append(f"the summary is followed by <{getattr(following, 'tag', None)}>, not the heading of the part "
                        "the answer replaces")
    return problems


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}  # the demo stores its submissions' files


def test_every_form_shows_its_errors_the_same_way(app):
    records = _seed_demo(app)
    _states(records)
    clients = {"anonymous": _signed_in(app, None), "admin": _signed_in(app, "admin@awarding-body.example"),
               "centre": _signed_in(app, "qc@northgate.example"),
               "half-signed-in": _signed_in(app, "admin@awarding-body.example", second_step=False)}
    problems = []
    for endpoint, page in sorted({**FORMS, **BUTTONS}.items()):
        client, url = clients[page.who], _page_url(app, page, records)
        shown = client.get(url)
        found = _forms_posting_to(app, shown.get_data(as_text=True), url, endpoint)
        if shown.status_code != 200 or not found:
            problems.append(f"{endpoint}: {url} answered {shown.status_code} and shows no form posting to it")
            continue
        form, action = found[0]
        slot = lxml.html.fromstring(shown.get_data(as_text=True)).xpath('//*[@id="error-summary-slot"]')
        if slot and getattr(slot[0].getnext(), "tag", None) != "h1":
            problems.append(f"{endpoint}: the error summary's place on {url} is not just above the h1")
        if endpoint in BUTTONS:
            if _fields(form):
                problems.append(f"{endpoint}: a button form with fields {[e.get('name') for e in _fields(form)]}: "
                                "move it to FORMS")
            continue
        if not _fields(form):
            problems.append(f"{endpoint}: no field to fill on {url}: move it to BUTTONS")
            continue
        ways = [False, True] if form.get("hx-post") else [False]
        showed_errors = False
        for what, values in _submissions(form):
            for htmx in ways:
                headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost" + url} if htmx else {}
                answer = client.post(action, data=values, headers=headers,
                                     content_type="multipart/form-data")
                html = answer.get_data(as_text=True)
                if answer.status_code in (302, 303):  # done, or refused with a message on the page it goes to
                    if htmx:
                        continue
                    html = client.get(answer.location).get_data(as_text=True)
                    htmx_fragment = False
                else:
                    htmx_fragment = htmx and "<html" not in html
                found_problems = _problems(html, full_page=not htmx_fragment)
                if found_problems is None:
                    continue
                showed_errors = True
                problems += [f"{endpoint} ({what}{', htmx' if htmx else ''}): {p}" for p in found_problems]
        if not showed_errors:
            problems.append(f"{endpoint}: neither submission showed errors")
    assert not problems, "\n".join(problems)
