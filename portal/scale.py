"""`flask seed-scale`: a database at the scale of issue 11 (200 centres, 100,000 submissions, ~290,000 files,
20,000 complaints, 2,000 staff) for `make bench`, seeded in minutes.

Centres are approved and their complaints policies published through the real services (a few hundred
statements each), so their rows are exactly the services' own. The bulk — staff, learners, submissions and
their files, complaints with their stages and first update, and the invoices of every week already due — is
written with COPY on PostgreSQL (bulk `insert()` elsewhere, batched by SQLAlchemy) — there one statement per table,
so the triggers that move each centre's data version (migration 0017) fire once per table, not once per row — in the
shape the services give those rows: the same columns set, the same clocks (`portal.workdays.deadline` per nation), the
same references and counters. Ids are assigned here so the rows can name one another without reading them back;
PostgreSQL's sequences are moved past them at the end, so the services carry on from there.

Centre sizes follow 1/√rank, so the largest of 200 centres has ~3.6 % of the submissions (issue 11's largest
centre has 3,565 of 100,000).
"""
from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pyotp
from sqlalchemy import func, insert, select, text

from portal.auth.models import AccountStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.catalogue.models import CentreUnit, Unit
from portal.catalogue.seed import seed_catalogue
from portal.counters import Counter
from portal.db import commit, utcnow
from portal.extensions import db
from portal.fees import FeeSchedule, fee_book, vat_on
from portal.invoicing.models import Invoice, InvoiceLine, LineKind
from portal.invoicing.services import recompute_billed_marks
from portal.invoicing.weeks import invoice_date, last_due_week, london_midnight, week_bounds, week_of
from portal.workdays import Nation, deadline, london_date
from tenants import services as centres
from tenants.complaints.models import (
    Audience,
    Category,
    Complaint,
    ComplaintStage,
    ComplaintUpdate,
    Exhausted,
    Kind,
    Level,
    Route,
    Status,
    Subject,
    recompute_stage_positions,
)
from tenants.complaints.report_facts import recompute_all as recompute_report_facts
from tenants.complaints.stages import AWARDING_BODY_STAGES
from tenants.learners.models import Learner, LearnerStatus
from tenants.models import Centre
from tenants.policy import services as policy
from tenants.submissions.models import (
    Authenticity,
    FileKind,
    Result,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    due_now,
)
from tenants.submissions.upload import QC_WORKING_DAYS, SLA_WORKING_DAYS

SCALE_PASSWORD = "scale-password-2026"
ADMIN_EMAIL = "admin@scale.example"  # every awarding-body role: the benchmark signs in as this account
BATCH = 5_000
HISTORY_DAYS = 730
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FIRST_NAMES = ("Sam", "Jo", "Ann", "Priya", "Tom", "Eilidh", "Ross", "Grace", "Daniel", "Olivia", "Iain", "Fiona")
LAST_NAMES = ("Smith", "Jones", "Hughes", "Okafor", "Shah", "MacLeod", "Campbell", "Reid", "Whitfield", "Ross")


@dataclass
class Sizes:
    centres: int = 200
    submissions: int = 100_000
    complaints: int = 20_000
    staff: int = 2_000


@dataclass
class Seeded:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    largest_centre: str = ""

    def lines(self) -> list[str]:
        out = [f"  {name:<18} {count:>9,}" for name, count in self.counts.items()]
        out += [f"  {name:<18} {seconds:>8.1f} s" for name, seconds in self.seconds.items()]
        return out + [f"  largest centre     {self.largest_centre}"]


def bulk(model, rows: list[dict]) -> None:
    """Insert `rows`: COPY on PostgreSQL (through a temporary table where row-level security refuses it, see
    `_copy_allowed`), batches of multi-row INSERTs elsewhere (SQLAlchemy's insertmanyvalues).

    COPY gets each value through the column type's own bind processing (enums stored by value, UTC times,
    JSON), so the rows are what an INSERT would have written; columns a row leaves out take their defaults."""
    if not rows:
        return
    if db.engine.dialect.name == "postgresql":
        _copy(model.__table__, rows, staged=not _copy_allowed(model.__table__.name))
        return
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])


