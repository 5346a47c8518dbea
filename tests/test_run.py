"""``quickturn run``: the morning loop end to end on the test demo, its stop rules and exit codes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.config import Settings
from quickturn.errors import UsageError
from quickturn.services import morning
from quickturn.services.morning import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    MorningOptions,
    MorningReport,
    StepResult,
    run_morning,
)
from quickturn.store import open_store

runner = CliRunner()


@pytest.fixture()
def demo_copy(demo_db_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_file, copy)
    return copy


def _steps(out: dict[str, object]) -> dict[str, dict[str, object]]:
    return {s["step"]: s for s in out["steps"]}  # type: ignore[attr-defined,index]


def test_run_json_end_to_end(demo_copy: Path, demo_today: date) -> None:
    res = runner.invoke(app, ["run", "--db", str(demo_copy), "--json", "--scenarios", "40"])
    out = json.loads(res.stdout)
    steps = _steps(out)
    assert list(steps) == ["ledger", "sense", "plan", "health", "comply"]
    assert out["as_of"] == demo_today.isoformat()  # the demo marker's day, for every step
    assert all(s["status"] in ("ok", "findings") for s in steps.values()), steps
    # the exit code is the worst step's, and each step's code is its own command's rule
    assert res.exit_code == out["exit_code"] == max(s["exit_code"] for s in steps.values())
    assert steps["comply"]["exit_code"] == int(bool(steps["comply"]["summary"]["blocking"]))
    assert steps["health"]["exit_code"] == int(bool(steps["health"]["summary"]["breached"]))
    assert steps["plan"]["summary"]["skus_planned"] > 0
    # every step persisted its run on the same as-of day, as its own command does
    with open_store(demo_copy) as store:
        runs = store.table("runs")
        for name in ("sense", "plan", "health", "comply"):
            mine = runs.filter(pl.col("run_id") == steps[name]["summary"]["run_id"])
            assert mine.height == 1, name
            assert mine["as_of"][0] == demo_today, name
        assert store.count("ledger_postings") > 0


def test_second_run_posts_nothing_new(demo_copy: Path) -> None:
    args = ["run", "--db", str(demo_copy), "--json", "--skip", "plan", "--skip", "comply"]
    first = json.loads(runner.invoke(app, args).stdout)
    second = json.loads(runner.invoke(app, args).stdout)
    assert _steps(first)["ledger"]["summary"]["posted"] > 0
    assert _steps(second)["ledger"]["summary"]["posted"] == 0
    assert _steps(second)["ledger"]["summary"]["reversed"] == 0
    assert _steps(second)["plan"]["status"] == "skipped"


def test_bad_import_stops_the_loop_and_writes_nothing(
    demo_copy: Path, demo_frames: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    skus = demo_frames["skus"].head(5).select("sku_id", "title")
    bad = tmp_path / "skus.csv"
    skus.write_csv(bad)
    text = bad.read_text().splitlines()
    text.append(",a row with no sku id")
    bad.write_text("\n".join(text) + "\n")
    with open_store(demo_copy) as store:
        before = {t: store.count(t) for t in ("skus", "runs")}
    res = runner.invoke(app, ["run", "--db", str(demo_copy), "--json", "--import", f"skus={bad}"])
    out = json.loads(res.stdout)
    steps = _steps(out)
    assert res.exit_code == EXIT_FINDINGS
    assert steps["import"]["status"] == "findings"
    assert steps["import"]["summary"]["files"][0]["written"] is False
    assert {steps[s]["status"] for s in ("ledger", "sense", "plan", "health", "comply")} == {
        "skipped"
    }
    with open_store(demo_copy) as store:
        assert {t: store.count(t) for t in ("skus", "runs")} == before


def test_good_import_runs_first(
    demo_copy: Path, demo_frames: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    good = tmp_path / "skus.csv"
    demo_frames["skus"].head(3).select("sku_id", "title").with_columns(
        pl.col("title") + " (renamed)"
    ).write_csv(good)
    res = runner.invoke(
        app,
        [
            "run",
            "--db",
            str(demo_copy),
            "--json",
            "--import",
            f"skus={good}",
            *("--skip", "plan", "--skip", "health", "--skip", "comply", "--skip", "sense"),
        ],
    )
    out = json.loads(res.stdout)
    assert _steps(out)["import"]["status"] == "ok", out
    assert _steps(out)["import"]["summary"]["files"][0]["written"] is True
    with open_store(demo_copy) as store:
        titles = store.table("skus", where={"sku_id": demo_frames["skus"]["sku_id"][0]})["title"]
        assert titles[0].endswith("(renamed)")


def test_a_failing_step_is_recorded_and_the_rest_run(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object) -> tuple[dict[str, object], int]:
        raise RuntimeError("sense exploded")

    monkeypatch.setitem(morning._STEP_FNS, "sense", broken)
    with open_store(demo_copy) as store:
        rep = run_morning(
            store, Settings(db=str(demo_copy)), MorningOptions(skip=("plan",), scenarios=40)
        )
    by = {s.name: s for s in rep.steps}
    assert by["sense"].status == "failed" and "sense exploded" in (by["sense"].error or "")
    assert by["health"].status in ("ok", "findings") and by["comply"].status in ("ok", "findings")
    assert rep.exit_code == EXIT_FAILED


def test_usage_errors_exit_2(demo_copy: Path) -> None:
    for args in (
        ["--skip", "coffee"],
        ["--import", "skus.csv"],
        ["--import", "skus=/no/such/file.csv"],
        ["--as-of", "yesterday"],
    ):
        res = runner.invoke(app, ["run", "--db", str(demo_copy), *args])
        assert res.exit_code == 2, (args, res.output)


def test_exit_code_is_the_worst_step() -> None:
    rep = MorningReport(date(2026, 1, 1), "x", [StepResult("ledger", "ok")], 0.0)
    assert rep.exit_code == 0 and rep.ok
    rep.steps.append(StepResult("comply", "findings", exit_code=EXIT_FINDINGS))
    assert rep.exit_code == EXIT_FINDINGS
    rep.steps.append(StepResult("plan", "failed", exit_code=EXIT_FAILED))
    assert rep.exit_code == EXIT_FAILED
    with pytest.raises(UsageError, match="coffee"):
        MorningOptions(skip=("coffee",))


def test_human_output_in_chinese(demo_copy: Path) -> None:
    res = runner.invoke(
        app,
        ["run", "--db", str(demo_copy), "--lang", "zh", "--skip", "plan", "--skip", "sense"],
    )
    assert res.exit_code in (0, 1), res.output
    assert "晨间运行" in res.stdout
