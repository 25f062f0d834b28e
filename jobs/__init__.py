"""Background jobs on RQ: one module per job family (email, invoicing, reminders), the cron schedule
(`schedule.py`) and the worker (`worker.py`).

Job functions are declared with `@job(queue=..., timeout=...)`: they take ids (with `centre_id` where a
centre is involved), never ORM objects, run inside an app context — the caller's when run inline, the
worker's otherwise — as the awarding body's or the system's work across all centres (row-level security:
`portal.tenancy.working_for_all_centres`, even when run inline inside a centre's request), and call the
services of any layer. Services ask for them by name
(`portal.background.after_commit("send_email", id)`), so nothing below this package imports it.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from portal.background import register
from portal.tenancy import working_for_all_centres


def job(*, queue: str = "default", timeout: int = 60, retries: int = 0) -> Callable:
    """Declare a job function: its queue, its timeout in seconds and how often RQ retries it."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(*args, **kwargs):
            with working_for_all_centres():  # a job is system work: it says so, whoever asked for it
                return func(*args, **kwargs)

        return register(run, queue=queue, timeout=timeout, retries=retries)

    return decorate
