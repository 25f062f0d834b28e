"""The report facts: what the complaint reports count of each case, stored on its row (`Complaint.report_*`) and kept
current in the same flush as the change that moves them, however the change is made.

The reports (tenants/complaints/reports.py) read these columns instead of joining and grouping every stage of every
case of the period (issue 11 §1). The rules, stated once and used by every path that writes them:

* **Month.** `report_month` is the Europe/London calendar month the case was received, as one number
  (`Month.index`: year * 12 + month - 1). Set on insert (and if `received_at` ever changes).
* **Stages.** `report_centre_stages` (how many centre stages), `report_centre_furthest` and
  `report_centre_stage_name` (the position and name of its furthest centre stage), `report_late_stages` and
  `report_centre_late_stages` (stages, of any level and of the centre's, not closed by their deadline in force:
  still open, or closed after it); `report_closed_stages` and `report_closed_on_time`, the positions of the stages
  closed, and closed at or before their deadline in force, as bits (bit p - 1 for position p: a case has at most
  `MAX_STAGES` centre stages and three of the awarding body's, so a handful of bits). The furthest stage of any
  level is `Complaint.stage_position`, kept by models._keep_stage_position. Status and escalation are read from
  the case itself, so only a change to a stage moves these.

Kept current by flush hooks: any insert, update (of what the facts read) or delete of a stage through the ORM marks
its case; after the flush one UPDATE recomputes the marked cases' facts from their stages (`refresh`) on the flush's
own connection — the same transaction, so the facts never drift from the stages. Rows written without the ORM (bulk
seeding, the migration) are filled by `recompute_all`, the same computation for every case. Deleting a case (the
retention purge) deletes its facts with it; erasing a complainant's data changes nothing counted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, case, event, func, inspect, literal, literal_column, or_, select, update
from sqlalchemy.orm import Session, object_session

from portal.db import utcnow
from portal.extensions import db
from tenants.complaints.models import Complaint, ComplaintStage, Level
from tenants.complaints.report_period import Month

CASES, STAGES = Complaint.__table__, ComplaintStage.__table__
FACTS = ("report_centre_stages", "report_centre_furthest", "report_centre_stage_name", "report_late_stages",
         "report_centre_late_stages", "report_closed_stages", "report_closed_on_time")
# What a stage's facts are made of: a change to any of these marks its case.
STAGE_ATTRIBUTES = ("complaint_id", "position", "level", "name", "respond_due", "extended_due", "closed_at")
_STALE = "report_facts_stale"  # Session.info key: ids of the cases whose facts this flush must recompute


def due(stages=STAGES):
    """The deadline in force, in SQL (`ComplaintStage.due`): an agreed extension, else the policy target."""
    return func.coalesce(stages.c.extended_due, stages.c.respond_due)


def late(stages=STAGES):
    """A stage not closed by its deadline in force: still open, or closed after it."""
    return or_(stages.c.closed_at.is_(None), stages.c.closed_at > due(stages))


def closed_on_time(stages=STAGES):
    """A stage closed at or before its deadline in force."""
    return stages.c.closed_at <= due(stages)


def month_of(received_at: datetime) -> int:
    return Month.of(received_at).index


def stage_facts(case_id) -> dict:
    """Each fact of the case `case_id` (a column) as a correlated subquery over its stages."""
    centre = STAGES.c.level == Level.CENTRE
    mine = STAGES.c.complaint_id == case_id

    def scalar(column, *where):
        return select(column).where(mine, *where).scalar_subquery()

    return dict(
        report_centre_stages=scalar(func.count(), centre),
        report_centre_furthest=scalar(func.max(STAGES.c.position), centre),
        report_centre_stage_name=select(STAGES.c.name).where(mine, centre).order_by(STAGES.c.position.desc())
        .limit(1).scalar_subquery(),
        report_late_stages=scalar(func.count(), late()),
        report_centre_late_stages=scalar(func.count(), centre, late()),
        report_closed_stages=scalar(func.coalesce(func.sum(position_bit()), 0), STAGES.c.closed_at.is_not(None)),
        report_closed_on_time=scalar(func.coalesce(func.sum(position_bit()), 0), closed_on_time()))


def position_bit(position=STAGES.c.position):
    """The bit of a stage's position in `report_closed_stages` and `report_closed_on_time`: 1 << (position - 1)
    (a case's positions are distinct, so the sum of its stages' bits is their union)."""
    return literal_column("1", Integer()).op("<<", return_type=Integer())(position - 1)


def from_scratch():
    """SELECT id, stage_position and every stage fact (`FACTS`) of every case, computed from its stages, not read from
    the stored columns: what they must equal."""
    furthest = select(func.max(STAGES.c.position)).where(STAGES.c.complaint_id == CASES.c.id).scalar_subquery()
    return select(CASES.c.id, furthest.label("stage_position"),
                  *[value.label(name) for name, value in stage_facts(CASES.c.id).items()])


def refresh(connection, ids) -> None:
    """Recompute the facts of the cases `ids` from their stages: one UPDATE."""
    connection.execute(update(CASES).where(CASES.c.id.in_(sorted(ids))).values(**stage_facts(CASES.c.id)))


def recompute_all() -> None:
    """Every case's facts (the month too) in two UPDATEs: for rows written without the ORM (bulk seeding, the
    migration). The London month is a CASE over the UTC instants at which each month of the span starts."""
    first, last = db.session.execute(select(func.min(CASES.c.received_at), func.max(CASES.c.received_at))).one()
    if first is not None:
        db.session.execute(update(CASES).values(report_month=month_case(CASES.c.received_at, first, last)))
    db.session.execute(update(CASES).values(**stage_facts(CASES.c.id)))


def month_case(received_at, first: datetime, last: datetime):
    """`month_of(received_at)` in SQL, for instants from `first` to `last`."""
    month, end = Month.of(first), Month.of(last)
    whens = []
    while month <= end:
        whens.append((received_at < literal(month.plus(1).starts, CASES.c.received_at.type), month.index))
        month = month.plus(1)
    return case(*whens)


# --- the hooks ---------------------------------------------------------------------------------------------------

@event.listens_for(Complaint, "before_insert")
def _month_on_insert(mapper, connection, complaint: Complaint) -> None:
    if complaint.received_at is None:
        complaint.received_at = utcnow()
    complaint.report_month = month_of(complaint.received_at)


@event.listens_for(Complaint, "before_update")
def _month_on_update(mapper, connection, complaint: Complaint) -> None:
    if inspect(complaint).attrs.received_at.history.has_changes():
        complaint.report_month = month_of(complaint.received_at)


def _mark(stage: ComplaintStage, *, changed_only: bool) -> None:
    state = inspect(stage)
    if changed_only and not any(state.attrs[name].history.has_changes() for name in STAGE_ATTRIBUTES):
        return
    session = object_session(stage)
    if session is None:
        return
    stale = session.info.setdefault(_STALE, set())
    stale.add(stage.complaint_id)
    previous = state.attrs.complaint_id.history.deleted  # a stage moved to another case: the old one changes too
    stale.update(ident for ident in previous or () if ident is not None)


@event.listens_for(ComplaintStage, "after_insert")
def _stage_inserted(mapper, connection, stage: ComplaintStage) -> None:
    _mark(stage, changed_only=False)


@event.listens_for(ComplaintStage, "after_update")
def _stage_updated(mapper, connection, stage: ComplaintStage) -> None:
    _mark(stage, changed_only=True)


@event.listens_for(ComplaintStage, "after_delete")
def _stage_deleted(mapper, connection, stage: ComplaintStage) -> None:
    _mark(stage, changed_only=False)


@event.listens_for(Session, "after_flush")
def _refresh_marked(session: Session, flush_context) -> None:
    stale = session.info.pop(_STALE, None)
    if stale:
        refresh(session.connection(), stale)
        session.info["report_facts_refreshed"] = stale


@event.listens_for(Session, "after_flush_postexec")
def _expire_refreshed(session: Session, flush_context) -> None:
    """Cases loaded in the session read their new facts on next access."""
    for ident in session.info.pop("report_facts_refreshed", ()):
        complaint = session.identity_map.get(session.identity_key(Complaint, ident))
        if complaint is not None:
            session.expire(complaint, list(FACTS))
