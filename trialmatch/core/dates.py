"""Partial dates of patient facts ("2019", "2019-03", "2019-03-14") as day ranges.

A profile often knows only the year or month a drug was started. Rather than
guess a day, a partial date is the range of days it may mean, and a time
rule is decided only when every day of that range gives the same answer.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def is_partial_date(text: str) -> bool:
    try:
        date_range(text)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)  # profile dates are re-read by every time rule of every pair
def date_range(text: str) -> tuple[date, date]:
    """Earliest and latest day *text* may mean; ValueError when it is no date."""
    match = _PARTIAL.match(text.strip())
    if match is None:
        raise ValueError("expected a date YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    if match.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError("expected a month 01 to 12")
    if match.group(3) is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    day = date(year, month, int(match.group(3)))
    return day, day


def days_since(text: str, today: date) -> tuple[int, int]:
    """Fewest and most days between the date *text* and *today*."""
    earliest, latest = date_range(text)
    return (today - latest).days, (today - earliest).days
