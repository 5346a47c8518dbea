"""Calendar helpers for the demo (pure): US federal holidays, business-day offsets and the
US Pacific UTC offset, all vectorised over NumPy ``datetime64[D]`` arrays.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

Days = npt.NDArray[np.datetime64]


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` (Mon=0) of a month; n = -1 for the last one."""
    if n > 0:
        d = date(year, month, 1)
        d += timedelta(days=(weekday - d.weekday()) % 7)
        return d + timedelta(weeks=n - 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


def us_federal_holidays(first_year: int, last_year: int) -> list[date]:
    """Observed US federal holidays (5 U.S.C. 6103) for the years given."""
    out: list[date] = []
    for y in range(first_year, last_year + 1):
        out += [
            _observed(date(y, 1, 1)),
            _nth_weekday(y, 1, 0, 3),  # Martin Luther King Jr. Day
            _nth_weekday(y, 2, 0, 3),  # Washington's Birthday
            _nth_weekday(y, 5, 0, -1),  # Memorial Day
            _observed(date(y, 6, 19)),  # Juneteenth
            _observed(date(y, 7, 4)),
            _nth_weekday(y, 9, 0, 1),  # Labor Day
            _nth_weekday(y, 10, 0, 2),  # Columbus Day
            _observed(date(y, 11, 11)),
            _nth_weekday(y, 11, 3, 4),  # Thanksgiving
            _observed(date(y, 12, 25)),
        ]
    return sorted(out)


def business_day_offset(days: Days, n: int, holidays: list[date]) -> Days:
    """``n`` US business days after each day (a weekend/holiday day rolls forward first)."""
    hol = np.array(holidays, dtype="datetime64[D]")
    return np.busday_offset(days.astype("datetime64[D]"), n, roll="forward", holidays=hol)


def pacific_offset_hours(days: Days) -> npt.NDArray[np.int64]:
    """Hours to add to US Pacific local time to get UTC (8 in winter, 7 under DST).

    DST runs from the second Sunday of March to the first Sunday of November (since 2007).
    """
    d = days.astype("datetime64[D]")
    if d.size == 0:
        return np.zeros(0, dtype=np.int64)
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    y0, y1 = int(years.min()), int(years.max())
    starts = np.array([_nth_weekday(y, 3, 6, 2) for y in range(y0, y1 + 1)], dtype="datetime64[D]")
    ends = np.array([_nth_weekday(y, 11, 6, 1) for y in range(y0, y1 + 1)], dtype="datetime64[D]")
    start, end = starts[years - y0], ends[years - y0]
    dst = (d >= start) & (d < end)
    return np.where(dst, 7, 8).astype(np.int64)


def date_range(start: date, n: int) -> Days:
    return np.arange(np.datetime64(start, "D"), np.datetime64(start, "D") + n)


def london_offset_hours(days: Days) -> npt.NDArray[np.int64]:
    """Hours to add to UK local time to get UTC (0 in winter, −1 under BST: last Sunday of
    March to last Sunday of October)."""
    d = days.astype("datetime64[D]")
    if d.size == 0:
        return np.zeros(0, dtype=np.int64)
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    y0, y1 = int(years.min()), int(years.max())
    starts = np.array([_nth_weekday(y, 3, 6, -1) for y in range(y0, y1 + 1)], dtype="datetime64[D]")
    ends = np.array([_nth_weekday(y, 10, 6, -1) for y in range(y0, y1 + 1)], dtype="datetime64[D]")
    bst = (d >= starts[years - y0]) & (d < ends[years - y0])
    return np.where(bst, -1, 0).astype(np.int64)
