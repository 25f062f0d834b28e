"""Background work on RQ, as the platform sees it: the Redis connection, named queues, the jobs known by
name, and dispatch after commit.

A domain service asks for a job with `after_commit("job_name", *ids)` inside its transaction. When
`portal.db.commit()` commits, the requests are sent to Redis — or, with no REDIS_URL, run inline in
the same process. A rolled-back transaction starts no job.

The job functions live in `jobs/` (a layer above every service) and register here by name with
`jobs.job`; `create_app` imports them, so the platform never imports the jobs that call it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUES = ("default", "email", "invoicing", "reminders")
_PENDING = "jobs_pending"  # requested in the open transaction
_COMMITTED = "jobs_committed"  # transaction committed, not yet dispatched
JOBS: dict[str, Callable] = {}  # every job function, by name (filled by `jobs.job`)


def register(func: Callable, *, queue: str, timeout: int, retries: int) -> Callable:
    """Make `func` a job known by its name: its queue, its timeout in seconds and how often RQ retries it."""
    assert queue in QUEUES, queue
    known = JOBS.get(func.__name__)
    if known is not None and known.__module__ != func.__module__:  # two jobs with one name: which would run?
        raise ValueError(f"job name {func.__name__} is taken by {known.__module__}")
    func.queue, func.timeout, func.retries = queue, timeout, retries
    JOBS[func.__name__] = func
    return func


def redis_connection(url: str | None = None):
    """A Redis client for REDIS_URL."""
    from redis import Redis

    return Redis.from_url(url or current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)


def get_queue(name: str, connection=None):
    """The named RQ queue."""
    from rq import Queue

    return Queue(name, connection=connection or redis_connection())


def after_commit(job: str | Callable, *args) -> None:
    """Ask for the job named `job` (or a function) to run with `args` once the current transaction has
    committed. An unknown name is refused at once, not when the job would have run."""
    from portal.extensions import db

    func = JOBS[job] if isinstance(job, str) else job

    session = db.session()
    if not session.in_transaction():
        # A rollback with no transaction open fires no event, so the request would survive it and run at the
        # next commit: open the transaction the request belongs to.
        session.begin()
    session.info.setdefault(_PENDING, []).append((func, args))


def dispatch_committed() -> list[tuple[Callable, tuple]]:
    """Send the jobs of committed transactions to Redis, or run them inline without Redis.

    Returns the jobs that could not be queued. The transaction is already committed, so a queue that is down
    must not turn the person's saved work into an error: the failure is logged and the job is left to its
    catch-up (for email, the outbox row is the source of truth: `jobs.email` sends what was never tried).
    """
    from portal.extensions import db

    ready = db.session.info.pop(_COMMITTED, [])
    if not ready:
        return []
    if current_app.config.get("JOBS_INLINE", True):
        for func, args in ready:
            _run_inline(func, args)
        return []
    failed = [(func, args) for func, args in ready if not _try_enqueue(func, args)]
    if len(failed) < len(ready):  # Redis answers: queue the catch-ups of earlier failures, once
        _queue_catch_ups()
    return failed


# Catch-up jobs owed by this process: an enqueue failed, so once Redis takes a job again the catch-up is queued at
# once rather than at the next scheduled sweep. A job names its catch-up as `job.catch_up = (function, args)`.
_CATCH_UPS: set[tuple[Callable, tuple]] = set()


def _try_enqueue(func: Callable, args: tuple) -> bool:
    catch_up = getattr(func, "catch_up", None)
    try:
        _enqueue(func, args)
    except Exception:  # noqa: BLE001 - Redis down, or any queue failure: the committed work stands
        log.exception("could not queue job %s%r after commit; %s", func.__name__, args,
                      f"{catch_up[0].__name__} will do its work" if catch_up else "the caller is told")
        if catch_up is not None:
            _CATCH_UPS.add(catch_up)
        return False
    return True


def _queue_catch_ups() -> None:
    for catch_up in list(_CATCH_UPS):
        func, args = catch_up
        try:
            _enqueue(func, args)
        except Exception:  # noqa: BLE001
            log.exception("could not queue catch-up job %s", func.__name__)
            return
        _CATCH_UPS.discard(catch_up)
        log.info("queue reachable again: queued catch-up job %s%r", func.__name__, args)


def _enqueue(func: Callable, args: tuple) -> None:
    from rq import Retry

    retry = Retry(max=func.retries, interval=[10, 60, 300][: func.retries]) if func.retries else None
    get_queue(func.queue).enqueue(func, *args, job_timeout=func.timeout, retry=retry)


def _run_inline(func: Callable, args: tuple) -> None:
    try:
        func(*args)
    except Exception:  # the user's own work is committed; a failed side job must not undo their request
        log.exception("inline job %s%r failed", func.__name__, args)


@event.listens_for(Session, "after_commit")
def _move_to_committed(session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _discard_pending(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_PENDING, None)
