"""Complaint reports: the trends the awarding body and each centre review (SPEC §5.3 "Trends are reviewed").

The choices, stated once (the report page repeats the formulas in plain words):

* **Scope.** A centre's report counts its own learner-route complaints (kind `complaint`), read through
  `portal.tenancy.scoped_select`, so it only ever runs inside the centre's pages. Reports that are not
  complaints (malpractice, result disputes) are counted apart as "routed elsewhere". The awarding body's
  report counts every centre's learner-route complaints and the direct route (from centres and the public),
  optionally for the centres of one nation (a direct complaint with no centre belongs to no nation).
* **Period.** Complaints are counted by the Europe/London calendar month they were *received*, from the
  first month to the last month inclusive (default: the last 12 months, this month included). "Now" figures
  (open cases, open stages past their deadline) count every case, whenever it was received.
* **Stage.** The stage a case reached is its furthest stage. A centre sees its own stages by name, and an
  escalated case on a line of its own, "escalated to the awarding body" (what the awarding body does with
  it afterwards is not the centre's to see: tenants.complaints.queries.history draws the same line). The
  awarding body sees level and number: centre stage 1/2/3, awarding-body stage 2/3/final (learner route),
  direct stage one/two/final.
* **Resolved within target.** A case is resolved within target when its status is resolved and every
  stage was closed by its deadline in force (`ComplaintStage.due`: the policy target, or an agreed
  extension). The share is that over the cases resolved. For a centre only its own stages count, and a
  case resolved only after an escalation was not resolved by the centre, so it is not within target there.
  Stages closed on time: stages closed at or before their deadline in force over stages closed.
  Shares are rounded to the nearest whole percent, halves up.
* **Counting in SQL.** Every figure is a GROUP BY in the database, all of them in one statement whatever
  the number of cases (a CTE of the period's complaints read once, grouped by each branch of a UNION ALL), built once
  per process for each scope, every value (the period's instants and first month, "now", the centre) a bound
  parameter. What each case counts is stored on its row and kept current with its stages
  (tenants.complaints.report_facts): its London month received (`Complaint.report_month`, computed with zoneinfo,
  so British Summer Time is exact: 23:30 UTC on 31 March is April), its furthest stage, its stages not closed by
  their deadline, and the positions of its stages closed (on time) as bits. So the report reads no stage but the
  open ones ("now") and, for a centre, its own closed stages by name; across centres the closed stages come from
  the cases' bits, grouped first (a few dozen groups) and spread over the positions.
* **Retention.** Complaint records are kept for COMPLAINT_RETENTION_YEARS (default 3) after a case closes,
  then deleted (tenants.complaints.retention); a report of older months therefore counts fewer cases, and
  the page says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from portal.extensions import db
from portal.tenancy import current_centre_id, for_centre, in_any_centre, in_centre
from portal.workdays import Nation, to_london
from tenants.complaints import report_facts
from tenants.complaints.models import (
    Category,
    Complaint,
    ComplaintStage,
    Exhausted,
    Kind,
    Level,
    Route,
    Status,
    Subject,
)
from tenants.complaints.report_period import Month, Period
from tenants.complaints.stages import AWARDING_BODY_STAGES
from tenants.models import Centre
from tenants.policy.services import MAX_STAGES

OPEN_STATUSES = (Status.OPEN, Status.AWAITING_LEARNER)
EXHAUSTED_LABELS = {Exhausted.FINAL_STAGE_CLOSED: "Centre's final stage closed",
                    Exhausted.DEADLINE_MISSED: "Centre missed a deadline"}
ROUTE_LABELS = {Route.CENTRE: "Learner (centre first)", Route.DIRECT: "Direct to the awarding body"}


# --- the scope -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Whose complaints: the current centre's (inside its pages) or every centre's (the awarding body)."""

    centre: bool
    nation: Nation | None = None

    @classmethod
    def current_centre(cls) -> Scope:
        return cls(centre=True)

    @classmethod
    def awarding_body(cls, nation: Nation | None = None) -> Scope:
        return cls(centre=False, nation=nation)

    def params(self) -> dict:
        """The values of the scope's bound parameters: the current centre's id (only inside its pages)."""
        if not self.centre:
            return {}
        if current_centre_id() is None:
            raise RuntimeError("a centre's report outside the centre's pages")
        return {"centre_id": current_centre_id()}

    def complaints(self, *columns) -> Select:
        """SELECT `columns` FROM complaint, limited to the scope (any kind, any period); a centre's is limited to
        the centre named at execution (`params`), so a statement is built once and run for every centre."""
        if self.centre:
            statement = (for_centre(Complaint, _CENTRE).with_only_columns(*columns)
                         .where(Complaint.route == Route.CENTRE))
        else:
            statement = select(*columns)
            if self.nation is not None:
                statement = statement.where(
                    in_any_centre(Complaint, select(Centre.id).where(Centre.nation == self.nation)))
        return statement.select_from(Complaint)

    def stages(self, *columns) -> Select:
        """SELECT `columns` FROM complaint_stage: for a centre, its own stages only."""
        if self.centre:
            return (for_centre(ComplaintStage, _CENTRE).with_only_columns(*columns)
                    .where(ComplaintStage.level == Level.CENTRE).select_from(ComplaintStage))
        return select(*columns).select_from(ComplaintStage)


