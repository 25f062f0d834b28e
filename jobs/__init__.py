"""Background jobs on RQ: one module per job family (email, invoicing, reminders), the cron schedule
(`schedule.py`) and the worker (`worker.py`).

Job functions are declared with `@job(queue=..., timeout=...)`: they take ids (with `centre_id` where a
centre is involved), never ORM objects, run inside an app context — the caller's when run inline, the
worker's otherwise — and call the services of any layer. Services ask for them by name
(`portal.background.after_commit("send_email", id)`), so nothing below this package imports it.
"""
from __future__ import annotations

from collections.abc import Callable

from portal.background import register


def job(*, queue: str = "default", timeout: int = 60, retries: int = 0) -> Callable:
    """Declare a job function: its queue, its timeout in seconds and how often RQ retries it."""

    def decorate(func: Callable) -> Callable:
        return register(func, queue=queue, timeout=timeout, retries=retries)

    return decorate
