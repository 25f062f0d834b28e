"""Forms and errors the GOV.UK way, for every form of the portal (issue 12 §5): the browser never validates on its
own, the page title says "Error:", the summary lists errors in the order of the fields, long text boxes count
characters and a length error names its field."""
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.complaints.conftest import COMPLAINT_FORM

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_form_is_validated_by_the_portal_not_the_browser():
    """`novalidate` on every form: Chromium's own bubbles ("Please select an item") never replace the error
    summary, and htmx (which validates forms without it) sends every form to the server."""
    missing = [f"{path.relative_to(TEMPLATES)}: {tag[:80]}" for path in TEMPLATES.rglob("*.html")
               for tag in re.findall(r"<form\b[^>]*>", path.read_text()) if "novalidate" not in tag]
    assert not missing, missing


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


class _Order(HTMLParser):
    """The ids the error summary links to, and the ids of the fields that show an error, in page order."""

    def __init__(self):
        super().__init__()
        self.summary, self.fields, self.in_summary = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "error-summary" in (attrs.get("class") or ""):
            self.in_summary = True
        elif tag == "a" and self.in_summary and (attrs.get("href") or "").startswith("#"):
            self.summary.append(attrs["href"][1:])
        elif tag == "p" and "field-error" in (attrs.get("class") or "") and attrs.get("id"):
            self.fields.append(attrs["id"].removesuffix("-error"))

    def handle_endtag(self, tag):
        if tag == "ul":
            self.in_summary = False


def test_an_invalid_complaint_page_says_error_in_its_title_and_lists_errors_in_field_order(client, policy_centre):
    url = f"/c/{policy_centre.slug}/complaints/new"
    assert not _title(client.get(url).get_data(as_text=True)).startswith("Error:")
    response = client.post(url, data={**COMPLAINT_FORM, "name": "", "email": "not-an-email", "category": "",
                                      "summary": "x" * 10_001, "outcome_wanted": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _title(page).startswith("Error: ")
    order = _Order()
    order.feed(page)
    fields = [re.sub(r"-0$", "", target) for target in order.summary]
    assert len(fields) >= 5 and fields == order.fields, (order.summary, order.fields)
    # The summary comes before the page's heading, as on every page (GOV.UK: at the top of the main column).
    assert page.index('class="error-summary"') < page.index("<h1")
    # The length error names the field, in the summary and beside it.
    assert page.count("Describe your complaint in 10,000 characters or fewer") == 2
    assert "cannot be longer" not in page


def test_long_text_boxes_count_characters(client, policy_centre):
    page = client.get(f"/c/{policy_centre.slug}/complaints/new").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*aria-describedby="summary-info"', page)
    assert re.search(r'<p class="hint character-count-message" id="summary-info" data-character-count="10000">'
                     r"You can enter up to 10,000 characters</p>", page)
    assert 'aria-describedby="key_dates-hint key_dates-info"' in page  # beside the field's own hint
    # A longer paste is kept and refused with a message, never cut short.
    assert not re.search(r"<textarea[^>]*maxlength", page)


def test_a_length_error_names_its_field():
    from portal.forms import length_message

    assert length_message("Job title (optional)", 120) == "Job title must be 120 characters or fewer"
    assert length_message("What outcome would you like?", 5000) == (
        "Answer “What outcome would you like?” in 5,000 characters or fewer")


def test_a_length_error_names_its_field_on_every_form(app):
    """No form of the portal keeps WTForms' "Field cannot be longer than…" (forms made from one class do not share
    the named validator either)."""
    from tenants.staff.forms import StaffRequestForm

    with app.test_request_context(method="POST", data={"name": "Jo", "email": "jo@example.org",
                                                       "job_title": "x" * 121}):
        form = StaffRequestForm()
        assert not form.validate()
        assert form.job_title.errors == ["Job title must be 120 characters or fewer"]
