"""Working-day arithmetic for SLA clocks (SPEC §4).

Rules:

* A working day is Monday to Friday and not a bank holiday in the centre's nation (England, Wales,
  Scotland or Northern Ireland), including substitute days and one-off holidays. Bank holidays come
  from the ``holidays`` package (``holidays.UK(subdiv=...)``). Clocks with no centre (awarding-body
  clocks) use England.
* "Within N working days" of an event: working day 1 is the first working day *after* the
  Europe/London calendar date on which the event happened, whatever kind of day that was. The
  deadline is 23:59:59 Europe/London at the end of working day N. So an event on Monday with N=2 is
  due by the end of Wednesday; on a Saturday, by the end of Tuesday; on a bank-holiday Monday, by the
  end of Wednesday.
* "Within N hours" is kept as elapsed hours, not converted to working days.
* All moments are stored as timezone-aware UTC datetimes and shown in Europe/London. Naive
  datetimes are rejected, because guessing their zone would silently move deadlines by an hour.
"""

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
_END_OF_DAY = time(23, 59, 59)


class Nation(enum.StrEnum):
    """UK nation whose bank holidays apply to a centre. Values are stored in the database."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"

    @property
    def subdiv(self) -> str:
        """Subdivision code understood by ``holidays.UK``."""
        return _SUBDIVS[self]

    @property
    def label(self) -> str:
        """Human-readable name, e.g. "Northern Ireland"."""
        return self.value.replace("_", " ").title()


_SUBDIVS = {
    Nation.ENGLAND: "ENG",
    Nation.WALES: "WLS",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


@lru_cache(maxsize=512)  # 4 nations x 128 years; bounded so odd input years cannot grow it
def _holidays(nation: Nation, year: int) -> Mapping[date, str]:
    # One frozen calendar per (nation, year) rather than one self-expanding HolidayBase per nation:
    # HolidayBase mutates itself when a lookup hits a new year, which is not safe if two threads
    # look up at once, and a plain dict lookup keeps add_working_days fast. holidays.UK only ever
    # puts dates of the requested year into a year's calendar, so keying on day.year is exact.
    # The calendar holds the weekend date of a holiday *and* its weekday substitute; only
    # membership is used, never the number of entries.
    return MappingProxyType(dict(holidays.UK(subdiv=nation.subdiv, years=year)))


def is_working_day(day: date, nation: Nation = Nation.ENGLAND) -> bool:
    """True if ``day`` is Monday-Friday and not a bank holiday (or substitute day) in ``nation``."""
    return day.weekday() < 5 and day not in _holidays(nation, day.year)


def bank_holidays(nation: Nation, year: int) -> dict[date, str]:
    """The weekdays off in ``nation`` in ``year``, date -> name, as gov.uk lists them.

    A holiday falling at a weekend is left out; its Monday/Tuesday substitute (named
    "... (observed)" by the ``holidays`` package) is included instead.
    """
    return {day: name for day, name in sorted(_holidays(nation, year).items()) if day.weekday() < 5}


def add_working_days(start: date, n: int, nation: Nation = Nation.ENGLAND) -> date:
    """The ``n``-th working day strictly after ``start`` (``start`` itself never counts); n=0 -> start."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    day = start
    for _ in range(n):
        day += timedelta(days=1)
        while not is_working_day(day, nation):
            day += timedelta(days=1)
    return day


def next_working_day(day: date, nation: Nation = Nation.ENGLAND) -> date:
    """``day`` itself if it is a working day, otherwise the first working day after it."""
    while not is_working_day(day, nation):
        day += timedelta(days=1)
    return day


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: store and pass timezone-aware UTC datetimes")


def to_london(moment: datetime) -> datetime:
    """An aware datetime converted to Europe/London wall-clock time, for display."""
    _require_aware(moment)
    return moment.astimezone(LONDON)


def london_date(moment: datetime) -> date:
    """The Europe/London calendar date of an aware datetime (23:30 UTC in summer is already tomorrow)."""
    return to_london(moment).date()


def deadline(event: datetime, n: int, nation: Nation = Nation.ENGLAND) -> datetime:
    """UTC moment of 23:59:59 London time at the end of working day ``n`` after the event's London date."""
    due = add_working_days(london_date(event), n, nation)
    # 23:59:59 is never inside a UK clock change (those happen at 01:00 UTC), so it is unambiguous.
    return datetime.combine(due, _END_OF_DAY, tzinfo=LONDON).astimezone(UTC)


def hours_deadline(event: datetime, hours: int) -> datetime:
    """``event`` plus ``hours`` of elapsed time, in UTC."""
    _require_aware(event)
    # Convert first: adding a timedelta to a London-aware datetime is wall-clock arithmetic and
    # would be an hour out across a clock change.
    return event.astimezone(UTC) + timedelta(hours=hours)


def working_days_elapsed(start: datetime, end: datetime, nation: Nation = Nation.ENGLAND) -> int:
    """Number of working days d with london_date(start) < d <= london_date(end); 0 if end <= start.

    Not a lateness test: a Saturday after working day n still counts n. Compare against deadline().
    """
    _require_aware(start)
    _require_aware(end)
    if end <= start:
        return 0
    first, last = london_date(start), london_date(end)
    return sum(is_working_day(first + timedelta(days=i), nation) for i in range(1, (last - first).days + 1))
