"""A centre's public pages (no account)."""
from flask import Blueprint, g, render_template

from tenants.policy.services import current_version

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("centre/public_home.html", centre=g.centre, policy=current_version(g.centre))
