"""The schedule, for RQ's built-in cron: `TZ=Europe/London rq cron jobs/schedule.py --url "$REDIS_URL"`.

Run exactly ONE of these processes. Cron strings are read in the process's local time, hence TZ. RQ's cron
does not catch up missed runs; the jobs do: invoicing invoices every due week not yet invoiced, reminders
send every threshold reached and not yet sent. Invoicing runs every day at 06:00 so a Wednesday that is a
bank holiday is followed by a run on the next working day; on ordinary days it finds nothing to do.
"""
from rq import cron

from jobs.invoicing import run_invoicing
from jobs.reminders import send_policy_review_reminders, send_sla_reminders

cron.register(run_invoicing, "invoicing", cron="0 6 * * *", job_timeout=run_invoicing.timeout,
              name="invoicing-daily-0600")
cron.register(send_sla_reminders, "reminders", cron="30 6 * * *", job_timeout=send_sla_reminders.timeout,
              name="sla-reminders-daily-0630")
cron.register(send_policy_review_reminders, "reminders", cron="45 6 * * *",
              job_timeout=send_policy_review_reminders.timeout, name="policy-review-reminders-daily-0645")
