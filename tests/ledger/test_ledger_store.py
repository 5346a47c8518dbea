"""The ledger through the store, on DuckDB and PostgreSQL: the same figures, an append-only
journal, explain reaching the source rows, the cash projection, and the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from ledger_shops import Shop, shops
from ledger_snippets import frames
from test_ledger_domain import LAMP_SHOP
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.errors import UsageError
from quickturn.services import ledger as svc
from quickturn.store import Store, open_store

STATEMENT = """
settlement_lines statement_id=ST1 line_id=1 statement_date=2026-03-16 order_id=O1 fee_type=referral_fee amount=-3.50 currency=USD
"""


def test_margins_are_the_same_through_the_store(store: Store) -> None:
    store.write_many(frames(LAMP_SHOP))
    t = svc.margins(store, by="sku")
    row = t.row(0, named=True)
    assert row["sku_id"] == "LAMP" and row["margin"] == D("26.288")
    assert row["landed_cost"] == D("-12.992") and row["lines_estimated"] == 1
    by_creator = svc.margins(store, by="creator")
    assert by_creator["creator_id"].to_list() == ["C9"]


def test_journal_is_append_only_and_sums_to_the_current_ledger(store: Store) -> None:
    store.write_many(frames(LAMP_SHOP))
    first = svc.run(store)
    assert first.posted > 0 and first.reversed == 0
    before = store.table("ledger_postings").sort("posting_id")
    unchanged = svc.run(store)  # nothing changed: read from the journal, nothing posted
    assert unchanged.posted == 0 and unchanged.mode == "unchanged"

    # the statement arrives: the estimated referral fee is reversed, the actual one posted
    store.write_many(frames(STATEMENT))
    third = svc.run(store)
    assert third.reversed == 1 and third.posted == 1
    journal = store.table("ledger_postings")
    # earlier rows are untouched
    kept = journal.join(before.select("posting_id"), on="posting_id", how="semi").sort("posting_id")
    assert kept.drop("run_id", "posted_at").equals(before.drop("run_id", "posted_at"))
    rev = journal.filter(pl.col("reversal_of").is_not_null()).row(0, named=True)
    assert rev["account"] == "referral_fee" and rev["amount_usd"] == D("3.24")
    new = journal.filter(pl.col("source_table") == "settlement_lines").row(0, named=True)
    assert new["amount_usd"] == D("-3.50") and new["basis"] == "actual"
    assert sum(journal["amount_usd"].to_list(), D(0)) == D("26.028")
    runs = store.table("runs", where={"module": "ledger"})
    assert runs.height == 2  # the unchanged run wrote nothing
    assert store.count("ledger_cost_layers") == 1


def test_explain_reaches_the_source_rows(store: Store) -> None:
    store.write_many(frames(LAMP_SHOP + STATEMENT))
    e = svc.explain(store, order_id="O1")
    assert e.margin_usd == D("26.028")
    comps = {r["account"]: r["amount_usd"] for r in e.components.to_dicts()}
    assert comps["referral_fee"] == D("-3.50") and comps["cogs"] == D("-12.992")
    assert set(e.sources) >= {
        "order_lines: order_id=O1;sku_id=LAMP",
        "settlement_lines: statement_id=ST1;line_id=1",
        "shipment_lines: shipment_id=S1;sku_id=LAMP",
        "orders: order_id=O1",
        "locations: location_id=WH1",
    }
    assert e.sources["settlement_lines: statement_id=ST1;line_id=1"]["amount"][0] == D("-3.50")
    lay = e.layers.row(0, named=True)
    assert lay["unit_landed_usd"] == D("6.496") and lay["freight_usd"] == D("60")
    m = svc.explain(store, sku_id="LAMP", month="2026-03")
    assert m.margin_usd == D("26.028")


def test_cash_projection_through_the_store(store: Store) -> None:
    store.write_many(frames(LAMP_SHOP))
    rep = svc.cash(store, days=30, today=date(2026, 3, 10), persist=True, expected="run_rate")
    s = rep.summary
    assert s["days"] == 30 and s["expected_sales_source"] == "run rate of the last 28 days"
    proj = rep.daily.filter(pl.col("kind") == "projection")
    assert proj.height == 30
    # supplier: 30% deposit of ¥1,750 on 5 Jan at 0.14 = 73.50, balance on shipment 20 Jan
    sup = rep.events.filter(pl.col("category") == "supplier").sort("date")
    assert sup["amount_usd"].to_list() == [D("-73.5"), D("-171.5")]
    # O1 (no statement) settles 7 days after delivery on 9 March → 16 March
    o1 = rep.events.filter(pl.col("source_key") == "order_id=O1").row(0, named=True)
    assert o1["date"] == date(2026, 3, 16) and o1["basis"] == "estimated"
    assert store.count("ledger_cash") == rep.daily.height
    assert s["lowest_balance_date"] in proj["date"].to_list()


def _sense_forecast(store: Store, today: date, days: int, units: float) -> None:
    """A stored sense run forecasting ``units`` LAMPs a day for ``days`` days from ``today``."""
    store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": ["sense-1"],
                "module": ["sense"],
                "created_at": [datetime(2026, 3, 9, 12)],
                "as_of": [today - timedelta(days=1)],
            }
        ),
    )
    store.write(
        "forecasts",
        pl.DataFrame(
            {
                "run_id": "sense-1",
                "sku_id": "LAMP",
                "ds": pl.date_range(today, today + timedelta(days=days - 1), eager=True),
                "model": "lifecycle",
                "mean": units,
            }
        ),
    )


def test_cash_expected_sales_from_the_sense_forecast(store: Store) -> None:
    """A stored sense forecast of 1 LAMP a day drives the projection.

    Per unit, LAMP settles (54 + 5.99 − 7.99 − 3.24 − 6.48) / 2 = 21.14 (O1's net settlement
    over its 2 units), paid 8 (delivery) + 7 (settlement) days after the sale, and costs its
    3PL pick & pack 3.00 / 2 = 1.50 on the day.  Over 30 days from 10 March, sales of days
    0..14 settle inside the horizon: 15 inflows of 21.14 from 25 March, 30 costs of 1.50.
    """
    store.write_many(frames(LAMP_SHOP))
    today = date(2026, 3, 10)
    _sense_forecast(store, today, 30, 1.0)
    rep = svc.cash(store, days=30, today=today)
    assert rep.summary["expected_sales_source"] == "sense forecast (run sense-1)"
    ins = rep.events.filter(pl.col("category") == "expected_sales").sort("date")
    assert ins["amount_usd"].to_list() == [D("21.14")] * 15
    assert ins["date"][0] == date(2026, 3, 25)
    assert ins["note"][0] == "settlements of expected sales (sense forecast (run sense-1))"
    cost = rep.events.filter((pl.col("category") == "fulfilment") & (pl.col("date") >= today))
    assert cost["amount_usd"].to_list() == [D("-1.5")] * 30
    # the run rate (2 units in the last 28 days) gives a different, smaller projection
    rr = svc.cash(store, days=30, today=today, expected="run_rate")
    assert rr.summary["projected_inflow_usd"] < rep.summary["projected_inflow_usd"]


def test_cash_expected_sales_from_sense_scenarios_when_no_forecast_covers_the_horizon(
    store: Store,
) -> None:
    """A stored forecast shorter than the projection (the demo stores 28 days) is not used:
    the sense module's demand scenarios are, their mean units × 21.14 a unit."""
    from quickturn.services.sense import demand_scenarios

    store.write_many(frames(LAMP_SHOP))
    today = date(2026, 3, 10)
    _sense_forecast(store, today, 28, 1.0)
    exp, note = svc.expected_sales(store, today=today, days=40)
    assert note == f"sense demand scenarios (mean of {svc.SENSE_PATHS} paths)"
    assert exp is not None and exp.height == 40
    paths = demand_scenarios(store, today=today, h=40, n_paths=svc.SENSE_PATHS, seed=0)
    mean = paths.paths[paths.sku_ids.index("LAMP")].mean(axis=0)
    got = exp.filter(pl.col("sku_id") == "LAMP").sort("date")
    assert got["date"][0] == today and got["units"].to_numpy() == pytest.approx(mean)
    rep = svc.cash(store, days=40, today=today)
    assert rep.summary["expected_sales_source"] == note
    ins = rep.events.filter(pl.col("category") == "expected_sales")
    settled = float(mean[: 40 - 15].sum()) * 21.14
    assert float(sum(ins["amount_usd"].to_list(), D(0))) == pytest.approx(settled, abs=1e-3)


