"""Invoice pages: awarding-body finance (/admin/invoices), fees (/admin/fees), job runs (/admin/jobs), and a
centre's own invoices (/c/<slug>/invoices, its Quality contact only)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, flash, make_response, render_template, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.admin.routes import awarding_body_only
from portal.auth.models import Role
from portal.background import after_commit
from portal.db import commit, utcnow
from portal.extensions import db
from portal.fees import FeeSchedule, fee_schedules
from portal.invoicing import listing, payments
from portal.invoicing.documents import invoice_docx, invoice_filename
from portal.invoicing.forms import FeeScheduleForm, PaymentForm, RerunForm
from portal.invoicing.models import Invoice, JobRun
from portal.invoicing.runs import INVOICING, abandon_stale_runs, recent_runs
from portal.invoicing.services import pounds
from portal.tenancy import get_or_404
from portal.web import act_on, form_page, page_number, requires_role, see_other
from portal.workdays import london_date
from tenants.context import require_member, require_quality_contact

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

admin_bp = Blueprint("admin_invoicing", __name__)
admin_bp.before_request(awarding_body_only)

centre_bp = Blueprint("invoicing", __name__)
admin_bp.add_app_template_global(pounds, "pounds")
centre_bp.before_request(require_member)
centre_bp.before_request(require_quality_contact)


def _docx_response(invoice: Invoice):
    response = make_response(invoice_docx(invoice))
    response.headers["Content-Type"] = DOCX
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- awarding body ---------------------------------------------------------------------------------------

@admin_bp.get("/invoices")
@requires_role(Role.FINANCE, Role.PLATFORM_ADMIN)
def invoices():
    return _invoices_page()


def _invoices_page(payment_form=None):
    page = request.args.get("page", 1, type=page_number)
    rows, total = listing.all_invoices(page)
    return render_template("invoicing/admin_invoices.html", invoices=rows, total=total, page=page,
                           page_size=listing.PAGE_SIZE, today=london_date(utcnow()),
                           payment_form=payment_form or PaymentForm())


@admin_bp.post("/invoices/<int:invoice_id>/paid")
@requires_role(Role.FINANCE, Role.PLATFORM_ADMIN)
def record_paid(invoice_id: int):
    """Finance records that an invoice was paid (today, or the date given)."""
    invoice = db.session.get(Invoice, invoice_id) or abort(404)
    form = PaymentForm()
    return act_on(form, lambda f: payments.record_payment(invoice, f.paid_on.data, by=current_user,
                                                          today=london_date(utcnow())),
                  done=f"Recorded the payment of {invoice.reference}.",
                  back=lambda: see_other("admin_invoicing.invoices"),
                  page=lambda f: (_invoices_page(payment_form=_for_row(f, invoice)), 422))


def _for_row(form: PaymentForm, invoice: Invoice) -> PaymentForm:
    """Each invoice's row has its own date field (`paid-on-<id>`): the error summary links to the one refused."""
    form.paid_on.id = f"paid-on-{invoice.id}"
    return form


@admin_bp.get("/invoices/<int:invoice_id>.docx")
@requires_role(Role.FINANCE, Role.PLATFORM_ADMIN)
def download(invoice_id: int):
    invoice = db.session.get(Invoice, invoice_id) or abort(404)
    return _docx_response(invoice)


@admin_bp.route("/fees", methods=["GET", "POST"])
@requires_role(Role.PLATFORM_ADMIN)
def fees():
    form = FeeScheduleForm()
    if form.validate_on_submit():
        pence = int((form.resubmission_fee.data * 100).quantize(Decimal(1), ROUND_HALF_UP))
        basis_points = int((form.vat_rate.data * 100).quantize(Decimal(1), ROUND_HALF_UP))
        db.session.add(FeeSchedule(effective_from=form.effective_from.data, resubmission_fee_pence=pence,
                                   vat_rate_bp=basis_points, created_by_id=current_user.id))
        try:
            commit()
        except IntegrityError:
            db.session.rollback()
            form.effective_from.errors = [*form.effective_from.errors, "A schedule already starts on that date."]
            return form_page("invoicing/fees.html", form, schedules=fee_schedules())
        flash("Fee schedule saved.", "success")
        return see_other("admin_invoicing.fees")
    return form_page("invoicing/fees.html", form, schedules=fee_schedules())


@admin_bp.get("/jobs")
@requires_role(Role.PLATFORM_ADMIN, Role.FINANCE)
def jobs():
    if abandon_stale_runs(utcnow()):
        commit()
    runs = recent_runs()
    failures = [run for run in runs if run.status.can_rerun]
    return render_template("invoicing/jobs.html", runs=runs, failures=failures, form=RerunForm())


@admin_bp.post("/jobs/<int:run_id>/rerun")
@requires_role(Role.PLATFORM_ADMIN, Role.FINANCE)
def rerun(run_id: int):
    """Queue a failed or abandoned invoicing run again (same date); invoices already made are skipped."""
    run = db.session.get(JobRun, run_id) or abort(404)
    form = RerunForm()
    if not form.validate_on_submit():
        flash("Nothing was re-run: use the Re-run button.", "error")
    elif run.kind != INVOICING or not run.status.can_rerun:
        flash("Only a failed or abandoned invoicing run can be re-run.", "error")
    else:
        after_commit("run_invoicing", run.args.get("as_of"), run.id)
        if commit():  # the queue refused it (Redis down): nothing will run it, so say so
            flash(f"Invoicing run {run.id} could not be queued: the job queue is not answering. Nothing was "
                  "invoiced. Try again in a few minutes, or run `flask invoices run` on the server.", "error")
        else:
            flash(f"Invoicing run {run.id} queued again.", "success")
    return see_other("admin_invoicing.jobs")


# --- the centre ------------------------------------------------------------------------------------------

@centre_bp.get("/")
def index():
    status = request.args.get("status", "")
    if status not in ("", *payments.FILTERS):
        abort(404)
    page = request.args.get("page", 1, type=page_number)
    today = london_date(utcnow())
    rows, total = listing.centre_invoices(page, status, today)
    return render_template("invoicing/centre_invoices.html", invoices=rows, total=total, page=page,
                           page_size=listing.PAGE_SIZE, status=status, today=today)


@centre_bp.get("/<int:invoice_id>.docx", endpoint="download")
def centre_download(invoice_id: int):
    return _docx_response(get_or_404(Invoice, invoice_id))
