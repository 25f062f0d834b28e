"""Issue 9 §5 in a real browser: an External Quality Assurer finds the flagged centre, makes a mistake in the
follow-up form (error summary), corrects it and sees the visit listed; every state checked with axe-core."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.db import utcnow
from portal.extensions import db
from portal.workdays import london_date
from tenants.learners.models import Learner
from tenants.submissions import tracker
from tenants.submissions.models import Authenticity, Result, Submission, SubmissionStatus


def _released(centre, unit, when, results, start):
    for n, result in enumerate(results, start=start):
        learner = Learner(centre_id=centre.id, first_name="Sam", last_name=f"Smith{n}", enrolment_number=f"E{n}")
        db.session.add(learner)
        db.session.flush()
        db.session.add(Submission(centre_id=centre.id, learner_id=learner.id, unit_id=unit.id, number=1,
                                  status=SubmissionStatus.RELEASED, result=result, uploaded_at=when,
                                  released_at=when, authenticity=Authenticity.COVER_PAGE))


def test_an_eqa_records_a_visit_to_a_flagged_centre(make_centre, make_admin, page, axe, sign_in):
    unit = Unit(code="8600-301", title="Managing a team", pathway=Pathway.LEADERSHIP_MANAGEMENT, level=3,
                limit_rule=LimitRule.WORDS_5000)
    db.session.add(unit)
    high, fine = make_centre("High Referrals Ltd"), make_centre("Steady Results Ltd")
    for month in tracker.complete_months(utcnow())[:2]:
        when = month + timedelta(days=3)
        _released(high, unit, when, (Result.REFERRED, Result.REFERRED, Result.PASS), start=month.month * 100)
        _released(fine, unit, when, (Result.PASS, Result.PASS, Result.PASS, Result.REFERRED),
                  start=month.month * 100 + 50)
    db.session.commit()

    sign_in(page, make_admin("eqa").email)
    page.get_by_role("navigation", name="Awarding body").get_by_role("link", name="Referral rates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Referral rates: centres for External Quality Assurer follow-up")
    flagged = page.get_by_role("table").nth(1)
    expect(flagged.get_by_role("rowheader", name="High Referrals Ltd")).to_be_visible()
    expect(flagged).not_to_contain_text("Steady Results Ltd")
    axe(page)

    page.get_by_label("Centre", exact=True).select_option(label=f"High Referrals Ltd ({high.centre_number}) – flagged")
    page.get_by_label("A visit to the centre").check()
    page.get_by_label("Date").fill((london_date(utcnow()) + timedelta(days=2)).isoformat())
    page.get_by_label("What it found or did").fill("Sampled marked work; standardisation meeting booked.")
    page.get_by_role("button", name="Record").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("the date cannot be in the future")
    expect(page.get_by_label("What it found or did")).to_have_value(
        "Sampled marked work; standardisation meeting booked.")
    axe(page)

    page.get_by_label("Date").fill(london_date(utcnow()).isoformat())
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Follow-up recorded.")).to_be_visible()
    recorded = page.get_by_role("table").last
    expect(recorded).to_contain_text("Sampled marked work; standardisation meeting booked.")
    expect(recorded.get_by_role("rowheader", name="High Referrals Ltd")).to_be_visible()
    axe(page)
