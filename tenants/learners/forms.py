"""Forms of the centre's learner pages."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.forms import choices, strip
from tenants.learners.models import Learner, LearnerStatus
from tenants.learners.services import LearnerDetails

STATUS_LABELS = {LearnerStatus.IN_PROGRESS: "In progress", LearnerStatus.COMPLETED: "Completed"}


class LearnerForm(FlaskForm):
    """Register a learner, or change their details."""

    first_name = StringField("First name", filters=[strip],
                             validators=[DataRequired("Enter the learner's first name."), Length(max=80)],
                             render_kw={"autocomplete": "off"})
    last_name = StringField("Last name", filters=[strip],
                            validators=[DataRequired("Enter the learner's last name."), Length(max=80)],
                            render_kw={"autocomplete": "off"})
    enrolment_number = StringField(
        "Enrolment number (ENR)", filters=[strip],
        validators=[DataRequired("Enter the learner's enrolment number (ENR)."), Length(max=40)],
        description="Letters and digits, unique at your centre. It is part of every file name the learner "
                    "submits, as in S.Smith-ABC123(1).",
        render_kw={"spellcheck": "false", "autocomplete": "off"})
    email = StringField("Email address (optional)", filters=[strip],
                        validators=[Optional(), Email("Enter an email address like name@example.org.",
                                                      check_deliverability=False), Length(max=254)],
                        render_kw={"spellcheck": "false", "autocomplete": "off"})
    qualification = StringField("Qualification (optional)", filters=[strip], validators=[Optional(), Length(max=200)],
                                description="For example ILM Level 5 Certificate in Leadership and Management.")

    def details(self) -> LearnerDetails:
        return LearnerDetails(first_name=self.first_name.data, last_name=self.last_name.data,
                              enrolment_number=self.enrolment_number.data, email=self.email.data or None,
                              qualification=self.qualification.data or "")

    @classmethod
    def of(cls, learner: Learner) -> "LearnerForm":
        return cls(data={"first_name": learner.first_name, "last_name": learner.last_name,
                         "enrolment_number": learner.enrolment_number, "email": learner.email or "",
                         "qualification": learner.qualification})


class LearnerSearchForm(FlaskForm):
    """GET search of the learner list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Name or ENR", filters=[strip], validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "autocomplete": "off"})
    status = SelectField("Status", choices=choices([("", "Any")] + [(s.value, label)
                                                                    for s, label in STATUS_LABELS.items()]),
                         validators=[Optional()], default="")


class LearnerStatusForm(FlaskForm):
    """Mark a learner's qualification completed, or back in progress."""

    status = SelectField("Status", choices=choices((s.value, label) for s, label in STATUS_LABELS.items()),
                         validators=[DataRequired("Choose the learner's status.")])
