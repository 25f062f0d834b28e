"""Tests for portal.workdays (SPEC §4 working-day clocks).

Every expected date below was worked out by hand from the calendar and checked against the bank
holidays published on gov.uk/bank-holidays for 2026-2027, not by calling the code under test.
Reminders used when counting:
  2026: 1 Jan Thu; Good Friday 3 Apr; Easter Monday 6 Apr; BST starts Sun 29 Mar, ends Sun 25 Oct;
        Christmas Fri 25 Dec, Boxing Day Sat 26 Dec (substitute Mon 28 Dec).
  2027: 1 Jan Fri (Scotland's 2 Jan is a Saturday -> substitute Mon 4 Jan); Good Friday 26 Mar;
        Easter Monday 29 Mar; BST starts Sun 28 Mar; Christmas Sat, Boxing Day Sun -> substitutes
        Mon 27 and Tue 28 Dec.
  2028: 1 Jan Sat -> substitute Mon 3 Jan (Scotland also Tue 4 Jan for 2 Jan, a Sunday).
"""

from datetime import UTC, date, datetime

import pytest

from portal.workdays import (
    LONDON,
    Nation,
    add_working_days,
    bank_holidays,
    deadline,
    hours_deadline,
    is_working_day,
    london_date,
    next_working_day,
    to_london,
    working_days_elapsed,
)

ENG, WLS, SCT, NIR = Nation.ENGLAND, Nation.WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND
ALL = frozenset(Nation)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_nation_values_subdivs_and_labels() -> None:
    assert [(n.value, n.subdiv, n.label) for n in Nation] == [
        ("england", "ENG", "England"),
        ("wales", "WLS", "Wales"),
        ("scotland", "SCT", "Scotland"),
        ("northern_ireland", "NIR", "Northern Ireland"),
    ]
    assert Nation("northern_ireland") is NIR
    assert NIR == "northern_ireland"  # StrEnum: compares equal to the stored DB value


# (day, nations in which the day is NOT a working day)
CLOSED_DAYS = [
    pytest.param(date(2026, 1, 14), frozenset(), id="2026-01-14-ordinary-wednesday"),
    pytest.param(date(2026, 1, 10), ALL, id="2026-01-10-saturday"),
    pytest.param(date(2026, 1, 11), ALL, id="2026-01-11-sunday"),
    pytest.param(date(2026, 1, 2), {SCT}, id="2026-01-02-scotland-2-january"),
    pytest.param(date(2026, 4, 3), ALL, id="2026-04-03-good-friday"),
    pytest.param(date(2026, 4, 6), {ENG, WLS, NIR}, id="2026-04-06-easter-monday-not-scotland"),
    pytest.param(date(2027, 3, 26), ALL, id="2027-03-26-good-friday"),
    pytest.param(date(2027, 3, 29), {ENG, WLS, NIR}, id="2027-03-29-easter-monday-not-scotland"),
    pytest.param(date(2026, 3, 17), {NIR}, id="2026-03-17-st-patricks-tuesday"),
    pytest.param(date(2027, 3, 17), {NIR}, id="2027-03-17-st-patricks-wednesday"),
    pytest.param(date(2026, 7, 13), {NIR}, id="2026-07-13-boyne-substitute-for-sunday"),
    pytest.param(date(2027, 7, 12), {NIR}, id="2027-07-12-boyne-monday"),
    pytest.param(date(2026, 6, 15), {SCT}, id="2026-06-15-scotland-one-off-world-cup"),
    pytest.param(date(2026, 8, 3), {SCT}, id="2026-08-03-scotland-summer-first-monday"),
    pytest.param(date(2026, 8, 31), {ENG, WLS, NIR}, id="2026-08-31-late-summer-not-scotland"),
    pytest.param(date(2025, 12, 1), {SCT}, id="2025-12-01-st-andrews-substitute-for-sunday"),
    pytest.param(date(2026, 11, 30), {SCT}, id="2026-11-30-st-andrews-monday"),
    pytest.param(date(2027, 11, 30), {SCT}, id="2027-11-30-st-andrews-tuesday"),
    pytest.param(date(2027, 12, 1), frozenset(), id="2027-12-01-no-st-andrews-substitute-when-weekday"),
    pytest.param(date(2026, 12, 25), ALL, id="2026-12-25-christmas-friday"),
    pytest.param(date(2026, 12, 28), ALL, id="2026-12-28-boxing-day-substitute"),
    pytest.param(date(2026, 12, 29), frozenset(), id="2026-12-29-working"),
    pytest.param(date(2027, 1, 1), ALL, id="2027-01-01-new-year-friday"),
    pytest.param(date(2027, 1, 4), {SCT}, id="2027-01-04-scotland-2-january-substitute"),
    pytest.param(date(2027, 12, 27), ALL, id="2027-12-27-christmas-substitute"),
    pytest.param(date(2027, 12, 28), ALL, id="2027-12-28-boxing-day-substitute"),
    pytest.param(date(2028, 1, 3), ALL, id="2028-01-03-new-year-substitute"),
    pytest.param(date(2028, 1, 4), {SCT}, id="2028-01-04-scotland-2-january-substitute"),
]