_CENTRE = bindparam("centre_id")


@dataclass(frozen=True)
class _Bounds:
    """A period as bound parameters (`_bound_values` gives their values): the report's statement is built once per
    scope, and run for any period and any "now"."""

    starts: object
    ends: object
    first: object  # the period's first month (`Month.index`): a case's month in the period is its month minus this
    at: object

    @classmethod
    def of(cls) -> _Bounds:
        instant = Complaint.received_at.type
        return cls(bindparam("starts", type_=instant), bindparam("ends", type_=instant),
                   bindparam("first_month", type_=Integer()), bindparam("at", type_=instant))


def _bound_values(scope: Scope, period: Period, at: datetime | None = None) -> dict:
    return {**scope.params(), "starts": period.starts, "ends": period.ends, "at": at,
            "first_month": period.first.index}


def _flag(condition):
    return case((condition, 1), else_=0)


def _case_columns(scope: Scope, period: _Bounds) -> list:
    """What the report counts about each complaint of the scope, read from its stored facts (tenants.complaints.
    report_facts): no stage is read. The furthest stage: across centres known by level and number (centre stages
    come first, positions run on across levels, so it is the awarding body's when the case has any of its stages);
    for a centre, its own furthest stage, by name."""
    resolved = Complaint.status == Status.RESOLVED
    if scope.centre:
        on_time = and_(resolved, Complaint.report_centre_late_stages == 0,
                       Complaint.escalated_at.is_(None))  # resolved by the awarding body, not by the centre
        level = case((Complaint.report_centre_furthest.is_not(None), Level.CENTRE), else_=null())
        ordinal, name = Complaint.report_centre_furthest, Complaint.report_centre_stage_name
    else:
        on_time = and_(resolved, Complaint.report_late_stages == 0)
        furthest = Complaint.stage_position
        level = case((furthest > Complaint.report_centre_stages, Level.AWARDING_BODY),
                     (furthest.is_not(None), Level.CENTRE), else_=null())
        ordinal = case((furthest > Complaint.report_centre_stages, furthest - Complaint.report_centre_stages),
                       else_=furthest)
        name = null()
    return [Complaint.id.label("id"), Complaint.centre_id.label("centre_id"), Complaint.route.label("route"),
            Complaint.category.label("category"), (Complaint.report_month - period.first).label("month"),
            _flag(resolved).label("resolved"), _flag(on_time).label("on_time"),
            _flag(Complaint.escalated_at.is_not(None)).label("escalated"),
            level.cast(ComplaintStage.level.type).label("stage_level"), ordinal.label("stage_ordinal"),
            name.cast(ComplaintStage.name.type).label("stage_name"),
            Complaint.report_centre_stages.label("centre_stages"),
            Complaint.report_closed_stages.label("closed_stages"),
            Complaint.report_closed_on_time.label("closed_on_time")]


def _cases(scope: Scope, period: _Bounds, *extra) -> Select:
    """One row per complaint of the scope received in the period, with what the report counts about it."""
    return scope.complaints(*_case_columns(scope, period), *extra).where(
        Complaint.kind == Kind.COMPLAINT, Complaint.received_at >= period.starts, Complaint.received_at < period.ends)


