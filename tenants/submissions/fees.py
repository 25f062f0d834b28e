"""The additional marking fee for a submission over its unit's word limit (SPEC §6.2).

One resubmission fee for each *started* 10,000 words over the limit: 1 to 10,000 words over is one fee,
10,001 to 20,000 two, and so on. At or under the limit there is no fee.
"""
from __future__ import annotations

from datetime import date

from portal.db import utcnow
from portal.fees import NoFeeSchedule, fee_schedule_on
from portal.workdays import london_date

WORDS_PER_FEE = 10_000


def excess_fees(words: int, limit: int | None) -> int:
    """How many resubmission fees a submission of `words` owes over `limit` (None: the unit has no limit)."""
    if limit is None or words <= limit:
        return 0
    return -(-(words - limit) // WORDS_PER_FEE)  # ceiling division on integers, no float rounding


def resubmission_fee_pence(today: date | None = None) -> int | None:
    """The resubmission fee in pence in force today (London), if the awarding body keeps a fee schedule.

    The count of fees is the rule; the amount is shown only where a schedule is in force (before the
    awarding body's first schedule, no amount is shown).
    """
    try:
        return fee_schedule_on(today or london_date(utcnow())).resubmission_fee_pence
    except NoFeeSchedule:
        return None


def describe_fees(count: int, fee_pence: int | None) -> str:
    """'2 resubmission fees (£190.00)' — the amount only when the fee schedule is known."""
    text = f"{count} resubmission fee{'s' if count != 1 else ''}"
    if fee_pence is not None and count:
        text += f" (£{count * fee_pence / 100:,.2f} before VAT)"
    return text
