"""Forms of the awarding body's complaints: the public direct-complaint form, then staff's case forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.auth.models import Role
from portal.extensions import db
from portal.forms import email_field, id_or_none, name_field
from tenants.complaints.forms import ComplaintQuestions
from tenants.models import Centre

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
CENTRE_FIRST = ("Learners complain to their centre first. Use your centre's complaints page; once the centre's "
                "process is finished you can escalate to us from the private link the centre's page emails you.")


class DirectComplaintForm(ComplaintQuestions, FlaskForm):
    """A complaint straight to the awarding body, from a centre or a member of the public (SPEC §5.3)."""

    # Shown before the questions (the error summary's order).
    page_order = ("learner_at_centre", "name", "email", "as_centre", "centre_number")

    learner_at_centre = RadioField(
        "Are you a learner at a centre complaining about that centre or its staff?", choices=YES_NO,
        validators=[DataRequired("Say whether you are a learner complaining about your centre.")])
    name = name_field("Your full name", "Enter your full name.")
    email = email_field("Your email address", description="We send your reference and a private link to follow "
                                                           "your complaint here.")
    as_centre = RadioField("Are you complaining on behalf of a centre?", choices=YES_NO,
                           validators=[DataRequired("Say whether you are complaining on behalf of a centre.")])
    centre_number = StringField("Centre number", validators=[Length(max=20)],  # required only as a centre
                                description="Only if you complain on behalf of a centre: the six-digit number on "
                                            "your approval letter.",
                                render_kw={"inputmode": "numeric", "spellcheck": "false"})

    centre: Centre | None = None  # the centre named by `centre_number`, once validated

    def validate_learner_at_centre(self, field):
        if field.data == "yes":
            raise ValidationError(CENTRE_FIRST)

    def validate_centre_number(self, field):
        if self.as_centre.data != "yes":
            return
        number = (field.data or "").strip()
        if not number:
            raise ValidationError("Enter your centre number.")
        self.centre = db.session.execute(select(Centre).where(Centre.centre_number == number)).scalar_one_or_none()
        if self.centre is None or not self.centre.is_provisioned:
            self.centre = None
            raise ValidationError("We have no approved centre with that number. Check the number on your approval "
                                  "letter.")


class LearnerDecisionForm(FlaskForm):
    """Accept the outcome, or ask for the next stage, on the tracking page: the CSRF token only."""


class ResendForm(FlaskForm):
    reference = StringField("Complaint reference", validators=[DataRequired("Enter your complaint reference."),
                                                               Length(max=40)],
                            description="For example D-000123.", render_kw={"spellcheck": "false"})
    email = email_field("The email address you gave")


# --- awarding-body staff -----------------------------------------------------------------------------------

class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", coerce=id_or_none, validators=[DataRequired("Choose who handles this stage.")])


class UpdateForm(FlaskForm):
    body = TextAreaField("Note or update", validators=[DataRequired("Write the note or update."),
                                                       Length(max=10000)], render_kw={"rows": 4})
    audience = RadioField("Who can see it?", default="internal", choices=[
        SelectChoice("internal", "Awarding-body staff only (an internal note)"),
        SelectChoice("learner", "The complainant too (an update on the tracking page, emailed to them)")],
        validators=[DataRequired("Choose who can see it.")])


class ExtendForm(FlaskForm):
    new_due = DateField("New deadline", validators=[DataRequired("Enter the new deadline as a date.")],
                        description="Only before the current deadline passes. The end of that day, UK time.")
    reason = TextAreaField("Reason (the complainant sees it)", validators=[DataRequired("Give the reason."),
                                                                           Length(max=2000)], render_kw={"rows": 2})
    consent = RadioField("The complainant", choices=[
        SelectChoice("agreed", "agreed to the new date"),
        SelectChoice("told", "has been told of the new date (we keep complainants informed)")],
        validators=[DataRequired("Say whether the complainant agreed to the new date or was told of it.")])


class AnnounceContactForm(FlaskForm):
    reason = TextAreaField("What we will ask the centre, and why (optional; the learner sees it)",
                           validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class CloseStageForm(FlaskForm):
    outcome = TextAreaField("Outcome of this stage (the complainant sees it)", validators=[
        DataRequired("Write the outcome."), Length(max=10000)], render_kw={"rows": 4})


STAGE_ROLES = (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR)


class QueueFilterForm(FlaskForm):
    """GET filters of the awarding body's case queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField("Status", default="active", choices=[
        SelectChoice("active", "Open or waiting"), SelectChoice("open", "Open"),
        SelectChoice("awaiting_learner", "Waiting for the complainant"), SelectChoice("resolved", "Resolved"),
        SelectChoice("all", "All")])
    role = SelectField("Stage handled by", default="", choices=[SelectChoice("", "Any stage")] + [
        SelectChoice(r.value, r.label) for r in STAGE_ROLES])
    due = SelectField("Deadline", default="", choices=[
        SelectChoice("", "Any"), SelectChoice("overdue", "Overdue"),
        SelectChoice("soon", "Due within 1 working day")])
    assigned = SelectField("Assigned", default="", choices=[
        SelectChoice("", "Anyone"), SelectChoice("me", "Me"), SelectChoice("none", "Nobody")])
    route = SelectField("Route", default="", choices=[
        SelectChoice("", "Both"), SelectChoice("centre", "Escalated by a learner"),
        SelectChoice("direct", "Direct (centres and the public)")])
