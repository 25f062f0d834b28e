"""SPEC §5.1 through HTTP: the Quality contact edits the draft in place (htmx partials) or with plain form posts
(303 and full pages), publishes it; everyone else reads; other centres see nothing; the public page."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.db import commit, utcnow
from portal.extensions import db
from tenants.models import CentreStatus
from tenants.policy import services
from tenants.policy.models import PolicyVersion
from tests.conftest import quality_contact_of
from tests.policy.conftest import HX, signed_in, url

SECTION_FORMS = {
    "introduction": {"title": "Our complaints policy", "introduction": "We listen.\n\n- Tell us\n- We act"},
    "contact": {"contact_details": "Email: complaints@northgate.example\nTelephone: 0113 496 0000"},
    "acknowledgement": {"acknowledge_days": "3"},
    "confidentiality": {"confidentiality": "We keep it private."},
    "signposting": {"signposting": "Then the awarding body, then Ofqual."},
}
STORED = {"acknowledge_days": 3, "contact_details": "Email: complaints@northgate.example\nTelephone: 0113 496 0000"}


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip().removeprefix("Error:").strip()


def input_value(page: str, field_id: str) -> str:
    match = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*>', page)
    assert match, f"no input {field_id}"
    return html.unescape(re.search(r'value="([^"]*)"', match.group(0)).group(1))


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def fresh_draft(centre):
    db.session.expire_all()
    return services.draft_of(centre)


# --- the staff page -----------------------------------------------------------------------------------------

def test_quality_contact_sees_the_draft_with_change_links_and_publish(centre, qc_client):
    page = text(qc_client.get(url(centre, "/")))
    assert "Not published yet." in page and "cannot take complaints through the portal" in page
    for section in SECTION_FORMS:
        assert f'hx-get="/c/{centre.slug}/policy/sections/{section}/edit"' in page
    assert "Publish as version 1" in page and "Start again from a template" in page
    assert 'aria-current="page">Complaints policy</a>' in page


def test_other_staff_read_the_draft_but_cannot_change_it(centre, member_client, draft):
    page = text(member_client.get(url(centre, "/")))
    assert "Only the centre's Quality contact can change and publish" in page
    assert "Investigation" in page and draft.confidentiality.split(".")[0] in page
    assert "/edit" not in page and "Publish as version" not in page and "Start again" not in page


@pytest.mark.parametrize(("method", "path", "data"), [
    ("GET", "/sections/introduction/edit", None),
    ("POST", "/sections/introduction/edit", SECTION_FORMS["introduction"]),
    ("POST", "/sections/acknowledgement/edit", SECTION_FORMS["acknowledgement"]),
    ("GET", "/stages/{stage}/edit", None),
    ("POST", "/stages/{stage}/edit", {"name": "N", "handler": "H", "target_days": "5"}),
    ("GET", "/stages/new", None),
    ("POST", "/stages/new", {"name": "N", "handler": "H", "target_days": "5"}),
    ("POST", "/stages/{stage}/remove", {}),
    ("POST", "/stages/{stage}/move", {"direction": "down"}),
    ("POST", "/publish", {}),
    ("GET", "/start-again", None),
    ("POST", "/start-again", {"template": "three_stage"}),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_other_staff_get_403_and_nothing_changes(centre, member_client, draft, method, path, data, htmx):
    before = services.snapshot(draft)
    path = path.format(stage=draft.stages[0].id)
    response = member_client.open(url(centre, path), method=method, data=data, headers=HX if htmx else {})
    assert response.status_code == 403
    assert services.snapshot(fresh_draft(centre)) == before
    assert services.current_version(centre) is None


def test_another_centres_staff_get_404_on_our_policy_pages(centre, other_centre, app, draft):
    stage = draft.stages[0].id
    client = signed_in(app, quality_contact_of(other_centre))
    before = services.snapshot(draft)
    for method, path, data in [("GET", "/", None), ("GET", f"/stages/{stage}/edit", None),
                               ("POST", f"/stages/{stage}/edit", {"name": "N", "handler": "H", "target_days": "5"}),
                               ("POST", f"/stages/{stage}/remove", {}), ("POST", "/publish", {}),
                               ("POST", "/sections/signposting/edit", {"signposting": "Hijacked"})]:
        assert client.open(url(centre, path), method=method, data=data).status_code == 404, path
    # Our stage through their own centre's URL: 404, exactly like a stage that does not exist.
    theirs = client.get(f"/c/{other_centre.slug}/policy/stages/{stage}/edit")
    nowhere = client.get(f"/c/{other_centre.slug}/policy/stages/987654/edit")
    assert theirs.status_code == nowhere.status_code == 404 and theirs.data == nowhere.data
    assert services.snapshot(fresh_draft(centre)) == before
    assert services.current_version(centre) is None


def test_anonymous_visitors_are_sent_to_sign_in(centre, client):
    response = client.get(url(centre, "/"))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("signed_in_as", ["nobody", "quality_contact"])
def test_a_centre_that_does_not_exist_has_no_policy_pages(centre, client, qc_client, signed_in_as):
    browser = qc_client if signed_in_as == "quality_contact" else client
    for path in ("/policy/", "/policy/stages/1/edit", "/complaints-policy", "/complaints-policy.docx"):
        response = browser.get(f"/c/no-such-centre{path}")
        assert response.status_code == 404 and "Page not found" in text(response), path
    assert browser.post("/c/no-such-centre/policy/publish").status_code == 404


def test_unknown_section_is_404(centre, qc_client):
    assert qc_client.get(url(centre, "/sections/stages/edit")).status_code == 404
    assert qc_client.get(url(centre, "/sections/nonsense"), headers=HX).status_code == 404


# --- editing each part: htmx partial, or 303 without JavaScript -----------------------------------------------

@pytest.mark.parametrize("section", SECTION_FORMS)
def test_quality_contact_edits_each_section_inline_with_htmx(centre, qc_client, section):
    form_partial = qc_client.get(url(centre, f"/sections/{section}/edit"), headers=HX)
    assert form_partial.status_code == 200
    body = text(form_partial)
    assert body.lstrip().startswith(f'<section id="section-{section}"') and "<html" not in body
    assert f'hx-post="/c/{centre.slug}/policy/sections/{section}/edit"' in body
    assert f'hx-get="/c/{centre.slug}/policy/sections/{section}"' in body  # Cancel
    assert form_partial.headers["Vary"] and "HX-Request" in form_partial.headers["Vary"]

    saved = qc_client.post(url(centre, f"/sections/{section}/edit"), data=SECTION_FORMS[section], headers=HX)
    assert saved.status_code == 200
    body = text(saved)
    assert body.lstrip().startswith(f'<section id="section-{section}"') and "<form" not in body.split("<template>")[0]
    assert 'id="policy-status" class="notice' in body and 'hx-swap-oob="true"' in body  # the status panel too
    draft = fresh_draft(centre)
    for name, value in SECTION_FORMS[section].items():
        assert getattr(draft, name) == STORED.get(name, value)

    cancel = qc_client.get(url(centre, f"/sections/{section}"), headers=HX)
    assert cancel.status_code == 200 and text(cancel).lstrip().startswith(f'<section id="section-{section}"')


@pytest.mark.parametrize("section", SECTION_FORMS)
def test_quality_contact_edits_each_section_without_javascript(centre, qc_client, section):
    page = qc_client.get(url(centre, f"/sections/{section}/edit"))
    assert page.status_code == 200 and "<html" in text(page)
    assert f'action="/c/{centre.slug}/policy/sections/{section}/edit"' in text(page)
    saved = qc_client.post(url(centre, f"/sections/{section}/edit"), data=SECTION_FORMS[section])
    assert saved.status_code == 303 and saved.headers["Location"] == url(centre, "/")
    assert flashes(qc_client) and flashes(qc_client)[0].startswith("Saved")
    draft = fresh_draft(centre)
    for name, value in SECTION_FORMS[section].items():
        assert getattr(draft, name) == STORED.get(name, value)


def test_a_plain_visit_to_a_fragment_url_gets_the_whole_page(centre, qc_client, draft):
    for path in ("/sections/contact", f"/stages/{draft.stages[0].id}", "/stages"):
        response = qc_client.get(url(centre, path))
        assert response.status_code == 200 and "<html" in text(response), path
    # Back after an htmx swap (history restore) gets the whole page too, never a bare fragment.
    restore = qc_client.get(url(centre, "/sections/contact/edit"),
                            headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in text(restore)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_validation_errors_show_beside_fields_and_keep_what_was_typed(centre, qc_client, draft, htmx):
    response = qc_client.post(url(centre, "/sections/introduction/edit"), headers=HX if htmx else {},
                              data={"title": "", "introduction": "Kept words"})
    page = text(response)
    assert response.status_code == (200 if htmx else 422)  # htmx swaps only 2xx answers
    assert ("<html" in page) is not htmx
    assert field_error(page, "title") == "Enter a title for the policy."
    assert '<div class="error-summary"' in page and 'href="#title"' in page
    assert "Kept words</textarea>" in page
    assert fresh_draft(centre).title == "Northgate Training complaints policy"

    days = qc_client.post(url(centre, "/sections/acknowledgement/edit"), headers=HX if htmx else {},
                          data={"acknowledge_days": "two"})
    assert field_error(text(days), "acknowledge_days") == "Enter a number of working days from 1 to 10."
    assert input_value(text(days), "acknowledge_days") == "two"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_quality_contact_edits_a_stage(centre, qc_client, draft, htmx):
    stage = draft.stages[1]
    headers = HX if htmx else {}
    form = qc_client.get(url(centre, f"/stages/{stage.id}/edit"), headers=headers)
    assert input_value(text(form), f"stage-{stage.id}-name") == "Review"
    assert f'<label class="label" for="stage-{stage.id}-handler">' in text(form)

    bad = qc_client.post(url(centre, f"/stages/{stage.id}/edit"), headers=headers,
                         data={"name": "Manager review", "handler": "", "target_days": "61"})
    assert bad.status_code == (200 if htmx else 422)
    assert field_error(text(bad), f"stage-{stage.id}-handler") == \
        "Enter who handles this stage, for example a job title."
    assert field_error(text(bad), f"stage-{stage.id}-target_days") == "Enter a target from 1 to 60 working days."
    assert input_value(text(bad), f"stage-{stage.id}-name") == "Manager review"
    assert input_value(text(bad), f"stage-{stage.id}-target_days") == "61"

    saved = qc_client.post(url(centre, f"/stages/{stage.id}/edit"), headers=headers,
                           data={"name": "Manager review", "handler": "Centre manager", "target_days": "4"})
    if htmx:
        assert saved.status_code == 200
        assert text(saved).lstrip().startswith(f'<tr id="stage-{stage.id}">')
        assert "<th scope=\"row\">2. Manager review</th>" in text(saved)
        assert "Saved stage 2: Manager review." in text(saved)  # announced in the live region (out of band)
    else:
        assert saved.status_code == 303
    assert [(s.name, s.handler, s.target_days) for s in fresh_draft(centre).stages][1] == \
        ("Manager review", "Centre manager", 4)


def test_stage_cancel_restores_the_row(centre, qc_client, draft):
    stage = draft.stages[0]
    row = qc_client.get(url(centre, f"/stages/{stage.id}"), headers=HX)
    assert text(row).lstrip().startswith(f'<tr id="stage-{stage.id}">') and "1. Investigation" in text(row)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_adding_stages_up_to_five(centre, qc_client, htmx):
    headers = HX if htmx else {}
    form = qc_client.get(url(centre, "/stages/new"), headers=headers)
    assert "Add stage 4" in text(form)
    bad = qc_client.post(url(centre, "/stages/new"), headers=headers, data={"name": "", "handler": "Board",
                                                                            "target_days": ""})
    assert field_error(text(bad), "new-stage-name") == "Enter a name for the stage."
    assert field_error(text(bad), "new-stage-target_days") == "Enter a target from 1 to 60 working days."
    assert input_value(text(bad), "new-stage-handler") == "Board"
    assert "HX-Retarget" not in bad.headers  # errors stay in the form

    added = qc_client.post(url(centre, "/stages/new"), headers=headers,
                           data={"name": "Appeal panel", "handler": "Board", "target_days": "20"})
    if htmx:
        assert added.status_code == 200
        assert added.headers["HX-Retarget"] == "#policy-stages" and added.headers["HX-Reswap"] == "outerHTML"
        assert text(added).lstrip().startswith('<section id="policy-stages"')
        assert "4. Appeal panel" in text(added)
    else:
        assert added.status_code == 303
    qc_client.post(url(centre, "/stages/new"), headers=headers, data={"name": "Governors", "handler": "Chair",
                                                                      "target_days": "30"})
    assert [s.name for s in fresh_draft(centre).stages][-2:] == ["Appeal panel", "Governors"]
    page = text(qc_client.get(url(centre, "/")))
    assert "the most it can have" in page and "Add a stage" not in page
    refused = qc_client.post(url(centre, "/stages/new"), headers=headers,
                             data={"name": "Sixth", "handler": "X", "target_days": "5"})
    assert refused.status_code == (200 if htmx else 422)
    assert "A policy can have up to 5 stages." in text(refused)
    assert len(fresh_draft(centre).stages) == 5


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_removing_stages_down_to_one(centre, qc_client, draft, htmx):
    headers = HX if htmx else {}
    first, second, third = (s.id for s in draft.stages)
    removed = qc_client.post(url(centre, f"/stages/{second}/remove"), headers=headers)
    if htmx:
        assert removed.status_code == 200 and text(removed).lstrip().startswith('<section id="policy-stages"')
        assert "2. Final review" in text(removed)
    else:
        assert removed.status_code == 303
        assert flashes(qc_client) == ["Removed the stage Review."]
    qc_client.post(url(centre, f"/stages/{first}/remove"), headers=headers)
    assert [(s.position, s.name) for s in fresh_draft(centre).stages] == [(1, "Final review")]
    last = qc_client.post(url(centre, f"/stages/{third}/remove"), headers=headers)
    message = "A policy needs at least one stage, so this one cannot be removed. Change it instead."
    if htmx:
        assert message in text(last)
    else:
        assert last.status_code == 303 and flashes(qc_client)[-1] == message
    assert len(fresh_draft(centre).stages) == 1
    assert "/remove" not in text(qc_client.get(url(centre, "/")))  # no Remove button on the last stage


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_moving_a_stage(centre, qc_client, draft, htmx):
    third = draft.stages[2].id
    moved = qc_client.post(url(centre, f"/stages/{third}/move"), data={"direction": "up"}, headers=HX if htmx else {})
    assert moved.status_code == (200 if htmx else 303)
    assert [s.name for s in fresh_draft(centre).stages] == ["Investigation", "Final review", "Review"]
    qc_client.post(url(centre, f"/stages/{third}/move"), data={"direction": "sideways"})
    assert [s.name for s in fresh_draft(centre).stages] == ["Investigation", "Final review", "Review"]


# --- publishing and starting again --------------------------------------------------------------------------

def test_publishing_through_the_page_gives_version_1_then_2(centre, qc_client, draft):
    response = qc_client.post(url(centre, "/publish"))
    assert response.status_code == 303
    assert flashes(qc_client)[0].startswith("Published version 1 of the complaints policy.")
    page = text(qc_client.get(url(centre, "/")))
    assert "Published: version 1" in page and "The draft is the same as version 1." in page
    assert "Publish unchanged as version 2" in page and 'name="unchanged"' in page
    # The same policy again is refused until the review is confirmed; then it is version 2.
    refused = qc_client.post(url(centre, "/publish"))
    assert refused.status_code == 422  # the page again: the box to tick, in the error summary and beside it
    assert 'href="#unchanged">The draft is the same as version 1.' in text(refused)
    assert 'id="unchanged-error"' in text(refused)
    assert [v.number for v in services.versions_of(centre)] == [1]
    qc_client.post(url(centre, "/publish"), data={"unchanged": "y"})
    assert flashes(qc_client)[-1].startswith("Published version 2")
    qc_client.post(url(centre, "/sections/confidentiality/edit"), data={"confidentiality": "New promise."})
    assert "The draft has changes that are not published yet." in text(qc_client.get(url(centre, "/")))
    qc_client.post(url(centre, "/publish"))
    versions = services.versions_of(centre)
    assert [(v.number, v.confidentiality) for v in versions][0] == (3, "New promise.")
    page = text(qc_client.get(url(centre, "/")))
    assert "Version 3</a> <span class=\"tag tag-active\">Current</span>" in page
    assert "Replaced by version 3" in page
    old = qc_client.get(url(centre, f"/versions/{versions[2].id}"))
    assert old.status_code == 200 and "Replaced by version 2" in text(old)
    assert "We will keep your complaint confidential." in text(old)  # version 1's own text, unchanged


def test_publishing_an_incomplete_draft_explains_why(centre, qc_client, draft):
    draft.signposting = " "
    commit()
    response = qc_client.post(url(centre, "/publish"))
    assert response.status_code == 303
    assert flashes(qc_client) == ["The draft cannot be published yet. Enter where people can go if they are still "
                                  "not satisfied."]
    assert services.current_version(centre) is None


def test_start_again_asks_for_confirmation_then_replaces_the_draft(centre, qc_client, draft):
    qc_client.post(url(centre, "/publish"))
    confirm = qc_client.get(url(centre, "/start-again"))
    assert confirm.status_code == 200
    assert "This replaces the whole draft" in text(confirm) and "Replace the draft" in text(confirm)
    assert "version 1 stays on your public page" in text(confirm)
    missing = qc_client.post(url(centre, "/start-again"), data={})
    assert missing.status_code == 422 and "Choose a template to start from." in text(missing)
    assert qc_client.post(url(centre, "/start-again"), data={"template": "three_stage"}).status_code == 303
    assert [s.target_days for s in fresh_draft(centre).stages] == [2, 4, 15]
    assert services.current_version(centre).stages[0]["target_days"] == 8


def test_review_due_and_overdue_warning_on_the_staff_page(centre, qc_client, qc):
    version = services.publish(centre, by=qc)
    commit()
    page = text(qc_client.get(url(centre, "/")))
    assert f"Review due by <strong>{version.review_due.strftime('%-d %B %Y')}</strong>" in page
    assert "Review overdue" not in page
    db.session.execute(PolicyVersion.__table__.update().where(PolicyVersion.id == version.id)
                       .values(published_at=utcnow() - timedelta(days=3 * 365 + 5)))  # as if published in 2023
    commit()
    page = text(qc_client.get(url(centre, "/")))
    assert '<span class="tag tag-overdue">Review overdue</span>' in page
    assert "The three-yearly review is overdue." in page


# --- the public page -----------------------------------------------------------------------------------------

def test_public_page_before_anything_is_published(centre, client):
    response = client.get(f"/c/{centre.slug}/complaints-policy")
    assert response.status_code == 200
    page = text(response)
    assert "Not yet taking complaints through the portal" in page
    assert "complaints-policy.docx" not in page and "Investigation" not in page
    download = client.get(f"/c/{centre.slug}/complaints-policy.docx")
    assert download.status_code == 303 and download.headers["Location"] == f"/c/{centre.slug}/complaints-policy"


def test_public_page_shows_the_current_published_version(centre, client, qc, draft):
    services.publish(centre, by=qc)
    services.update_section(centre, draft, "introduction", title="Draft only title", introduction="Draft only.",
                            by=qc)
    commit()
    page = text(client.get(f"/c/{centre.slug}/complaints-policy"))
    assert "<h1>Northgate Training complaints policy</h1>" in page and "Draft only" not in page
    assert "Version 1 · Published" in page
    for heading in ("About this policy", "How to make a complaint", "How we handle your complaint",
                    "Confidentiality", "If you are still not satisfied", "Review of this policy"):
        assert f">{heading}</h2>" in page
    assert "within 2 working days of receiving it" in page
    assert '<th scope="row">1. Investigation</th><td>Complaints officer</td><td>8</td>' in page
    assert '<th scope="row">3. Final review</th><td>Head of centre or a director</td><td>10</td>' in page
    assert "applicant" in page and "Ofqual" in page and "keep your complaint confidential" in page
    assert f'href="/c/{centre.slug}/complaints-policy.docx"' in page
    assert f'href="/c/{centre.slug}/complaints/"' in page  # make a complaint
    home = text(client.get(f"/c/{centre.slug}/"))
    assert f'href="/c/{centre.slug}/complaints-policy"' in home


@pytest.mark.parametrize("status", [CentreStatus.SUSPENDED, CentreStatus.CLOSED], ids=str)
def test_a_suspended_or_closed_centre_still_shows_its_policy_but_takes_no_complaints(centre, client, qc, status):
    services.publish(centre, by=qc)
    centre.status = status
    commit()
    page = " ".join(text(client.get(f"/c/{centre.slug}/complaints-policy")).split())
    assert "Not taking new complaints" in page and "complaints already made continue under it" in page
    assert "1. Investigation" in page
    assert f'href="/c/{centre.slug}/complaints/"' not in page
    assert client.get(f"/c/{centre.slug}/complaints-policy.docx").status_code == 200


def test_another_centres_public_page_shows_only_its_own_policy(centre, other_centre, client, qc):
    services.publish(centre, by=qc)
    commit()
    page = text(client.get(f"/c/{other_centre.slug}/complaints-policy"))
    assert "Not yet taking complaints" in page and "Northgate" not in page
    assert client.get(f"/c/{other_centre.slug}/complaints-policy.docx").status_code == 303


# --- statements per page do not grow with the number of versions ---------------------------------------------

def _statements(client, count_queries, path: str) -> int:
    client.get(path)
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_policy_pages_cost_the_same_whatever_the_number_of_versions(centre, qc, qc_client, app, make_staff,
                                                                     count_queries):
    pages = [url(centre, "/"), f"/c/{centre.slug}/complaints-policy", f"/c/{centre.slug}/complaints-policy.docx"]
    services.publish(centre, by=qc)
    commit()
    few = [_statements(qc_client, count_queries, page) for page in pages]
    for _ in range(12):
        services.publish(centre, by=qc, unchanged=True)
    commit()
    assert db.session.execute(select(func.count(PolicyVersion.id))).scalar() == 13
    assert [_statements(qc_client, count_queries, page) for page in pages] == few
    version_page = url(centre, f"/versions/{services.versions_of(centre)[-1].id}")
    assert _statements(qc_client, count_queries, version_page) <= few[0]