@pytest.mark.parametrize("nation", list(Nation), ids=str)
@pytest.mark.parametrize(("day", "closed_in"), CLOSED_DAYS)
def test_is_working_day(day: date, closed_in: frozenset[Nation], nation: Nation) -> None:
    assert is_working_day(day, nation) is (nation not in closed_in)


def _days(year: int, *month_days: tuple[int, int]) -> set[date]:
    return {date(year, m, d) for m, d in month_days}


# Full gov.uk lists: weekdays off only (a weekend holiday appears as its substitute day).
GOV_UK = {
    (ENG, 2026): _days(2026, (1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)),
    (ENG, 2027): _days(2027, (1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)),
    (SCT, 2026): _days(
        2026, (1, 1), (1, 2), (4, 3), (5, 4), (5, 25), (6, 15), (8, 3), (11, 30), (12, 25), (12, 28)
    ),
    (SCT, 2027): _days(2027, (1, 1), (1, 4), (3, 26), (5, 3), (5, 31), (8, 2), (11, 30), (12, 27), (12, 28)),
    (NIR, 2026): _days(
        2026, (1, 1), (3, 17), (4, 3), (4, 6), (5, 4), (5, 25), (7, 13), (8, 31), (12, 25), (12, 28)
    ),
    (NIR, 2027): _days(
        2027, (1, 1), (3, 17), (3, 26), (3, 29), (5, 3), (5, 31), (7, 12), (8, 30), (12, 27), (12, 28)
    ),
}
GOV_UK[WLS, 2026], GOV_UK[WLS, 2027] = GOV_UK[ENG, 2026], GOV_UK[ENG, 2027]


@pytest.mark.parametrize(("nation", "year"), sorted(GOV_UK), ids=lambda v: str(v))
def test_bank_holidays_match_gov_uk(nation: Nation, year: int) -> None:
    assert set(bank_holidays(nation, year)) == GOV_UK[nation, year]


def test_bank_holidays_names_substitutes() -> None:
    scotland = bank_holidays(SCT, 2027)
    assert scotland[date(2027, 1, 4)] == "New Year Holiday (observed)"
    assert date(2027, 1, 2) not in scotland  # the Saturday itself is not a day off to list


@pytest.mark.parametrize(
    ("start", "n", "nation", "expected"),
    [
        pytest.param(date(2026, 1, 12), 2, ENG, date(2026, 1, 14), id="mon+2-wed"),
        pytest.param(date(2026, 1, 10), 2, ENG, date(2026, 1, 13), id="sat+2-tue"),
        pytest.param(date(2026, 1, 9), 1, ENG, date(2026, 1, 12), id="fri+1-mon"),
        pytest.param(date(2026, 1, 10), 0, ENG, date(2026, 1, 10), id="n0-returns-start-even-saturday"),
        pytest.param(date(2026, 4, 6), 2, ENG, date(2026, 4, 8), id="easter-mon+2-eng"),
        pytest.param(date(2026, 4, 3), 2, ENG, date(2026, 4, 8), id="good-fri+2-eng"),
        pytest.param(date(2026, 4, 3), 2, SCT, date(2026, 4, 7), id="good-fri+2-sct"),
        pytest.param(date(2026, 12, 24), 5, NIR, date(2027, 1, 5), id="xmas-eve-2026+5-nir"),
        pytest.param(date(2026, 12, 24), 5, SCT, date(2027, 1, 6), id="xmas-eve-2026+5-sct"),
    ],
)
def test_add_working_days(start: date, n: int, nation: Nation, expected: date) -> None:
    assert add_working_days(start, n, nation) == expected


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 12), -1)


