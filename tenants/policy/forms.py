"""Forms of the complaints policy editor: one per part of the draft, one for a stage, one to start again."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, StopValidation
from wtforms.widgets import TextInput

from portal.forms import choices, strip
from tenants.policy import services
from tenants.policy.models import PolicyTemplate

FORMAT_HINT = "Leave a blank line between paragraphs. Start a line with a hyphen and a space (- ) for a bullet point."


def _length(limit: int) -> Length:
    return Length(max=limit)  # the error names the field (portal.forms.length_message)


class WorkingDaysField(IntegerField):
    """A whole number of working days, typed as text (GOV.UK: no number spinner); what was typed is kept."""

    widget = TextInput()

    def __init__(self, label: str, *, low: int, high: int, message: str, **kwargs):
        self.range_message = message.format(low=low, high=high)
        super().__init__(label, validators=[InputRequired(self.range_message),
                                            NumberRange(low, high, self.range_message)],
                         render_kw={"inputmode": "numeric", "spellcheck": "false"}, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(self.range_message) from None

    def pre_validate(self, form):
        if self.process_errors:  # not a whole number: say so once, not again for the range
            raise StopValidation()


def _text_field(label: str, name: str, *, description: str = FORMAT_HINT, rows: int = 10) -> TextAreaField:
    return TextAreaField(label, description=description, filters=[strip],
                         validators=[DataRequired(services.MISSING[name]), _length(services.TEXT_LIMITS[name])],
                         render_kw={"rows": rows})


class IntroductionForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[DataRequired(services.MISSING["title"]),
                                                                 _length(services.TEXT_LIMITS["title"])])
    introduction = _text_field("Introduction", "introduction", rows=20, description=(
        "What a complaint is, examples, what is not a complaint, and what to include. " + FORMAT_HINT))


class ContactForm(FlaskForm):
    contact_details = _text_field("Contact details", "contact_details", rows=10, description=(
        "How to make a complaint: email, telephone, postal address, and any help you offer. " + FORMAT_HINT))


class AcknowledgementForm(FlaskForm):
    acknowledge_days = WorkingDaysField(
        "Acknowledge a complaint within (working days)", low=services.MIN_ACKNOWLEDGE_DAYS,
        high=services.MAX_ACKNOWLEDGE_DAYS, message="Enter a number of working days from {low} to {high}.",
        description="The awarding body's model acknowledges within 2 working days.")


class ConfidentialityForm(FlaskForm):
    confidentiality = _text_field("Confidentiality statement", "confidentiality")


class SignpostingForm(FlaskForm):
    signposting = _text_field("Where to go next", "signposting", rows=14, description=(
        "Escalating to the awarding body once your process is exhausted, and the regulators. " + FORMAT_HINT))


SECTION_FORMS: dict[str, type[FlaskForm]] = {
    "introduction": IntroductionForm,
    "contact": ContactForm,
    "acknowledgement": AcknowledgementForm,
    "confidentiality": ConfidentialityForm,
    "signposting": SignpostingForm,
}
assert SECTION_FORMS.keys() == services.SECTIONS.keys()


class StageForm(FlaskForm):
    name = StringField("Stage name", filters=[strip], validators=[DataRequired(services.MISSING["name"]),
                                                                     _length(services.TEXT_LIMITS["name"])])
    handler = StringField("Handled by", filters=[strip],
                          description="A role rather than a person's name, so the policy stays right when people "
                                      "change: for example, Complaints officer.",
                          validators=[DataRequired(services.MISSING["handler"]),
                                      _length(services.TEXT_LIMITS["handler"])])
    target_days = WorkingDaysField("Target (working days)", low=services.MIN_TARGET_DAYS,
                                   high=services.MAX_TARGET_DAYS,
                                   message="Enter a target from {low} to {high} working days.")

    def give_ids(self, prefix: str) -> StageForm:
        """Unique element ids (several stage forms can be open at once) while the field names stay plain."""
        for field in self:
            field.id = field.label.field_id = f"{prefix}-{field.name}"
        return self


class MoveStageForm(FlaskForm):
    direction = StringField(validators=[AnyOf(("up", "down"))])


class StartAgainForm(FlaskForm):
    template = RadioField("Which template do you want to start from?",
                          choices=choices((template.value, template.label) for template in PolicyTemplate),
                          validators=[InputRequired("Choose a template to start from.")])


class PublishForm(FlaskForm):
    """Publish the draft; when it is the same as the current version, the review is confirmed first."""

    unchanged = BooleanField("I have reviewed the policy and it needs no change: publish it again to record the review")
