"""The complaints policy pages (SPEC §5.1).

`bp` (/c/<slug>/policy, centre staff): the draft, edited in place by the Quality contact — each part and each
stage swaps to a small form and back with htmx, and every action also works as a plain form post with a 303
and full pages — publishing, the published versions and their review dates.

`public_bp` (/c/<slug>/complaints-policy, anyone): the current published version, as a page and as .docx.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, render_template
from flask_login import current_user

from portal.db import commit
from portal.extensions import htmx
from portal.forms import ConfirmForm
from portal.tenancy import get_or_404
from portal.web import act_on, attempt, form_page, partial_or_see_other, save_form, see_other
from tenants.context import require_member, require_quality_contact
from tenants.policy import services
from tenants.policy.document import SECTION_HEADINGS, policy_document, text_blocks
from tenants.policy.docx import DOCX_MIME_TYPE, policy_docx
from tenants.policy.forms import SECTION_FORMS, MoveStageForm, PublishForm, StageForm, StartAgainForm
from tenants.policy.models import PolicyStage, PolicyTemplate, PolicyVersion

bp = Blueprint("policy", __name__)
bp.before_request(require_member)
public_bp = Blueprint("public_policy", __name__)

SECTION_LABELS = {
    "introduction": "Title and introduction",
    "contact": SECTION_HEADINGS["contact"],
    "acknowledgement": "Acknowledgement",
    "confidentiality": SECTION_HEADINGS["confidentiality"],
    "signposting": SECTION_HEADINGS["signposting"],
}


@public_bp.app_template_filter("policy_blocks")
def _policy_blocks(text: str | None):
    return text_blocks(text)


@bp.context_processor
def _editor_context() -> dict:
    # Also runs for the error page of a request that never got this far (an unknown slug, a visitor signed out).
    return {"centre": g.get("centre"), "section_labels": SECTION_LABELS,
            "can_edit": bool(getattr(current_user, "is_quality_contact", False)),
            "max_stages": services.MAX_STAGES, "min_stages": services.MIN_STAGES, "confirm_form": PublishForm()}


def _partial() -> bool:
    """Answer with a fragment: an htmx request that is not restoring history (Back gets the full page)."""
    return bool(htmx) and not htmx.history_restore_request


def _page(*, editing: str | None = None, form=None, stage_form=None, stage_id: int | None = None, publish_form=None):
    """The full editor page; `editing` names the part shown as a form (the no-JavaScript way to edit)."""
    page = render_template("policy/show.html", centre=g.centre, overview=services.overview(g.centre),
                           editing=editing, form=form, stage_form=stage_form, editing_stage_id=stage_id,
                           **({"confirm_form": publish_form} if publish_form else {}))
    invalid = any(f is not None and (f.errors or f.form_errors) for f in (form, stage_form, publish_form))
    return page, 422 if invalid else 200


def _draft():
    draft = services.draft_of(g.centre)
    if draft is None:
        abort(404)
    return draft


def _changed(partial: str, message: str, **context):
    """After a change: the updated fragment and the status panel (out of band), or a flash and a 303."""
    return partial_or_see_other("policy/_changed.html", "centre.policy.show", message=message,
                                fragment=partial, overview=services.overview(g.centre, history=False), **context)


def _section_form(section: str):
    if section not in SECTION_FORMS:
        abort(404)
    return SECTION_FORMS[section]


def _stage_form(stage: PolicyStage | None = None) -> StageForm:
    return StageForm(obj=stage).give_ids(f"stage-{stage.id}" if stage else "new-stage")


# --- the staff page ---------------------------------------------------------------------------------------

@bp.get("/")
def show():
    return _page()


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    published = get_or_404(PolicyVersion, version_id)
    current = services.current_version(g.centre)
    document = policy_document(published, centre_name=g.centre.name, nation=g.centre.nation)
    return render_template("policy/version.html", centre=g.centre, version=published, document=document,
                           current_number=current.number, review=services.review_state(published))


# --- the parts of the draft -------------------------------------------------------------------------------

@bp.get("/sections/<section>")
def section(section: str):
    """One part as read (htmx: Cancel on its form); a plain visit gets the whole page."""
    _section_form(section)
    if not _partial():
        return _page()
    return render_template("policy/_section.html", section=section, draft=_draft())


@bp.route("/sections/<section>/edit", methods=["GET", "POST"])
def edit_section(section: str):
    require_quality_contact()
    form_class = _section_form(section)
    draft = _draft()
    return _save(form_class(obj=draft),
                 lambda form: services.update_section(g.centre, draft, section, by=current_user,
                                                      **{name: form[name].data for name in services.SECTIONS[section]}),
                 then=lambda _: _changed("policy/_section.html", f"Saved: {SECTION_LABELS[section].lower()}.",
                                         section=section, draft=draft),
                 partial=lambda form: render_template("policy/_section_form.html", section=section, draft=draft,
                                                      form=form),
                 page=lambda form: _page(editing=section, form=form))


def _save(form, action, *, then, partial, page):
    """An inline editor's Save: the changed part on success; the form again with its errors (the form alone
    for htmx, the whole page otherwise). The message is the partial's own notice, not a flash."""
    return save_form(form, action, done=None, then=then,
                     page=lambda form: partial(form) if _partial() else page(form))


# --- stages -----------------------------------------------------------------------------------------------

@bp.get("/stages")
def stages():
    """The list of stages (htmx: Cancel on the new-stage form); a plain visit gets the whole page."""
    if not _partial():
        return _page()
    return render_template("policy/_stages.html", draft=_draft())


