"""The learner's own pages (issue 12 §4): what happens next and by when, the final outcome at the top, choices of
equal weight, closed stages that do not look like errors, and a centre without a policy that says how to reach it."""
import re

from portal.db import commit
from portal.workdays import to_london
from tenants.complaints import handling
from tests.complaints.conftest import COMPLAINT_FORM
from tests.conftest import quality_contact_of


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_received_page_says_what_happens_next_and_by_when(client, policy_centre):
    from tenants.complaints.models import Complaint

    response = client.post(f"/c/{policy_centre.slug}/complaints/new", data=COMPLAINT_FORM)
    assert response.status_code == 200
    complaint = Complaint.query.one()
    stage = complaint.current_stage
    page = " ".join(text(response).split())
    acknowledge_by = to_london(stage.acknowledge_due).strftime("%A %-d %B %Y")
    assert "What happens next" in page
    assert f"will acknowledge your complaint by the end of <strong>{acknowledge_by}</strong>" in page
    assert f"should give you its outcome by {to_london(stage.due).strftime('%A %-d %B %Y')}" in page
    assert f'<span class="ref">{complaint.reference}</span>' in page  # never broken mid-code on a phone


def test_the_final_outcome_is_at_the_top_and_choices_have_equal_weight(client, policy_centre, complain):
    complaint, token = complain(policy_centre)
    track = f"/c/{policy_centre.slug}/complaints/track/{token}"
    handling.close_stage(complaint, "We upheld it: your feedback is attached.", by=quality_contact_of(policy_centre))
    commit()
    page = text(client.get(track))
    choices = page[page.index('id="way-forward"'):page.index("</div>", page.index('class="actions"'))]
    buttons = re.findall(r"<button[^>]*>([^<]*)</button>", choices)
    assert "Accept the outcome" in buttons and "Ask for the next stage" in buttons
    assert "button-secondary" not in choices  # no choice is made to look lesser
    assert "tag-closed" not in page and '<span class="tag tag-done">Closed' in page  # closed is not an error

    assert client.post(f"{track}/accept").status_code == 303
    page = text(client.get(track))
    outcome = page.index('id="final-outcome"')
    assert "We upheld it: your feedback is attached." in page[outcome:page.index("</div>", outcome)]
    assert outcome < page.index("<h2>Stages</h2>") < page.index("<h2>Updates</h2>")


def test_a_centre_without_a_published_policy_shows_how_to_reach_it(client, make_centre):
    centre = make_centre("Harbour Skills")
    page = text(client.get(f"/c/{centre.slug}/"))
    assert f'href="/c/{centre.slug}/complaints/"' not in page  # no "Make a complaint" that leads nowhere
    assert "To make a complaint, contact the centre" in page
    assert f'href="mailto:{centre.contact_email}"' in page and centre.contact_name in page