# --- what the report holds -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    """`part` of `whole`, as a whole percentage (halves up); no percentage of nothing."""

    part: int
    whole: int

    @property
    def percent(self) -> int | None:
        return None if not self.whole else (200 * self.part + self.whole) // (2 * self.whole)

    def __str__(self) -> str:
        return "–" if self.percent is None else f"{self.percent}%"


@dataclass
class Tally:
    """Complaints received, resolved, resolved within target and escalated."""

    received: int = 0
    resolved: int = 0
    on_time: int = 0
    escalated: int = 0

    def add(self, row) -> None:
        """Add a row of counts (`n` received) or another tally."""
        self.received += row.received if isinstance(row, Tally) else row.n
        self.resolved += int(row.resolved or 0)
        self.on_time += int(row.on_time or 0)
        self.escalated += int(row.escalated or 0)

    @property
    def on_time_share(self) -> Share:
        return Share(self.on_time, self.resolved)


@dataclass
class StageRow:
    label: str
    reached: int = 0  # cases whose furthest stage this is
    closed: int = 0
    closed_on_time: int = 0

    @property
    def on_time_share(self) -> Share:
        return Share(self.closed_on_time, self.closed)


@dataclass
class Now:
    """Open cases and open stages past their deadline, now, whenever the case was received."""

    open_at_centre: int = 0
    open_at_awarding_body: int = 0
    overdue_at_centre: int = 0
    overdue_at_awarding_body: int = 0

    def add(self, row) -> None:
        for name in ("open_at_centre", "open_at_awarding_body", "overdue_at_centre", "overdue_at_awarding_body"):
            setattr(self, name, getattr(self, name) + int(getattr(row, name) or 0))

    @property
    def open(self) -> int:
        return self.open_at_centre + self.open_at_awarding_body

    @property
    def overdue(self) -> int:
        return self.overdue_at_centre + self.overdue_at_awarding_body


@dataclass
class CentreRow:
    """One line of the awarding body's per-centre table (the direct route is a line of its own)."""

    name: str
    number: str = ""
    tally: Tally = field(default_factory=Tally)
    referred: int = 0
    now: Now = field(default_factory=Now)


@dataclass
class Report:
    scope: Scope
    period: Period
    at: datetime
    by_month: list[tuple[Month, Tally]]
    by_category: list[tuple[Category, Tally]]
    by_stage: list[StageRow]
    referred: dict[Kind, int]
    now: Now
    by_centre: list[CentreRow]

    @property
    def totals(self) -> Tally:
        total = Tally()
        for _, tally in self.by_month:
            total.add(tally)
        return total

    @property
    def stages_closed(self) -> Share:
        return Share(sum(r.closed_on_time for r in self.by_stage), sum(r.closed for r in self.by_stage))


# --- computing it ----------------------------------------------------------------------------------------
#
# Every figure comes from ONE statement: the cases of the period are a CTE (built once, with their stage facts),
# and each table of the report is a GROUP BY branch of a UNION ALL over it (plus the two branches that count
# other complaints: reports routed elsewhere, and what is open now). Every branch has the same columns: a part
# code, the keys it groups by (NULL where it has none) and the counts. The NULLs are cast to each column's type
# so PostgreSQL matches the branches' types (and SQLAlchemy reads the enums back from the first branch's types).

_KEY_TYPES = {"route": Complaint.route.type, "centre_id": Integer(), "level": ComplaintStage.level.type,
              "ordinal": Integer(), "name": String(200), "month": Integer(), "category": Complaint.category.type,
              "kind": Complaint.kind.type}
_COUNTS = ("n", "resolved", "on_time", "escalated", "open_at_centre", "open_at_awarding_body", "overdue_at_centre",
           "overdue_at_awarding_body")
MONTHS, CATEGORIES, CENTRES, REACHED, CLOSED, REFERRED, NOW = range(7)
# The furthest position a stage can have: every centre stage a policy may have, then the awarding body's three.
MAX_POSITION = MAX_STAGES + max(len(stages) for stages in AWARDING_BODY_STAGES.values())