@bp.get("/stages/<int:stage_id>")
def stage(stage_id: int):
    """One stage as read (htmx: Cancel on its form); a plain visit gets the whole page."""
    row = get_or_404(PolicyStage, stage_id)
    if not _partial():
        return _page()
    return render_template("policy/_stage.html", stage=row, stage_count=len(row.policy.stages))


@bp.route("/stages/<int:stage_id>/edit", methods=["GET", "POST"])
def edit_stage(stage_id: int):
    require_quality_contact()
    row = get_or_404(PolicyStage, stage_id)
    return _save(_stage_form(row),
                 lambda form: services.update_stage(g.centre, row, name=form.name.data, handler=form.handler.data,
                                                    target_days=form.target_days.data, by=current_user),
                 then=lambda _: _changed("policy/_stage.html", f"Saved stage {row.position}: {row.name}.", stage=row,
                                         stage_count=len(row.policy.stages)),
                 partial=lambda form: render_template("policy/_stage_form.html", stage=row, form=form),
                 page=lambda form: _page(editing="stage", stage_form=form, stage_id=row.id))


@bp.route("/stages/new", methods=["GET", "POST"])
def add_stage():
    require_quality_contact()
    draft = _draft()

    def added(stage):
        response = make_response(_changed("policy/_stages.html", f"Added stage {stage.position}: {stage.name}.",
                                          draft=draft))
        if _partial():  # the form asked to replace itself; the whole list changed
            response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#policy-stages", "outerHTML"
        return response

    return _save(_stage_form(),
                 lambda form: services.add_stage(g.centre, draft, name=form.name.data, handler=form.handler.data,
                                                 target_days=form.target_days.data, by=current_user),
                 then=added,
                 partial=lambda form: render_template("policy/_new_stage_form.html", draft=draft, form=form),
                 page=lambda form: _page(editing="new-stage", stage_form=form))


def _stage_list_change(form, stage_id: int, change, message: str):
    """Remove or move a stage: the whole list is redrawn (its numbering changes). An invalid form (a stale
    page) changes nothing and goes back to the policy."""
    require_quality_contact()
    row = get_or_404(PolicyStage, stage_id)
    draft = row.policy
    if not form.validate_on_submit():
        return see_other("centre.policy.show")

    def act():
        change(row)
        return message.format(stage=row)  # before the commit: a removed stage cannot be read after it

    notice, refused = attempt(form, act, done=lambda notice: notice, invalid="")
    if not refused:
        return _changed("policy/_stages.html", notice, draft=draft)
    if _partial():
        return render_template("policy/_stages.html", draft=draft, stages_error=notice)
    flash(notice, "error")
    return see_other("centre.policy.show")


@bp.post("/stages/<int:stage_id>/remove")
def remove_stage(stage_id: int):
    return _stage_list_change(ConfirmForm(), stage_id,
                              lambda row: services.remove_stage(g.centre, row, by=current_user),
                              "Removed the stage {stage.name}.")


@bp.post("/stages/<int:stage_id>/move")
def move_stage(stage_id: int):
    form = MoveStageForm()
    return _stage_list_change(
        form, stage_id, lambda row: services.move_stage(g.centre, row, form.direction.data, by=current_user),
        "Moved {stage.name} " + str(form.direction.data) + ": it is now stage {stage.position}.")


# --- publishing and starting again ------------------------------------------------------------------------

@bp.post("/publish")
def publish():
    """Publish the draft. Publishing it unchanged needs its box ticked: refused, the page comes back with the box
    and the error summary (GOV.UK), not a flash."""
    require_quality_contact()
    return act_on(PublishForm(), lambda form: services.publish(g.centre, by=current_user,
                                                               unchanged=form.unchanged.data),
                  done=lambda published: f"Published version {published.number} of the complaints policy. It is on "
                  "your public page now, and new complaints run under it.",
                  back=lambda: see_other("centre.policy.show"),
                  page=lambda form: _page(publish_form=form))


@bp.route("/start-again", methods=["GET", "POST"])
def start_again():
    """Replace the draft with a fresh one from a template; this page is the confirmation."""
    require_quality_contact()
    form = StartAgainForm()
    if form.validate_on_submit():
        template = PolicyTemplate(form.template.data)
        services.start_again(g.centre, template, by=current_user)
        commit()
        flash(f"Started a new draft from the template: {template.label}. Published versions are unchanged.",
              "success")
        return see_other("centre.policy.show")
    return form_page("policy/start_again.html", form, centre=g.centre, draft=services.draft_of(g.centre),
                     current=services.current_version(g.centre))


# --- public -----------------------------------------------------------------------------------------------

def _current_document():
    published = services.current_version(g.centre)
    if published is None:
        return None
    return policy_document(published, centre_name=g.centre.name, nation=g.centre.nation)


@public_bp.get("/complaints-policy")
def page():
    """The centre's current published policy (a suspended or closed centre's too: see the template)."""
    return render_template("policy/public.html", centre=g.centre, document=_current_document())


@public_bp.get("/complaints-policy.docx")
def download():
    """The current published policy as a Word file; before anything is published, the page that says so."""
    document = _current_document()
    if document is None:
        return see_other("centre.public_policy.page")
    response = make_response(policy_docx(document))
    filename = f"{g.centre.slug}-complaints-policy-v{document.version_number}.docx"
    response.headers["Content-Type"] = DOCX_MIME_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'  # slugs are [a-z0-9-]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"  # the same URL serves the next version once published
    return response
