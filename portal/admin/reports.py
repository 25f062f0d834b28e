"""The awarding body's complaint reports (/admin/reports): every centre and the direct route, by nation.

Guarded as every /admin page (signed in; centre staff get 404) and by role: the people who handle or
oversee complaints. The counting and its formulas are in tenants/complaints/reports.py.
"""
from __future__ import annotations

from flask import Blueprint, request, url_for
from wtforms import SelectField

from portal.admin.routes import awarding_body_only
from portal.auth.models import Role
from portal.db import utcnow
from portal.forms import choices
from portal.web import render, requires_role
from portal.workdays import Nation
from tenants.complaints import reports
from tenants.complaints.report_routes import ReportFilterForm, csv_response, period_args, period_of, report_context
from tenants.complaints.reports import Scope

bp = Blueprint("admin_reports", __name__)
bp.before_request(awarding_body_only)

READERS = (Role.PLATFORM_ADMIN, Role.QUALITY, Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR)


class AwardingBodyReportForm(ReportFilterForm):
    nation = SelectField("Centres in", choices=choices([("", "All nations")] + [(n.value, n.label) for n in Nation]),
                         default="")


def _filters():
    form = AwardingBodyReportForm(request.args)
    now = utcnow()
    period = period_of(form, now)  # validates the whole form: a nation that is not one is an error, not a filter
    nation = Nation(form.nation.data) if form.nation.data and not form.nation.errors else None
    return form, now, period, nation


@bp.get("/reports")
@requires_role(*READERS)
def index():
    form, now, period, nation = _filters()
    report = reports.compute(Scope.awarding_body(nation), period, now)
    csv_url = url_for("admin_reports.export", **period_args(period, nation=nation and nation.value))
    return render("reports/admin.html", "reports/_report.html", nation=nation,
                  **report_context(report, form, report_url=url_for("admin_reports.index"), csv_url=csv_url))


@bp.get("/reports.csv")
@requires_role(*READERS)
def export():
    _, _, period, nation = _filters()
    rows = reports.case_rows(Scope.awarding_body(nation), period)
    where = nation.value.replace("_", "-") if nation else "all-centres"
    return csv_response(rows, f"complaints-{where}-{period.first.iso}-to-{period.last.iso}.csv")
