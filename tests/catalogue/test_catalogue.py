"""SPEC §6.1: the unit catalogue kept by platform admins, its seed, and the units each centre is approved for."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.catalogue import services
from portal.catalogue.models import CentreUnit, LimitRule, Pathway, Unit
from portal.catalogue.seed import seed_catalogue
from portal.db import commit
from portal.extensions import db
from tests.conftest import Auth

LM, CM = Pathway.LEADERSHIP_MANAGEMENT, Pathway.COACHING_MENTORING
HX = {"HX-Request": "true"}


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).sign_in(user).status_code == 303
    return client


def unit(code: str) -> Unit | None:
    return db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)).scalars())


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def seeded(app):
    seed_catalogue()
    commit()


@pytest.fixture
def admin(app, make_admin):
    return signed_in(app, make_admin("platform_admin"))


# --- the seed covers every rule of SPEC §6.1 -------------------------------------------------------------

SPEC_RULES = [  # (codes, pathway, level, word limit or None for portfolio)
    *[(f"L&M level {level}", LM, level, 5000) for level in (2, 3, 4, 5)],
    (("8585-300",), CM, 3, 5000),
    (("8588-500",), CM, 5, 8000),
    (("8585-301", "8585-302", "8585-303"), CM, 3, None),
    (("8588-501", "8588-502", "8588-503"), CM, 5, None),
]


@pytest.mark.parametrize("codes, pathway, level, limit", SPEC_RULES, ids=[str(r[0]) for r in SPEC_RULES])
def test_seed_covers_every_rule_of_spec_6_1(seeded, codes, pathway, level, limit):
    if isinstance(codes, str):  # a family: every L&M unit at the level
        rows = db.session.execute(select(Unit).where(Unit.pathway == pathway, Unit.level == level)).scalars().all()
        assert len(rows) >= 3, f"no Leadership & Management units at level {level}"
    else:
        rows = [unit(code) for code in codes]
        assert all(rows), codes
    for row in rows:
        assert (row.pathway, row.level, row.word_limit, row.active) == (pathway, level, limit, True), row.code
        assert (row.limit_rule is LimitRule.PORTFOLIO) == (limit is None)
        assert row.title and row.code[:4] in {"8600", "8585", "8588"}


def test_every_seed_unit_passes_the_catalogue_rules(seeded):
    for row in services.units():
        details = services.UnitDetails(row.code, row.title, row.pathway, row.level, row.limit_rule)
        assert services.limit_rule_problem(details) is None, row.code
        assert services.CODE_PATTERN.match(row.code)


def test_seed_is_idempotent_upsert_by_code(app):
    added = seed_catalogue()
    commit()
    assert added == db.session.execute(select(func.count(Unit.id))).scalar() >= 22
    assert seed_catalogue() == 0  # nothing changes the second time
    edited = unit("8600-302")
    edited.title, edited.active = "A title someone mangled", False
    db.session.add(Unit(code="9999-101", title="Admin's own unit", pathway=LM, level=6,
                        limit_rule=LimitRule.WORDS_8000))
    commit()
    assert seed_catalogue() == 1
    commit()
    assert unit("8600-302").title == "Managing a team"
    assert unit("8600-302").active is False  # a unit an admin deactivated stays deactivated
    assert unit("9999-101").title == "Admin's own unit"


def test_the_cli_seeds_the_catalogue(app):
    result = app.test_cli_runner().invoke(args=["catalogue", "seed"])
    assert result.exit_code == 0, result.output
    assert "added or updated" in result.output
    assert unit("8588-500").word_limit == 8000
    again = app.test_cli_runner().invoke(args=["catalogue", "seed"])
    assert "0 unit(s)" in again.output


# --- platform admins keep the catalogue ------------------------------------------------------------------

GOOD = {"code": "8600-601", "title": "Leading strategic change", "pathway": "leadership_management", "level": "6",
        "limit_rule": "words_8000"}


def test_admin_adds_a_unit(admin):
    response = admin.post("/admin/units/new", data=GOOD)
    assert response.status_code == 303
    row = unit("8600-601")
    assert (row.title, row.pathway, row.level, row.limit_rule, row.active) == (
        "Leading strategic change", LM, 6, LimitRule.WORDS_8000, True)
    (event,) = audit_events("unit_added")
    assert event.subject == "8600-601" and event.centre_id is None
    assert "8600-601" in text(admin.get("/admin/units"))


INVALID = [  # (changes to GOOD, field, message)
    ({"code": "8600301"}, "code", "digits, a dash and digits"),
    ({"code": "ABCD-301"}, "code", "digits, a dash and digits"),
    ({"code": ""}, "code", "Enter the unit code."),
    ({"title": ""}, "title", "Enter the unit's title."),
    ({"level": "1"}, "level", "Enter a level from 2 to 7."),
    ({"level": "8"}, "level", "Enter a level from 2 to 7."),
    ({"level": "two"}, "level", "Not a valid integer value."),
    ({"pathway": "astrology"}, "pathway", "Not a valid choice."),
    ({"limit_rule": "portfolio"}, "limit_rule", "Only Coaching & Mentoring units are assessed by portfolio"),
    ({"level": "3", "limit_rule": "words_8000"}, "limit_rule", "levels 2 to 5 have a limit of 5,000 words"),
    ({"code": "8585-301", "pathway": "coaching_mentoring", "level": "3", "limit_rule": "words_5000"},
     "limit_rule", "Unit 8585-301 has the rule “No word limit"),
    ({"code": "8588-500", "pathway": "coaching_mentoring", "level": "5", "limit_rule": "words_5000"},
     "limit_rule", "Unit 8588-500 has the rule “8,000 words"),
    ({"code": "8600-301"}, "code", "There is already a unit 8600-301"),
]


@pytest.mark.parametrize("changes, field, message", INVALID, ids=[f"{c}" for c, _, _ in INVALID])
def test_invalid_units_are_refused_beside_the_field(admin, seeded, changes, field, message):
    before = db.session.execute(select(func.count(Unit.id))).scalar()
    response = admin.post("/admin/units/new", data={**GOOD, **changes})
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert "There is a problem" in body and f'href="#{field}' in body
    assert db.session.execute(select(func.count(Unit.id))).scalar() == before
    assert not audit_events("unit_added")


def test_a_coaching_portfolio_unit_is_accepted(admin):
    data = {**GOOD, "code": "8589-701", "pathway": "coaching_mentoring", "level": "7", "limit_rule": "portfolio"}
    assert admin.post("/admin/units/new", data=data).status_code == 303
    assert unit("8589-701").word_limit is None


def test_admin_edits_a_unit(admin, seeded, centre):
    row = unit("8600-302")
    page = admin.get(f"/admin/units/{row.id}/edit")
    assert page.status_code == 200 and 'value="8600-302"' in text(page)
    data = {"code": "8600-302", "title": "Managing and motivating a team", "pathway": "leadership_management",
            "level": "3", "limit_rule": "words_5000"}
    assert admin.post(f"/admin/units/{row.id}/edit", data=data).status_code == 303
    assert unit("8600-302").title == "Managing and motivating a team"
    (event,) = audit_events("unit_changed")
    assert "Managing a team" in event.detail and "Managing and motivating a team" in event.detail
    # a unit in use keeps its code
    services.approve_units(centre, [row.id], by=None)
    commit()
    response = admin.post(f"/admin/units/{row.id}/edit", data={**data, "code": "8600-399"})
    assert response.status_code == 422
    assert "already in use, so its code cannot change" in text(response)
    assert unit("8600-399") is None


def test_editing_to_another_units_code_is_refused(admin, seeded):
    row = unit("8600-302")
    data = {"code": "8600-303", "title": row.title, "pathway": "leadership_management", "level": "3",
            "limit_rule": "words_5000"}
    response = admin.post(f"/admin/units/{row.id}/edit", data=data)
    assert response.status_code == 422 and "There is already a unit 8600-303" in text(response)


def test_units_are_deactivated_not_deleted(admin, seeded, centre):
    row = unit("8600-501")
    services.approve_units(centre, [row.id], by=None)
    commit()
    assert services.is_approved_for(centre, row)
    assert admin.post(f"/admin/units/{row.id}/status", data={"active": "no"}).status_code == 303
    assert unit("8600-501").active is False
    assert [e.subject for e in audit_events("unit_deactivated")] == ["8600-501"]
    assert not services.is_approved_for(centre, unit("8600-501"))
    assert "8600-501" not in [u.code for u in services.approved_units(centre)]
    again = admin.post(f"/admin/units/{row.id}/status", data={"active": "no"}, follow_redirects=True)
    assert "already inactive" in text(again)
    assert admin.post(f"/admin/units/{row.id}/status", data={"active": "yes"}).status_code == 303
    assert unit("8600-501").active is True and services.is_approved_for(centre, unit("8600-501"))
    assert [e.subject for e in audit_events("unit_reactivated")] == ["8600-501"]
    # the catalogue page offers no deletion at all
    assert "Delete" not in text(admin.get("/admin/units"))


@pytest.mark.parametrize("query, expected, absent", [
    ("", ["8600-201", "8585-301", "8588-500"], []),
    ("?pathway=coaching_mentoring", ["8585-300", "8588-503"], ["8600-201"]),
    ("?level=5", ["8600-501", "8588-500"], ["8600-301", "8585-300"]),
    ("?pathway=leadership_management&level=2", ["8600-201", "8600-203"], ["8600-301", "8585-300"]),
    ("?level=99", ["8600-201"], []),  # a level that is not offered: the filter is ignored
])
def test_the_catalogue_list_filters_by_pathway_and_level(admin, seeded, query, expected, absent):
    full = admin.get(f"/admin/units{query}")
    partial = admin.get(f"/admin/units{query}", headers=HX)
    assert full.status_code == partial.status_code == 200
    assert "<html" in text(full) and "<html" not in text(partial)
    assert 'id="units"' in text(partial)
    for code in expected:
        assert code in text(partial)
    for code in absent:
        assert code not in text(partial)


def test_the_catalogue_list_costs_the_same_statements_whatever_its_size(admin, count_queries):
    url = "/admin/units"

    def add(n: int, start: int) -> None:
        db.session.add_all(Unit(code=f"7000-{start + i}", title=f"Unit {i}", pathway=LM, level=6,
                                limit_rule=LimitRule.WORDS_8000) for i in range(n))
        commit()

    def statements() -> int:
        admin.get(url)
        with count_queries() as queries:
            assert admin.get(url).status_code == 200
        return len(queries)

    add(3, 100)
    few = statements()
    add(30, 200)
    assert statements() == few


ROLE_ACCESS = [  # (roles, catalogue page, centre approvals)
    (("platform_admin",), 200, 303),
    (("quality",), 403, 303),
    (("assessment", "finance"), 403, 403),
]


@pytest.mark.parametrize("roles, catalogue, approvals", ROLE_ACCESS, ids=["+".join(r[0]) for r in ROLE_ACCESS])
def test_who_keeps_the_catalogue_and_who_approves_centres(app, make_admin, seeded, centre, roles, catalogue,
                                                          approvals):
    client = signed_in(app, make_admin(*roles))
    assert client.get("/admin/units").status_code == catalogue
    assert client.post("/admin/units/new", data={**GOOD, "code": "8600-699"}).status_code == (
        303 if catalogue == 200 else 403)
    response = client.post(f"/admin/centres/{centre.id}/units", data={"units-approve": [unit("8600-301").id]})
    assert response.status_code == approvals
    assert services.is_approved_for(centre, unit("8600-301")) == (approvals == 303)


def test_centre_staff_never_see_the_catalogue(app, centre, seeded):
    from tests.conftest import quality_contact_of

    client = signed_in(app, quality_contact_of(centre))
    assert client.get("/admin/units").status_code == 404
    assert client.post(f"/admin/centres/{centre.id}/units",
                       data={"units-approve": [unit("8600-301").id]}).status_code == 404
    assert services.approved_units(centre) == []


# --- a centre's approvals ------------------------------------------------------------------------------

def test_approving_and_withdrawing_units_for_a_centre(app, make_admin, seeded, centre, other_centre):
    client = signed_in(app, make_admin("quality"))
    page = client.get(f"/admin/centres/{centre.id}")
    assert page.status_code == 200 and "Units the centre is approved for" in text(page)
    ids = {code: unit(code).id for code in ("8600-301", "8600-302", "8585-301")}
    response = client.post(f"/admin/centres/{centre.id}/units", data={"units-approve": list(ids.values())})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/centres/{centre.id}#units")
    assert [u.code for u in services.approved_units(centre)] == ["8585-301", "8600-301", "8600-302"]
    assert services.approved_units(other_centre) == []
    assert not services.is_approved_for(other_centre, unit("8600-301"))
    (event,) = audit_events("units_approved")
    assert (event.centre_id, event.subject) == (centre.id, "8585-301, 8600-301, 8600-302")

    response = client.post(f"/admin/centres/{centre.id}/units", data={"units-withdraw": [ids["8600-302"]],
                                                                       "units-approve": [unit("8600-501").id]},
                           follow_redirects=True)
    assert "approved for 8600-501 and no longer approved for 8600-302" in text(response)
    assert [u.code for u in services.approved_units(centre)] == ["8585-301", "8600-301", "8600-501"]
    assert [e.subject for e in audit_events("units_withdrawn")] == ["8600-302"]


def test_an_empty_or_stale_approval_form_is_refused_and_changes_nothing(admin, seeded, centre):
    empty = admin.post(f"/admin/centres/{centre.id}/units", data={})
    assert empty.status_code == 422 and "Tick at least one unit to approve or withdraw." in text(empty)
    row = unit("8600-301")
    services.set_unit_active(row, False, by=None)
    commit()
    inactive = admin.post(f"/admin/centres/{centre.id}/units", data={"units-approve": [row.id]})
    assert inactive.status_code == 422  # not offered, so not a valid choice
    not_approved = admin.post(f"/admin/centres/{centre.id}/units", data={"units-withdraw": [unit("8600-302").id]})
    assert not_approved.status_code == 422
    assert db.session.execute(select(func.count(CentreUnit.id))).scalar() == 0
    assert not audit_events("units_approved") and not audit_events("units_withdrawn")


def test_the_services_refuse_inactive_and_unknown_units(app, seeded, centre):
    from portal.rules import Refused

    row = unit("8600-301")
    row.active = False
    commit()
    with pytest.raises(Refused, match="inactive"):
        services.approve_units(centre, [row.id], by=None)
    with pytest.raises(Refused, match="no longer in the catalogue"):
        services.approve_units(centre, [987654], by=None)
    with pytest.raises(Refused, match="not approved for this centre"):
        services.withdraw_units(centre, [unit("8600-302").id], by=None)
    assert services.approve_units(centre, [], by=None) == []


def test_an_inactive_approved_unit_shows_on_the_centre_page_as_inactive(admin, seeded, centre):
    row = unit("8600-301")
    services.approve_units(centre, [row.id], by=None)
    services.set_unit_active(row, False, by=None)
    commit()
    body = text(admin.get(f"/admin/centres/{centre.id}"))
    assert "8600-301 Understanding leadership and management" in body and "Inactive" in body
    assert services.approved_units(centre) == []
