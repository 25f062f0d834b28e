"""`make bench` at scale (issue 11 §4): seed throwaway PostgreSQL databases, measure, write docs/benchmarks.md.

One run, one machine, every figure side by side (these shared machines drift ±2× between runs, so compare the
figures of one run, never across runs):

* the scale database (`flask seed-scale`, its time);
* pages in-process: median ms and SQL statements of each main page, as the awarding body's admin and as the
  largest centre's Quality contact;
* the EXPLAIN node types of the tracker and queue queries;
* gunicorn throughput of the tracker as a ratio to `/healthz`, from Python threads;
* weekly invoicing at two sizes (centres × resubmissions due in one week, then 10× the billed history);
* the word counter section of scripts/bench.py.

Nothing here is asserted: the figures are printed next to issue 11's targets.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent


# --- databases ----------------------------------------------------------------------------------------------

def _admin_connection():
    import psycopg

    connection = psycopg.connect(ADMIN_URL.replace("+psycopg", ""), autocommit=True)
    return connection


PARTS: dict[str, float] = {}  # each part's wall seconds, printed with the whole benchmark's


@contextmanager
def part(name: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        PARTS[name] = PARTS.get(name, 0.0) + time.perf_counter() - started


OWNERS: dict[str, str] = {}  # each throwaway database's app-role URL → its owner's URL (migrations run as the owner)


@contextmanager
def throwaway_database(label: str):
    """A fresh PostgreSQL database and the portal's own role for it (no superuser, row-level security holds for it,
    owns no table: as in production, docs/row-level-security.md), both dropped afterwards; yields the role's URL."""
    name = f"bench_{label}_{os.getpid()}"
    role = f"{name}_app"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        connection.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
        connection.execute(f'GRANT CONNECT ON DATABASE "{name}" TO "{role}"')
    owner = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    import psycopg

    with psycopg.connect(owner.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        connection.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
                           f'TO "{role}"')
        connection.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{role}"')
    owner_part, _, host_part = owner.partition("@")
    url = owner_part.rsplit("//", 1)[0] + f"//{role}@" + host_part
    OWNERS[url] = owner
    try:
        yield url
    finally:
        with _admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'DROP ROLE IF EXISTS "{role}"')


