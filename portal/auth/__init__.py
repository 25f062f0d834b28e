"""Accounts, roles, sign-in and set-password links."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Load the signed-in user from the session, end sessions past their idle or absolute limit (on every
    request), and send the signed-out to the sign-in page."""
    from portal.auth import sessions
    from portal.extensions import login_manager

    app.before_request(sessions.check)

    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(sessions.load_user)