def _columns(part: int, **given) -> list:
    """The branch's columns in the shared layout: the part code, every key, every count."""
    keys = [cast(given.get(name, null()), kind).label(name) for name, kind in _KEY_TYPES.items()]
    counts = [cast(given.get(name, null()), Integer()).label(name) for name in _COUNTS]
    return [literal_column(str(part), Integer()).label("part"), *keys, *counts]


def _tally_columns(cases) -> dict:
    return dict(n=func.count(), resolved=func.sum(cases.c.resolved), on_time=func.sum(cases.c.on_time),
                escalated=func.sum(cases.c.escalated))


def _tallied(rows, key) -> dict:
    found: dict = {}
    for row in rows:
        found.setdefault(key(row), Tally()).add(row)
    return found


def stage_label(scope: Scope, route: Route, level: Level, ordinal: int, name: str | None) -> str:
    """What a stage is called in the report: by name for a centre; by level and number across centres."""
    if scope.centre:
        return name or f"Stage {ordinal}"
    if level is Level.CENTRE:
        return f"Centre stage {ordinal}"
    if route is Route.DIRECT:
        return "Direct: final stage" if ordinal >= 3 else f"Direct: stage {('one', 'two')[ordinal - 1]}"
    return "Awarding body final stage" if ordinal >= 3 else f"Awarding body stage {ordinal + 1}"


def _stage_key(scope: Scope, route, level, ordinal, name) -> tuple:
    return (route is not Route.CENTRE, level is not Level.CENTRE, ordinal, name if scope.centre else "")


def _stage_branches(scope: Scope, cases) -> list[Select]:
    """Cases by furthest stage, and stages closed (on time) by stage: the closed stages of the period's cases (`cases`,
    a CTE) are the only stages read."""
    keys = dict(route=cases.c.route, level=cases.c.stage_level, ordinal=cases.c.stage_ordinal)
    if scope.centre:
        keys["name"] = cases.c.stage_name
    furthest = [cases.c.stage_level.is_not(None)]
    if scope.centre:  # an escalated case went further than any centre stage: it has a line of its own
        furthest.append(cases.c.escalated == 0)
    reached = select(*_columns(REACHED, **keys, n=func.count())).where(*furthest).group_by(*keys.values())
    # Grouped on a subquery's columns: PostgreSQL will not match a GROUP BY expression holding bound parameters.
    closed_stages = _closed_stages(scope, cases).subquery("closed_stages")
    stage_keys = dict(route=closed_stages.c.route, level=closed_stages.c.level, ordinal=closed_stages.c.ordinal)
    if scope.centre:
        stage_keys["name"] = closed_stages.c.name
    closed = (select(*_columns(CLOSED, **stage_keys, n=func.sum(closed_stages.c.n),
                               on_time=func.sum(closed_stages.c.on_time)))
              .group_by(*stage_keys.values()))
    return [reached, closed]


def _closed_stages(scope: Scope, cases) -> Select:
    """The closed stages of the period's cases (`cases`, a CTE) as (route, level, ordinal, name, n, on_time) rows.

    For a centre, its own stages by name: the centre's closed stages of its cases, read from the stages. Across
    centres, from the cases' stored bits of the positions closed (and closed on time): the cases are first grouped
    by route, number of centre stages and those bits (a few dozen groups however many cases), then each group is
    spread over the positions its bits hold. Centre stages come first, so a position past the case's centre stages
    is the awarding body's stage of that position less the centre stages."""
    if scope.centre:
        return (scope.stages(cases.c.route.label("route"), ComplaintStage.level.label("level"),
                             ComplaintStage.position.label("ordinal"), ComplaintStage.name.label("name"),
                             literal_column("1", Integer()).label("n"),
                             _flag(report_facts.closed_on_time()).label("on_time"))
                .join(cases, cases.c.id == ComplaintStage.complaint_id)
                .where(ComplaintStage.closed_at.is_not(None)))
    groups = (select(cases.c.route, cases.c.centre_stages, cases.c.closed_stages, cases.c.closed_on_time,
                     func.count().label("n"))
              .where(cases.c.closed_stages != 0)
              .group_by(cases.c.route, cases.c.centre_stages, cases.c.closed_stages, cases.c.closed_on_time)
              .subquery("closed_groups"))
    positions = union_all(*[select(literal_column(str(p), Integer()).label("position"),
                                   literal_column(str(1 << (p - 1)), Integer()).label("bit"))
                            for p in range(1, MAX_POSITION + 1)]).subquery("positions")
    body = positions.c.position > groups.c.centre_stages
    level = case((body, Level.AWARDING_BODY), else_=Level.CENTRE).cast(ComplaintStage.level.type)
    ordinal = case((body, positions.c.position - groups.c.centre_stages), else_=positions.c.position)
    on_time = case((groups.c.closed_on_time.op("&")(positions.c.bit) != 0, groups.c.n), else_=0)
    return (select(groups.c.route.label("route"), level.label("level"), ordinal.label("ordinal"),
                   null().cast(ComplaintStage.name.type).label("name"), groups.c.n.label("n"),
                   on_time.label("on_time"))
            .join_from(groups, positions, groups.c.closed_stages.op("&")(positions.c.bit) != 0))


