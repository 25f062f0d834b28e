"""The schedule, for RQ's built-in cron: `TZ=Europe/London rq cron jobs/schedule.py --url "$REDIS_URL"`.

Run exactly ONE of these processes. The cron strings are London wall-clock times: rq 2.12 itself works out the
next run from an aware UTC "now" (so TZ alone would leave 06:00 meaning 06:00 UTC, 07:00 in summer), hence
`LondonCronJob` below, which the scheduler builds instead. RQ's cron does not catch up missed runs; the jobs
do: invoicing invoices every due week not yet invoiced, reminders send every threshold reached and not yet
sent. Invoicing runs every day at 06:00 so a Wednesday that is a bank holiday is followed by a run on the next
working day; on ordinary days it finds nothing to do.
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter
from rq import cron

from jobs.email import resend_stalled_email, send_waiting_email
from jobs.invoicing import run_invoicing
from jobs.reminders import send_policy_review_reminders, send_sla_reminders

LONDON = ZoneInfo("Europe/London")
_LibraryCronJob = getattr(cron, "LibraryCronJob", cron.CronJob)  # the library's own class, also on a reload


class LondonCronJob(_LibraryCronJob):
    """A cron job whose cron string is read in Europe/London time (clock changes included); times kept in UTC."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.cron:
            self.next_enqueue_time = self.get_next_enqueue_time()

    def get_next_enqueue_time(self) -> datetime:
        if not self.cron:
            return super().get_next_enqueue_time()
        start = (self.latest_enqueue_time or cron.now()).astimezone(LONDON)
        return croniter(self.cron, start).get_next(datetime).astimezone(UTC)


cron.LibraryCronJob = _LibraryCronJob
cron.CronJob = LondonCronJob  # CronScheduler.register builds `CronJob` from rq.cron's namespace

cron.register(run_invoicing, "invoicing", cron="0 6 * * *", job_timeout=run_invoicing.timeout,
              name="invoicing-daily-0600")
cron.register(send_sla_reminders, "reminders", cron="30 6 * * *", job_timeout=send_sla_reminders.timeout,
              name="sla-reminders-daily-0630")
cron.register(send_policy_review_reminders, "reminders", cron="45 6 * * *",
              job_timeout=send_policy_review_reminders.timeout, name="policy-review-reminders-daily-0645")
cron.register(resend_stalled_email, "email", cron="*/15 * * * *", job_timeout=resend_stalled_email.timeout,
              name="stalled-email-every-15-minutes")
cron.register(send_waiting_email, "email", cron="* * * * *", job_timeout=send_waiting_email.timeout,
              name="waiting-email-every-minute")