@pytest.mark.parametrize(
    ("day", "nation", "expected"),
    [
        pytest.param(date(2026, 1, 14), ENG, date(2026, 1, 14), id="working-wednesday-itself"),
        pytest.param(date(2027, 3, 17), ENG, date(2027, 3, 17), id="st-patricks-wed-eng-itself"),
        pytest.param(date(2027, 3, 17), NIR, date(2027, 3, 18), id="st-patricks-wed-nir-thursday"),
        pytest.param(date(2026, 7, 12), ENG, date(2026, 7, 13), id="sun-12-jul-eng-monday"),
        pytest.param(date(2026, 7, 12), NIR, date(2026, 7, 14), id="sun-12-jul-nir-tuesday"),
        pytest.param(date(2026, 12, 26), WLS, date(2026, 12, 29), id="boxing-day-2026-wls"),
        pytest.param(date(2028, 1, 1), ENG, date(2028, 1, 4), id="new-year-2028-eng"),
        pytest.param(date(2028, 1, 1), SCT, date(2028, 1, 5), id="new-year-2028-sct"),
    ],
)
def test_next_working_day(day: date, nation: Nation, expected: date) -> None:
    assert next_working_day(day, nation) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(utc(2026, 1, 9, 23, 30), date(2026, 1, 9), id="gmt-fri-2330-utc-is-fri"),
        pytest.param(utc(2026, 6, 12, 22, 30), date(2026, 6, 12), id="bst-fri-2230-utc-is-fri-2330"),
        pytest.param(utc(2026, 6, 12, 23, 30), date(2026, 6, 13), id="bst-fri-2330-utc-is-sat"),
        pytest.param(utc(2026, 3, 29, 0, 59), date(2026, 3, 29), id="just-before-clocks-go-forward"),
        pytest.param(utc(2026, 10, 24, 23, 30), date(2026, 10, 25), id="sat-2330-utc-before-clocks-back"),
        pytest.param(datetime.fromisoformat("2026-01-10T01:00+02:00"), date(2026, 1, 9), id="non-utc-aware"),
    ],
)
def test_london_date(moment: datetime, expected: date) -> None:
    assert london_date(moment) == expected


def test_to_london() -> None:
    shown = to_london(utc(2026, 6, 12, 22, 30))
    assert (shown.tzinfo, shown.replace(tzinfo=None)) == (LONDON, datetime(2026, 6, 12, 23, 30))