def _copy_allowed(table: str) -> bool:
    """PostgreSQL refuses COPY FROM into a table whose row-level security applies to the connected role (the
    portal's own role, docs/row-level-security.md): those tables are copied into a temporary table of the same
    columns and moved in with one INSERT … SELECT, which the policies check like any write (seed-scale is work for
    all centres) and which fires the table's statement triggers once (the centres' data versions, migration
    0017), not once per batch or per row."""
    return bool(db.session.execute(text(
        "SELECT NOT c.relrowsecurity OR r.rolsuper OR r.rolbypassrls FROM pg_class c, pg_roles r "
        "WHERE c.oid = to_regclass(:table) AND r.rolname = current_user"), {"table": table}).scalar())


def _copy(table, rows: list[dict], *, staged: bool = False) -> None:
    dialect = db.engine.dialect
    names = list(rows[0])
    defaults = {}  # Python-side defaults the ORM would have applied to the columns a row leaves out, per row
    for column in table.columns:
        if column.name not in names and column.default is not None and not column.primary_key:
            defaults[column.name] = column.default
    columns = names + list(defaults)
    processors = [table.columns[name].type._cached_bind_processor(dialect) for name in columns]
    raw = db.session.connection().connection.driver_connection
    quoted = ", ".join(f'"{name}"' for name in columns)
    target = f"seed_{table.name}" if staged else table.name
    with raw.cursor() as cursor:
        if staged:
            cursor.execute(f'CREATE TEMPORARY TABLE "{target}" ON COMMIT DROP AS SELECT {quoted} FROM "{table.name}" '
                           'WITH NO DATA')  # the columns' types only: the table's defaults and checks apply below
        with cursor.copy(f'COPY "{target}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                values = [row[name] for name in names] + [
                    default.arg(None) if default.is_callable else default.arg for default in defaults.values()]
                copy.write_row([value if process is None or value is None else process(value)
                                for value, process in zip(values, processors, strict=True)])
        if staged:
            cursor.execute(f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{target}"')
            cursor.execute(f'DROP TABLE "{target}"')


def next_id(model) -> int:
    return (db.session.execute(select(func.max(model.id))).scalar() or 0) + 1


@cache
def _due(day: date, days: int, nation: Nation) -> datetime:
    return deadline(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), days, nation)


def due(at: datetime, days: int, nation: Nation) -> datetime:
    """`portal.workdays.deadline`, cached by London date (the deadline depends only on the date)."""
    return _due(london_date(at), days, nation)


def seed_scale(sizes: Sizes, *, seed: int = 11, now: datetime | None = None) -> Seeded:
    """Seed the scale database (into an empty one); returns the counts and the time of each part."""
    rng = random.Random(seed)
    now = now or utcnow()
    done = Seeded()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        done.seconds[name] = time.perf_counter() - clock
        clock = time.perf_counter()

    password = hash_password(SCALE_PASSWORD)
    admin, assessors = _awarding_body(password)
    made = _centres(sizes.centres, admin, password, rng)
    lap("centres")
    staff = _staff(made, sizes.staff - len(made), password, now, rng)
    lap("staff")
    weights = [1 / math.sqrt(rank + 1) for rank in range(len(made))]
    counts = _submissions(made, weights, sizes.submissions, assessors, now, rng)
    lap("submissions")
    complaints, stages = _complaints(made, weights, sizes.complaints, now, rng)
    lap("complaints")
    invoices, lines = _invoices(now)
    lap("invoices")
    # The stored columns the services keep on every save of a case and its stages, filled as the migrations that added
    # them did (a submission's `due_at` is written with its row, by the rule the ORM applies on save).
    recompute_stage_positions()
    recompute_report_facts()
    lap("stored columns")
    if db.engine.dialect.name == "postgresql":
        move_sequences()
    commit()
    # Fresh statistics, as a database that grew this way would have. Only the tables' owner can: as the portal's own
    # role (row-level security) PostgreSQL skips them, and `make bench` analyses as the owner after seeding.
    db.session.execute(text("ANALYZE"))
    commit()
    lap("analyse")
    done.counts = {"centres": len(made), "staff": staff + len(made), **counts, "complaints": complaints,
                   "complaint stages": stages, "invoices": invoices, "invoice lines": lines}
    done.largest_centre = made[0].slug
    return done


