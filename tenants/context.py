"""The current centre, taken from `/c/<slug>/...`, and the membership check for staff pages."""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db, login_manager
from portal.tenancy import ALL_CENTRES, belongs_to, serve_centre
from tenants.models import Centre, CentreStatus


def load_centre(endpoint: str | None, values: dict | None) -> None:
    """url_value_preprocessor: make the centre of the URL current (404 if there is none by that slug)."""
    slug = (values or {}).pop("slug", None)
    if slug is None:
        abort(404)
    centre = db.session.execute(
        select(Centre).where(Centre.slug == slug,
                             Centre.status.in_((CentreStatus.APPROVED, CentreStatus.SUSPENDED,
                                                CentreStatus.CLOSED)))
        # Which centre the URL names is found among all centres: none is current yet.
        .execution_options(**{ALL_CENTRES: True})
    ).scalar_one_or_none()
    if centre is None:
        abort(404)
    g.centre = centre
    serve_centre(centre.id)  # the safety net and, on PostgreSQL, row-level security now serve this centre alone


def add_slug(endpoint: str, values: dict) -> None:
    """url_defaults: links built inside a centre's pages stay in that centre."""
    if "slug" not in values and g.get("centre") is not None:
        values["slug"] = g.centre.slug


def require_member():
    """before_request of staff areas: signed in as this centre's staff, else sign in — or 404.

    Another centre's member, and awarding-body staff, get 404: the page does not exist for them.
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not belongs_to(current_user, g.centre):
        abort(404)
    return None


def require_quality_contact() -> None:
    """Only the centre's Quality contact may do this (403: they are a member, nothing is hidden)."""
    if not current_user.is_quality_contact:
        abort(403)
