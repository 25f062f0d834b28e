"""What the complaint state machines share (tests/complaints/test_way_forward_machine.py and
tests/reports/test_facts_machine.py): the clock every complaint module reads, held by the machine and moved by its
rules, and the Hypothesis settings of a stateful run."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from unittest import mock

from hypothesis import HealthCheck, Phase, settings

# Every module of the complaint journey that reads the time (`utcnow`), services and routes.
CLOCKED = ("tenants.complaints.intake", "tenants.complaints.handling", "tenants.complaints.escalation",
           "tenants.complaints.stages", "tenants.complaints.way_forward", "tenants.complaints.report_facts",
           "tenants.complaints.routes", "portal.complaints.routes")


@dataclass
class Clock:
    now: datetime


@contextlib.contextmanager
def frozen_clock(clock: Clock):
    """Every complaint module reads `clock.now` as the time, until the block ends."""
    with contextlib.ExitStack() as stack:
        for module in CLOCKED:
            stack.enter_context(mock.patch(f"{module}.utcnow", lambda: clock.now))
        yield


def stateful_settings(*, max_examples: int, steps: int) -> settings:
    """No shrinking: a failure prints its (short) sequence at once instead of minutes of shrinking in CI."""
    return settings(max_examples=max_examples, stateful_step_count=steps, deadline=None, database=None,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