def _awarding_body(password: str) -> tuple[User, list[int]]:
    seed_catalogue()
    if db.session.execute(select(FeeSchedule.id).limit(1)).first() is None:
        db.session.add(FeeSchedule(effective_from=date(2020, 1, 1), resubmission_fee_pence=4500, vat_rate_bp=2000))
    admin = User(email=ADMIN_EMAIL, name="Scale Admin", job_title="Benchmark", password_hash=password,
                 status=AccountStatus.ACTIVE, role_grants=[RoleGrant(role=role) for role in Role])
    # A platform admin signs in with a second factor (portal/auth/two_factor.py): enrolled, as the demo's admin.
    admin.two_factor_secret, admin.two_factor_enabled_at = pyotp.random_base32(), utcnow()
    db.session.add(admin)
    assessors = [User(email=f"assessor{n}@scale.example", name=f"Assessor {n}", password_hash=password,
                      status=AccountStatus.ACTIVE, role_grants=[RoleGrant(role=Role.ASSESSMENT)]) for n in range(20)]
    db.session.add_all(assessors)
    db.session.flush()
    return admin, [assessor.id for assessor in assessors]


def _centres(how_many: int, admin: User, password: str, rng: random.Random) -> list[Centre]:
    nations = [Nation.ENGLAND] * 7 + [Nation.WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND]
    units = list(db.session.execute(select(Unit.id).where(Unit.active.is_(True))).scalars())
    made = []
    for n in range(1, how_many + 1):
        nation = nations[n % len(nations)]
        centre = centres.submit_application(
            name=f"Scale Centre {n:04d}", nation=nation, scottish_public_body=nation is Nation.SCOTLAND and n % 2 == 0,
            address=f"{n} High Street", contact_name=f"Applicant {n}", contact_email=f"applicant{n}@scale.example",
            qualifications_sought="ILM Leadership & Management")
        contact = centres.approve_application(centre, slug=f"scale-{n:04d}", centre_number=f"{500000 + n}",
                                              quality_contact_name=f"Quality {n}",
                                              quality_contact_email=f"qc{n}@scale.example", by=admin)
        contact.password_hash = password
        policy.publish(centre, by=contact)
        made.append(centre)
        if n % 50 == 0:
            commit()
    commit()
    rows = [dict(centre_id=centre.id, unit_id=unit) for centre in made for unit in units]
    bulk(CentreUnit, rows)
    return made


def _staff(made: list[Centre], how_many: int, password: str, now: datetime, rng: random.Random) -> int:
    contacts = dict(db.session.execute(select(User.centre_id, User.id).where(User.is_quality_contact.is_(True))).all())
    first = next_id(User)
    rows = []
    for n in range(max(how_many, 0)):
        centre = made[n % len(made)]
        requested = now - timedelta(days=rng.randrange(30, HISTORY_DAYS))
        rows.append(dict(id=first + n, centre_id=centre.id, email=f"staff{n}@{centre.slug}.scale.example",
                         name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", job_title="Tutor",
                         password_hash=password, status=AccountStatus.ACTIVE, is_quality_contact=False,
                         session_token=f"{first + n:032x}", requested_by_id=contacts[centre.id],
                         requested_at=requested, decided_by_id=contacts[centre.id],
                         decided_at=requested + timedelta(days=1), decision_note="", failed_sign_ins=0))
    bulk(User, rows)
    return len(rows)


@dataclass
class _Ids:
    learner: int
    submission: int
    file: int


def _submissions(made, weights, how_many: int, assessors: list[int], now: datetime,
                 rng: random.Random) -> dict[str, int]:
    """Learners and their chains of submissions (1 original, then resubmissions after referrals), with files."""
    units = list(db.session.execute(select(Unit.id, Unit.code)).all())
    ids = _Ids(next_id(Learner), next_id(Submission), next_id(SubmissionFile))
    learners, submissions, files = [], [], []
    per_centre = [0] * len(made)
    total = 0
    while total < how_many:
        at = rng.choices(range(len(made)), weights)[0]
        centre = made[at]
        learner = ids.learner
        ids.learner += 1
        learners.append(dict(id=learner, centre_id=centre.id, first_name=rng.choice(FIRST_NAMES),
                             last_name=rng.choice(LAST_NAMES), enrolment_number=f"ENR{learner:07d}",
                             qualification="ILM Level 5 Certificate in Leadership and Management",
                             status=LearnerStatus.IN_PROGRESS))
        for unit_id, _code in rng.sample(units, rng.choice((1, 1, 2, 3))):
            moment = now - timedelta(days=rng.uniform(0, HISTORY_DAYS), minutes=rng.randrange(600))
            for number in range(1, 5):
                if total >= how_many or moment > now:
                    break
                referred = number < 4 and rng.random() < 0.38
                row = _submission(ids.submission, centre, learner, unit_id, number, moment, now, referred,
                                  assessors, rng)
                row["due_at"] = due_now(row["status"], row["qc_due"], row["sla_due"])  # as the ORM keeps it on save
                submissions.append(row)
                files += _files(ids, row, centre)
                ids.submission += 1
                total += 1
                per_centre[at] += 1
                if row["result"] != Result.REFERRED or row["released_at"] is None:
                    break  # resubmission follows a released referral only
                moment = row["released_at"] + timedelta(days=rng.uniform(3, 40))
    bulk(Learner, learners)
    bulk(Submission, submissions)
    bulk(SubmissionFile, files)
    return {"learners": len(learners), "submissions": len(submissions), "files": len(files),
            "largest centre's": max(per_centre)}


