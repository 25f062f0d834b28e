from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.forms import email_field


class SignInForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Enter a password.")],
                             description="At least 12 characters. A few unrelated words make a good one.",
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Type it again", validators=[
        DataRequired("Type the password again."), EqualTo("password", "The two passwords do not match.")],
        render_kw={"autocomplete": "new-password"})


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class SecondStepForm(FlaskForm):
    """The code after the password: from the authenticator app, or one of the recovery codes."""

    code = StringField("Code", validators=[DataRequired("Enter the code from your authenticator app."),
                                           Length(max=40, message="Enter the 6-digit code or a recovery code.")],
                       description="The 6-digit code your authenticator app shows now, or one of your recovery "
                                   "codes if you have lost your phone.",
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"})
    remember = BooleanField("Remember this browser for 30 days",
                            description="Only on a computer that you alone use. You will not be asked for a code "
                                        "here until then.")


class EnrolForm(FlaskForm):
    """Confirm the authenticator app: the code it shows now."""

    code = StringField("Code from your app", validators=[DataRequired("Enter the 6-digit code your app shows."),
                                                         Length(max=12, message="Enter the 6-digit code.")],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
