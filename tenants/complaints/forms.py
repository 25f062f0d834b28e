"""Forms of the complaints area: the learner's, then centre staff's."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import choices, email_field, id_or_none, name_field
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Category, Subject
from tenants.policy.services import MAX_STAGES as MAX_STAGE_FILTER

TEXT = dict(render_kw={"rows": 4})


HONEYPOT_REFUSED = ("We could not accept the form as it was sent. Check your answers and send it again — "
                    "everything you typed is still here.")


class Honeypot:
    """A field people never see (CSS display:none, so not focusable either): bots fill it.

    Refused visibly rather than dropped in silence, and cleared, so a person whose browser filled it in
    simply sends the form again with nothing lost.
    """

    hp_contact = StringField("Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.hp_contact.data:
            self.hp_contact.data = ""
            self.form_errors.append(HONEYPOT_REFUSED)
            return False
        return valid


class TriageForm(FlaskForm):
    kind = RadioField("What do you want to tell us about?", choices=choices([
        ("complaint", "A complaint about the centre or a product or service"),
        ("malpractice", "An allegation of malpractice or maladministration (for example cheating or false "
                        "records)"),
        ("result_dispute", "I disagree with an assessment result")]),
        validators=[DataRequired("Choose what you want to tell us about.")])


class ComplaintQuestions(Honeypot):
    """What every complainant tells us (SPEC §5.2), to a centre or to the awarding body directly."""

    summary = TextAreaField("What is your complaint about?", validators=[
        DataRequired("Tell us what your complaint is about."),
        Length(max=10000, message="Describe your complaint in 10,000 characters or fewer")], **TEXT)
    subject = RadioField("What does it concern?", choices=choices((s.value, s.label) for s in Subject),
                         validators=[DataRequired("Choose what your complaint concerns.")])
    category = SelectField("Which of these fits best?",
                           choices=choices([("", "Choose one")] + [(c.value, c.label) for c in Category]),
                           validators=[DataRequired("Choose the kind of complaint.")])
    key_dates = TextAreaField("Key dates (optional)", validators=[Optional(), Length(max=2000)],
                              description="When it happened, and any dates that matter.", render_kw={"rows": 2})
    actions_taken = TextAreaField("What have you done so far? (optional)", validators=[Optional(), Length(max=5000)],
                                  render_kw={"rows": 3})
    outcome_wanted = TextAreaField("What outcome would you like?", validators=[
        DataRequired("Tell us what outcome you would like."), Length(max=5000)], render_kw={"rows": 3})
    confidential = BooleanField("I ask for my complaint to be kept confidential",
                                description="We keep complaints confidential except where the case makes it "
                                            "impossible; then we tell you first.")

    def details(self, **extra) -> ComplaintDetails:
        """The answers, for the intake services."""
        return ComplaintDetails(
            name=self.name.data, email=self.email.data, summary=self.summary.data, subject=Subject(self.subject.data),
            category=Category(self.category.data), key_dates=self.key_dates.data or "",
            actions_taken=self.actions_taken.data or "", outcome_wanted=self.outcome_wanted.data or "",
            confidential=bool(self.confidential.data), **extra)


class ComplaintForm(ComplaintQuestions, FlaskForm):
    """A learner's complaint to their centre."""

    page_order = ("name", "email", "enrolment_number")  # shown before the questions (the error summary's order)

    name = name_field("Your full name", "Enter your full name.")
    email = email_field("Your email address", description="We send your reference and a private link to follow "
                                                           "your complaint here.")
    enrolment_number = StringField("Enrolment number (optional)", validators=[Optional(), Length(max=40)],
                                   description="The learner number your centre gave you, if you know it.")

    def details(self, **extra) -> ComplaintDetails:
        return super().details(enrolment_number=self.enrolment_number.data or "", **extra)


class ReferralForm(Honeypot, FlaskForm):
    """Reports that are not complaints: malpractice, or a disputed result."""

    name = name_field("Your full name", "Enter your full name.")
    email = email_field("Your email address")
    enrolment_number = StringField("Enrolment number (optional)", validators=[Optional(), Length(max=40)])
    summary = TextAreaField("Tell us what happened", validators=[
        DataRequired("Tell us what happened."), Length(max=10000)], **TEXT)
    key_dates = TextAreaField("Key dates (optional)", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class ResendForm(FlaskForm):
    reference = StringField("Complaint reference", validators=[DataRequired("Enter your complaint reference."),
                                                               Length(max=40)],
                            description="For example C-100001-000123.", render_kw={"spellcheck": "false"})
    email = email_field("The email address you gave")


class ConfirmEscalationForm(FlaskForm):
    """The learner confirms escalation on the tracking page."""


class UpdateForm(FlaskForm):
    body = TextAreaField("Note or update", validators=[DataRequired("Write the note or update."),
                                                       Length(max=10000)], **TEXT)
    audience = RadioField("Who can see it?", default="internal", choices=choices([
        ("internal", "Staff only (an internal note)"),
        ("learner", "The learner too (an update: the stage's outcome is given by closing it)")]),
        validators=[DataRequired("Choose who can see it.")])


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", coerce=id_or_none, validators=[DataRequired("Choose who handles this stage.")])


class ExtendForm(FlaskForm):
    new_due = DateField("New deadline", validators=[DataRequired("Enter the new deadline as a date.")],
                        description="Only before the current deadline passes. The deadline is the end of that day.")
    reason = TextAreaField("Reason (the learner sees it)", validators=[DataRequired("Give the reason."),
                                                                      Length(max=2000)], render_kw={"rows": 2})
    consent = RadioField("The learner", choices=choices([
        ("agreed", "agreed to the new date"), ("told", "has been told of the new date, as our policy allows")]),
        validators=[DataRequired("Say whether the learner agreed to the new date or was told of it.")])


class CloseStageForm(FlaskForm):
    outcome = TextAreaField("Outcome of this stage (the learner sees it)", validators=[
        DataRequired("Write the outcome."), Length(max=10000)], **TEXT)


def _stage_number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class QueueFilterForm(FlaskForm):
    """GET filters of the case queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField("Status", choices=choices([
        ("active", "Open or waiting"), ("open", "Open"), ("awaiting_learner", "Waiting for the learner"),
        ("resolved", "Resolved"), ("escalated", "With the awarding body"), ("referred", "Referred"), ("all", "All")]),
        default="active")
    due = SelectField("Deadline", choices=choices([("", "Any"), ("overdue", "Overdue"),
                                                   ("soon", "Due within 1 working day"),
                                                   ("unacknowledged", "Waiting for acknowledgement"),
                                                   ("acknowledge_overdue", "Acknowledgement overdue")]), default="")
    stage = SelectField("Stage", coerce=_stage_number, validators=[Optional()],
                        choices=choices([("", "Any")] + [(n, f"Stage {n}") for n in range(1, MAX_STAGE_FILTER + 1)]),
                        default="")
    category = SelectField("Category", choices=choices([("", "Any")] + [(c.value, c.label) for c in Category]),
                           default="")
    assigned = SelectField("Assigned", choices=choices([("", "Anyone"), ("me", "Me"), ("none", "Nobody")]),
                           default="")
