"""Forms of the invoicing pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField
from wtforms.validators import DataRequired, InputRequired, NumberRange


class FeeScheduleForm(FlaskForm):
    """A new fee schedule, in force from a date (earlier schedules stay for the weeks they covered)."""

    effective_from = DateField("In force from", validators=[DataRequired("Enter the date the fees start.")],
                               description="The first London date the new fees apply to")
    resubmission_fee = DecimalField("Resubmission fee (£, before VAT)", places=2,
                                    validators=[InputRequired("Enter the fee."),
                                                NumberRange(min=0, max=100000, message="Enter £0 to £100,000.")])
    vat_rate = DecimalField("VAT rate (%)", places=2,
                            validators=[InputRequired("Enter the VAT rate."),
                                        NumberRange(min=0, max=100, message="Enter 0 to 100.")])


class RerunForm(FlaskForm):
    confirm = HiddenField(validators=[DataRequired()])


class PaymentForm(FlaskForm):
    """Finance records an invoice's payment (the date it reached the bank)."""

    paid_on = DateField("Paid on",
                        validators=[DataRequired("Enter the date the payment was received, like 2026-12-03.")])