def test_cash_falls_back_to_the_run_rate_when_sense_fails(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quickturn.services.sense as sense

    def broken(*_a: object, **_k: object) -> None:
        raise ValueError("no model")

    monkeypatch.setattr(sense, "demand_scenarios", broken)
    store.write_many(frames(LAMP_SHOP))
    rep = svc.cash(store, days=30, today=date(2026, 3, 10))
    assert rep.summary["expected_sales_source"] == (
        "run rate of the last 28 days (sense unavailable (ValueError: no model))"
    )
    rr = svc.cash(store, days=30, today=date(2026, 3, 10), expected="run_rate")
    assert rr.summary["projected_inflow_usd"] == rep.summary["projected_inflow_usd"]
    with pytest.raises(UsageError, match="--expected"):
        svc.cash(store, days=30, expected="guess")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shop=shops(max_orders=4))
def test_random_shops_balance_through_the_store(store: Store, shop: Shop) -> None:
    """Write a random shop, run the ledger twice: the journal sums to the margins."""
    for t in ("ledger_postings", "ledger_cost_layers", "runs"):
        store.delete(t)
    store.write_many(shop.polars(), mode="replace")
    svc.run(store)
    r = svc.run(store)
    assert r.posted == 0 and r.reversed == 0
    journal = sum(store.table("ledger_postings")["amount_usd"].to_list(), D(0))
    total = sum(svc.margins(store, by="sku", result=r.result)["margin"].to_list(), D(0))
    assert journal == total


