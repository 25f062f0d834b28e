"""The confirmation step of an erasure."""
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.forms import strip


class EraseForm(FlaskForm):
    """Erase a learner's data: the Quality contact types the learner's ENR to confirm."""

    enrolment_number = StringField(
        "Type the learner's enrolment number (ENR) to confirm", filters=[strip],
        validators=[DataRequired("Type the learner's enrolment number (ENR) to confirm."), Length(max=40)],
        render_kw={"spellcheck": "false", "autocomplete": "off"})