def analyse(url: str) -> None:
    """VACUUM ANALYZE as the tables' owner, as autovacuum does on a live database. The portal's own role may not:
    its ANALYZE skips every table it does not own, and the planner, left without statistics, picks plans a live
    database would never run — 20 s instead of 40 ms for the reports. The VACUUM clears the index entries of the
    row versions seeding replaced (the billing marks `recompute_billed_marks` set), and leaves the
    visibility map without which no index-only scan is possible (the tracker counts from its indexes)."""
    import psycopg

    with psycopg.connect(OWNERS.get(url, url).replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        # The seeding's writes (and the VACUUM's) are written out now, so that no checkpoint of them falls in what
        # is timed next (the 10× history is 450,000 rows written just before its invoicing run; a live database is
        # not bulk-loaded the moment before its run). The invoicing section reports the server's checkpoints and the
        # load average during each run, since the machine is shared.
        connection.execute("CHECKPOINT")


def env_for(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "MIGRATION_DATABASE_URL": OWNERS.get(url, url),
            "PORTAL_ENV": "development", "SECRET_KEY": "bench-scale", "REDIS_URL": "", "MAIL_SERVER": ""}


def flask(url: str, *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env_for(url),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def make_app(url: str, **overrides):
    for key, value in env_for(url).items():
        os.environ[key] = value
    from portal import create_app
    from portal.config import DevelopmentConfig

    # The config classes read the environment once, at import: name the database explicitly.
    settings = dict(SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None, MAIL_SERVER=None,
                    WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)  # in-process clients sign in plainly
    return create_app(DevelopmentConfig, **{**settings, **overrides})


# --- pages ---------------------------------------------------------------------------------------------------

@contextmanager
def recording(engine, timings: dict | None = None):
    """The statements run on `engine` meanwhile, with their parameters. `timings`: also each statement kind's
    (`statement_kind`) count and seconds in the driver, summed there."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))
        conn.info["bench_began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        count, seconds = timings.get(statement_kind(statement), (0, 0.0))
        timings[statement_kind(statement)] = (count + 1, seconds + time.perf_counter() - conn.info["bench_began"])

    event.listen(engine, "before_cursor_execute", before)
    if timings is not None:
        event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        if timings is not None:
            event.remove(engine, "after_cursor_execute", after)


def statement_kind(statement: str) -> str:
    """`SELECT invoice`, `UPDATE submission`, `SELECT counter FOR UPDATE`: the verb and the first table named."""
    verb = statement.split(None, 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else '?'}" + (" FOR UPDATE" if statement.rstrip().endswith("FOR UPDATE")
                                                           else "")


def sign_in(app, email: str, password: str):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/sign-in", data=data)
    assert response.status_code == 303, (email, response.status_code)
    if response.location == "/sign-in/code":  # the scale admin is enrolled in two-factor sign-in: its code now
        import pyotp
        from sqlalchemy import select

        from portal.auth.models import User
        from portal.extensions import db
        from portal.tenancy import for_all_centres

        with app.app_context():
            for_all_centres()
            secret = db.session.execute(select(User.two_factor_secret).where(User.email == email)).scalar_one()
        response = client.post("/sign-in/code", data={**data, "code": pyotp.TOTP(secret).now()})
        assert response.status_code == 303, (email, "second step", response.status_code)
    return client


def measure_page(engine, client, url: str, runs: int) -> dict:
    response = client.get(url)  # warm: templates compiled, caches filled
    status = response.status_code
    timings, counts = [], []
    for _ in range(runs):
        with recording(engine) as seen:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        counts.append(len(seen))
    return {"url": url, "status": status, "ms": statistics.median(timings), "statements": max(counts)}


def plan_nodes(raw, statement: str, parameters) -> tuple[float, list[str]]:
    """(total cost, the node types, with their index or table) of `statement`'s plan: EXPLAIN (FORMAT JSON)."""
    with raw.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes: list[str] = []

    def walk(node):
        label = node["Node Type"]
        if "Index Name" in node:
            label += f" ({node['Index Name']})"
        elif node["Node Type"] in ("Seq Scan", "CTE Scan"):
            label += f" ({node.get('Relation Name') or node.get('CTE Name')})"
        nodes.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return plan[0]["Plan"]["Total Cost"], nodes


def explain(engine, client, url: str) -> list[tuple[str, list[str]]]:
    """The plan node types of each SELECT the page runs that reads submissions or complaints."""
    with recording(engine) as seen:
        client.get(url)
    plans = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if not re.search(r"\b(submission|complaint|invoice)\b", statement):
                continue
            cost, nodes = plan_nodes(raw, statement, parameters)
            table = re.search(r"\bFROM (\w+)", statement)
            plans.append((f"{table.group(1) if table else '?'} (cost {cost:,.0f})", nodes))
    return sorted(plans, key=lambda p: -float(re.search(r"cost ([\d,]+)", p[0]).group(1).replace(",", "")))[:4]


def page_section(url: str, runs: int) -> tuple[list[str], dict]:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.scale import ADMIN_EMAIL, SCALE_PASSWORD
    from portal.tenancy import for_all_centres
    from tenants.complaints.models import Complaint
    from tenants.models import Centre
    from tenants.submissions.models import Submission

    app = make_app(url)
    figures: dict = {}
    with app.app_context():
        for_all_centres()  # the bench reads across centres, as the awarding body's work does
        largest = db.session.execute(
            select(Centre.slug, Centre.id, func.count(Submission.id))
            .join(Submission, Submission.centre_id == Centre.id).group_by(Centre.id)
            .order_by(func.count(Submission.id).desc()).limit(1)).one()
        case = db.session.execute(select(Complaint.id).where(Complaint.centre_id == largest.id)
                                  .order_by(Complaint.id.desc()).limit(1)).scalar_one()
        contact = f"qc{int(largest.slug.rsplit('-', 1)[1])}@scale.example"
        engine = db.engine
    # Requests run outside any pushed app context, each in its own (as in production: no `g` shared).
    admin = sign_in(app, ADMIN_EMAIL, SCALE_PASSWORD)
    centre = sign_in(app, contact, SCALE_PASSWORD)
    slug = largest.slug
    admin_pages = [
        ("awarding-body reports, 12 months, all centres", "/admin/reports"),  # the default period: 12 months
        ("release queue", "/admin/assessment/release"),
        ("complaints queue (full page)", "/admin/complaints/"),
        ("invoices queue", "/admin/invoices"),
        ("admin dashboard", "/admin/"), ("quality-check queue", "/admin/assessment/quality"),
        ("marking queue", "/admin/assessment/marking"), ("assessment overview", "/admin/assessment/"),
        ("centres", "/admin/centres"), ("a centre (largest)", f"/admin/centres/{largest.id}"),
        ("EQA", "/admin/eqa"), ("people", "/admin/people"), ("jobs", "/admin/jobs"), ("units", "/admin/units"),
        ("audit", "/admin/audit"), ("outbox", "/admin/outbox"), ("applications", "/admin/applications"),
    ]
    centre_pages = [
        ("centre case page", f"/c/{slug}/cases/{case}"),
        (f"tracker, largest centre ({largest[2]:,} submissions)", f"/c/{slug}/submissions/"),
        ("centre cases queue", f"/c/{slug}/cases/"), ("centre invoices", f"/c/{slug}/invoices/"),
        ("centre reports", f"/c/{slug}/reports"), ("centre learners", f"/c/{slug}/learners/"),
        ("centre staff dashboard", f"/c/{slug}/staff/"), ("centre staff accounts", f"/c/{slug}/staff/accounts"),
        ("centre policy", f"/c/{slug}/policy/"), ("public home", f"/c/{slug}/"),
    ]
    rows = []
    for _who, client, pages in (("admin", admin, admin_pages), ("centre", centre, centre_pages)):
        for name, page in pages:
            result = measure_page(engine, client, page, runs)
            rows.append((name, result))
            figures[name] = result
    # The tracker made afresh on every request (its answers are reused per person while the centre's data version
    # stands, tenants/submissions/page_cache.py: the figure above is a reused one after the warm-up), in each sort
    # and on a deep page (keyset: the page after the middle row).
    with app.app_context():
        from portal.admin.plans import _serving
        from tenants.submissions.tracker import TrackerFilters, middle_row

        with _serving(largest.id):
            middle = middle_row(TrackerFilters())
    uncached = make_app(url, PAGE_CACHE_ENTRIES=0)
    fresh = sign_in(uncached, contact, SCALE_PASSWORD)
    with uncached.app_context():
        fresh_engine = db.engine
    for name, page in ((f"tracker, made afresh (largest centre, {largest[2]:,})", f"/c/{slug}/submissions/"),
                       ("tracker, made afresh, sort by due date", f"/c/{slug}/submissions/?sort=due"),
                       ("tracker, made afresh, sort by learner", f"/c/{slug}/submissions/?sort=learner"),
                       ("tracker, made afresh, the page after the middle row",
                        f"/c/{slug}/submissions/?after={middle}&page=76"),
                       ("tracker, made afresh, released results", f"/c/{slug}/submissions/?status=released")):
        result = measure_page(fresh_engine, fresh, page, runs)
        rows.append((name, result))
        figures[name] = result
    plans = [("tracker", explain(fresh_engine, fresh, f"/c/{slug}/submissions/"))]
    for name, client, page in (("release queue", admin, "/admin/assessment/release"),
                               ("complaints queue", admin, "/admin/complaints/"),
                               ("invoices queue", admin, "/admin/invoices"),
                               ("awarding-body reports", admin, "/admin/reports"),
                               ("admin dashboard", admin, "/admin/"),
                               ("centre staff dashboard", centre, f"/c/{slug}/staff/")):
        plans.append((name, explain(engine, client, page)))
    # The tracker made afresh in each sort and on a deep page: the statements these requests run, EXPLAINed.
    for name, page in (("tracker, sort by due date", f"/c/{slug}/submissions/?sort=due"),
                       ("tracker, sort by learner", f"/c/{slug}/submissions/?sort=learner"),
                       ("tracker, the page after the middle row", f"/c/{slug}/submissions/?after={middle}&page=76"),
                       ("tracker, sort by learner, a deep page",
                        f"/c/{slug}/submissions/?sort=learner&after={middle}&page=76"),
                       ("tracker, released results", f"/c/{slug}/submissions/?status=released")):
        plans.append((name, explain(fresh_engine, fresh, page)))
    figures["_plans"] = plans
    figures["_largest"] = (slug, largest[2], contact)
    out = ["| page | status | median ms | SQL statements |", "|---|---|---|---|"]
    out += [f"| {name} (`{r['url']}`) | {r['status']} | {r['ms']:.1f} | {r['statements']} |" for name, r in rows]
    out += ["", "EXPLAIN node types (the costliest statements of each page):", ""]
    for name, statements in plans:
        for label, nodes in statements:
            out.append(f"- {name}: {label}: {' → '.join(nodes)}")
    return out, figures


# --- gunicorn ------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_sign_in(base: str, email: str, password: str):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    opener.open(base + "/sign-in", data=urllib.parse.urlencode(data).encode())
    return opener


def throughput(opener, url: str, seconds: float, threads: int) -> float:
    done = [0] * threads
    stop = time.monotonic() + seconds

    def work(i):
        while time.monotonic() < stop:
            with opener.open(url) as response:
                response.read()
            done[i] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.monotonic() - started)


def gunicorn_section(url: str, slug: str, contact: str, seconds: float) -> tuple[list[str], float]:
    from portal.scale import SCALE_PASSWORD

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT,
                              env=env_for(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        opener = http_sign_in(base, contact, SCALE_PASSWORD)
        assert b"submission" in opener.open(f"{base}/c/{slug}/submissions/").read().lower()
        health = throughput(opener, base + "/healthz", seconds, 4)
        tracker = throughput(opener, f"{base}/c/{slug}/submissions/", seconds, 4)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = tracker / health
    return [f"gunicorn -w 2, 4 client threads, {seconds:.0f} s each: `/healthz` {health:.1f} req/s, tracker "
            f"{tracker:.1f} req/s: ratio **{ratio:.3f}**"], ratio


# --- invoicing -----------------------------------------------------------------------------------------------

def checkpoints() -> int:
    """Checkpoints the PostgreSQL server has made (every database's: the machine is shared)."""
    with _admin_connection() as connection:
        return connection.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()[0]


def invoicing_runs(url: str, centres: int, due: int, history: int) -> list[dict]:
    """Weekly invoicing at two sizes in one database: `centres` centres with `due` unbilled resubmissions in one
    week and `history` billed ones before it; then 9 × `history` more billed history (older weeks) and `due`
    more in the next week, run again. Each run is timed and its statements counted."""
    from portal.tenancy import for_all_centres
    from tests.services import PrivateRedis

    redis = PrivateRedis(free_port()).start()  # emails are queued for a worker, as in production, not sent inline
    try:
        app = make_app(url, REDIS_URL=redis.url, JOBS_INLINE=False)
        with app.app_context():
            for_all_centres()  # what the invoicing job declares (jobs.job)
            return _invoicing_runs(url, centres, due, history)
    finally:
        redis.kill()


def bare_centres(how_many: int) -> list:
    """Approved centres with their Quality contact, in bulk (what invoicing reads of a centre)."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.extensions import db
    from portal.scale import bulk, move_sequences, next_id
    from tenants.models import Centre, CentreStatus

    first, contact = next_id(Centre), next_id(User)
    now = datetime.now(UTC)
    bulk(Centre, [dict(id=first + n, name=f"Invoiced Centre {n:05d}", status=CentreStatus.APPROVED,
                       slug=f"inv-{n:05d}", centre_number=f"{700000 + n}", nation="england",
                       scottish_public_body=False, address="1 High St", website="", contact_name="Applicant",
                       contact_email=f"applicant{n}@inv.example", contact_phone="", qualifications_sought="ILM",
                       applied_at=now, decided_at=now, decision_note="", status_changed_at=now)
                  for n in range(how_many)])
    bulk(User, [dict(id=contact + n, centre_id=first + n, email=f"qc{n}@inv.example", name=f"Quality {n}",
                     job_title="Quality contact", status="active", is_quality_contact=True,
                     session_token=f"{contact + n:032x}", requested_at=now, decision_note="", failed_sign_ins=0)
                for n in range(how_many)])
    move_sequences(("centre", "user_account"))
    return list(db.session.execute(select(Centre.id).order_by(Centre.id)).scalars())


def _invoicing_runs(url: str, centres: int, due: int, history: int) -> list[dict]:
    from portal.auth.passwords import hash_password
    from portal.catalogue.models import Unit
    from portal.db import commit
    from portal.extensions import db
    from portal.fees import FeeSchedule
    from portal.invoicing import services
    from portal.invoicing.weeks import invoice_date, last_due_week, london_midnight
    from portal.scale import _awarding_body, _invoices, bulk, move_sequences, next_id
    from tenants.learners.models import Learner, LearnerStatus
    from tenants.submissions.models import Authenticity, Submission, SubmissionStatus

    started = time.perf_counter()
    db.session.add(FeeSchedule(effective_from=date(2000, 1, 1), resubmission_fee_pence=4500, vat_rate_bp=2000))
    _awarding_body(hash_password("bench"))
    made = bare_centres(centres)
    units = list(db.session.execute(db.select(Unit.id)).scalars())
    rng = random.Random(5)
    last_week = last_due_week(datetime.now(UTC).date())
    ids = {"learner": next_id(Learner), "submission": next_id(Submission)}

    def resubmissions(how_many: int, newest_week, weeks: int, *, billed: bool = False) -> None:
        """`how_many` resubmissions over `weeks` weeks up to `newest_week`. `billed`: history, which `bill_history`
        invoices next in the same transaction; its rows are written with the mark those invoices give them (as a
        run leaves them), so `recompute_billed_marks` finds nothing to change rather than rewriting every row."""
        learners, rows = [], []
        for n in range(how_many):
            centre = made[n % len(made)]
            moment = london_midnight(newest_week - timedelta(weeks=n % weeks)) + timedelta(
                days=rng.randrange(7), hours=rng.randrange(8, 18), minutes=rng.randrange(60))
            learner, ident = ids["learner"], ids["submission"]
            learners.append(dict(id=learner, centre_id=centre, first_name="Sam", last_name="Smith",
                                 enrolment_number=f"ENR{learner:08d}", qualification="",
                                 status=LearnerStatus.IN_PROGRESS))
            rows.append(dict(id=ident, centre_id=centre, learner_id=learner, unit_id=units[n % len(units)], number=2,
                             is_current=True, uploaded_at=moment, authenticity=Authenticity.NOT_NEEDED,
                             status=SubmissionStatus.AWAITING_QC, word_count=4000, word_count_detail={},
                             word_limit=5000, excess_fees=0, clock_started_at=moment, colour_warning="",
                             rejection_reason="", referred_criteria="", sample_reason="", sample_note="",
                             mitigation_note="", word_count_approximate=False, sample_selected=False,
                             resubmission_billed=billed))
            ids["learner"] += 1
            ids["submission"] += 1
        bulk(Learner, learners)
        bulk(Submission, rows)

    def bill_history(before_week) -> None:
        db.session.flush()
        _invoices(london_midnight(invoice_date(before_week)) + timedelta(hours=12))
        move_sequences(("invoice", "invoice_line", "learner", "submission"))
        commit()
        analyse(url)

    def run(as_of, now, history_size: int, seeded: float) -> dict:
        services.due_work(as_of)  # once to warm (its statement is built once per process), then timed
        db.session.rollback()
        with recording(db.engine) as due_statements:
            began = time.perf_counter()
            services.due_work(as_of)  # alone, to show what finding the due work costs
            due_work_ms = (time.perf_counter() - began) * 1000
        raw = db.session.connection().connection.driver_connection
        _cost, due_plan = plan_nodes(raw, *due_statements[0])
        db.session.rollback()
        timings: dict[str, tuple[int, float]] = {}
        checkpoints_before, load = checkpoints(), os.getloadavg()[0]
        with recording(db.engine, timings) as seen:
            began = time.perf_counter()
            report = services.run_invoicing(as_of, now=now)
            seconds = time.perf_counter() - began
        kinds: dict[str, int] = {}
        for statement, _ in seen:
            word = statement.split(None, 1)[0].upper()
            kinds[word] = kinds.get(word, 0) + 1
        return {"centres": centres, "due": due, "history": history_size, "invoices": len(report.created),
                "failures": len(report.failures), "seconds": seconds, "statements": len(seen), "kinds": kinds,
                "seeded": seeded, "due_work_ms": due_work_ms, "due_plan": due_plan, "timings": timings,
                "checkpoints": checkpoints() - checkpoints_before, "load": load}

    first_week = last_week - timedelta(weeks=1)
    resubmissions(history, first_week - timedelta(weeks=1), 52, billed=True)  # a year before the week
    bill_history(first_week - timedelta(weeks=1))
    resubmissions(due, first_week, 1)
    commit()
    first_as_of = invoice_date(first_week)
    results = [run(first_as_of, london_midnight(first_as_of) + timedelta(hours=12), history,
                   time.perf_counter() - started)]
    print(results[-1], flush=True)

    started = time.perf_counter()
    resubmissions(9 * history, first_week - timedelta(weeks=53), 9 * 52, billed=True)  # nine more years before
    bill_history(first_week)
    resubmissions(due, last_week, 1)
    commit()
    results.append(run(invoice_date(last_week), None, 10 * history + due, time.perf_counter() - started))
    print(results[-1], flush=True)
    return results


def invoicing_timings(runs: list[dict]) -> list[str]:
    """Each statement kind's time per invoice in the driver, at each history size: which statements (if any) grow
    with the billed history; then what else shared the machine during each run."""
    kinds = sorted({kind for r in runs for kind in r["timings"]},
                   key=lambda kind: -max(r["timings"].get(kind, (0, 0.0))[1] for r in runs))
    out = ["Time per invoice of each statement kind (ms in the driver, summed over the run ÷ invoices made):", "",
           "| statement kind | " + " | ".join(f"history {r['history']:,}" for r in runs) + " |",
           "|---|" + "---|" * len(runs)]
    for kind in kinds:
        cells = []
        for r in runs:
            count, seconds = r["timings"].get(kind, (0, 0.0))
            invoices = max(r["invoices"], 1)
            cells.append(f"{seconds * 1000 / invoices:.2f} ({count / invoices:g} each)")
        out.append(f"| {kind} | " + " | ".join(cells) + " |")
    sql = [sum(seconds for _, seconds in r["timings"].values()) for r in runs]
    out.append("| **all SQL** / run time | " + " | ".join(
        f"**{s * 1000 / max(r['invoices'], 1):.2f}** / {r['seconds'] * 1000 / max(r['invoices'], 1):.2f}"
        for s, r in zip(sql, runs, strict=True)) + " |")
    out += ["", "During each run: " + "; ".join(
        f"history {r['history']:,}: load average {r['load']:.2f}, {r['checkpoints']} checkpoint(s) of the server"
        for r in runs), ""]
    return out


# --- the report ----------------------------------------------------------------------------------------------

def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    ram = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    with _admin_connection() as connection:
        pg = connection.execute("SHOW server_version").fetchone()[0]
    load = os.getloadavg()
    return [f"- nproc: {os.cpu_count()}; CPU: {cpu}; RAM: {ram / 1024 / 1024:.1f} GiB",
            f"- Python {platform.python_version()}; PostgreSQL {pg}",
            f"- load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other work shares the machine)"]


def scale_sections(args) -> tuple[list[str], dict, float]:
    """The scale database: seeded, its pages measured in-process, the tracker's throughput on gunicorn."""
    doc: list[str] = []
    with throwaway_database("scale") as url:
        with part("scale database: migrations, seeding, analyse"):
            flask(url, "db", "upgrade")
            seeding = time.perf_counter()
            out = flask(url, "seed-scale", "--centres", str(args.centres), "--submissions", str(args.submissions),
                        "--complaints", str(args.complaints), "--staff", str(args.staff))
            analyse(url)  # seed-scale's own ANALYZE, as the portal's role, skipped the tables it does not own
            seeded = time.perf_counter() - seeding
        section = ["## The scale database", "",
                   f"`flask seed-scale --centres {args.centres} --submissions {args.submissions} --complaints "
                   f"{args.complaints} --staff {args.staff}`: **{seeded:.0f} s** (wall, with the process start)", "",
                   "```", out.strip(), "```", ""]
        print("\n".join(section), flush=True)
        doc += section
        with part("pages"):
            pages, figures = page_section(url, args.runs)
        section = [f"## Pages (in-process, median of {args.runs} requests after one warm-up)", "", *pages, ""]
        print("\n".join(section), flush=True)
        doc += section
        ratio = float("nan")
        if not args.skip_gunicorn:
            slug, size, contact = figures["_largest"]
            with part("gunicorn"):
                lines, ratio = gunicorn_section(url, slug, contact, args.load_seconds)
            doc += ["## Throughput", "", *lines, ""]
            print("\n".join(lines), flush=True)

    return doc, figures, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--centres", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--staff", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page (the median is shown)")
    parser.add_argument("--load-seconds", type=float, default=10)
    parser.add_argument("--invoice-centres", type=int, default=1_000)
    parser.add_argument("--invoice-due", type=int, default=50_000)
    parser.add_argument("--invoice-history", type=int, default=50_000,
                        help="billed resubmissions in earlier weeks at the first size (the second has 10×)")
    parser.add_argument("--skip-wordcount", action="store_true")
    parser.add_argument("--skip-gunicorn", action="store_true", help="(while developing) no throughput section")
    parser.add_argument("--only-invoicing", action="store_true", help="(while developing) the invoicing part only")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    started = time.perf_counter()
    command = " ".join(["python scripts/bench_scale.py", *sys.argv[1:]])
    doc = ["# Benchmarks (issue 11)", "",
           f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`{command}`). Figures of one run on one "
           "machine; nothing here is asserted by the tests.", "", "## Machine", "", *machine(), ""]
    print("\n".join(doc), flush=True)

    figures, ratio = {}, float("nan")
    if not args.only_invoicing:
        section, figures, ratio = scale_sections(args)
        doc += section
    with part("invoicing: migrations, seeding, runs"), throwaway_database("invoicing") as url:
        flask(url, "db", "upgrade")
        runs = invoicing_runs(url, args.invoice_centres, args.invoice_due, args.invoice_history)
    doc += ["## Weekly invoicing", "",
            "| centres | resubmissions due (one week) | billed history | invoices made | run time | SQL statements "
            "| statements per invoice | `due_work` alone | seeding |", "|---|---|---|---|---|---|---|---|---|"]
    doc += [f"| {r['centres']:,} | {r['due']:,} | {r['history']:,} | {r['invoices']:,} | {r['seconds']:.1f} s | "
            f"{r['statements']:,} | {r['statements'] / max(r['invoices'], 1):.2f} | {r['due_work_ms']:.0f} ms "
            f"| {r['seeded']:.0f} s |" for r in runs]
    doc += ["", "`due_work`'s plan: " + "; ".join(f"history {r['history']:,}: {' → '.join(r['due_plan'])}"
                                                    for r in runs)]
    doc += ["", "Statements by kind: " + "; ".join(
        f"history {r['history']:,}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(r["kinds"].items()))
        for r in runs), ""]
    doc += invoicing_timings(runs)

    if not args.skip_wordcount:
        with part("word counting"):
            words = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py")], cwd=ROOT, capture_output=True,
                                   text=True)
        doc += ["## Word counting (`scripts/bench.py`)", "", "```", (words.stdout + words.stderr).strip(), "```", ""]
        verdicts = [line.strip() for line in words.stdout.splitlines() if line.startswith("Counter (")]
    else:
        verdicts = []

    doc += targets(figures, ratio, runs, verdicts)
    doc += ["", f"Whole benchmark: {time.perf_counter() - started:.0f} s ("
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in PARTS.items()) + ").", ""]
    Path(args.doc).write_text("\n".join(doc))
    print("\n".join(doc[-40:]))
    print(f"wrote {args.doc}")