def _submission(ident, centre, learner, unit_id, number, moment, now, referred, assessors, rng) -> dict:
    age = now - moment
    over = rng.random() < 0.01  # an over-length upload whose additional fee the centre accepted
    entered = moment + timedelta(hours=rng.uniform(1, 48)) if over else moment
    row = dict(id=ident, centre_id=centre.id, learner_id=learner, unit_id=unit_id, number=number, is_current=True,
               replaces_id=None, uploaded_at=moment, uploaded_by_id=None,
               authenticity=(Authenticity.NOT_NEEDED if number > 1 else Authenticity.SEPARATE_SHEET
                             if rng.random() < 0.1 else Authenticity.COVER_PAGE),
               word_count=rng.randrange(2_500, 8_000), word_count_detail={}, word_count_approximate=False,
               word_limit=8_000 if over else 5_000, excess_fees=1 if over else 0,
               excess_fee_accepted_at=entered if over else None, excess_fee_accepted_by_id=None, colour_warning="",
               clock_started_at=entered, qc_due=due(entered, QC_WORKING_DAYS, centre.nation),
               sla_due=due(entered, SLA_WORKING_DAYS, centre.nation), qc_decided_at=None, qc_decided_by_id=None,
               rejection_reason="", assessor_id=None, allocated_at=None, result=None, referred_criteria="",
               marked_at=None, sample_basis=None, sample_selected=False, sample_reason="", sampled_by_id=None,
               sampled_at=None, sample_outcome=None, sample_note="", mitigation=None, mitigated_at=None,
               mitigated_by_id=None, mitigation_note="", released_at=None, released_by_id=None,
               status=SubmissionStatus.AWAITING_QC)
    if age < timedelta(days=4):
        return row
    row.update(qc_decided_at=entered + timedelta(days=2), status=SubmissionStatus.MARKING,
               assessor_id=rng.choice(assessors), allocated_at=entered + timedelta(days=2))
    if age < timedelta(days=12):
        return row
    result = Result.REFERRED if referred else Result.PASS
    row.update(status=SubmissionStatus.MARKED, result=result, marked_at=entered + timedelta(days=10),
               referred_criteria="1.1, 2.3" if referred else "", sample_selected=rng.random() < 0.1)
    if age < timedelta(days=16):
        return row
    row.update(status=SubmissionStatus.RELEASED, released_at=entered + timedelta(days=14))
    return row


def _files(ids: _Ids, row: dict, centre: Centre) -> list[dict]:
    kinds = [FileKind.ASSESSMENT, FileKind.RESULT_SHEET]
    if row["authenticity"] is Authenticity.SEPARATE_SHEET:
        kinds.append(FileKind.AUTHENTICITY)
    if row["released_at"] is not None:
        kinds.append(FileKind.MARKED_RESULT_SHEET)
    out = []
    for kind in kinds:
        stem = f"L.Learner-ENR{row['learner_id']:07d}({row['number']})"
        out.append(dict(id=ids.file, centre_id=centre.id, submission_id=row["id"], kind=kind,
                        original_name=f"{stem}.docx", download_name=f"{stem} {kind.value}.docx",
                        stored_name=f"scale{ids.file:010d}.docx", sha256=f"{ids.file:064x}", size=48_000,
                        content_type=DOCX,
                        uploaded_at=row["uploaded_at"] if kind is not FileKind.MARKED_RESULT_SHEET
                        else row["marked_at"]))
        ids.file += 1
    return out


