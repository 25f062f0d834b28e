"""Form pieces shared by every area."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReasonForm(FlaskForm):
    """A decision that needs a reason (declining, suspending, closing)."""

    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."), Length(max=500)])


def strip(value):
    """A field filter: spaces at either end are never meant (a pasted address, a name copied from a list)."""
    return value.strip() if isinstance(value, str) else value


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def email_field(label: str = "Email address", **kwargs) -> StringField:
    return StringField(label, filters=[strip], validators=[DataRequired("Enter an email address."),
                                          Email("Enter an email address like name@example.org.",
                                                check_deliverability=False),
                                          Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"}, **kwargs)


def name_field(label: str = "Full name", message: str = "Enter the person's full name.", **kwargs) -> StringField:
    return StringField(label, validators=[DataRequired(message), Length(max=120)],
                       render_kw={"autocomplete": "name"}, **kwargs)


def apply_refusal(form: FlaskForm, refused) -> None:
    """Show a service's refusal beside its field (or at the top of the form)."""
    field = getattr(form, refused.field, None) if refused.field else None
    if field is not None:
        field.errors = [*field.errors, refused.message]
    else:
        form.form_errors.append(refused.message)
