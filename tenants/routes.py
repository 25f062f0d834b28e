"""The `/c/<slug>` blueprint: every centre's pages hang under it, each area a nested blueprint."""
from flask import Blueprint

from tenants import overview
from tenants.complaints.cases import bp as cases_bp
from tenants.complaints.report_routes import bp as reports_bp
from tenants.complaints.routes import bp as complaints_bp
from tenants.context import add_slug, load_centre
from tenants.learner_data.routes import bp as learner_data_bp
from tenants.learners.routes import bp as learners_bp
from tenants.policy.routes import bp as policy_bp
from tenants.policy.routes import public_bp as public_policy_bp
from tenants.public.routes import bp as public_bp
from tenants.staff.routes import bp as staff_bp
from tenants.submissions.routes import bp as submissions_bp

# The overview is the staff area's front page (/c/<slug>/staff/, `centre.staff.dashboard`); it reads every area, and
# they import the staff area, so its view lives in tenants/overview.py and joins the blueprint here, once.
staff_bp.add_url_rule("/", "dashboard", overview.dashboard, methods=["GET"])

AREAS: tuple[tuple[Blueprint, str | None], ...] = (
    (public_bp, None),
    (staff_bp, "/staff"),
    (complaints_bp, "/complaints"),
    (cases_bp, "/cases"),
    (reports_bp, None),  # /reports, /reports.csv
    (policy_bp, "/policy"),
    (public_policy_bp, None),
    (submissions_bp, "/submissions"),
    (learners_bp, "/learners"),
    (learner_data_bp, "/learners"),  # /learners/<id>/data: export and erasure (the Quality contact)
)


def centre_blueprint(*added: tuple[Blueprint, str | None]) -> Blueprint:
    """A new `/c/<slug>` blueprint holding every centre area, and the pages the awarding body's layer serves
    to a centre (`added`, given by `create_app`: this layer never imports the one above it).

    Built per app: a Flask blueprint cannot take nested blueprints once it has been registered.
    """
    centre_bp = Blueprint("centre", __name__)
    centre_bp.url_value_preprocessor(load_centre)
    centre_bp.url_defaults(add_slug)
    for area, prefix in (*AREAS, *added):
        centre_bp.register_blueprint(area, url_prefix=prefix)
    return centre_bp
