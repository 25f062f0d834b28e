"""The awarding body's overview (/admin/): what needs each person now, by the roles they hold (issue 12 §1).

Each figure counts the statement its list pages through — the complaint queue's, the assessment queues' — built by
the list's own filter function, so "due soon" and "overdue" keep the meaning `portal.clocks` gives them and the
link opens a list of exactly that many rows. Every count is read in one statement (`portal.figures.read_at_once`);
the page runs the same number of statements whatever the service holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for

from portal.admin import queries
from portal.admin.assessment_queue import QUEUES
from portal.admin.assessment_queue import QueueFilters as AssessmentFilters
from portal.admin.assessment_queue import queue_statement as assessment_statement
from portal.auth.models import Role, User
from portal.complaints.queries import QueueFilters as ComplaintFilters
from portal.complaints.queries import queue_statement as complaint_statement
from portal.figures import Figure, FigureTable, count_of, read_at_once
from tenants.complaints import report_routes, reports
from tenants.complaints.models import Complaint
from tenants.complaints.report_period import Month, Period
from tenants.models import CentreStatus
from tenants.overview import TREND_MONTHS, Section
from tenants.submissions.models import Submission
from tenants.submissions.tracker import service_referral_rates_of_the_day

STAGE_ROLES = (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR)
STAGE_NAMES = {Role.CUSTOMER_SERVICE: "Customer service (stage 2; stage one of a direct complaint)",
               Role.TEAM_LEADER: "Team leader review", Role.DIRECTOR: "Director's final review"}
# Who sees which part: the roles that may open the list the part links to.
APPLICATIONS = (Role.PLATFORM_ADMIN, Role.QUALITY)
COMPLAINT_READERS = (*STAGE_ROLES, Role.PLATFORM_ADMIN)
TREND_READERS = (Role.PLATFORM_ADMIN, Role.QUALITY, *STAGE_ROLES)
EQA = (Role.EQA, Role.PLATFORM_ADMIN)
# Parts added by packages this one may not import (the invoicing pages import the admin area), listed by
# `create_app`: each a callable (user, now) -> [Section].
SOURCES = "awarding_body_overview_sources"


@dataclass
class AwardingBodyOverview:
    sections: list[Section]
    trend: reports.Report | None = None
    charts: dict = field(default_factory=dict)


def _complaint_figures(user: User, now: datetime, statements: dict) -> list:
    """(stage name, [(key, label, filters, state) of each clock state]) of each stage `user` may see; adds their
    statements."""
    wanted = []
    roles = STAGE_ROLES if user.has_role(Role.PLATFORM_ADMIN) else [r for r in STAGE_ROLES if user.has_role(r)]
    for role in roles:
        row = []
        for due, label, state in (("", "open", ""), ("soon", "due within 1 working day", "due-soon"),
                                  ("overdue", "overdue", "overdue")):
            filters = ComplaintFilters(status="open", role=role.value, due=due)
            key = f"complaints_{role.value}_{due or 'open'}"
            statement, _ = complaint_statement(filters, user_id=user.id, now=now)
            statements[key] = count_of(statement, Complaint.id)
            row.append((key, f"{STAGE_NAMES[role]}: {label}", filters, state))
        wanted.append((STAGE_NAMES[role], row))
    return wanted


def _assessment_figures(user: User, now: datetime, statements: dict) -> list:
    wanted = []
    parts = []
    if user.has_role(Role.ASSESSMENT):
        for name in ("quality", "marking"):
            parts += [(name, AssessmentFilters(), "waiting", ""),
                      (name, AssessmentFilters(due="soon"), "due within 1 working day", "due-soon"),
                      (name, AssessmentFilters(due="overdue"), "overdue", "overdue")]
        parts.append(("marking", AssessmentFilters(assessor="none"), "not allocated to an assessor", "action"))
    if user.has_role(Role.LEAD_ASSESSOR):
        parts += [("release", AssessmentFilters(sampling="to_sample"), "samples waiting for a Lead Assessor", "action"),
                  ("release", AssessmentFilters(sampling="issues"), "issues found, not yet mitigated", "overdue")]
    for index, (name, filters, label, state) in enumerate(parts):
        key = f"assessment_{index}"
        statements[key] = count_of(assessment_statement(QUEUES[name], filters, user_id=user.id, now=now),
                                   Submission.id)
        wanted.append((key, f"{QUEUES[name].title}: {label}", (name, filters), state))
    return wanted


def _applications_section(now: datetime) -> Section:
    """Applications by the state of their 20-working-day decision clock (two statements: few are open at once)."""
    applied = queries.applications(CentreStatus.APPLIED, limit=None)
    states = [queries.decision_state(centre, now) for centre in applied]
    by_status = queries.centres_by_status()
    return Section("Centre applications", [
        Figure("Awaiting a decision", len(applied), url_for("admin.applications")),
        Figure("Decision due within 1 working day", states.count("due-soon"),
               url_for("admin.applications", due="soon"), state="due-soon"),
        Figure("Decision overdue (20 working days)", states.count("overdue"),
               url_for("admin.applications", due="overdue"), state="overdue"),
    ], note=f"{by_status.get(CentreStatus.APPROVED, 0)} centres approved, "
            f"{by_status.get(CentreStatus.SUSPENDED, 0)} suspended.",
        link=("All centres", url_for("admin.centre_list")))


def _query(filters) -> dict:
    return {k: v for k, v in vars(filters).items() if v and k != "page"}


def awarding_body_overview(user: User, now: datetime) -> AwardingBodyOverview:
    """The parts of the overview `user`'s roles allow, at `now`."""
    statements: dict = {}
    complaints = _complaint_figures(user, now, statements) if user.has_role(*COMPLAINT_READERS) else []
    assessment = _assessment_figures(user, now, statements)
    values = read_at_once(**statements)
    sections = []

    if user.has_role(*APPLICATIONS):
        sections.append(_applications_section(now))
    if complaints:
        rows = [(stage, [Figure(label, values[key], url_for("admin_complaints.queue", **_query(filters)), state=state)
                         for key, label, filters, state in row]) for stage, row in complaints]
        sections.append(Section("Escalated and direct complaints", [], table=FigureTable(
            "Open complaints at the awarding body by stage and clock state", "Stage",
            ["Open", "Due within 1 working day", "Overdue"], rows),
            link=("All complaints", url_for("admin_complaints.queue"))))
    if assessment:
        sections.append(Section("Assessment", [
            Figure(label, values[key], url_for("admin_assessment.queue", queue_name=name, **_query(filters)),
                   state=state)
            for key, label, (name, filters), state in assessment]))
    if user.has_role(*EQA):
        flagged = service_referral_rates_of_the_day(now).flagged()  # complete months only: once a day
        sections.append(Section("External quality assurance", [
            Figure("Centres flagged for their referral rate", len(flagged), url_for("admin_eqa.index"),
                   state="action")]))
    for source in current_app.extensions.get(SOURCES, ()):
        sections += source(user, now)

    overview = AwardingBodyOverview(sections)
    if user.has_role(*TREND_READERS):
        last = Month.of(now)
        overview.trend = reports.compute(reports.Scope.awarding_body(), Period(last.plus(1 - TREND_MONTHS), last), now)
        overview.charts = {"received": report_routes.month_chart(overview.trend),
                           "on_time": report_routes.on_time_chart(overview.trend)}
    return overview
