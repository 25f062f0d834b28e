from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from portal.forms import email_field, name_field


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
