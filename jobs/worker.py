"""The RQ worker of the portal: `rq worker -w jobs.worker.PortalWorker --url $REDIS_URL email default ...`.

It creates the Flask app once, in the worker process, before any job runs, and runs every job inside that
app's context. Each job's work-horse is forked from it and inherits the app; `worker_app` disposes of the
inherited database connections in the child, so no connection is ever shared across a fork.
"""
from __future__ import annotations

import functools
import os

from rq.worker import Worker


@functools.cache
def worker_app():
    """The app of a worker process, created once per process (never at import time)."""
    from portal import create_app

    app = create_app()
    # A forked work-horse must not reuse the parent's database connections.
    os.register_at_fork(after_in_child=lambda: _dispose_engine(app))
    return app


def _dispose_engine(app) -> None:
    from portal.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)


class PortalWorker(Worker):
    """An RQ worker that holds one app for its whole life and runs each job in its context."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = worker_app()

    def perform_job(self, job, queue) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue)
