"""Health through the store (DuckDB and PostgreSQL), the projection from persisted plan
results, and the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from health_support import orders, pt, returns, reviews
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.services import health as svc
from quickturn.store import Store, open_store

TODAY = date(2025, 12, 15)


def shop_frames() -> dict[str, pl.DataFrame]:
    """60 orders, one every 3 hours from Mon 17 Nov 00:00 Pacific to Mon 24 Nov 09:00.  Every
    10th ships 6 days later — always after its 2-business-day deadline (at most 4 days 23:59
    after the order) — the rest the next day; all are delivered 3 days after shipping (by
    3 Dec).  Orders 0, 10, 20 get 1★ reviews, the others 5★; order 5 has a seller-fault
    return."""
    rows = []
    start = pt(2025, 11, 17)
    for i in range(60):
        created = start + timedelta(hours=3 * i)
        shipped = created + timedelta(days=6 if i % 10 == 0 else 1)
        rows.append(
            {
                "order_id": f"O{i:02d}",
                "created_at": created,
                "shipped_at": shipped,
                "delivered_at": shipped + timedelta(days=3),
                "tracking_valid": True,
                "tracking_id": f"T{i}",
            }
        )
    o = orders(rows)
    rv = reviews(
        [(f"O{i:02d}", 1 if i in (0, 10, 20) else 5, pt(2025, 12, 5)) for i in range(60)]
    ).with_columns(sku_id=pl.lit("SKU1"))
    rt = returns([{"order_id": "O05", "fault": "seller", "requested_at": pt(2025, 12, 5)}])
    return {"orders": o, "reviews": rv, "returns": rt}


def write_shop(store: Store) -> None:
    store.write_many(shop_frames())


def write_plan(store: Store, run_id: str, created_at: datetime, pod_days: float = 12.0) -> None:
    store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": [run_id],
                "module": ["plan"],
                "created_at": [created_at],
                "as_of": [TODAY],
            }
        ),
    )
    store.write(
        "plan_sku_results",
        pl.DataFrame(
            {
                "run_id": [run_id] * 4,
                "sku_id": ["A", "A", "B", "B"],
                "policy": ["qr", "heavy", "pod", "heavy"],
                "chosen": [True, False, True, False],
                "expected_sales_qty": [90.0, 100.0, 100.0, 60.0],
                "lost_sales_qty": [10.0, 0.0, 0.0, 40.0],
                "oos_demand_share": [0.1, 0.0, 0.0, 0.4],
                "stockout_prob": [0.3, 0.0, 0.0, 0.6],
                "fulfilment_days_mean": [3.0, 3.0, pod_days, 3.0],
                "fulfilment_days_sd": [1.0, 1.0, 2.0, 1.0],
            }
        ),
    )


def test_run_health_persists_metrics_and_run(store: Store) -> None:
    write_shop(store)
    hr = svc.run_health(store, today=TODAY, weeks=4)
    rep = hr.report
    ldr = rep.rolling.filter(pl.col("metric") == "late_dispatch_rate").row(0, named=True)
    # 6 of 60 shipped late (O00, O10, …, O50): 10% > 4%
    assert (ldr["offending"], ldr["denominator"]) == (6, 60)
    assert ldr["status"] == "breach" and rep.breached
    nrr = rep.rolling.filter(pl.col("metric") == "negative_review_rate").row(0, named=True)
    assert (nrr["offending"], nrr["denominator"]) == (3, 60)  # 5% > 0.5%
    rr = rep.rolling.filter(pl.col("metric") == "non_buyer_fault_return_rate").row(0, named=True)
    assert (rr["offending"], rr["denominator"]) == (1, 60)  # 1.67% > 1.5%
    stored = store.table("health_metrics", where={"run_id": hr.run_id})
    assert stored.filter(pl.col("period") == "window").height == 6
    assert stored.filter(pl.col("period") == "week").height == 6 * 4
    w = stored.filter((pl.col("period") == "window") & (pl.col("metric") == "late_dispatch_rate"))
    assert w["value"][0] == pytest.approx(0.1) and w["status"][0] == "breach"
    run = store.table("runs", where={"run_id": hr.run_id})
    assert run["module"][0] == "health"
    assert json.loads(run["summary"][0])["breaches"] == [
        "late_dispatch_rate",
        "negative_review_rate",
        "non_buyer_fault_return_rate",
    ]


def test_old_data_is_dated_after_the_newest_order(store: Store) -> None:
    write_shop(store)
    p = svc.params_for(None)
    # newest order: Mon 24 Nov 09:00 Pacific → a run on 1 March 2026 is dated Tue 25 Nov
    day, note = svc.resolve_today(store, p, clock=date(2026, 3, 1))
    assert day == date(2025, 11, 25)
    assert note is not None and note.code == "HEALTH_AS_OF" and "2025-11-24" in note.message
    # within a week of the newest order the clock wins
    assert svc.resolve_today(store, p, clock=date(2025, 11, 30)) == (date(2025, 11, 30), None)
    # an explicit date always wins
    assert svc.resolve_today(store, p, today=TODAY, clock=date(2026, 3, 1)) == (TODAY, None)


def test_services_for_the_dashboard(store: Store) -> None:
    write_shop(store)
    trend = svc.metric_trends(store, today=TODAY, weeks=3)
    assert set(trend.columns) >= {"metric", "week_start", "value", "threshold", "status"}
    assert trend.height == 18
    bad = svc.offending_orders(store, "late_dispatch_rate", today=TODAY)
    assert bad["order_id"].to_list() == ["O00", "O10", "O20", "O30", "O40", "O50"]
    assert (bad["late_days"] >= 1).all()
    with pytest.raises(svc.UsageError):
        svc.offending_orders(store, "speed", today=TODAY)


def test_projection_needs_a_plan_run(store: Store) -> None:
    write_shop(store)
    with pytest.raises(svc.NoPlanRunError, match="quickturn plan"):
        svc.project(store, "latest", today=TODAY)


def test_projection_reads_the_latest_plan_run(store: Store) -> None:
    write_shop(store)
    write_plan(store, "plan-old", datetime(2025, 12, 14, 8), pod_days=3.0)
    write_plan(store, "plan-new", datetime(2025, 12, 15, 8), pod_days=12.0)
    pr = svc.project(store, "latest", today=TODAY)
    assert pr.plan_run_id == "plan-new"
    t = {r["metric"]: r for r in pr.projection.metrics.to_dicts()}
    otd = t["on_time_delivery_rate"]
    # the recommended plan ships B made-on-demand (12 ± 2 days) → later than heavy pre-stock
    assert otd["chosen"] < otd["heavy"]
    # heavy pre-stock strands B's forecast → 40 lost units → more seller-fault cancellations
    sfc = t["seller_fault_cancellation_rate"]
    assert sfc["heavy"] > sfc["chosen"]
    stored = store.table("health_projections", where={"run_id": pr.run_id})
    assert stored.height == 3 * 6
    assert set(stored["scenario"].to_list()) == {"current", "chosen", "heavy"}
    assert set(stored["plan_run_id"].to_list()) == {"plan-new"}
    # an explicit run id
    old = svc.project(store, "plan-old", today=TODAY, save=False)
    t_old = {r["metric"]: r for r in old.projection.metrics.to_dicts()}
    assert t_old["on_time_delivery_rate"]["chosen"] > otd["chosen"]
    with pytest.raises(svc.NoPlanRunError):
        svc.project(store, "no-such-run", today=TODAY)


def test_demo_step_without_and_with_a_plan(store: Store) -> None:
    from quickturn.config import Settings
    from quickturn.services.demo import DemoContext

    write_shop(store)
    ctx = DemoContext(store=store, settings=Settings(), today=TODAY, seed=1)
    section = svc.demo_step(ctx)
    json.dumps(section)
    assert section["projection"] is None and "quickturn plan" in section["projection_unavailable"]
    write_plan(store, "plan-1", datetime(2025, 12, 15, 8))
    section = svc.demo_step(ctx)
    json.dumps(section)
    assert {r["metric"] for r in section["projection"]["metrics"]} >= {"on_time_delivery_rate"}


# -- CLI ---------------------------------------------------------------------------------------


@pytest.fixture()
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "shop.duckdb")
    with open_store(path) as s:
        write_shop(s)
    return path


def test_cli_health_json_exits_1_on_breach(db: str) -> None:
    res = CliRunner().invoke(app, ["health", "--db", db, "--as-of", "2025-12-15", "--json"])
    assert res.exit_code == 1, res.output
    payload = json.loads(res.stdout)
    assert payload["ok"] is False
    m = {r["metric"]: r for r in payload["metrics"]}
    assert m["late_dispatch_rate"]["value"] == pytest.approx(0.1)
    assert len(payload["weekly"]) == 6 * 12
    codes = {f["code"] for f in payload["findings"]}
    assert "HEALTH_LDR_BREACH" in codes
    f = next(x for x in payload["findings"] if x["code"] == "HEALTH_LDR_BREACH")
    assert f["record"]["orders"] == ["O00", "O10", "O20", "O30", "O40", "O50"]


def test_cli_health_tables_in_chinese(db: str) -> None:
    res = CliRunner().invoke(
        app, ["health", "--db", db, "--as-of", "2025-12-15", "--weeks", "4", "--lang", "zh"]
    )
    assert res.exit_code == 1
    assert "迟发货率" in res.output and "超限" in res.output and "O00" in res.output


def test_cli_health_ok_exits_0(tmp_path: Path) -> None:
    path = str(tmp_path / "empty.duckdb")
    res = CliRunner().invoke(app, ["health", "--db", path, "--as-of", "2025-12-15", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True


def test_cli_project_without_plan_exits_2(db: str) -> None:
    res = CliRunner().invoke(app, ["health", "project", "--db", db, "--plan", "latest"])
    assert res.exit_code == 2
    assert "quickturn plan" in res.output
    res = CliRunner().invoke(app, ["health", "project", "--db", db, "--json"])
    assert res.exit_code == 2 and json.loads(res.stdout)["ok"] is False


def test_cli_project_with_plan(db: str) -> None:
    with open_store(db) as s:
        write_plan(s, "plan-1", datetime(2025, 12, 15, 8))
    res = CliRunner().invoke(app, ["health", "project", "--db", db, "--plan", "latest", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["plan_run_id"] == "plan-1"
    rows = {r["metric"]: r for r in payload["metrics"]}
    assert {"current", "chosen", "heavy"} <= set(rows["on_time_delivery_rate"])
    text = CliRunner().invoke(app, ["health", "project", "--db", db])
    assert text.exit_code == 0 and "heavy pre-stock" in text.output


def test_cli_orders_and_bad_flags(db: str) -> None:
    res = CliRunner().invoke(
        app,
        [
            "health",
            "orders",
            "--db",
            db,
            "--as-of",
            "2025-12-15",
            "--metric",
            "late_dispatch_rate",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["orders"]) == 6
    bad = CliRunner().invoke(app, ["health", "orders", "--db", db, "--metric", "speed"])
    assert bad.exit_code == 2
    bad = CliRunner().invoke(app, ["health", "--db", db, "--as-of", "15/12/2025"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_render_demo_tells_the_story(store: Store, lang: str) -> None:
    from rich.console import Console

    from quickturn.cli.common import Cli
    from quickturn.cli.health import render_demo
    from quickturn.config import Settings
    from quickturn.services.demo import DemoContext

    write_shop(store)
    write_plan(store, "plan-1", datetime(2025, 12, 15, 8))
    ctx = DemoContext(store=store, settings=Settings(lang=lang), today=TODAY, seed=1)
    section = json.loads(json.dumps(svc.demo_step(ctx)))  # as `quickturn demo --json` sees it
    console = Console(record=True, width=400)
    cli = Cli(Settings(lang=lang), False, console, Console(stderr=True))
    render_demo(cli, section)
    text = console.export_text()
    if lang == "en":
        assert "Late dispatch rate" in text and "heavy pre-stock" in text
        assert "With the recommended plan" in text
        # week of Mon 24 Nov: 5 of the 6 late shipments (O10 … O50) among 16 → 31.2%
        assert "Late dispatch rate 31.2% in the week of 2025-11-24 (limit ≤ 4.0%)" in text
        assert "Late dispatch rate: 6 orders count against it, e.g. O00, O10, O20" in text
    else:
        assert "迟发货率" in text and "重仓备货" in text and "采用推荐方案" in text
    assert "quickturn health project --plan latest" in text
