"""Hostile import files (issue 17, item 5.4): NUL bytes, far-future dates, XLSX formulas
without a saved result, inf/nan — each with row/column (or sheet cell) and nothing written."""

from __future__ import annotations

import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.store import open_store

runner = CliRunner()


def run(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = runner.invoke(app, [*args, "--json"])
    return r.exit_code, json.loads(r.stdout)


def skus_in(url: str) -> list[str]:
    store = open_store(url, read_only=not url.startswith("postgres"), migrate=False)
    try:
        return sorted(store.table("skus")["sku_id"].to_list()) if store.existing_tables() else []
    finally:
        store.close()


def test_nul_bytes_are_rejected_with_row_and_column(store_url: str, tmp_path: Path) -> None:
    p = tmp_path / "skus.csv"
    p.write_bytes(b"sku_id,title,unit_cost\nS-1,Mug,2.5\nS-2,Cu\x00p,3\nS\x00-3,Bowl,4\n")
    code, out = run("import", "skus", str(p), "--db", store_url)
    assert code == 1 and out["ok"] is False
    nul = [(f["row"], f["column"], f["value"]) for f in out["findings"] if f["code"] == "E_NUL"]
    assert nul == [(2, "title", "Cu\x00p"), (3, "sku_id", "S\x00-3")]
    assert all("NUL byte" in f["message"] for f in out["findings"] if f["code"] == "E_NUL")
    assert "COPY" not in json.dumps(out) and "invalid byte sequence" not in json.dumps(out)
    assert skus_in(store_url) == []


def test_far_future_dates_are_accepted_with_a_warning(store_url: str, tmp_path: Path) -> None:
    soon = date.today() + timedelta(days=30)
    p = tmp_path / "skus.csv"
    p.write_text(
        "sku_id,title,unit_cost,launch_date\n"
        f"S-1,Mug,2.5,{soon.isoformat()}\nS-2,Cup,3,2099-05-01\n",
        encoding="utf-8",
    )
    code, out = run("import", "skus", str(p), "--db", store_url)
    assert code == 0 and out["written"] is True
    warn = [f for f in out["findings"] if f["code"] == "W_FUTURE_DATE"]
    assert [(f["row"], f["column"], f["value"], f["severity"]) for f in warn] == [
        (2, "launch_date", "2099-05-01", "warn")
    ]
    assert "more than a year in the future" in warn[0]["message"]
    assert skus_in(store_url) == ["S-1", "S-2"]


def test_inf_and_nan_in_a_file_are_rejected(store_url: str, tmp_path: Path) -> None:
    p = tmp_path / "skus.csv"
    p.write_text(
        "sku_id,title,unit_cost,weight_g\nS-1,Mug,2.5,inf\nS-2,Cup,3,NaN\nS-3,Bowl,nan,1\n",
        encoding="utf-8",
    )
    code, out = run("import", "skus", str(p), "--db", store_url)
    assert code == 1
    bad = {(f["row"], f["column"]) for f in out["findings"] if f["severity"] == "error"}
    assert {(1, "weight_g"), (2, "weight_g"), (3, "unit_cost")} <= bad
    assert skus_in(store_url) == []


def _workbook(path: Path, cached: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "SKUs"
    ws.append(["sku_id", "title", "unit_cost"])
    ws.append(["S-1", "Mug", 2.5])
    ws.append(["S-2", "Cup", "=C2*2"])
    wb.save(path)
    if cached is not None:  # as Excel saves it: the formula and its result
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        sheet = "xl/worksheets/sheet1.xml"
        parts[sheet] = (
            parts[sheet]
            .replace(b"<f>C2*2</f><v></v>", b"<f>C2*2</f>")
            .replace(b"<f>C2*2</f>", f"<f>C2*2</f><v>{cached}</v>".encode())
        )
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)
    return path


def test_xlsx_formula_without_a_saved_result_is_an_error(store_url: str, tmp_path: Path) -> None:
    p = _workbook(tmp_path / "skus.xlsx")
    code, out = run("import", "skus", str(p), "--db", store_url)
    assert code == 2 and out["ok"] is False
    assert "sheet 'SKUs' cell C3 holds a formula without a saved result" in out["error"]
    assert skus_in(store_url) == []
    # saved by a spreadsheet program (the result is cached): imported with the result
    p2 = _workbook(tmp_path / "saved.xlsx", cached="5")
    code, out = run("import", "skus", str(p2), "--db", store_url)
    assert code == 0, out
    store = open_store(store_url, migrate=False)
    try:
        costs = dict(store.table("skus").select("sku_id", "unit_cost").iter_rows())
    finally:
        store.close()
    assert float(costs["S-2"]) == 5.0


def test_seller_center_rows_of_both_signs_are_summed_with_a_warning(
    store_url: str, tmp_path: Path
) -> None:
    import dataclasses

    import sc_export as sc

    lines = sc.us_orders()
    first = lines[0]
    # the same order and SKU again with −1: a correction line, or a return booked twice
    lines.insert(1, dataclasses.replace(first, qty=-1))
    header, data = sc.rows(lines)
    path = sc.write_csv(tmp_path / "export.csv", header, data)
    code, out = run("import", "orders", str(path), "--db", store_url)
    assert code == 0, out
    warn = [f for f in out["findings"] if f["code"] == "W_MIXED_SIGNS"]
    assert warn, out["findings"]
    w = warn[0]
    assert w["severity"] == "warn" and w["record"]["rows"] == [
        2,
        3,
    ]  # row 1 is the description row
    assert w["row"] == 2 and w["column"] == "Quantity"
    assert f"order_id={first.order_id}" in w["message"] and "summed to 1" in w["message"]
    store = open_store(store_url, migrate=False)
    try:
        qty = store.table("order_lines", where={"order_id": first.order_id, "sku_id": first.sku})[
            "quantity"
        ]
    finally:
        store.close()
    assert qty.to_list() == [first.qty - 1]