def _by_stage(scope: Scope, reached, closed) -> list[StageRow]:
    rows: dict[tuple, StageRow] = {}

    def row_for(row) -> StageRow:
        key = _stage_key(scope, row.route, row.level, row.ordinal, row.name)
        return rows.setdefault(key, StageRow(stage_label(scope, row.route, row.level, row.ordinal, row.name)))

    for row in reached:
        row_for(row).reached += row.n
    for row in closed:
        stage = row_for(row)
        stage.closed += row.n
        stage.closed_on_time += int(row.on_time or 0)
    return [rows[key] for key in sorted(rows)]


def _now_columns(scope: Scope, at) -> dict:
    overdue = scope.stages(ComplaintStage.complaint_id).where(ComplaintStage.closed_at.is_(None),
                                                              report_facts.due() < at)
    at_centre = and_(Complaint.route == Route.CENTRE, Complaint.escalated_at.is_(None))
    at_body = or_(Complaint.route == Route.DIRECT, Complaint.escalated_at.is_not(None))
    late = and_(Complaint.status == Status.OPEN, Complaint.id.in_(overdue))
    return dict(open_at_centre=func.sum(_flag(at_centre)), open_at_awarding_body=func.sum(_flag(at_body)),
                overdue_at_centre=func.sum(_flag(and_(late, at_centre))),
                overdue_at_awarding_body=func.sum(_flag(and_(late, at_body))))


def _branches(scope: Scope, period: _Bounds) -> list[Select]:
    """Every GROUP BY of the report, over the CTEs of the period's complaints, their stages and cases."""
    cases = _cases(scope, period).cte("cases")  # read once, whatever the number of figures grouped from it
    tally = _tally_columns(cases)
    branches = [
        select(*_columns(MONTHS, month=cases.c.month, **tally)).group_by(cases.c.month),
        select(*_columns(CATEGORIES, category=cases.c.category, **tally)).group_by(cases.c.category),
        *_stage_branches(scope, cases),
        scope.complaints(*_columns(REFERRED, centre_id=Complaint.centre_id, kind=Complaint.kind, n=func.count()))
        .where(Complaint.kind != Kind.COMPLAINT, Complaint.received_at >= period.starts,
               Complaint.received_at < period.ends).group_by(Complaint.centre_id, Complaint.kind),
        scope.complaints(*_columns(NOW, route=Complaint.route, centre_id=Complaint.centre_id,
                                   **_now_columns(scope, period.at)))
        .where(Complaint.kind == Kind.COMPLAINT, Complaint.status.in_(OPEN_STATUSES))
        .group_by(Complaint.route, Complaint.centre_id),
    ]
    if not scope.centre:
        branches.append(select(*_columns(CENTRES, route=cases.c.route, centre_id=cases.c.centre_id, **tally))
                        .group_by(cases.c.route, cases.c.centre_id))
    return branches


@lru_cache(maxsize=64)
def _report_statement(scope: Scope, months: int) -> CompoundSelect:
    """The report's one statement for `scope` over a period of `months`, built once per process: building it is a
    third of the page's Python time, and every value in it is a bound parameter (`_bound_values`)."""
    return union_all(*_branches(scope, _Bounds.of()))


