"""Business-day calendar: federal holidays by rule, the 23:59 Pacific cut-off, DST, deadlines.

Every expected deadline below is worked out by hand in the comment next to it.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from health_support import end_of_day_pt, orders, pt
from hypothesis import given, settings
from hypothesis import strategies as st

from quickturn.core.health.calendar import (
    federal_holidays,
    federal_holidays_named,
    holiday_list,
    is_business_day,
)
from quickturn.core.health.metrics import order_facts
from quickturn.core.health.params import health_params

TODAY = date(2026, 1, 15)


def facts(rows: list[dict], **cfg: object) -> dict[str, dict]:
    f = order_facts(orders(rows), None, None, health_params(cfg), TODAY)
    return {r["order_id"]: r for r in f.to_dicts()}


def test_2025_federal_holidays_observed() -> None:
    assert federal_holidays([2025]) == [
        date(2025, 1, 1),  # New Year's Day (Wed)
        date(2025, 1, 20),  # MLK: third Monday of January
        date(2025, 2, 17),  # Washington's Birthday: third Monday of February
        date(2025, 5, 26),  # Memorial Day: last Monday of May
        date(2025, 6, 19),  # Juneteenth (Thu)
        date(2025, 7, 4),  # Independence Day (Fri)
        date(2025, 9, 1),  # Labor Day: first Monday of September
        date(2025, 10, 13),  # Columbus Day: second Monday of October
        date(2025, 11, 11),  # Veterans Day (Tue)
        date(2025, 11, 27),  # Thanksgiving: fourth Thursday of November
        date(2025, 12, 25),  # Christmas (Thu)
    ]


def test_weekend_holidays_move_to_the_nearest_weekday() -> None:
    h2021 = federal_holidays([2021])
    assert date(2021, 6, 18) in h2021  # Juneteenth Sat 19 → Fri 18 (its first year)
    assert date(2021, 7, 5) in h2021  # July 4 on Sunday → Monday 5
    assert date(2021, 12, 24) in h2021  # Christmas Sat 25 → Fri 24
    assert date(2021, 12, 31) in h2021  # New Year's Day 2022 is a Saturday → 31 Dec 2021
    assert date(2022, 1, 1) not in federal_holidays([2022])
    assert date(2020, 6, 19) not in federal_holidays([2020])  # no Juneteenth before 2021
    assert date(2023, 1, 2) in federal_holidays([2023])  # Jan 1 2023 is a Sunday
    assert date(2023, 11, 10) in federal_holidays([2023])  # Veterans Day Sat → Fri
    assert date(1975, 10, 27) in federal_holidays([1975])  # Veterans Day 4th Mon Oct 1971–77
    assert date(1985, 1, 21) not in federal_holidays([1985])  # MLK day from 1986 only
    names = {n for _, _, n in federal_holidays_named(2026)}
    assert len(names) == 11


def test_matches_pandas_federal_calendar_for_seventy_years() -> None:
    from pandas.tseries.holiday import USFederalHolidayCalendar

    cal = USFederalHolidayCalendar()
    for year in range(1990, 2061):
        theirs = {d.date() for d in cal.holidays(f"{year}-01-01", f"{year}-12-31")}
        assert set(federal_holidays([year])) == theirs, year


@given(st.integers(min_value=1971, max_value=2200))
@settings(max_examples=60, deadline=None)
def test_observed_holidays_are_weekdays_and_thanksgiving_is_a_thursday(year: int) -> None:
    hs = federal_holidays_named(year)
    for actual, observed, name in hs:
        assert observed.weekday() < 5
        assert abs((observed - actual).days) <= 1
        if name == "Thanksgiving Day":
            assert actual.weekday() == 3 and 22 <= actual.day <= 28
    assert not is_business_day(date(year, 12, 25), holiday_list(year, year))


def test_order_friday_2330_pacific_before_thanksgiving() -> None:
    # Fri 2025-11-21 23:30 PST is Sat 07:30 UTC: in UTC it is already the weekend, but for
    # the platform it is a Friday order placed before the 23:59 cut-off.
    f = facts([{"order_id": "A", "created_at": pt(2025, 11, 21, 23, 30)}])["A"]
    assert f["created_at"] == datetime(2025, 11, 22, 7, 30)
    assert f["sla_day"] == date(2025, 11, 21)
    # dispatch: 2 BD → Mon 24, Tue 25 → Tue 25 23:59 PST
    assert f["dispatch_deadline_at"] == end_of_day_pt(2025, 11, 25)
    assert f["dispatch_deadline_at"] == datetime(2025, 11, 26, 7, 59, 59, 999999)
    # deliver-by: 6 BD → Mon 24, Tue 25, Wed 26, (Thu 27 Thanksgiving), Fri 28, Mon 1, Tue 2
    assert f["delivery_deadline_at"] == end_of_day_pt(2025, 12, 2)
    # auto-cancel: 7 BD → … Tue 2, Wed 3
    assert f["rule_auto_cancel_at"] == end_of_day_pt(2025, 12, 3)


def test_order_after_midnight_pacific_counts_from_monday() -> None:
    # Sat 2025-11-22 00:30 PST: weekend → counts from Mon 24; dispatch Mon+2 BD = Wed 26
    f = facts([{"order_id": "B", "created_at": pt(2025, 11, 22, 0, 30)}])["B"]
    assert f["sla_day"] == date(2025, 11, 24)
    assert f["dispatch_deadline_at"] == end_of_day_pt(2025, 11, 26)
    # deliver-by: Tue 25, Wed 26, Fri 28, Mon 1, Tue 2, Wed 3
    assert f["delivery_deadline_at"] == end_of_day_pt(2025, 12, 3)


def test_wednesday_before_thanksgiving_skips_the_holiday() -> None:
    # Wed 26 10:00 → dispatch: (Thu 27 holiday) Fri 28, Mon Dec 1 → Mon 1 23:59
    f = facts([{"order_id": "C", "created_at": pt(2025, 11, 26, 10)}])["C"]
    assert f["dispatch_deadline_at"] == end_of_day_pt(2025, 12, 1)


def test_cut_off_minute_and_later_orders() -> None:
    rows = [
        # Mon 2025-12-08 23:59:30 is still inside the 23:59 cut-off minute → counts Monday
        {"order_id": "in", "created_at": pt(2025, 12, 8, 23, 59, 30)},
        # with a 14:00 cut-off, 14:30 counts from Tuesday; 13:59 from Monday
        {"order_id": "late", "created_at": pt(2025, 12, 8, 14, 30)},
        {"order_id": "early", "created_at": pt(2025, 12, 8, 13, 59)},
    ]
    f = facts(rows)
    assert f["in"]["sla_day"] == date(2025, 12, 8)
    assert f["in"]["dispatch_deadline_at"] == end_of_day_pt(2025, 12, 10)
    g = facts(rows, cutoff="14:00")
    assert g["late"]["sla_day"] == date(2025, 12, 9)
    assert g["early"]["sla_day"] == date(2025, 12, 8)
    # deadline is 14:00:59.999999 Pacific on Thu 11 (Tue + 2 BD)
    assert g["late"]["dispatch_deadline_at"] == pt(2025, 12, 11, 14, 0, 59, 999_999)


def test_deadlines_follow_daylight_saving_time() -> None:
    # Fri 2025-03-07 10:00 PST (UTC−8); DST starts Sun 9 March; dispatch Tue 11 23:59 PDT
    # (UTC−7) = Wed 12 06:59:59.999999 UTC, one hour earlier in UTC than in winter.
    f = facts([{"order_id": "D", "created_at": pt(2025, 3, 7, 10)}])["D"]
    assert f["created_at"] == datetime(2025, 3, 7, 18, 0)
    assert f["dispatch_deadline_at"] == datetime(2025, 3, 12, 6, 59, 59, 999999)
    # Fri 2025-10-31 10:00 PDT; DST ends Sun 2 Nov; dispatch Tue 4 23:59 PST = Wed 07:59 UTC
    g = facts([{"order_id": "E", "created_at": pt(2025, 10, 31, 10)}])["E"]
    assert g["dispatch_deadline_at"] == datetime(2025, 11, 5, 7, 59, 59, 999999)


def test_sla_clock_starts_at_payment_by_default() -> None:
    # created Fri 2025-12-05 23:00, paid Sat 01:00 → counts from Mon 8 → dispatch Wed 10
    row = {"order_id": "P", "created_at": pt(2025, 12, 5, 23), "paid_at": pt(2025, 12, 6, 1)}
    assert facts([row])["P"]["dispatch_deadline_at"] == end_of_day_pt(2025, 12, 10)
    # with sla_clock: created → counts from Fri 5 → dispatch Tue 9
    assert facts([row], sla_clock="created")["P"]["dispatch_deadline_at"] == end_of_day_pt(
        2025, 12, 9
    )


def test_own_deadlines_win_over_the_rule_and_order_types() -> None:
    rows = [
        {
            "order_id": "own",
            "created_at": pt(2025, 12, 8, 10),
            "shipping_due_at": datetime(2025, 12, 9, 20, 0),
            "rts_sla_at": datetime(2025, 12, 9, 18, 0),
            "delivery_sla_at": datetime(2025, 12, 20, 8, 0),
        },
        {
            "order_id": "rts",
            "created_at": pt(2025, 12, 8, 10),
            "rts_sla_at": datetime(2025, 12, 9, 18, 0),
        },
        # made-to-order: 7 BD handling, deliver-by = handling + 5 BD = 12 BD.  Business days
        # after Mon 8: 9, 10, 11, 12, 15, 16, 17 (7th: dispatch), 18, 19, 22, 23, 24 (12th)
        {"order_id": "mto", "created_at": pt(2025, 12, 8, 10), "order_type": "made_to_order"},
        # pre-orders have no rule without the platform's times
        {"order_id": "pre", "created_at": pt(2025, 12, 8, 10), "order_type": "pre_order"},
    ]
    f = facts(rows)
    # the schema's dispatch deadline (rts_sla_at) comes first
    assert f["own"]["dispatch_deadline_at"] == datetime(2025, 12, 9, 18, 0)
    assert f["own"]["dispatch_deadline_source"] == "order"
    assert f["own"]["delivery_deadline_at"] == datetime(2025, 12, 20, 8, 0)
    assert f["rts"]["dispatch_deadline_at"] == datetime(2025, 12, 9, 18, 0)
    assert f["mto"]["dispatch_deadline_at"] == end_of_day_pt(2025, 12, 17)
    assert f["mto"]["delivery_deadline_at"] == end_of_day_pt(2025, 12, 24)
    assert f["mto"]["dispatch_deadline_source"] == "rule"
    assert f["pre"]["dispatch_deadline_at"] is None
    assert f["pre"]["delivery_deadline_at"] is None
    # the priority of the own columns is configuration
    g = facts(rows, dispatch_deadline_columns=["shipping_due_at", "rts_sla_at"])
    assert g["own"]["dispatch_deadline_at"] == datetime(2025, 12, 9, 20, 0)


def test_extra_holidays_from_configuration() -> None:
    # a company holiday on Tue 9 Dec pushes Mon 8's dispatch deadline from Wed 10 to Thu 11
    row = {"order_id": "X", "created_at": pt(2025, 12, 8, 10)}
    assert facts([row], extra_holidays=["2025-12-09"])["X"]["dispatch_deadline_at"] == (
        end_of_day_pt(2025, 12, 11)
    )


def test_business_day_count_matches_polars_over_a_year() -> None:
    hol = holiday_list(2025, 2025)
    days = pl.date_range(date(2025, 1, 1), date(2025, 12, 31), "1d", eager=True)
    mine = sum(is_business_day(d, hol) for d in days.to_list())
    assert mine == 250  # 261 weekdays in 2025 − 11 holidays, none on a weekend
