"""The plan service on the demo shop: persistence (DuckDB and PostgreSQL), purchase orders,
compliance gating, budget, export, compare/explain and the operating-model comparison."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from quickturn.schema import get_table
from quickturn.services import channel as channel_svc
from quickturn.services import plan as svc
from quickturn.store import Store

FAST = {"scenarios": 60, "search_scenarios": 30, "horizon_days": 60, "seed": 3}


def _run(store: Store, today: date, **kw: Any) -> svc.PlanReport:
    options = {**FAST, **kw.pop("options", {})}
    return svc.run(store, today=today, options=options, **kw)


def test_plan_run_persists_every_column(demo_store_any: Store, demo_today: date) -> None:
    report = _run(demo_store_any, demo_today)
    assert report.run_id is not None
    # prices and costs come from the ledger, demand from sense, gating from comply
    assert report.sources == {
        "demand": "sense.demand_scenarios",
        "economics": "ledger.unit_economics",
        "compliance": "comply.blocked_skus",
        "lead_times": "routes, fitted to past shipments",
    }
    assert set(report.context.economics_source) == {"ledger"}
    runs = demo_store_any.table("runs", where={"run_id": report.run_id})
    assert runs["module"].to_list() == ["plan"]
    summary = json.loads(runs["summary"][0])
    assert summary["skus"] == report.outcome.n_skus > 0
    res = demo_store_any.table("plan_sku_results", where={"run_id": report.run_id})
    required = [c.name for c in get_table("plan_sku_results").columns]
    for col in required:
        nulls = res[col].null_count()
        assert nulls == 0, f"{col} has {nulls} empty values"
    chosen = res.filter(pl.col("chosen")).group_by("sku_id").len()
    assert chosen["len"].max() == 1 and chosen.height == report.outcome.n_skus
    assert res["fill_rate"].is_between(0, 1).all()
    assert res["oos_demand_share"].is_between(0, 1).all()
    assert (res["fulfilment_days_mean"] > 0).all()
    params = json.loads(res["params"][0])
    assert "routes" in params
    # POD-eligible SKUs fulfilled by POD take longer than US stock
    pod = res.filter(pl.col("policy") == "pod")
    if pod.height:
        us_days = report.context.us_days_mean
        assert (pod["fulfilment_days_mean"] >= us_days - 1e-9).all()


def test_purchase_orders_respect_moq_case_pack_and_compliance(
    shop: Store, demo_today: date
) -> None:
    report = _run(shop, demo_today)
    acts = shop.table("plan_actions", where={"run_id": report.run_id})
    skus = shop.table("skus").select("sku_id", "moq_qty", "case_pack_qty", "supplier_id")
    pos = acts.filter(pl.col("kind") == "purchase_order").join(skus, on="sku_id")
    assert pos.height > 0
    assert (pos["quantity"] >= pos["moq_qty"].fill_null(0)).all()
    case = pos["case_pack_qty"].fill_null(1)
    assert (pos["quantity"] % case == 0).all()
    assert (pos["supplier_id"] == pos["supplier_id_right"]).all()
    assert (pos["expected_arrival"] > pos["order_date"]).all()
    assert pos["reason"].str.len_chars().min() > 20
    blocked = set(report.blocked)
    assert blocked, "the demo has SKUs with blocking documents"
    assert not set(pos["sku_id"].to_list()) & blocked
    rows = {r["sku_id"]: r for r in report.chosen_rows()}
    for sku in blocked & set(rows):
        assert rows[sku]["gated_by_compliance"]


def test_compliance_gate_can_be_switched_off(demo_store: Store, demo_today: date) -> None:
    report = _run(demo_store, demo_today, options={"block_on_compliance": False})
    assert report.blocked == {}
    assert not any(r["gated_by_compliance"] for r in report.chosen_rows())


def test_budget_holds_skus_back_and_more_budget_is_never_worse(
    shop: Store, demo_today: date
) -> None:
    free = _run(shop, demo_today, options={"scenarios": 40}, persist=False)
    need = float(free.outcome.day0_cost.sum())
    assert need > 0
    previous = -np.inf
    for share in (0.0, 0.3, 1.0):
        rep = _run(shop, demo_today, options={"scenarios": 40}, budget=share * need, persist=False)
        assert float(rep.outcome.day0_cost.sum()) <= share * need + 1e-6
        value = float(rep.outcome.objective.sum())
        assert value >= previous - 1e-6
        previous = value
        if share == 0.0:
            held = rep.to_dict()["held_back"]
            assert held and not [a for a in rep.actions if a["kind"] == "purchase_order"]


def test_single_sku_and_forced_policy(demo_store: Store, demo_today: date) -> None:
    sku = demo_store.table("skus").filter(pl.col("status") == "active")["sku_id"][0]
    report = _run(demo_store, demo_today, sku=sku, policy="heavy", persist=False)
    assert report.outcome.sku_ids == (sku,)
    assert report.outcome.chosen_family(0) in ("heavy", "qr", "dual", "pod", "hybrid")
    d = report.to_dict("zh")
    assert d["policy"] == "heavy"
    json.dumps(d, default=str)


def test_export_writes_a_clean_supplier_csv(shop: Store, demo_today: date, tmp_path: Path) -> None:
    report = _run(shop, demo_today)
    out = tmp_path / "pos.csv"
    info = svc.export_purchase_orders(shop, out)
    assert info["run_id"] == report.run_id
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == list(svc.EXPORT_COLUMNS)
    assert len(rows) == info["lines"] == sum(a["kind"] == "purchase_order" for a in report.actions)
    for r in rows:
        assert int(r["quantity"]) > 0
        assert float(r["line_total"]) == pytest.approx(
            int(r["quantity"]) * float(r["unit_price"]), abs=0.01
        )
        assert r["po_number"].startswith("PO-") and r["supplier_id"] in r["po_number"]
        if r["case_pack"]:
            assert int(r["cartons"]) * int(r["case_pack"]) >= int(r["quantity"])
        date.fromisoformat(r["expected_arrival"])
    # lines of one supplier share one PO number
    by_sup: dict[str, set[str]] = {}
    for r in rows:
        by_sup.setdefault(r["supplier_id"], set()).add(r["po_number"])
    assert all(len(v) == 1 for v in by_sup.values())


def test_compare_and_explain_one_sku(demo_store: Store, demo_today: date) -> None:
    report = _run(demo_store, demo_today, persist=False)
    sku = max(report.chosen_rows(), key=lambda r: r["expected_sales_qty"] or 0)["sku_id"]
    cmp = svc.compare(demo_store, today=demo_today, sku=sku, options=FAST)
    fams = [r["policy"] for r in cmp["families"]]
    assert "heavy" in fams and sum(r["chosen"] for r in cmp["families"]) == 1
    assert set(fams) | set(cmp["not_applicable"]) == {"heavy", "qr", "dual", "pod", "hybrid"}
    ex = svc.explain(demo_store, today=demo_today, sku=sku, options=FAST)
    assert ex["inputs"]["price_usd"] > 0
    assert ex["routes"]["slow"] is not None
    assert ex["reason"]


def test_unknown_sku_is_a_usage_error(demo_store: Store, demo_today: date) -> None:
    from quickturn.errors import UsageError

    with pytest.raises(UsageError, match="unknown SKU"):
        _run(demo_store, demo_today, sku="NOPE-1")


def test_operating_models_side_by_side(demo_store: Store, demo_today: date) -> None:
    sku = demo_store.table("skus").filter(pl.col("status") == "active")["sku_id"][3]
    d = channel_svc.compare_models(demo_store, today=demo_today, sku=sku, options={}, scenarios=60)
    models = {m["model"]: m for m in d["models"]}
    assert set(models) == {"self_operated", "semi_managed", "fully_managed"}
    assert models["self_operated"]["price_set_by"] == "seller"
    assert models["fully_managed"]["ships_orders"] == "platform"
    assert (
        models["semi_managed"]["revenue_per_unit_usd"]
        < models["self_operated"]["revenue_per_unit_usd"]
    )
    assert d["recommended"] in models
    cheaper = channel_svc.compare_models(
        demo_store,
        today=demo_today,
        sku=sku,
        options={"full_supply_price_rate": 0.3},
        scenarios=60,
    )
    full = {m["model"]: m for m in cheaper["models"]}["fully_managed"]
    assert full["expected_profit_usd"] < models["fully_managed"]["expected_profit_usd"]


def test_demo_step_shows_orders_risk_and_the_hottest_sku(shop: Store, demo_today: date) -> None:
    from rich.console import Console

    from quickturn.cli.common import Cli
    from quickturn.cli.plan import render_demo
    from quickturn.config import Settings
    from quickturn.services.demo import DemoContext

    ctx = DemoContext(store=shop, settings=Settings(db=shop.url), today=demo_today, seed=3)
    section = json.loads(json.dumps(svc.demo_step(ctx), default=str))  # as `demo --json` sees it
    assert section["run_id"] and section["skus_planned"] > 0
    assert section["purchase_order_count"] > 0 and section["purchase_orders"]
    assert section["todays_spend_usd"] > 0
    assert {"expected_profit_usd", "cvar_usd", "dead_stock_qty"} <= set(section["portfolio"])
    hot = section["hottest"]
    assert hot is not None and hot["heavy"] and hot["qr"]
    # the hottest SKU is one where the two plans order something, so they can differ
    assert max(hot["heavy"]["order_qty"], hot["qr"]["order_qty"]) > 0
    # the run is persisted: health can project it
    runs = shop.table("runs", where={"run_id": section["run_id"]})
    assert runs["module"].to_list() == ["plan"]
    console = Console(record=True, width=140)
    render_demo(Cli(Settings(db=shop.url), False, console, console), section)
    text = console.export_text()
    assert "Today's purchase orders" in text and "Portfolio risk" in text
    assert f"Hottest SKU {hot['sku_id']}" in text and "quickturn plan" in text


def test_stock_waiting_in_the_chinese_warehouse_is_transferred_not_reordered(
    shop: Store, demo_today: date, tmp_path: Path
) -> None:
    """Give every sold-out SKU plenty of stock in the Shenzhen warehouse: the plan ships it
    (a transfer: no production, no supplier) instead of placing purchase orders for them."""
    inv = shop.table("inventory_snapshots")
    latest = inv.filter(pl.col("date") < demo_today)["date"].max()
    sold_out = inv.filter((pl.col("date") == latest) & (pl.col("on_hand_qty") == 0))
    skus = sorted(set(sold_out["sku_id"].to_list()))
    shop.write(
        "inventory_snapshots",
        pl.DataFrame(
            {
                "date": [latest] * len(skus),
                "sku_id": skus,
                "location_id": ["CN-SZ-WH"] * len(skus),
                "on_hand_qty": [100_000] * len(skus),
                "reserved_qty": [0] * len(skus),
            }
        ).cast({c: inv.schema[c] for c in ("date", "on_hand_qty", "reserved_qty")}),
        mode="upsert",
    )
    report = _run(shop, demo_today)
    acts = shop.table("plan_actions", where={"run_id": report.run_id})
    transfers = acts.filter(pl.col("kind") == "transfer")
    assert transfers.height > 0
    assert set(transfers["sku_id"].to_list()) <= set(skus)
    assert (transfers["origin_id"] == "CN-SZ-WH").all()
    assert transfers["supplier_id"].is_null().all()
    assert (transfers["quantity"] > 0).all()
    assert (transfers["expected_arrival"] > transfers["order_date"]).all()
    # none of them needs a new purchase order: the stock is already there
    pos = acts.filter(pl.col("kind") == "purchase_order")
    assert not set(pos["sku_id"].to_list()) & set(transfers["sku_id"].to_list())
    rows = {r["sku_id"]: r for r in report.chosen_rows()}
    for sku in transfers["sku_id"].to_list():
        assert rows[sku]["transfer_qty"] > 0
    # the supplier export lists purchase orders only
    info = svc.export_purchase_orders(shop, tmp_path / "pos.csv")
    assert info["lines"] == pos.height


def test_unit_economics_come_from_the_ledger_journal_once_the_ledger_has_run(
    demo_store: Store, demo_today: date
) -> None:
    """After `quickturn ledger` persisted its journal, the plan reads price, landed and
    variable cost per unit from it (no ledger rebuild) — the same figures as the rebuild."""
    from quickturn.services import ledger

    assert svc.ledger_journal_economics(demo_store, demo_today, 90) is None  # not run yet
    ledger.run(demo_store, as_of=demo_today - timedelta(days=1))
    journal = svc.ledger_journal_economics(demo_store, demo_today, 90)
    assert journal is not None and journal.height > 0
    rebuilt = ledger.unit_economics(demo_store, today=demo_today, days=90)
    both = rebuilt.filter(pl.col("basis") == "sales").join(journal, on="sku_id", suffix="_j")
    assert both.height == journal.height
    assert (both["units_sold"] == both["units_sold_j"]).all()
    for col, tol in (("price_usd", 1e-6), ("variable_cost_usd", 0.01), ("landed_cost_usd", 0.05)):
        gap = (both[col] - both[f"{col}_j"]).abs().max()
        assert gap is not None and float(gap) <= tol, (col, gap)  # type: ignore[arg-type]
    report = _run(demo_store, demo_today, persist=False)
    assert report.sources["economics"] == "ledger_postings (the ledger's last run)"
    row = report.context.row(journal["sku_id"][0])
    assert report.context.economics_source[row] == "ledger"
    assert report.context.price_usd[row] == pytest.approx(journal["price_usd"][0])


def test_a_negative_ledger_variable_cost_falls_back_to_the_rule(
    demo_store: Store, demo_today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window whose fee credits exceed its costs gives a negative variable cost per unit;
    the plan keeps its rule-based estimate instead (no sale earns fees back)."""
    from quickturn.core.plan.simulate import E_VAR
    from quickturn.services.plan import plan_settings

    settings = plan_settings({"scenarios": 10, "search_scenarios": 10})
    rule = plan_settings({"scenarios": 10, "search_scenarios": 10, "use_ledger": False})
    base = svc.prepare(demo_store, today=demo_today, settings=rule)
    sku = base.inputs.sku_ids[0]
    row = list(base.inputs.sku_ids).index(sku)
    price = float(base.context.price_usd[base.context.row(sku)])
    journal = pl.DataFrame(
        {
            "sku_id": [sku],
            "price_usd": [price],
            "landed_cost_usd": [1.0],
            "variable_cost_usd": [-0.39],
            "unit_margin_usd": [price - 0.61],
            "cost_known": [True],
            "units_sold": [3.0],
        }
    )
    # patched where prepare looks it up
    monkeypatch.setattr(svc.load, "ledger_journal_economics", lambda *a, **k: journal)
    got = svc.prepare(demo_store, today=demo_today, settings=settings)
    assert got.inputs.economics[row, E_VAR] == pytest.approx(base.inputs.economics[row, E_VAR])
    assert got.inputs.economics[row, E_VAR] > 0