def compute(scope: Scope, period: Period, at: datetime) -> Report:
    """The report for `scope` over `period`, with "now" figures as at `at`: one statement (and, across centres,
    one more for the names of the centres it found)."""
    parts: dict[int, list] = {part: [] for part in range(7)}
    statement = _report_statement(scope, len(period.months))
    for row in db.session.execute(statement, _bound_values(scope, period, at)):
        parts[row.part].append(row)
    months = _tallied(parts[MONTHS], lambda row: row.month)
    categories = _tallied(parts[CATEGORIES], lambda row: row.category)
    now = Now()
    for row in parts[NOW]:
        now.add(row)
    referred = {kind: 0 for kind in Kind if kind is not Kind.COMPLAINT}
    for row in parts[REFERRED]:
        referred[row.kind] += row.n
    return Report(
        scope=scope, period=period, at=at,
        by_month=[(month, months.get(i, Tally())) for i, month in enumerate(period.months)],
        by_category=[(category, categories.get(category, Tally())) for category in Category],
        by_stage=_by_stage(scope, parts[REACHED], parts[CLOSED]), referred=referred, now=now,
        by_centre=[] if scope.centre else _by_centre(parts[CENTRES], parts[REFERRED], parts[NOW]))


def _by_centre(tallies, referred_rows, now_rows) -> list[CentreRow]:
    """The awarding body's table: one line per centre with anything to count, then the direct route."""
    centre_ids = {row.centre_id for row in [*tallies, *referred_rows, *now_rows] if row.centre_id is not None}
    names = {row.id: row for row in db.session.execute(
        select(Centre.id, Centre.name, Centre.centre_number).where(Centre.id.in_(sorted(centre_ids))))
             } if centre_ids else {}
    direct = CentreRow(ROUTE_LABELS[Route.DIRECT])
    rows: dict[int, CentreRow] = {}

    def row_for(route, centre_id) -> CentreRow:
        if route is Route.DIRECT or centre_id is None:
            return direct
        centre = names[centre_id]
        return rows.setdefault(centre_id, CentreRow(centre.name, centre.centre_number or ""))

    for row in tallies:
        row_for(row.route, row.centre_id).tally.add(row)
    for row in referred_rows:
        row_for(Route.CENTRE, row.centre_id).referred += row.n
    for row in now_rows:
        row_for(row.route, row.centre_id).now.add(row)
    ordered = sorted(rows.values(), key=lambda r: (r.name.casefold(), r.number))
    return ordered + ([direct] if direct.tally.received or direct.now.open else [])


# --- one row per case, for the CSV export ----------------------------------------------------------------

CSV_HEADER = ("Reference", "Centre", "Received (UK date)", "Route", "Category", "Subject", "Status",
              "Stage reached", "Resolved on time", "Escalated", "Exhausted reason")


def _on_time(row) -> str:
    if row.on_time:
        return "yes"
    return "no" if row.resolved else "not resolved"


def case_rows(scope: Scope, period: Period) -> list[tuple[str, ...]]:
    """The complaints the report counts, one row each (CSV_HEADER), oldest first: one query."""
    statement = (_cases(scope, _Bounds.of(), Complaint.reference, Complaint.received_at,
                        Complaint.subject, Complaint.status, Complaint.exhausted_reason,
                        Centre.name.label("centre_name"))
                 .outerjoin(Centre, in_centre(Complaint, Centre))
                 .order_by(Complaint.received_at, Complaint.id))
    rows = []
    for row in db.session.execute(statement, _bound_values(scope, period)):
        stage = "" if row.stage_level is None else stage_label(scope, row.route, row.stage_level, row.stage_ordinal,
                                                                row.stage_name)
        rows.append((row.reference, row.centre_name or "", to_london(row.received_at).date().isoformat(),
                     ROUTE_LABELS[row.route], row.category.label, Subject(row.subject).label,
                     Status(row.status).label, stage, _on_time(row),
                     "yes" if row.escalated else "no",
                     EXHAUSTED_LABELS[row.exhausted_reason] if row.exhausted_reason else ""))
    return rows