def _complaints(made, weights, how_many: int, now: datetime, rng: random.Random) -> tuple[int, int]:
    """Complaints to centres (the learner route) as intake and handling leave them: closed, open, escalated."""
    from tenants.policy.models import PolicyVersion

    versions = {v.centre_id: v for v in db.session.execute(select(PolicyVersion)).scalars()}
    complaint_id, stage_id, update_id = next_id(Complaint), next_id(ComplaintStage), next_id(ComplaintUpdate)
    complaints, stages, updates = [], [], []
    numbers: dict[int, int] = defaultdict(int)
    for _ in range(how_many):
        centre = made[rng.choices(range(len(made)), weights)[0]]
        version = versions[centre.id]
        numbers[centre.id] += 1
        number = numbers[centre.id]
        received = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
        complaint = dict(
            id=complaint_id, centre_id=centre.id, number=number, reference=f"C-{centre.centre_number}-{number:06d}",
            route=Route.CENTRE, kind=Kind.COMPLAINT, status=Status.OPEN, complainant_name="Learner Complainant",
            complainant_email=f"learner{complaint_id}@scale-learner.example", complainant_is_centre=False,
            enrolment_number="", summary="My assessment feedback was late and the tutor did not reply.",
            subject=Subject.CENTRE, key_dates="", actions_taken="", outcome_wanted="An explanation",
            category=rng.choice(list(Category)), confidential=False, policy_version_id=version.id,
            received_at=received, referral_note="", escalated_at=None, exhausted_reason=None,
            service_request_number=None, centre_contact_announced_at=None, centre_contacted_at=None,
            regulator=None, closed_at=None)
        at, position = received, 0
        path = rng.random()
        centre_stages = 1 if path < 0.85 else min(2, len(version.stages))
        for index in range(centre_stages):
            spec = version.stages[index]
            position += 1
            open_now = (now - at) < timedelta(days=14)
            closes = None if open_now else at + timedelta(days=rng.uniform(1, 9))
            stages.append(_stage(stage_id, complaint_id, centre, position, Level.CENTRE, spec["name"],
                                 spec["handler"], None, spec["target_days"], at,
                                 due(at, version.acknowledge_days, centre.nation),
                                 None, due(at, spec["target_days"], centre.nation), closes))
            if index == 0:
                updates.append(dict(id=update_id, complaint_id=complaint_id, centre_id=centre.id, stage_id=stage_id,
                                    at=received, author_id=None, audience=Audience.LEARNER, kind="received",
                                    body=f"Complaint received by {centre.name}."))
                update_id += 1
            stage_id += 1
            if closes is None:
                break
            at = closes + timedelta(days=1)
        if stages[-1]["closed_at"] is not None and path > 0.95 and centre_stages == len(version.stages):
            ab = AWARDING_BODY_STAGES[Route.CENTRE][0]
            position += 1
            open_now = (now - at) < timedelta(days=30)
            closes = None if open_now else at + timedelta(days=rng.uniform(1, 9))
            complaint.update(escalated_at=at, exhausted_reason=Exhausted.FINAL_STAGE_CLOSED,
                             service_request_number=f"SR-{complaint_id:07d}")
            stages.append(_stage(stage_id, complaint_id, centre, position, Level.AWARDING_BODY, ab.name, ab.handler,
                                 ab.role, ab.target_days, at, due(at, ab.acknowledge_days, centre.nation),
                                 at + timedelta(hours=ab.first_response_hours),
                                 due(at, ab.target_days, centre.nation), closes))
            stage_id += 1
        last = stages[-1]
        if last["closed_at"] is not None:
            complaint.update(status=Status.RESOLVED, closed_at=last["closed_at"] + timedelta(days=2))
            last.update(learner_decision="accepted", learner_decided_at=last["closed_at"] + timedelta(days=2))
        complaints.append(complaint)
        complaint_id += 1
    bulk(Complaint, complaints)
    bulk(ComplaintStage, stages)
    bulk(ComplaintUpdate, updates)
    for centre_id, last in numbers.items():  # intake numbers cases from these counters
        db.session.merge(Counter(name=f"complaint:{centre_id}", value=last))
    return len(complaints), len(stages)


def _stage(ident, complaint_id, centre, position, level, name, handler, role, target_days, at, acknowledge_due,
           first_response_due, respond_due, closes) -> dict:
    return dict(id=ident, complaint_id=complaint_id, centre_id=centre.id, position=position, level=level, name=name,
                handler=handler, role=role, target_days=target_days, opened_at=at, acknowledge_due=acknowledge_due,
                first_response_due=first_response_due, respond_due=respond_due, extended_due=None,
                extension_reason="", extension_consent=None, extended_at=None,
                acknowledged_at=at + timedelta(hours=20), first_response_at=None,
                responded_at=closes, closed_at=closes, outcome="Upheld in part: apology given." if closes else "",
                assigned_to_id=None, learner_decision=None, learner_decided_at=None)


