from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional

from portal.forms import choices, email_field, name_field
from portal.workdays import Nation

NATION_CHOICES = choices([("", "Choose a nation")] + [(n.value, n.label) for n in Nation])


class CentreApplicationForm(FlaskForm):
    """A prospective centre applies for approval."""

    name = StringField("Organisation name", validators=[DataRequired("Enter the organisation's name."),
                                                         Length(max=200)],
                       render_kw={"autocomplete": "organization"})
    nation = SelectField("Nation the centre operates in", choices=NATION_CHOICES,
                         validators=[DataRequired("Choose the nation the centre operates in.")],
                         description="It decides the bank holidays on the centre's clocks.")
    scottish_public_body = BooleanField(
        "The centre is a Scottish public body (for example a college or a council)",
        description="Learners at Scottish public bodies can take complaints to the Scottish Public Services "
                    "Ombudsman.")
    address = TextAreaField("Address", validators=[DataRequired("Enter the centre's address."),
                                                   Length(max=500)],
                            render_kw={"autocomplete": "street-address", "rows": 3})
    website = StringField("Website (optional)", validators=[Optional(), URL(message="Enter a full web address "
                                                                               "starting https://"),
                                                            Length(max=200)])
    contact_name = name_field("Contact name", "Enter the name of the person we should contact.")
    contact_email = email_field("Contact email address")
    contact_phone = StringField("Contact telephone (optional)", validators=[Optional(), Length(max=40)],
                                render_kw={"autocomplete": "tel", "inputmode": "tel"})
    qualifications_sought = TextAreaField(
        "Which qualifications do you want to offer?",
        validators=[DataRequired("Say which qualifications you want to offer."), Length(max=2000)],
        render_kw={"rows": 4})

    def validate_scottish_public_body(self, field):
        from wtforms.validators import ValidationError

        # Only once a nation is chosen: with none, "choose a nation" is the one thing to say.
        if field.data and self.nation.data and self.nation.data != Nation.SCOTLAND.value:
            raise ValidationError("Only centres in Scotland can be Scottish public bodies.")
