"""jobs/schedule.py: what `rq cron jobs/schedule.py` registers (loaded into a CronScheduler, never started)."""
from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from rq import cron

from tests import services

LONDON = ZoneInfo("Europe/London")
EXPECTED = {  # name: (function, queue, cron string in London time, job timeout in seconds)
    "invoicing-daily-0600": ("jobs.invoicing.run_invoicing", "invoicing", "0 6 * * *", 1800),
    "sla-reminders-daily-0630": ("jobs.reminders.send_sla_reminders", "reminders", "30 6 * * *", 600),
    "policy-review-reminders-daily-0645": ("jobs.reminders.send_policy_review_reminders", "reminders", "45 6 * * *",
                                           600),
    "stalled-email-every-15-minutes": ("jobs.email.resend_stalled_email", "email", "*/15 * * * *", 600),
    "waiting-email-every-minute": ("jobs.email.send_waiting_email", "email", "* * * * *", 600),
}


def scheduler_at(moment: datetime) -> cron.CronScheduler:
    """A scheduler loaded from the file as `rq cron jobs/schedule.py` loads it, with the clock at `moment`."""
    scheduler = cron.CronScheduler(connection=Redis.from_url(services.REDIS_URL))  # no connection is made
    with mock.patch.object(cron, "now", lambda: moment):
        scheduler.load_config_from_file("jobs/schedule.py")
    return scheduler


def test_the_schedule_registers_what_the_readme_says():
    jobs = {job.name: job for job in scheduler_at(datetime(2026, 1, 5, 12, tzinfo=UTC)).get_jobs()}
    assert {name: (job.func_name, job.queue_name, job.cron, job.job_options["job_timeout"])
            for name, job in jobs.items()} == EXPECTED
    assert all(job.func is not None and job.interval is None and not job.args for job in jobs.values())
    from portal.background import QUEUES

    assert {job.queue_name for job in jobs.values()} <= set(QUEUES)


@pytest.mark.parametrize(("now", "next_invoicing"), [
    (datetime(2026, 1, 6, 12, tzinfo=UTC), datetime(2026, 1, 7, 6, tzinfo=UTC)),  # GMT: 06:00 London = 06:00 UTC
    (datetime(2026, 7, 7, 12, tzinfo=UTC), datetime(2026, 7, 8, 5, tzinfo=UTC)),  # BST: 06:00 London = 05:00 UTC
    (datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 5, tzinfo=UTC)),  # clocks go forward that night
    (datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 6, tzinfo=UTC)),  # clocks go back that night
    (datetime(2026, 7, 8, 4, 59, tzinfo=UTC), datetime(2026, 7, 8, 5, tzinfo=UTC)),  # a minute before
], ids=["winter", "summer", "march-change", "october-change", "just-before"])
def test_invoicing_runs_at_six_london_time(now, next_invoicing):
    jobs = {job.name: job for job in scheduler_at(now).get_jobs()}
    assert jobs["invoicing-daily-0600"].next_enqueue_time == next_invoicing
    reminders = jobs["sla-reminders-daily-0630"]
    assert reminders.next_enqueue_time.astimezone(LONDON).strftime("%H:%M") == "06:30"
    # After it has run, the next run is the next day's 06:00 London.
    job = jobs["invoicing-daily-0600"]
    job.set_enqueue_time(next_invoicing)
    assert job.next_enqueue_time.astimezone(LONDON).strftime("%H:%M") == "06:00"
    assert (job.next_enqueue_time.astimezone(LONDON).date() - next_invoicing.astimezone(LONDON).date()
            ).days == 1


def test_a_registered_job_enqueues_to_its_queue():
    from rq import Queue

    redis = services.redis_or_fail()
    job = {j.name: j for j in scheduler_at(datetime.now(UTC)).get_jobs()}["invoicing-daily-0600"]
    enqueued = job.enqueue(redis)
    assert enqueued.func_name == "jobs.invoicing.run_invoicing" and enqueued.timeout == 1800
    assert Queue("invoicing", connection=redis).job_ids == [enqueued.id]
    redis.flushdb()
