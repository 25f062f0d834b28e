"""Gap-free numbering (complaint references, service request numbers, invoice numbers).

A database sequence can skip numbers when a transaction rolls back; a counter row taken under a row lock
inside the caller's transaction cannot: a rollback returns the number with everything else.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class Counter(db.Model):
    """The last number handed out for one series."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def next_number(series: str) -> int:
    """Take the next number of `series` in the current transaction (locks the row until commit)."""
    statement = select(Counter).where(Counter.name == series).with_for_update()
    counter = db.session.execute(statement).scalar_one_or_none()
    if counter is None:
        try:
            with db.session.begin_nested():
                db.session.add(Counter(name=series, value=0))
        except IntegrityError:  # another transaction created it first: take its row, locked
            pass
        counter = db.session.execute(statement).scalar_one()
    counter.value += 1
    db.session.flush()
    return counter.value
