from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from portal.forms import email_field, name_field


class StaffRequestForm(FlaskForm):
    """Ask for a staff account; the centre's Quality contact decides."""

    name = name_field()
    email = email_field("Work email address")
    job_title = StringField("Job title (optional)", validators=[Optional(), Length(max=120)],
                            render_kw={"autocomplete": "organization-title"})
