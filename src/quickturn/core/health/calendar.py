"""Business-day calendar: US federal holidays by rule, the Pacific cut-off and SLA deadlines.

Data flow: years → :func:`federal_holidays` (observed dates, computed from 5 U.S.C. 6103 and
Executive Order 11582, any year) → a holiday list given to Polars' vectorised
``dt.add_business_days`` → deadline expressions that turn naive-UTC timestamps into the
shop's local business day (DST-aware via the IANA time zone) and back into naive-UTC
deadline instants at the cut-off (23:59 US Pacific by default).

Rules (docs/health.md, "Calendar"):

* A business day is Monday–Friday and not an observed federal holiday.
* A holiday on a Saturday is observed on the Friday before (New Year's Day on a Saturday is
  observed on 31 December of the year before), on a Sunday on the Monday after.
* An event at local time ≤ cut-off (23:59:59.999999 for "23:59") belongs to that local
  day; a later event, or an event on a non-business day, counts from the next business day.
* "N business days after" an event is the N-th business day after that (rolled) day, and the
  deadline is the cut-off instant of that day in local time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time, timedelta

import polars as pl

_MON, _THU, _SAT, _SUN = 0, 3, 5, 6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` (0 = Monday) of a month; n = −1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    if d.weekday() == _SAT:
        return d - timedelta(days=1)
    if d.weekday() == _SUN:
        return d + timedelta(days=1)
    return d


def federal_holidays_named(year: int) -> list[tuple[date, date, str]]:
    """``(date, observed date, name)`` of the US federal holidays falling in ``year``.

    Monday holidays follow the Uniform Monday Holiday Act (from 1971); Martin Luther King Jr.
    Day exists from 1986 and Juneteenth from 2021; Veterans Day was the fourth Monday of
    October from 1971 to 1977.

    >>> [(d.isoformat(), o.isoformat()) for d, o, n in federal_holidays_named(2021) if n == "Juneteenth"]
    [('2021-06-19', '2021-06-18')]
    """
    y = year
    out: list[tuple[date, str]] = [(date(y, 1, 1), "New Year's Day")]
    if y >= 1986:
        out.append((_nth_weekday(y, 1, _MON, 3), "Martin Luther King Jr. Day"))
    if y >= 1971:
        out.append((_nth_weekday(y, 2, _MON, 3), "Washington's Birthday"))
        out.append((_nth_weekday(y, 5, _MON, -1), "Memorial Day"))
    else:
        out.append((date(y, 2, 22), "Washington's Birthday"))
        out.append((date(y, 5, 30), "Memorial Day"))
    if y >= 2021:
        out.append((date(y, 6, 19), "Juneteenth National Independence Day"))
    out.append((date(y, 7, 4), "Independence Day"))
    out.append((_nth_weekday(y, 9, _MON, 1), "Labor Day"))
    if y >= 1971:
        out.append((_nth_weekday(y, 10, _MON, 2), "Columbus Day"))
    else:
        out.append((date(y, 10, 12), "Columbus Day"))
    if 1971 <= y <= 1977:
        out.append((_nth_weekday(y, 10, _MON, 4), "Veterans Day"))
    else:
        out.append((date(y, 11, 11), "Veterans Day"))
    out.append((_nth_weekday(y, 11, _THU, 4), "Thanksgiving Day"))
    out.append((date(y, 12, 25), "Christmas Day"))
    return [(d, _observed(d), name) for d, name in out]


def federal_holidays(years: Iterable[int]) -> list[date]:
    """Observed federal holiday dates that fall inside ``years`` (sorted, unique).

    Includes 31 December when the next New Year's Day falls on a Saturday.

    >>> [d.isoformat() for d in federal_holidays([2021]) if d.month == 12]
    ['2021-12-24', '2021-12-31']
    """
    ys = set(years)
    found: set[date] = set()
    for y in ys | {y + 1 for y in ys} | {y - 1 for y in ys}:
        for _, observed, _ in federal_holidays_named(y):
            if observed.year in ys:
                found.add(observed)
    return sorted(found)


def holiday_list(start_year: int, end_year: int, extra: Iterable[date] = ()) -> list[date]:
    """Federal holidays of ``start_year..end_year`` (inclusive) plus ``extra`` dates."""
    return sorted(set(federal_holidays(range(start_year, end_year + 1))) | set(extra))


def is_business_day(d: date, holidays: Iterable[date]) -> bool:
    return d.weekday() < _SAT and d not in set(holidays)


def local(expr: pl.Expr, tz: str) -> pl.Expr:
    """Naive-UTC timestamps → the same instants as local wall-clock time in ``tz``."""
    return expr.dt.replace_time_zone("UTC").dt.convert_time_zone(tz)


def local_date(expr: pl.Expr, tz: str) -> pl.Expr:
    """Local calendar date of naive-UTC timestamps."""
    return local(expr, tz).dt.date()


def _cutoff_us(cutoff: time) -> int:
    """Microseconds from midnight to the last instant of the cut-off minute."""
    return ((cutoff.hour * 60 + cutoff.minute) * 60 + 59) * 1_000_000 + 999_999


def business_start(expr: pl.Expr, tz: str, cutoff: time, holidays: list[date]) -> pl.Expr:
    """The business day an event counts from: its local day, or the next business day
    when it happened after the cut-off or on a weekend / holiday."""
    loc = local(expr, tz)
    tod_us = (
        loc.dt.hour().cast(pl.Int64) * 3_600_000_000
        + loc.dt.minute().cast(pl.Int64) * 60_000_000
        + loc.dt.second().cast(pl.Int64) * 1_000_000
        + loc.dt.microsecond().cast(pl.Int64)
    )
    day = loc.dt.date()
    day = pl.when(tod_us > _cutoff_us(cutoff)).then(day.dt.offset_by("1d")).otherwise(day)
    return day.dt.add_business_days(0, holidays=holidays, roll="forward")


def add_business_days(day: pl.Expr, n: pl.Expr | int, holidays: list[date]) -> pl.Expr:
    """``day`` (a business day) plus ``n`` business days (null ``n`` → null)."""
    return day.dt.add_business_days(n, holidays=holidays, roll="forward")


def deadline_at(day: pl.Expr, tz: str, cutoff: time) -> pl.Expr:
    """Naive-UTC instant of the cut-off on local ``day`` (DST-aware)."""
    ts = day.cast(pl.Datetime("us")) + pl.duration(microseconds=_cutoff_us(cutoff))
    return (
        ts.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )


def week_start(day: pl.Expr) -> pl.Expr:
    """Monday of the week containing ``day`` (the platform updates weekly on Mondays)."""
    return day.dt.truncate("1w")
