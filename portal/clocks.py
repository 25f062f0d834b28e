"""The states of a deadline, as queues highlight them and reminders announce them.

A clock is met by the event it waits for (on time: "met"; after its deadline: "late"). Until then it is
"overdue" once its deadline has passed, "due-soon" when the deadline falls by the end of the next working
day of the nation's calendar, and otherwise "running". Submissions add "stopped" (rejected, withdrawn, held).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.workdays import Nation, deadline

LABELS = {"met": "Met", "late": "Met late", "overdue": "Overdue", "due-soon": "Due soon", "running": "",
          "stopped": "Stopped"}


@dataclass(frozen=True)
class Clock:
    """One deadline: what it is, when it is due, when it was met, and its state."""

    label: str
    due: datetime
    met_at: datetime | None
    state: str

    @property
    def label_for_state(self) -> str:
        return LABELS[self.state]


def due_soon_limit(now: datetime, nation: Nation) -> datetime:
    """A deadline up to the end of the next working day counts as due soon."""
    return deadline(now, 1, nation)


def clock_state(due: datetime, met_at: datetime | None, now: datetime, soon: datetime) -> str:
    """The state of one deadline; `soon` is `due_soon_limit(now, nation)` (worked out once per nation)."""
    if met_at is not None:
        return "met" if met_at <= due else "late"
    if due < now:
        return "overdue"
    return "due-soon" if due <= soon else "running"


def worst_state(clocks: list[Clock]) -> str:
    """The state a queue row is highlighted with: overdue before due soon, else none."""
    states = {c.state for c in clocks}
    return next((s for s in ("overdue", "due-soon") if s in states), "")
