"""The `/c/<slug>` blueprint: every centre's pages hang under it, each area a nested blueprint."""
from flask import Blueprint

from portal.invoicing.routes import centre_bp as invoicing_bp
from tenants.complaints.cases import bp as cases_bp
from tenants.complaints.report_routes import bp as reports_bp
from tenants.complaints.routes import bp as complaints_bp
from tenants.context import add_slug, load_centre
from tenants.learners.routes import bp as learners_bp
from tenants.policy.routes import bp as policy_bp
from tenants.policy.routes import public_bp as public_policy_bp
from tenants.public.routes import bp as public_bp
from tenants.staff.routes import bp as staff_bp
from tenants.submissions.routes import bp as submissions_bp

centre_bp = Blueprint("centre", __name__)
centre_bp.url_value_preprocessor(load_centre)
centre_bp.url_defaults(add_slug)
centre_bp.register_blueprint(public_bp)
centre_bp.register_blueprint(staff_bp, url_prefix="/staff")
centre_bp.register_blueprint(complaints_bp, url_prefix="/complaints")
centre_bp.register_blueprint(cases_bp, url_prefix="/cases")
centre_bp.register_blueprint(reports_bp)  # /reports, /reports.csv
centre_bp.register_blueprint(policy_bp, url_prefix="/policy")
centre_bp.register_blueprint(public_policy_bp)
centre_bp.register_blueprint(submissions_bp, url_prefix="/submissions")
centre_bp.register_blueprint(invoicing_bp, url_prefix="/invoices")
centre_bp.register_blueprint(learners_bp, url_prefix="/learners")
