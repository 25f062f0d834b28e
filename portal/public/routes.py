"""Pages anyone can see: home, the centre application form, health."""
from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from portal.db import commit
from portal.extensions import db, limiter
from portal.public.forms import CentreApplicationForm
from portal.web import form_page
from portal.workdays import Nation, to_london
from tenants.services import approved_centres, submit_application

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html", centres=approved_centres())


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per day", methods=["POST"])
def apply():
    form = CentreApplicationForm()
    if form.validate_on_submit():
        centre = submit_application(
            name=form.name.data.strip(), nation=Nation(form.nation.data),
            scottish_public_body=form.scottish_public_body.data, address=form.address.data.strip(),
            website=(form.website.data or "").strip(), contact_name=form.contact_name.data.strip(),
            contact_email=form.contact_email.data, contact_phone=(form.contact_phone.data or "").strip(),
            qualifications_sought=form.qualifications_sought.data.strip())
        commit()
        return render_template("public/applied.html", centre=centre, due=to_london(centre.decision_due))
    return form_page("public/apply.html", form)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Database and Redis status as JSON: 200 when all is well, 503 when one is down."""
    checks = {"database": _check(lambda: db.session.execute(text("SELECT 1")))}
    if current_app.config.get("REDIS_URL"):
        from portal.background import redis_connection

        checks["redis"] = _check(lambda: redis_connection().ping())
    else:
        checks["redis"] = "not configured (jobs run inline)"
    healthy = all(value in ("ok",) or value.startswith("not configured") for value in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:  # a health check reports every failure rather than raising it
        db.session.rollback()
        return f"error: {type(error).__name__}"
    return "ok"
