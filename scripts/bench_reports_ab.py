"""The awarding body's reports page with this checkout's report code and with another commit's, alternately, in one
process on one scale database (the machine is shared and noisy: only figures taken at the same moment compare).

    .venv/bin/python scripts/bench_reports_ab.py REF DATABASE_URL [ROUNDS]

REF: the commit whose tenants/complaints/reports.py is the "before" (e.g. ec3ec0a); DATABASE_URL: a scale database
as the portal's own role (`flask seed-scale`, analysed as in scripts/bench_scale.py). Prints each side's page,
SQL and Python medians, statements per page, and whether both give the same figures for 1, 12 and 24 months.
"""
from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import bench_scale  # noqa: E402


def load_old(ref: str):
    source = subprocess.run(["git", "show", f"{ref}:tenants/complaints/reports.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "reports_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("reports_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["reports_before"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ref, url = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    from sqlalchemy import event

    app = bench_scale.make_app(url)
    from portal.extensions import db
    from portal.scale import ADMIN_EMAIL, SCALE_PASSWORD
    from portal.tenancy import for_all_centres
    from tenants.complaints import reports as after
    from tenants.complaints.report_period import Month, Period

    before = load_old(ref)
    timings: list[float] = []

    def started(conn, cursor, statement, parameters, context, executemany):
        context.bench_started = time.perf_counter()

    def ended(conn, cursor, statement, parameters, context, executemany):
        timings.append((time.perf_counter() - context.bench_started) * 1000)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", started)
        event.listen(db.engine, "after_cursor_execute", ended)
    client = bench_scale.sign_in(app, ADMIN_EMAIL, SCALE_PASSWORD)
    computes = {"before": before.compute, "after": after.compute}
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in computes}
    try:
        for round_ in range(rounds):
            for name in (list(computes) if round_ % 2 == 0 else list(reversed(computes))):
                after.compute = computes[name]  # the page calls reports.compute through the module
                client.get("/admin/reports")
                for _ in range(5):
                    timings.clear()
                    clock = time.perf_counter()
                    assert client.get("/admin/reports").status_code == 200
                    results[name].append(((time.perf_counter() - clock) * 1000, sum(timings), len(timings)))
    finally:
        after.compute = computes["after"]
    for name, runs in results.items():
        page = statistics.median(r[0] for r in runs)
        sql = statistics.median(r[1] for r in runs)
        python = statistics.median(r[0] - r[1] for r in runs)
        print(f"{name}: page median {page:.1f} ms (min {min(r[0] for r in runs):.1f}), SQL median {sql:.1f} ms, "
              f"Python median {python:.1f} ms, statements {max(r[2] for r in runs)}")
    with app.test_request_context():
        for_all_centres()
        now = datetime.now(UTC)
        last = Month.of(now)
        for months in (1, 12, 24):
            period = Period(last.plus(1 - months), last)
            old = before.compute(before.Scope.awarding_body(), period, now)
            new = after.compute(after.Scope.awarding_body(), period, now)
            same = all(repr(getattr(old, part)) == repr(getattr(new, part))
                       for part in ("by_month", "by_category", "by_stage", "referred", "now", "by_centre"))
            print(f"{months} months: same figures: {same}")


if __name__ == "__main__":
    main()