# Deadlines end 23:59:59 London: the same in UTC under GMT, 22:59:59 UTC under BST.
DEADLINES = [
    pytest.param(utc(2026, 1, 12, 10), 2, ENG, utc(2026, 1, 14, 23, 59, 59), id="mon+2-gmt"),
    pytest.param(utc(2026, 6, 8, 9), 2, ENG, utc(2026, 6, 10, 22, 59, 59), id="mon+2-bst"),
    pytest.param(utc(2026, 1, 10, 12), 2, ENG, utc(2026, 1, 13, 23, 59, 59), id="sat+2-tue"),
    pytest.param(utc(2026, 1, 9, 23, 30), 1, ENG, utc(2026, 1, 12, 23, 59, 59), id="fri-2330-gmt+1"),
    pytest.param(utc(2026, 6, 12, 22, 30), 2, ENG, utc(2026, 6, 16, 22, 59, 59), id="fri-2330-bst+2-eng"),
    # Mon 15 Jun 2026 is Scotland's one-off bank holiday.
    pytest.param(utc(2026, 6, 12, 22, 30), 2, SCT, utc(2026, 6, 17, 22, 59, 59), id="fri-2330-bst+2-sct"),
    pytest.param(utc(2026, 6, 12, 23, 30), 2, ENG, utc(2026, 6, 16, 22, 59, 59), id="fri-2330utc-is-sat+2"),
    # Thu 23:30 UTC in summer is Friday in London, so working day 1 is Monday, not Friday.
    pytest.param(utc(2026, 6, 11, 23, 30), 1, ENG, utc(2026, 6, 15, 22, 59, 59), id="thu-2330utc-is-fri+1"),
    pytest.param(utc(2026, 4, 6, 10), 2, ENG, utc(2026, 4, 8, 22, 59, 59), id="easter-mon+2-eng"),
    pytest.param(utc(2026, 4, 6, 10), 2, SCT, utc(2026, 4, 8, 22, 59, 59), id="easter-mon+2-sct"),
    pytest.param(utc(2026, 4, 3, 10), 2, ENG, utc(2026, 4, 8, 22, 59, 59), id="good-fri+2-eng"),
    pytest.param(utc(2026, 4, 3, 10), 2, WLS, utc(2026, 4, 8, 22, 59, 59), id="good-fri+2-wls"),
    pytest.param(utc(2026, 4, 3, 10), 2, NIR, utc(2026, 4, 8, 22, 59, 59), id="good-fri+2-nir"),
    pytest.param(utc(2026, 4, 3, 10), 2, SCT, utc(2026, 4, 7, 22, 59, 59), id="good-fri+2-sct"),
    pytest.param(utc(2026, 7, 31, 10), 1, ENG, utc(2026, 8, 3, 22, 59, 59), id="fri-31-jul+1-eng"),
    pytest.param(utc(2026, 7, 31, 10), 1, SCT, utc(2026, 8, 4, 22, 59, 59), id="fri-31-jul+1-sct"),
    pytest.param(utc(2026, 8, 28, 10), 1, ENG, utc(2026, 9, 1, 22, 59, 59), id="fri-28-aug+1-eng"),
    pytest.param(utc(2026, 8, 28, 10), 1, SCT, utc(2026, 8, 31, 22, 59, 59), id="fri-28-aug+1-sct"),
    pytest.param(utc(2027, 3, 16, 10), 1, ENG, utc(2027, 3, 17, 23, 59, 59), id="st-patricks-eve+1-eng"),
    pytest.param(utc(2027, 3, 16, 10), 1, NIR, utc(2027, 3, 18, 23, 59, 59), id="st-patricks-eve+1-nir"),
    pytest.param(utc(2026, 7, 10, 10), 1, ENG, utc(2026, 7, 13, 22, 59, 59), id="before-boyne+1-eng"),
    pytest.param(utc(2026, 7, 10, 10), 1, NIR, utc(2026, 7, 14, 22, 59, 59), id="before-boyne+1-nir"),
    pytest.param(utc(2026, 12, 24, 15), 5, ENG, utc(2027, 1, 5, 23, 59, 59), id="xmas-eve-2026+5-eng"),
    pytest.param(utc(2026, 12, 24, 15), 5, WLS, utc(2027, 1, 5, 23, 59, 59), id="xmas-eve-2026+5-wls"),
    pytest.param(utc(2026, 12, 24, 15), 5, NIR, utc(2027, 1, 5, 23, 59, 59), id="xmas-eve-2026+5-nir"),
    pytest.param(utc(2026, 12, 24, 15), 5, SCT, utc(2027, 1, 6, 23, 59, 59), id="xmas-eve-2026+5-sct"),
    pytest.param(utc(2027, 12, 24, 15), 3, ENG, utc(2027, 12, 31, 23, 59, 59), id="xmas-eve-2027+3-eng"),
    pytest.param(utc(2027, 12, 24, 15), 4, ENG, utc(2028, 1, 4, 23, 59, 59), id="xmas-eve-2027+4-eng"),
    pytest.param(utc(2027, 12, 24, 15), 4, SCT, utc(2028, 1, 5, 23, 59, 59), id="xmas-eve-2027+4-sct"),
    # Event in GMT, deadline in BST and vice versa.
    pytest.param(utc(2026, 3, 27, 12), 2, ENG, utc(2026, 3, 31, 22, 59, 59), id="across-clocks-forward"),
    pytest.param(utc(2026, 10, 23, 12), 2, ENG, utc(2026, 10, 27, 23, 59, 59), id="across-clocks-back"),
    pytest.param(utc(2026, 10, 24, 23, 30), 1, ENG, utc(2026, 10, 26, 23, 59, 59), id="sun-0030-bst+1"),
    # Centre approval clock (20) and marking clock (25) across Christmas; St Andrew's Day shifts Scotland.
    pytest.param(utc(2026, 11, 27, 10), 20, ENG, utc(2026, 12, 29, 23, 59, 59), id="approval-20-eng"),
    pytest.param(utc(2026, 11, 27, 10), 20, SCT, utc(2026, 12, 30, 23, 59, 59), id="approval-20-sct"),
    pytest.param(utc(2026, 12, 7, 10), 25, ENG, utc(2027, 1, 14, 23, 59, 59), id="marking-25-2026-eng"),
    pytest.param(utc(2026, 12, 7, 10), 25, SCT, utc(2027, 1, 15, 23, 59, 59), id="marking-25-2026-sct"),
    pytest.param(utc(2027, 12, 1, 10), 25, ENG, utc(2028, 1, 10, 23, 59, 59), id="marking-25-2027-eng"),
    pytest.param(utc(2027, 12, 1, 10), 25, SCT, utc(2028, 1, 11, 23, 59, 59), id="marking-25-2027-sct"),
]


