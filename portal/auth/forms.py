from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

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
