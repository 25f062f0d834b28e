"""A learner's data (the centre's Quality contact only): what is held, the export zip, the erasure with its
confirmation step. Another centre's learner is a 404, another member of staff a 403."""
from flask import Blueprint, Response, current_app, g
from flask_login import current_user

from portal.db import commit, utcnow
from portal.forms import ConfirmForm
from portal.tenancy import get_or_404
from portal.web import form_page, save_form, see_other
from tenants.context import require_member, require_quality_contact
from tenants.learner_data import erasure, export
from tenants.learner_data.forms import EraseForm
from tenants.learner_data.records import MATCHING, records_of
from tenants.learners.models import Learner

bp = Blueprint("learner_data", __name__)
bp.before_request(require_member)
bp.before_request(require_quality_contact)


def _page(learner: Learner, form: EraseForm):
    records = records_of(g.centre, learner)
    return form_page("learners/data.html", form, centre=g.centre, learner=learner, records=records,
                     plan=erasure.plan(records), matching=MATCHING, export_form=ConfirmForm())


@bp.get("/<int:learner_id>/data")
def show(learner_id: int):
    return _page(get_or_404(Learner, learner_id), EraseForm())


@bp.post("/<int:learner_id>/data/export")
def download(learner_id: int):
    learner = get_or_404(Learner, learner_id)
    if not ConfirmForm().validate_on_submit():
        return see_other("centre.learner_data.show", learner_id=learner.id)
    now = utcnow()
    archive = export.export(g.centre, records_of(g.centre, learner), by=current_user,
                            upload_dir=current_app.config["UPLOAD_DIR"], now=now)
    commit()  # the export is in the audit log before anything is sent
    size = archive.seek(0, 2)
    archive.seek(0)
    response = Response(export.chunks(archive), mimetype="application/zip", direct_passthrough=True)
    response.content_length = size
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"learner-{learner.enrolment_number}-{now:%Y%m%d}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:learner_id>/data/erase")
def erase(learner_id: int):
    learner = get_or_404(Learner, learner_id)
    return save_form(
        EraseForm(), lambda form: erasure.erase(g.centre, records_of(g.centre, learner), by=current_user,
                                                typed=form.enrolment_number.data,
                                                upload_dir=current_app.config["UPLOAD_DIR"], now=utcnow()),
        done=lambda _: f"The learner's personal data was erased; they are now {learner.enrolment_number}.",
        then=lambda _: see_other("centre.learner_data.show", learner_id=learner.id),
        page=lambda form: _page(learner, form))
