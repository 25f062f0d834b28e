"""Forms of the submissions area: the upload, the tracker's filters."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import choices
from tenants.submissions.models import SubmissionStatus
from tenants.submissions.tracker import OVERDUE, SORTS, WAITING_FOR_RESULT

ACCEPT = ".docx,.pdf,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class UploadForm(FlaskForm):
    """SPEC §6.2: one learner's assessment for one unit, with its authenticity sheet, result sheet, appendices."""

    learner = SelectField("Learner", coerce=_int_or_none, validators=[DataRequired("Choose the learner.")])
    unit = SelectField("Unit", coerce=_int_or_none, validators=[DataRequired("Choose the unit.")])
    assessment = FileField("Assessment", render_kw={"accept": ACCEPT},
                           description="Word .docx (counted exactly) or PDF (approximate count). Name it "
                                       "Initial.Surname-ENR(n), e.g. S.Smith-ABC123(1).")
    accept_corrected_name = BooleanField("Store it under the correct name",
                                         description="If the file name does not follow the convention but it is "
                                                     "the right learner's work.")
    result_sheet = FileField("ILMA result sheet", render_kw={"accept": ".docx"},
                             description="A Word .docx with the learner's name and enrolment number filled in.")
    authenticity = FileField("Signed authenticity cover sheet", render_kw={"accept": ACCEPT + ",image/png,image/jpeg"},
                             description="Needed with the first submission for each unit; not for a resubmission "
                                         "if the original had one.")
    cover_page = BooleanField("The authenticity statement is the assessment's own cover page")
    appendices = MultipleFileField("Appendices (optional)", render_kw={"accept": ACCEPT + ",image/png,image/jpeg"})


class TrackerFilterForm(FlaskForm):
    """GET filters of the tracker: no CSRF (they change nothing)."""

    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()],
                         choices=choices([("", "Any status")] + [(s.value, s.label) for s in SubmissionStatus]
                                         + [(WAITING_FOR_RESULT, "Waiting for a result (marking or release)")]))
    unit = SelectField("Unit", coerce=_int_or_none, validators=[Optional()])
    learner = StringField("Learner name or ENR", validators=[Optional(), Length(max=80)])
    due = SelectField("Deadline", validators=[Optional()],
                      choices=choices([("", "Any"), (OVERDUE, "Quality check or result overdue")]))
    sort = SelectField("Sort by", choices=choices(zip(SORTS, ("Newest upload", "Due date", "Learner"), strict=True)),
                       validators=[Optional()])
