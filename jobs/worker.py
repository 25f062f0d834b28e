"""The RQ worker of the portal: `rq worker -w jobs.worker.PortalWorker --url $REDIS_URL email default ...`.

It creates the Flask app once, in the worker process, before any job runs. Each job's work-horse is
forked from it and inherits the app; `jobs.worker_app` disposes of the inherited database connections in
the child, so no connection is ever shared across a fork.
"""
from rq.worker import Worker

from jobs import worker_app


class PortalWorker(Worker):
    """An RQ worker that holds one app for its whole life."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = worker_app()