# -- CLI ------------------------------------------------------------------------------------


@pytest.fixture()
def lamp_db(tmp_path: Path) -> str:
    path = str(tmp_path / "lamp.duckdb")
    with open_store(path) as s:
        s.write_many(frames(LAMP_SHOP + STATEMENT + "skus sku_id=GHOST title=Unknown cost\n"))
    return path


def test_cli_ledger_json_csv_and_exit_codes(lamp_db: str) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["ledger", "--db", lamp_db, "--json", "--by", "sku"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["rows"][0]["sku_id"] == "LAMP" and payload["rows"][0]["margin"] == pytest.approx(
        26.028
    )
    assert any(f["code"] == "LEDGER_FEE_MISMATCH" for f in payload["findings"])
    csv = runner.invoke(
        app, ["ledger", "--db", lamp_db, "--csv", "--by", "month", "--currency", "CNY", "--no-save"]
    )
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith(
        "month,orders,units,revenue"
    )
    text = runner.invoke(app, ["ledger", "--db", lamp_db, "--by", "creator", "--lang", "zh"])
    assert text.exit_code == 0 and "C9" in text.stdout
    early = runner.invoke(app, ["ledger", "--db", lamp_db, "--json", "--as-of", "2026-03-01"])
    assert early.exit_code == 0 and json.loads(early.stdout)["rows"] == []  # O1 is 5 March
    bad = runner.invoke(app, ["ledger", "--db", lamp_db, "--by", "colour"])
    assert bad.exit_code == 2 and "colour" in (bad.stdout + bad.stderr)
    bad_date = runner.invoke(app, ["ledger", "--db", lamp_db, "--from", "tomorrow"])
    assert bad_date.exit_code == 2


def test_cli_unknown_cost_exits_1(tmp_path: Path) -> None:
    path = str(tmp_path / "g.duckdb")
    with open_store(path) as s:
        s.write_many(
            frames(
                "skus sku_id=G title=G\n"
                "orders order_id=X currency=USD status=DELIVERED created_at=2026-03-01T20:00\n"
                "order_lines order_id=X sku_id=G quantity=1 unit_price=9\n"
            )
        )
    res = CliRunner().invoke(app, ["ledger", "--db", path])
    assert res.exit_code == 1 and "LEDGER_COST_UNKNOWN" in res.stdout


def test_cli_explain_and_cash(lamp_db: str) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["ledger", "explain", "--db", lamp_db, "--order", "O1", "--json"])
    assert res.exit_code == 0, res.output
    e = json.loads(res.stdout)
    assert e["margin_usd"] == pytest.approx(26.028)
    assert "settlement_lines: statement_id=ST1;line_id=1" in e["sources"]
    txt = runner.invoke(
        app, ["ledger", "explain", "--db", lamp_db, "--sku", "LAMP", "--month", "2026-03"]
    )
    assert txt.exit_code == 0 and "cogs" in txt.stdout
    rows = runner.invoke(app, ["ledger", "explain", "--db", lamp_db, "--order", "O1", "--csv"])
    assert rows.exit_code == 0, rows.output
    postings = pl.read_csv(rows.stdout.encode())
    assert {"account", "amount_usd", "basis", "source_table", "source_key"} <= set(postings.columns)
    assert round(postings["amount_usd"].sum(), 4) == pytest.approx(26.028)
    ref = postings.filter(pl.col("source_table") == "settlement_lines").row(0, named=True)
    assert ref["source_key"] == "statement_id=ST1;line_id=1" and ref["basis"] == "actual"
    missing = runner.invoke(app, ["ledger", "explain", "--db", lamp_db, "--order", "NOPE"])
    assert missing.exit_code == 2
    bad_month = runner.invoke(
        app, ["ledger", "explain", "--db", lamp_db, "--sku", "LAMP", "--month", "March"]
    )
    assert bad_month.exit_code == 2
    cash = runner.invoke(app, ["cash", "--db", lamp_db, "--days", "30", "--json"])
    assert cash.exit_code == 0, cash.output
    c = json.loads(cash.stdout)
    assert len([d for d in c["daily"] if d["kind"] == "projection"]) == 30
    assert {"peak_cash_need_usd", "lowest_balance_date"} <= set(c["summary"])
    txt = runner.invoke(app, ["cash", "--db", lamp_db, "--days", "14"])
    assert txt.exit_code == 0 and "Peak cash need" in txt.stdout
    rr = runner.invoke(
        app, ["cash", "--db", lamp_db, "--days", "14", "--expected", "run-rate", "--json"]
    )
    assert rr.exit_code == 0, rr.output
    assert json.loads(rr.stdout)["summary"]["expected_sales_source"].startswith("run rate")
    bad = runner.invoke(app, ["cash", "--db", lamp_db, "--expected", "guess"])
    assert bad.exit_code == 2 and "guess" in (bad.stdout + bad.stderr)


