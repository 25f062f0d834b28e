"""The awarding body's forms: centres and applications, people and their appointed roles, and assessment
(queues, quality check, allocation, results, sampling, the sampling policy, conflicts of interest)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.admin.assessment_services import REJECTION_REASONS
from portal.admin.sampling import MAX_NEW_ASSESSOR_COUNT
from portal.auth.roles import APPOINTED_ROLES
from portal.forms import choices, email_field, name_field
from tenants.submissions.models import Result, SampleOutcome


class ApproveCentreForm(FlaskForm):
    """Approve an application: the workspace's address, the centre number, the first Quality contact."""

    slug = StringField("Web address", validators=[DataRequired("Enter the web address."), Length(max=60)],
                       description="Lower-case letters, digits and hyphens: the centre's pages are at /c/<this>.")
    centre_number = StringField("Centre number", validators=[
        DataRequired("Enter the centre number."), Regexp(r"^\d{6}$", message="Enter six digits.")],
        render_kw={"inputmode": "numeric"})
    quality_contact_name = name_field("Quality contact's name")
    quality_contact_email = email_field("Quality contact's email address")


class AppointQualityContactForm(FlaskForm):
    user_id = SelectField("New Quality contact", coerce=int,
                          validators=[DataRequired("Choose a member of staff.")])


class RoleForm(FlaskForm):
    """Appoint, or remove, one of the roles a platform admin appoints (the people page: one button each)."""

    role = SelectField("Role", choices=choices((r.value, r.label) for r in APPOINTED_ROLES),
                       validators=[DataRequired("Choose a role.")])
    change = RadioField("Change", choices=choices([("appoint", "Appoint"), ("remove", "Remove")]),
                        validators=[DataRequired("Choose whether to appoint or remove.")])


# --- assessment --------------------------------------------------------------------------------------------------

class QueueFilterForm(FlaskForm):
    """GET filters of a queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    due = SelectField("Deadline", default="", choices=choices([("", "Any"), ("overdue", "Overdue"),
                                                               ("soon", "Due within 1 working day")]))
    assessor = SelectField("Assessor", default="")
    sampling = SelectField("Sampling", default="", choices=choices([
        ("", "Any"), ("to_sample", "To sample before release"), ("issues", "Issues found, not yet mitigated"),
        ("releasable", "May be released")]))


class RejectForm(FlaskForm):
    reason = RadioField("Reason", validators=[DataRequired("Choose the reason.")],
                        choices=choices([*REJECTION_REASONS.items(), ("other", "Another reason")]))
    detail = TextAreaField("What the centre needs to do (required for another reason)",
                           validators=[Length(max=2000)], render_kw={"rows": 3})

    def validate_detail(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError("Say what is wrong: the centre reads this.")

    def reason_text(self) -> str:
        common = REJECTION_REASONS.get(self.reason.data, "")
        return " ".join(part for part in (common, (self.detail.data or "").strip()) if part)


class AllocateForm(FlaskForm):
    assessor = SelectField("Assessor", coerce=int, validators=[DataRequired("Choose an assessor.")])


class ResultForm(FlaskForm):
    result = RadioField("Result", choices=choices([(Result.PASS.value, "Pass"), (Result.REFERRED.value, "Referred")]),
                        validators=[DataRequired("Choose pass or referred.")])
    referred_criteria = StringField("Referred criteria (when referred)", validators=[Length(max=500)],
                                    description="e.g. AC 1.2, AC 3.1")
    marked_sheet = FileField("Marked result sheet (.docx)", render_kw={"accept": ".docx"})


class SampleForm(FlaskForm):
    """A lead assessor's sample: confirmed, or issues found (with notes, which the service requires)."""

    outcome = RadioField("Outcome of the sample", validators=[DataRequired("Choose the outcome of the sample.")],
                         choices=choices([(SampleOutcome.CONFIRMED.value,
                                           "Confirmed: the decision and the feedback meet the standard"),
                                          (SampleOutcome.ISSUES_FOUND.value,
                                           "Issues found: hold the result until it is re-marked or confirmed")]))
    note = TextAreaField("Lead assessor's notes (required when issues are found)",
                         validators=[Optional(), Length(max=2000)], render_kw={"rows": 3},
                         description="The assessor reads these: say what is wrong with the decision or the feedback.")


class ConfirmResultForm(FlaskForm):
    """A lead assessor confirms a result whose sample found issues may be released as it stands."""

    note = TextAreaField("Why the result can be released as it stands",
                         validators=[DataRequired("Say why the result can be released as it stands."),
                                     Length(max=2000)], render_kw={"rows": 2})


class SamplingPolicyForm(FlaskForm):
    new_assessor_count = IntegerField(
        "Sample every one of each new assessor's first ... marked submissions",
        validators=[InputRequired("Enter a number of submissions."),
                    NumberRange(0, MAX_NEW_ASSESSOR_COUNT, f"Enter a number from 0 to {MAX_NEW_ASSESSOR_COUNT}.")],
        render_kw={"inputmode": "numeric"})
    monthly_percent = IntegerField(
        "Then sample this percentage of each assessor's marked submissions each month",
        validators=[InputRequired("Enter a percentage."),
                    NumberRange(1, 100, "Enter a percentage from 1 to 100: every assessor's marking is sampled "
                                        "each month.")],
        description="At least one a month for every assessor who marks that month.", render_kw={"inputmode": "numeric"})
    note = TextAreaField("Why it changes (kept with the policy)", validators=[Optional(), Length(max=500)],
                         render_kw={"rows": 2})


class ConflictForm(FlaskForm):
    assessor = SelectField("Assessor", coerce=int, validators=[DataRequired("Choose an assessor.")])
    centre = SelectField("Centre", coerce=int, validators=[DataRequired("Choose the centre.")])
    enrolment_number = StringField("Learner's enrolment number (ENR), for a conflict with one learner only",
                                   validators=[Optional(), Length(max=40)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
