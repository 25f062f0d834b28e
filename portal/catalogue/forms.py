"""Forms of the unit catalogue and of a centre's unit approvals."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.catalogue.services import UnitDetails
from portal.forms import choices

LEVEL_CHOICES = [(str(level), f"Level {level}") for level in range(2, 8)]


class UnitForm(FlaskForm):
    """Add or change a unit of the catalogue."""

    code = StringField("Unit code", validators=[DataRequired("Enter the unit code."), Length(max=20),
                                               Regexp(r"^\s*\d{3,6}-\d{2,4}\s*$",
                                                      message="Enter the unit code as digits, a dash and digits, "
                                                              "like 8600-301.")],
                       description="The qualification number, a dash and the unit number, like 8600-301.",
                       render_kw={"spellcheck": "false", "autocomplete": "off"})
    title = StringField("Title", validators=[DataRequired("Enter the unit's title."), Length(max=200)])
    pathway = RadioField("Pathway", choices=choices((p.value, p.label) for p in Pathway),
                         validators=[InputRequired("Choose the pathway.")])
    level = IntegerField("Level", validators=[InputRequired("Enter the level, from 2 to 7."),
                                              NumberRange(min=2, max=7, message="Enter a level from 2 to 7.")],
                         render_kw={"inputmode": "numeric"})
    limit_rule = RadioField("Length rule", choices=choices((r.value, r.label) for r in LimitRule),
                            validators=[InputRequired("Choose the length rule.")],
                            description="Leadership & Management levels 2–5: 5,000 words. Portfolio units belong "
                                        "to the Coaching & Mentoring pathway.")

    def details(self) -> UnitDetails:
        return UnitDetails(code=self.code.data, title=self.title.data, pathway=Pathway(self.pathway.data),
                           level=self.level.data, limit_rule=LimitRule(self.limit_rule.data))

    @classmethod
    def of(cls, unit: Unit) -> "UnitForm":
        return cls(data={"code": unit.code, "title": unit.title, "pathway": unit.pathway.value,
                         "level": unit.level, "limit_rule": unit.limit_rule.value})


class UnitFilterForm(FlaskForm):
    """GET filters of the catalogue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    pathway = SelectField("Pathway", choices=choices([("", "All pathways")] + [(p.value, p.label) for p in Pathway]),
                          validators=[Optional()], default="")
    level = SelectField("Level", choices=choices([("", "All levels")] + LEVEL_CHOICES), validators=[Optional()],
                        default="")


class UnitStatusForm(FlaskForm):
    """Deactivate a unit, or bring it back."""

    active = SelectField("Status", choices=choices([("yes", "Active"), ("no", "Inactive")]),
                         validators=[DataRequired("Choose active or inactive.")])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CentreUnitsForm(FlaskForm):
    """Approve a centre for units, or withdraw approvals: at least one tick."""

    approve = MultiCheckboxField("Approve the centre for", coerce=int, validate_choice=True)
    withdraw = MultiCheckboxField("Withdraw approval for", coerce=int, validate_choice=True)
    page_order = ("withdraw", "approve")  # the page lists the approved units (to withdraw) first: the summary's order

    @classmethod
    def for_centre(cls, approved: list[Unit], available: list[Unit], **kwargs) -> "CentreUnitsForm":
        form = cls(prefix="units", **kwargs)
        form.approve.choices = choices((u.id, f"{u.code} {u.title}") for u in available)
        form.withdraw.choices = choices((u.id, f"{u.code} {u.title}") for u in approved)
        return form

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.approve.data or self.withdraw.data):
            self.form_errors.append("Tick at least one unit to approve or withdraw.")
            return False
        return True