@pytest.mark.parametrize(("event", "n", "nation", "expected"), DEADLINES)
def test_deadline(event: datetime, n: int, nation: Nation, expected: datetime) -> None:
    due = deadline(event, n, nation)
    assert due == expected
    assert due.utcoffset() is not None and due.utcoffset().total_seconds() == 0
    assert to_london(due).time().isoformat() == "23:59:59"


def test_deadline_defaults_to_england() -> None:
    # Awarding-body clocks have no centre: Easter Monday is then a holiday.
    assert deadline(utc(2026, 4, 3, 10), 2) == utc(2026, 4, 8, 22, 59, 59)


@pytest.mark.parametrize(
    ("event", "hours", "expected"),
    [
        pytest.param(utc(2026, 1, 9, 10), 24, utc(2026, 1, 10, 10), id="plain-24h"),
        pytest.param(utc(2026, 3, 28, 12), 24, utc(2026, 3, 29, 12), id="utc-across-clocks-forward"),
        # 12:00 GMT + 24 elapsed hours is 13:00 BST, not 12:00 BST (which wall-clock arithmetic gives).
        pytest.param(datetime(2026, 3, 28, 12, tzinfo=LONDON), 24, utc(2026, 3, 29, 12), id="london-aware"),
    ],
)
def test_hours_deadline(event: datetime, hours: int, expected: datetime) -> None:
    due = hours_deadline(event, hours)
    assert due == expected
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end", "nation", "expected"),
    [
        pytest.param(utc(2026, 1, 12, 9), utc(2026, 1, 12, 9), ENG, 0, id="same-instant"),
        pytest.param(utc(2026, 1, 12, 9), utc(2026, 1, 12, 17), ENG, 0, id="same-day"),
        pytest.param(utc(2026, 1, 14, 9), utc(2026, 1, 12, 9), ENG, 0, id="end-before-start"),
        pytest.param(utc(2026, 1, 12, 9), utc(2026, 1, 14, 9), ENG, 2, id="mon-to-wed"),
        pytest.param(utc(2026, 1, 9, 10), utc(2026, 1, 10, 10), ENG, 0, id="fri-to-sat"),
        pytest.param(utc(2026, 1, 9, 10), utc(2026, 1, 12, 10), ENG, 1, id="fri-to-mon-across-weekend"),
        pytest.param(utc(2026, 6, 8, 10), utc(2026, 6, 9, 23, 30), ENG, 2, id="end-2330utc-is-next-day"),
        pytest.param(utc(2026, 4, 2, 10), utc(2026, 4, 7, 10), ENG, 1, id="across-easter-eng"),
        pytest.param(utc(2026, 4, 2, 10), utc(2026, 4, 7, 10), SCT, 2, id="across-easter-sct"),
        pytest.param(utc(2026, 12, 24, 10), utc(2027, 1, 5, 10), ENG, 5, id="across-christmas-eng"),
        pytest.param(utc(2026, 12, 24, 10), utc(2027, 1, 5, 10), SCT, 4, id="across-christmas-sct"),
    ],
)
def test_working_days_elapsed(start: datetime, end: datetime, nation: Nation, expected: int) -> None:
    assert working_days_elapsed(start, end, nation) == expected


NAIVE = datetime(2026, 1, 12, 9)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: london_date(NAIVE), id="london_date"),
        pytest.param(lambda: to_london(NAIVE), id="to_london"),
        pytest.param(lambda: deadline(NAIVE, 2), id="deadline"),
        pytest.param(lambda: hours_deadline(NAIVE, 24), id="hours_deadline"),
        pytest.param(lambda: working_days_elapsed(NAIVE, utc(2026, 1, 14)), id="elapsed-start"),
        pytest.param(lambda: working_days_elapsed(utc(2026, 1, 12), NAIVE), id="elapsed-end"),
    ],
)
def test_naive_datetime_raises(call) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()
