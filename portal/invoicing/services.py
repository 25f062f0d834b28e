"""Weekly invoicing (SPEC §7): what is billable, one invoice per centre per week, exactly once.

Rules (where SPEC §7 and issue 5 leave a choice, the choice is written here):

* A week is Monday 00:00 to Sunday 24:00 Europe/London (`weeks.week_bounds`). Week W is invoiced on the
  Wednesday after it, or the next English working day when that Wednesday is a bank holiday
  (`weeks.invoice_date`). A run on day D invoices every week whose invoice day is on or before D and that
  has billable items not yet invoiced — so a run after an outage catches up every missed week, oldest
  first, and a run on any other day does nothing new. There is no fixed "start of catch-up": the first
  week is the first week holding an unbilled item.
* One resubmission line per (learner, unit, number) with number > 1, billed in the week it enters the
  quality-check queue (`Submission.clock_started_at`): at upload when within the word limit, or when the centre
  accepts the additional fee of a held one. A held resubmission that is withdrawn and never uploaded again never
  enters the queue and is never billed. The FIRST row of the number to enter the queue is billed, dated by that
  moment; a corrected copy after a quality-check rejection (or a concise version after a withdrawal, when an
  earlier copy had entered the queue) is the same number and is never billed again, whichever week it arrives in.
* One excess-length line per submission whose additional fee the centre accepted: quantity `excess_fees`
  at the resubmission fee, dated by the acceptance.
* Each line's price is the fee schedule in force on the line's London date. VAT is charged at the rate in force
  on the invoice's issue date, its tax point: the London date the run issues it (`as_of`), which is the
  scheduled Wednesday for an on-time run and the day of the run for a catch-up. VAT is on the subtotal, rounded
  half up to a penny.
* A run "as of" a date never invoices a week that has not ended (`check_as_of`), and an invoice is never dated
  after the day it is made: such a run is refused, and records nothing.
* One transaction per centre-week: the invoice number is taken from the locked counter row first (so
  invoicing transactions queue behind one another), then the (centre, week) is checked, then lines and
  invoice are written and the notification emails queued. A failure rolls back the number with the rest;
  a concurrent duplicate meets the unique constraints, rolls back and is skipped. Uniqueness of
  (submission, kind) on lines means an item can never be billed twice, even in another week.
* Finding the due work never reads the billed history: each billed item is marked on its submission
  (`resubmission_billed` on every copy of the number, `excess_billed`) in the transaction that writes its line, and
  partial indexes hold only the unmarked rows. The marks are a shortcut, not the rule: the rules above are still
  applied to every unmarked row, so a mark missing costs a read, never a second bill.
* A centre that fails in a run is skipped for its later weeks in that run (its invoices stay in week order);
  the run is recorded as failed and a re-run completes it.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, exists, insert, literal, or_, select, tuple_, union_all, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from portal.auth.models import AccountStatus, Role, RoleGrant, User
from portal.catalogue.models import Unit
from portal.counters import next_number
from portal.db import commit, utcnow
from portal.extensions import db
from portal.fees import FeeBook, fee_book, vat_on
from portal.invoicing.models import Invoice, InvoiceLine, LineKind
from portal.invoicing.weeks import invoice_date, last_due_week, week_bounds, week_of
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES, for_centre, in_centre, of_awarding_body
from portal.workdays import london_date
from tenants.learners.models import Learner
from tenants.submissions.models import Submission

log = logging.getLogger(__name__)

INVOICE_SERIES = "invoice"
ATTEMPTS = 3  # a centre-week that meets a concurrent run (lock timeout, unique violation) is tried again
PAYMENT_TERMS_DAYS = 30


# --- what is billable ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BillableItem:
    """One item to bill, with what its line shows (read in the same statement as the item)."""

    kind: LineKind
    submission_id: int
    centre_id: int
    occurred_at: datetime
    quantity: int
    number: int = 0
    learner_id: int = 0
    unit_id: int = 0
    learner_name: str = ""
    enrolment_number: str = ""
    unit_code: str = ""

    @property
    def week_start(self) -> date:
        return week_of(self.occurred_at)


def _not_billed(kind: LineKind):
    return ~exists().where(InvoiceLine.submission_id == Submission.id, InvoiceLine.kind == kind)


def _number_not_billed():
    """No copy of this (learner, unit, number) is on an invoice as a resubmission (the line names one copy)."""
    billed = aliased(Submission)
    return ~exists().where(InvoiceLine.kind == LineKind.RESUBMISSION, InvoiceLine.submission_id == billed.id,
                           billed.learner_id == Submission.learner_id, billed.unit_id == Submission.unit_id,
                           billed.number == Submission.number)


def _first_to_enter_the_queue():
    """No other copy of this (learner, unit, number) entered the quality-check queue before this one."""
    earlier = aliased(Submission)
    return ~exists().where(
        earlier.learner_id == Submission.learner_id, earlier.unit_id == Submission.unit_id,
        earlier.number == Submission.number, earlier.clock_started_at.is_not(None),
        or_(earlier.clock_started_at < Submission.clock_started_at,
            and_(earlier.clock_started_at == Submission.clock_started_at, earlier.id < Submission.id)))


def _billable(columns: list, before: datetime, since: datetime | None, centre_id: int | None, *,
              with_names: bool = False):
    """Both kinds of unbilled item as ONE statement (a UNION ALL), each branch a range on its billing date.

    The billing date (`clock_started_at`, `excess_fee_accepted_at`) is indexed with the centre, so a centre-week
    reads only that centre's items of the week; and, for the rows not yet marked billed only, in partial indexes,
    so the items due across centres are found without reading the billed history."""
    entered, accepted = Submission.clock_started_at, Submission.excess_fee_accepted_at
    # The first three conditions of each branch are its partial index's (`ix_submission_unbilled_*`): the rows not
    # yet marked billed. The rules after them decide, as ever, what is billable among those few.
    resubmissions = select(literal(LineKind.RESUBMISSION.value).label("kind"), entered.label("occurred_at"),
                           literal(1).label("quantity"), *columns).where(
        Submission.number > 1, entered.is_not(None), ~Submission.resubmission_billed, entered < before,
        _first_to_enter_the_queue(), _number_not_billed())
    excess = select(literal(LineKind.EXCESS_LENGTH.value).label("kind"), accepted.label("occurred_at"),
                    Submission.excess_fees.label("quantity"), *columns).where(
        Submission.excess_fees > 0, accepted.is_not(None), ~Submission.excess_billed, accepted < before,
        _not_billed(LineKind.EXCESS_LENGTH))
    if since is not None:
        resubmissions = resubmissions.where(entered >= since)
        excess = excess.where(accepted >= since)
    if centre_id is not None:
        resubmissions = resubmissions.where(in_centre(Submission, centre_id))
        excess = excess.where(in_centre(Submission, centre_id))
    if with_names:  # the learner and unit each line shows
        resubmissions = resubmissions.join_from(Submission, Learner).join_from(Submission, Unit)
        excess = excess.join_from(Submission, Learner).join_from(Submission, Unit)
    # Invoicing is the awarding body's, across centres (or one, scoped above).
    return union_all(resubmissions, excess).execution_options(**{ALL_CENTRES: True})


def _line_columns() -> list:
    return [Submission.id.label("submission_id"), Submission.centre_id, Submission.number, Submission.learner_id,
            Submission.unit_id, Learner.first_name, Learner.last_name, Learner.enrolment_number,
            Unit.code.label("unit_code")]


@cache
def _billable_statement(*, names: bool, since: bool, centre: bool):
    """`_billable` of one shape, built once per process (its construction costs more Python than the statement
    costs the database): the bounds and the centre are parameters given at each execution. `names`: with what
    each line shows (else the item's centre and moment only)."""
    columns = _line_columns() if names else [Submission.centre_id]
    return _billable(columns, bindparam("before"), bindparam("since") if since else None,
                     bindparam("centre_id") if centre else None, with_names=names)


def _billable_rows(before: datetime, since: datetime | None, centre_id: int | None, *, names: bool):
    parameters = {"before": before}
    if since is not None:
        parameters["since"] = since
    if centre_id is not None:
        parameters["centre_id"] = centre_id
    statement = _billable_statement(names=names, since=since is not None, centre=centre_id is not None)
    return db.session.execute(statement, parameters)


def billable_items(before: datetime, *, since: datetime | None = None,
                   centre_id: int | None = None) -> list[BillableItem]:
    """Items not yet on any invoice that happened before `before` (and at or after `since`): one statement,
    with the learner and unit each line shows, and nothing else (no files, no ORM objects)."""
    rows = _billable_rows(before, since, centre_id, names=True)
    items = [BillableItem(LineKind(row.kind), row.submission_id, row.centre_id, row.occurred_at,
                          row.quantity, row.number, row.learner_id, row.unit_id, f"{row.first_name} {row.last_name}",
                          row.enrolment_number, row.unit_code)
             for row in rows]
    return sorted(items, key=lambda item: (item.occurred_at, item.submission_id, item.kind.value))


# --- money -----------------------------------------------------------------------------------------------

def make_lines(centre_id: int, items: Iterable[BillableItem], fees: FeeBook | None = None) -> list[dict]:
    """Priced invoice line rows for `items` (each at the fee in force on its London date), ready for one bulk
    insert. `fees`: the run's fee book (read once per run); without one it is read here."""
    fees = fees if fees is not None else fee_book()
    lines = []
    for item in items:
        price = fees.on(london_date(item.occurred_at)).resubmission_fee_pence
        lines.append(dict(
            centre_id=centre_id, kind=item.kind, submission_id=item.submission_id, learner_name=item.learner_name,
            enrolment_number=item.enrolment_number, unit_code=item.unit_code, number=item.number,
            occurred_at=item.occurred_at, quantity=item.quantity, unit_price_pence=price,
            amount_pence=price * item.quantity))
    return lines


def mark_billed(centre_id: int, items: list[BillableItem]) -> None:
    """Mark `items` billed (`Submission.resubmission_billed`, `excess_billed`), in ONE statement, inside the
    transaction that writes their lines. A resubmission marks every copy of its (learner, unit, number): none of
    them is billed again (`_number_not_billed`), so none needs reading again."""
    numbers = sorted({(item.learner_id, item.unit_id, item.number) for item in items
                      if item.kind is LineKind.RESUBMISSION})
    excess = sorted({item.submission_id for item in items if item.kind is LineKind.EXCESS_LENGTH})
    resubmission = tuple_(Submission.learner_id, Submission.unit_id, Submission.number).in_(numbers)
    excess_length = Submission.id.in_(excess)
    statement = (update(Submission).where(in_centre(Submission, centre_id), or_(resubmission, excess_length))
                 .values(resubmission_billed=or_(Submission.resubmission_billed, resubmission),
                         excess_billed=or_(Submission.excess_billed, excess_length))
                 .execution_options(synchronize_session=False, **{ALL_CENTRES: True}))  # the awarding body's work
    db.session.execute(statement)


def recompute_billed_marks() -> None:
    """Every submission's billing marks from the invoice lines, as migration 0016 set them (for rows written in
    bulk, as `flask seed-scale` writes the billed history). Only the rows whose marks change are written: a row
    version per billable submission would cost more than reading the lines (and leave as many dead versions)."""
    resubmission, excess = ~_number_not_billed(), ~_not_billed(LineKind.EXCESS_LENGTH)
    statement = (update(Submission)
                 .where(or_(Submission.number > 1, Submission.excess_fees > 0),
                        or_(Submission.resubmission_billed != resubmission, Submission.excess_billed != excess))
                 .values(resubmission_billed=resubmission, excess_billed=excess)
                 .execution_options(synchronize_session=False, **{ALL_CENTRES: True}))  # every centre's rows
    db.session.execute(statement)


# --- one centre, one week --------------------------------------------------------------------------------

@dataclass
class RunContext:
    """What a run reads once rather than once per invoice: the fee book and awarding-body finance's emails."""

    fees: FeeBook
    finance: list[str]

    @classmethod
    def load(cls) -> RunContext:
        return cls(fees=fee_book(), finance=finance_recipients())


def invoice_centre_week(centre_id: int, week_start: date, *, issue_date: date | None = None,
                        job_run_id: int | None = None, context: RunContext | None = None,
                        made: list | None = None) -> Invoice | None:
    """Invoice one centre for one week in one transaction, committed here; None if already done or nothing due.

    `issue_date`: the invoice's date, its tax point (default: the week's scheduled invoice day). `context`: the
    run's fee book and finance recipients (read here when not given). A fixed number of statements, whatever
    the number of lines. `made`: a list the new invoice's (reference, centre, week, total) is appended to once
    committed (read before the commit, so the report costs no statement)."""
    issue_date = issue_date or invoice_date(week_start)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _invoice_centre_week(centre_id, week_start, issue_date, job_run_id, context, made)
        except (IntegrityError, OperationalError) as error:  # a concurrent run got there first, or held the lock
            db.session.rollback()
            if attempt == ATTEMPTS:
                raise
            log.info("invoicing centre %s week %s: %s; trying again", centre_id, week_start, type(error).__name__)
    return None  # pragma: no cover


def _invoice_centre_week(centre_id: int, week_start: date, issue_date: date, job_run_id: int | None,
                         context: RunContext | None, made: list | None) -> Invoice | None:
    if issue_date < invoice_date(week_start):
        raise ValueError(f"the week of {week_start} cannot be invoiced before {invoice_date(week_start)}")
    number = next_number(INVOICE_SERIES)  # first: the counter's row lock queues concurrent invoicing here
    done = db.session.execute(for_centre(Invoice, centre_id).with_only_columns(Invoice.id)
                               .where(Invoice.week_start == week_start)).first()
    start, end = week_bounds(week_start)
    items = [] if done else billable_items(end, since=start, centre_id=centre_id)
    if not items:
        db.session.rollback()  # gives the number back
        return None
    context = context or RunContext.load()
    lines = make_lines(centre_id, items, context.fees)
    subtotal = sum(line["amount_pence"] for line in lines)
    vat_rate = context.fees.on(issue_date).vat_rate_bp  # the rate in force at the tax point
    vat = vat_on(subtotal, vat_rate)
    invoice = Invoice(centre_id=centre_id, week_start=week_start, number=number, issued_at=utcnow(),
                      issue_date=issue_date, subtotal_pence=subtotal, vat_rate_bp=vat_rate,
                      vat_pence=vat, total_pence=subtotal + vat, job_run_id=job_run_id)
    db.session.add(invoice)
    db.session.flush()
    db.session.execute(insert(InvoiceLine), [{**line, "invoice_id": invoice.id} for line in lines])  # one executemany
    mark_billed(centre_id, items)  # in this transaction: the marks commit, or roll back, with the lines
    from portal.invoicing.notify import notify_invoice

    notify_invoice(invoice, line_count=len(lines), finance=context.finance)
    summary = (invoice.reference, invoice.centre.name, week_start, invoice.total_pence)
    commit()  # then the emails are dispatched, once
    if made is not None:
        made.append(summary)
    return invoice


# --- a run -----------------------------------------------------------------------------------------------

@dataclass
class RunReport:
    as_of: date
    last_week: date
    created: list[tuple[str, str, date, int]] = field(default_factory=list)  # (reference, centre, week, total)
    skipped: list[tuple[int, date]] = field(default_factory=list)  # already invoiced (another run)
    failures: list[tuple[int, date, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Invoicing as of {self.as_of.isoformat()}: weeks up to the week of {self.last_week.isoformat()}"]
        out += [f"  created {ref} for {centre}, week of {week.isoformat()}, total {pounds(total)}"
                for ref, centre, week, total in self.created]
        out += [f"  skipped centre {c}, week of {w.isoformat()}: already invoiced" for c, w in self.skipped]
        out += [f"  FAILED centre {c}, week of {w.isoformat()}: {e}" for c, w, e in self.failures]
        if not (self.created or self.skipped or self.failures):
            out.append("  nothing to invoice")
        return out


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def check_as_of(as_of: date, now: datetime | None = None) -> None:
    """Refuse a run "as of" a date that would invoice a week not yet ended, or date an invoice in the future."""
    now = now or utcnow()
    last_week = last_due_week(as_of)
    if week_bounds(last_week)[1] > now:
        sunday = last_week + timedelta(days=6)
        raise Refused(f"Invoicing as of {as_of:%A %-d %B %Y} would invoice the week of Monday "
                      f"{last_week:%-d %B} to Sunday {sunday:%-d %B %Y}, which has not ended yet: a resubmission "
                      f"made later that week would never be billed. Run it on or after "
                      f"{invoice_date(last_week):%A %-d %B %Y}.")
    today = london_date(now)
    if as_of > today:
        raise Refused(f"Invoicing as of {as_of:%A %-d %B %Y} would date invoices in the future: an invoice is dated "
                      f"the day it is made (its tax point). Run it as of today, {today:%-d %B %Y}, or an earlier "
                      "date.")


def due_work(as_of: date) -> list[tuple[date, int]]:
    """(week, centre_id) pairs with unbilled items in weeks due by `as_of`, oldest week first.

    One statement that returns only the unbilled items' centre and billing moment (nothing of the billed
    history, no rows of learners, units or files)."""
    end = week_bounds(last_due_week(as_of))[1]
    rows = _billable_rows(end, None, None, names=False).all()
    return sorted({(week_of(row.occurred_at), row.centre_id) for row in rows})


def run_invoicing(as_of: date, *, job_run_id: int | None = None, now: datetime | None = None) -> RunReport:
    """Invoice every due, not yet invoiced centre-week (catch-up included), each dated `as_of`; one transaction
    per centre-week. Refused (`check_as_of`) when `as_of` would invoice a week not yet ended at `now`."""
    check_as_of(as_of, now)
    report = RunReport(as_of=as_of, last_week=last_due_week(as_of))
    work = due_work(as_of)
    context = RunContext.load() if work else None  # once per run, not per invoice
    db.session.rollback()  # end the read; each centre-week has its own transaction
    failed_centres: set[int] = set()
    for week_start, centre_id in work:
        if centre_id in failed_centres:
            report.failures.append((centre_id, week_start, "not attempted: an earlier week of this centre failed"))
            continue
        try:
            invoice = invoice_centre_week(centre_id, week_start, issue_date=as_of, job_run_id=job_run_id,
                                          context=context, made=report.created)
        except Exception as error:  # noqa: BLE001 - one centre's failure must not stop the others
            db.session.rollback()
            log.exception("invoicing centre %s week %s failed", centre_id, week_start)
            failed_centres.add(centre_id)
            report.failures.append((centre_id, week_start, f"{type(error).__name__}: {error}"))
            continue
        if invoice is None:
            report.skipped.append((centre_id, week_start))
    return report


def finance_recipients() -> list[str]:
    """Emails of active awarding-body finance staff."""
    statement = (select(User.email).join(RoleGrant, RoleGrant.user_id == User.id)
                 .where(RoleGrant.role == Role.FINANCE, User.status == AccountStatus.ACTIVE,
                        of_awarding_body(User)).order_by(User.email).distinct())
    # Finance staff are the awarding body's (no centre), whoever's invoice is being sent.
    return list(db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalars())
