"""SPEC §6.2: one resubmission fee per started 10,000 words over the unit's limit."""
import pytest

from tenants.submissions.fees import describe_fees, excess_fees


@pytest.mark.parametrize(("words", "limit", "fees"), [
    (0, 5000, 0),
    (5000, 5000, 0),
    (5001, 5000, 1),
    (8000, 8000, 0),
    (8001, 8000, 1),
    (15000, 5000, 1),  # exactly 10,000 over: one fee
    (15001, 5000, 2),  # 10,001 over: two
    (18000, 8000, 1),
    (18001, 8000, 2),
    (25000, 5000, 2),
    (25001, 5000, 3),
    (99999, None, 0),  # portfolio units have no word limit
])
def test_excess_fees(words, limit, fees):
    assert excess_fees(words, limit) == fees


@pytest.mark.parametrize(("count", "pence", "text"), [
    (1, None, "1 resubmission fee"),
    (2, None, "2 resubmission fees"),
    (2, 9500, "2 resubmission fees (£190.00 before VAT)"),
    (1, 12050, "1 resubmission fee (£120.50 before VAT)"),
])
def test_fee_description_shows_the_amount_only_with_a_schedule(count, pence, text):
    assert describe_fees(count, pence) == text