LOSING_VIDEO = """
skus            sku_id=PEN title=Pen unit_cost=20.00 cost_currency=USD weight_g=50
creators        creator_id=C7 handle=@pens commission_rate=0.10
content         content_id=V1 kind=video creator_id=C7 posted_at=2026-03-01T10:00 market=US
orders          order_id=O2 currency=USD status=DELIVERED created_at=2026-03-06T19:00 delivered_at=2026-03-10T19:00 warehouse_id=WH1
order_lines     order_id=O2 sku_id=PEN quantity=1 unit_price=5.00 content_id=V1 creator_id=C7 traffic_source=video
"""


def test_cli_losers_names_the_money_losing_sku_video_and_creator(tmp_path: Path) -> None:
    """A pen sold at $5 that costs $20 loses money: its SKU, video and creator are listed;
    the profitable lamp and its creator are not."""
    path = str(tmp_path / "losers.duckdb")
    with open_store(path) as s:
        s.write_many(frames(LAMP_SHOP + LOSING_VIDEO))
    runner = CliRunner()
    res = runner.invoke(app, ["ledger", "losers", "--db", path, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["sku_id"] for r in out["sku"]] == ["PEN"]
    assert [r["content_id"] for r in out["content"]] == ["V1"]
    assert [r["creator_id"] for r in out["creator"]] == ["C7"]
    # 5.00 − referral 0.30 − commission 0.50 − 3PL 1.50 − cost 20.00 = −17.30
    assert out["sku"][0]["margin"] == pytest.approx(-17.30)
    assert out["creator"][0]["margin"] == out["sku"][0]["margin"]
    txt = runner.invoke(app, ["ledger", "losers", "--db", path, "--lang", "zh"])
    assert txt.exit_code == 0 and "PEN" in txt.stdout and "亏钱的视频" in txt.stdout
    assert "LAMP" not in txt.stdout
    bad = runner.invoke(app, ["ledger", "losers", "--db", path, "--top", "0"])
    assert bad.exit_code == 2