def _invoices(now: datetime) -> tuple[int, int]:
    """The invoices of every week already due, as the weekly runs would have made them (one per centre-week).
    Only for items not yet invoiced in weeks not yet invoiced (seeding history, not a run: no exactly-once here)."""
    fees = fee_book()
    end = week_bounds(last_due_week(london_date(now)))[1]
    entered = Submission.clock_started_at
    statement = (select(Submission.id, Submission.centre_id, Submission.number, entered, Submission.excess_fees,
                        Submission.excess_fee_accepted_at, Learner.first_name, Learner.last_name,
                        Learner.enrolment_number, Unit.code)
                 .join_from(Submission, Learner).join_from(Submission, Unit)
                 .where(entered < end, (Submission.number > 1) | (Submission.excess_fees > 0)))
    weeks: dict[tuple[date, int], list[dict]] = defaultdict(list)
    billed = {tuple(row) for row in db.session.execute(select(InvoiceLine.submission_id, InvoiceLine.kind))}
    for row in db.session.execute(statement):
        name = f"{row.first_name} {row.last_name}"
        for kind, moment, quantity in ((LineKind.RESUBMISSION, row.clock_started_at, 1 if row.number > 1 else 0),
                                       (LineKind.EXCESS_LENGTH, row.excess_fee_accepted_at, row.excess_fees)):
            if quantity and moment is not None and moment < end and (row.id, kind) not in billed:
                price = fees.on(london_date(moment)).resubmission_fee_pence
                weeks[(week_of(moment), row.centre_id)].append(dict(
                    centre_id=row.centre_id, kind=kind, submission_id=row.id, learner_name=name,
                    enrolment_number=row.enrolment_number, unit_code=row.code, number=row.number,
                    occurred_at=moment, quantity=quantity, unit_price_pence=price, amount_pence=price * quantity))
    invoice_id, invoices, lines = next_id(Invoice), [], []
    last = db.session.execute(select(Counter.value).where(Counter.name == "invoice")).scalar() or 0
    for number, (week, centre_id) in enumerate(sorted(weeks), start=last + 1):
        items = sorted(weeks[(week, centre_id)], key=lambda line: line["occurred_at"])
        issued = invoice_date(week)
        subtotal = sum(line["amount_pence"] for line in items)
        rate = fees.on(issued).vat_rate_bp
        vat = vat_on(subtotal, rate)
        invoices.append(dict(id=invoice_id, centre_id=centre_id, week_start=week, number=number,
                             issued_at=london_midnight(issued) + timedelta(hours=6), issue_date=issued,
                             subtotal_pence=subtotal, vat_rate_bp=rate, vat_pence=vat, total_pence=subtotal + vat,
                             job_run_id=None))
        lines += [dict(line, invoice_id=invoice_id) for line in items]
        invoice_id += 1
    bulk(Invoice, invoices)
    bulk(InvoiceLine, lines)
    recompute_billed_marks()  # the marks the runs would have set with these lines
    db.session.merge(Counter(name="invoice", value=last + len(invoices)))
    return len(invoices), len(lines)


SEEDED_TABLES = ("user_account", "learner", "submission", "submission_file", "complaint", "complaint_stage",
                 "complaint_update", "invoice", "invoice_line", "centre_unit")


def move_sequences(tables=SEEDED_TABLES) -> None:
    """PostgreSQL: the services' next ids follow the seeded ones. The sequences are advanced with nextval, which the
    portal's own role may call (USAGE), rather than set with setval, which needs UPDATE on them: the sequence's
    next value is then above every seeded id, whichever role seeds."""
    for table in tables:
        db.session.execute(text(
            f"SELECT count(nextval(pg_get_serial_sequence('{table}', 'id'))) FROM generate_series(1, "
            f"(SELECT coalesce(max(id), 0) FROM {table}) - (SELECT CASE WHEN is_called THEN last_value ELSE "
            f"last_value - 1 END FROM {_sequence(table)}))"))


def _sequence(table: str) -> str:
    return db.session.execute(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}).scalar_one()