def targets(figures: dict, ratio: float, runs: list[dict], word_verdicts: list[str]) -> list[str]:
    """The table of issue 11's targets; `word_verdicts`: scripts/bench.py's "Counter (wall time): ..." lines."""
    def page(name: str) -> str:
        r = figures.get(name)
        return f"{r['ms']:.0f} ms, {r['statements']} statements" if r else "not measured"

    tracker = next((name for name in figures if name.startswith("tracker")), "tracker")
    afresh = next((name for name in figures if name.startswith("tracker, made afresh (")), "tracker, made afresh")
    others = [r["statements"] for name, r in figures.items()
              if not name.startswith("_") and name not in ("centre case page",)] or [0]
    per_invoice = [r["statements"] / max(r["invoices"], 1) for r in runs]
    return ["## Against issue 11's targets", "",
            "| what | target | measured |", "|---|---|---|",
            f"| centre case page | ≤ 8 statements | {page('centre case page')} |",
            f"| every other page | ≤ 8 statements, fixed | max {max(others)} (see the pages table) |",
            f"| awarding-body reports (12 months, all centres) | ≤ 60 ms | "
            f"{page('awarding-body reports, 12 months, all centres')} |",
            f"| release / complaints / invoices queues | ≤ 60 ms each | {page('release queue')} / "
            f"{page('complaints queue (full page)')} / {page('invoices queue')} |",
            f"| {tracker} | O(page) rows; ≤ 30 ms | {page(tracker)} (reused); made afresh: {page(afresh)} |",
            f"| tracker throughput ÷ `/healthz` on gunicorn | ≥ 0.25 | {ratio:.3f} |",
            "| weekly invoicing, statements | O(centres invoiced), independent of lines and history | "
            + "; ".join(f"{r['statements']:,} for {r['invoices']:,} invoices with {r['history']:,} history "
                        f"({p:.2f} per invoice, {r['seconds']:.1f} s)" for r, p in zip(runs, per_invoice, strict=True))
            + " |",
            "| word counter ÷ python-docx, ÷ the floor | ≥ 5×, ≤ 10× | "
            + ("<br>".join(word_verdicts) or "not measured (see the word counting section)") + " |"]


if __name__ == "__main__":
    main()
