"""The morning loop in one call: (import | sync) → ledger → sense → plan → health → comply.

Data flow: :class:`MorningOptions` → one open store → each step's own service, in
:data:`STEPS` order, all on ONE as-of day → :class:`MorningReport` (one :class:`StepResult`
per step: status, seconds, a JSON-able summary, the exit code the step's own command would
give) → ``quickturn run`` renders it.

Rules (documented in ``docs/run.md``):

* The as-of day is ``--as-of`` when given, else the demo's as-of day in a demo database, else
  the calendar date (the plan's rule, :func:`quickturn.services.plan.default_as_of`), and every
  step uses it, so the plan reads the sense run and the health projection reads the plan of the
  same morning.
* Each step persists its run exactly as its own command does (``quickturn ledger``, ``sense``,
  ``plan``, ``health``, ``comply``), so the dashboard and ``… explain`` see the same runs.
* An import that fails validation writes nothing (the import is atomic) and STOPS the loop: the
  later steps would otherwise run on yesterday's data as if it were today's.  A failing sync
  stops it too.  A later step that raises is recorded (status ``failed``) and the loop goes on,
  like ``quickturn demo``: a broken health step must not hide the purchase orders.
* Exit code (:attr:`MorningReport.exit_code`): the worst of the steps — 0 when no step has a
  finding that its own command exits 1 for, 1 when one does (ledger errors, plan errors or
  blocks, a health breach, a blocking compliance finding, an import with errors), 3 when a step
  failed to run at all.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from quickturn.config import Settings
from quickturn.errors import UsageError, has_errors
from quickturn.store import Store

#: the loop's steps in run order (``import``/``sync`` run only when asked for)
STEPS: tuple[str, ...] = ("import", "sync", "ledger", "sense", "plan", "health", "comply")
#: the steps ``--skip`` may name
SKIPPABLE: tuple[str, ...] = ("ledger", "sense", "plan", "health", "comply")

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 3

#: progress callback: (step name, step number 1..total, total steps, message)
Progress = Callable[[str, int, int, str], None]


@dataclass(frozen=True)
class MorningOptions:
    """What ``quickturn run`` was asked to do."""

    as_of: date | None = None
    imports: tuple[tuple[str, Path], ...] = ()  # (table or format, file), in order
    sync: bool = False
    skip: tuple[str, ...] = ()
    scenarios: int | None = None  # plan scenarios (default: the plan's setting)
    seed: int | None = None
    horizon: int = 28  # sense forecast days
    weeks: int = 12  # health trend weeks

    def __post_init__(self) -> None:
        unknown = [s for s in self.skip if s not in SKIPPABLE]
        if unknown:
            raise UsageError(
                f"--skip {unknown[0]!r} is not a step; use one of: {', '.join(SKIPPABLE)}"
            )


@dataclass
class StepResult:
    """One step of the loop."""

    name: str
    status: str  # ok | findings | failed | skipped
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)
    exit_code: int = EXIT_OK
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.name,
            "status": self.status,
            "seconds": self.seconds,
            "exit_code": self.exit_code,
            "error": self.error,
            "summary": self.summary,
        }


@dataclass
class MorningReport:
    """The whole morning."""

    as_of: date
    db: str
    steps: list[StepResult]
    seconds: float

    @property
    def exit_code(self) -> int:
        return max((s.exit_code for s in self.steps), default=EXIT_OK)

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "as_of": self.as_of.isoformat(),
            "db": self.db,
            "seconds": self.seconds,
            "steps": [s.to_dict() for s in self.steps],
        }


def _findings(fs: Sequence[Any]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in fs]


def _count_severity(fs: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in fs:
        out[str(f.severity)] = out.get(str(f.severity), 0) + 1
    return out


# -- the steps ---------------------------------------------------------------------------------
# Each takes (store, settings, options, day, say) and returns (summary, exit code).  Imports are
# inside the functions so that `quickturn run --help` stays light.

StepFn = Callable[
    [Store, Settings, MorningOptions, date, Callable[[str], None]], tuple[dict[str, Any], int]
]


def _import_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services.importing import import_file

    files: list[dict[str, Any]] = []
    worst = EXIT_OK
    for table, path in opts.imports:
        say(f"{table} ← {path.name}")
        rep = import_file(store, table, path)
        d = rep.to_dict()
        files.append(
            {
                "table": table,
                "file": str(path),
                "ok": rep.ok,
                "written": d["written"],
                "rows_read": d["rows_read"],
                "counts": d["counts"],
                "errors": d["errors"],
                "findings": d["findings"],
            }
        )
        if not rep.ok:
            worst = EXIT_FINDINGS
            break  # atomic per file; later files would build on a half-imported morning
    return {"files": files}, worst


def _sync_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services.connect import make_client, tiktok_settings
    from quickturn.services.sync import sync_tiktok

    ts = tiktok_settings(settings)

    def progress(resource: str, n: int, _total: int | None) -> None:
        if n:
            say(f"{resource} +{n}")

    with make_client(ts) as client:
        report = sync_tiktok(store, client, ts, progress=progress)
    return report.as_dict(), EXIT_FINDINGS if has_errors(report.findings) else EXIT_OK


def _ledger_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services import ledger

    say("building the ledger")
    r = ledger.run(store, settings=settings, persist=True, as_of=day)
    summary = {
        "run_id": r.run_id,
        **(r.summary if r.summary is not None else ledger.summary_of(r.result)),
        "mode": r.mode,
        "orders_reposted": r.orders_reposted,
        "posted": r.posted,
        "reversed": r.reversed,
        "finding_counts": _count_severity(r.findings),
        "findings": _findings(r.findings),
    }
    return summary, EXIT_FINDINGS if has_errors(r.findings) else EXIT_OK


def _sense_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services import sense

    res = sense.run(store, today=day, h=opts.horizon, seed=opts.seed or 0, progress=say)
    if res.phases.height == 0:
        raise UsageError("no SKUs in the database: import skus and orders first")
    return {"run_id": res.run_id, "horizon": opts.horizon, **res.summary}, EXIT_OK


def _plan_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services import plan

    def progress(k: int, n: int) -> None:
        say(f"simulated {k}/{n} SKUs")

    report = plan.run(
        store,
        today=day,
        app_settings=settings,
        scenarios=opts.scenarios,
        seed=opts.seed,
        progress=progress,
    )
    pos = [a for a in report.actions if a["kind"] == "purchase_order"]
    findings = [f.to_dict() for f in report.findings]
    summary = {
        "run_id": report.run_id,
        "skus_planned": report.outcome.n_skus,
        "portfolio": report.portfolio(),
        "purchase_orders": len(pos),
        "purchase_order_units": sum(float(a.get("qty") or 0.0) for a in pos),
        "purchase_order_cost_usd": round(
            sum(float(a.get("total_cost_usd") or 0.0) for a in pos), 2
        ),
        "top_purchase_orders": [
            {k: v for k, v in a.items() if not k.startswith("_")}
            for a in sorted(pos, key=lambda a: -(a.get("total_cost_usd") or 0.0))[:5]
        ],
        "gated_skus": len(report.blocked),
        "finding_counts": _count_severity(report.findings),
        "findings": findings,
    }
    bad = any(f["severity"] in ("error", "block") for f in findings)
    return summary, EXIT_FINDINGS if bad else EXIT_OK


def _health_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services import health

    say("shop metrics")
    hr = health.run_health(store, today=day, weeks=opts.weeks, settings=settings)
    rep = hr.report
    summary = {
        "run_id": hr.run_id,
        "breached": bool(rep.breached),
        "score": rep.score.score,
        "breaches": rep.rolling.filter(rep.rolling["status"] == "breach")["metric"].to_list(),
        "near": rep.rolling.filter(rep.rolling["status"] == "near")["metric"].to_list(),
        "findings": _findings(rep.findings),
    }
    return summary, EXIT_FINDINGS if rep.breached else EXIT_OK


def _comply_step(
    store: Store, settings: Settings, opts: MorningOptions, day: date, say: Callable[[str], None]
) -> tuple[dict[str, Any], int]:
    from quickturn.services import comply

    say("listings, scripts and documents")
    run_id, result = comply.run(store, today=day, settings=settings)
    summary = {"run_id": run_id, **result.summary()}
    return summary, EXIT_FINDINGS if result.blocking else EXIT_OK


_STEP_FNS: dict[str, StepFn] = {
    "import": _import_step,
    "sync": _sync_step,
    "ledger": _ledger_step,
    "sense": _sense_step,
    "plan": _plan_step,
    "health": _health_step,
    "comply": _comply_step,
}

#: steps whose failure stops the loop (the later steps would run on stale data)
_STOPS_LOOP = ("import", "sync")


def planned_steps(opts: MorningOptions) -> list[str]:
    """The steps this run will go through, in order (skipped ones included)."""
    out = []
    for name in STEPS:
        if name == "import" and not opts.imports:
            continue
        if name == "sync" and not opts.sync:
            continue
        out.append(name)
    return out


def run_morning(
    store: Store,
    settings: Settings,
    opts: MorningOptions,
    *,
    progress: Progress | None = None,
) -> MorningReport:
    """Run the morning loop on ``store``; see the module docstring for the rules."""
    from quickturn.services.plan import default_as_of

    for _table, path in opts.imports:
        if not path.is_file():
            raise UsageError(f"--import: {path} is not a file")
    t_all = time.perf_counter()
    day = opts.as_of or default_as_of(store)
    names = planned_steps(opts)
    total = len(names)
    results: list[StepResult] = []
    stopped = False
    for k, name in enumerate(names, start=1):
        if stopped or name in opts.skip:
            results.append(StepResult(name, "skipped"))
            continue

        def say(msg: str, _name: str = name, _k: int = k) -> None:
            if progress is not None:
                progress(_name, _k, total, msg)

        say("")
        t0 = time.perf_counter()
        try:
            summary, code = _STEP_FNS[name](store, settings, opts, day, say)
            status = "ok" if code == EXIT_OK else "findings"
            res = StepResult(name, status, summary=summary, exit_code=code)
        except Exception as exc:  # one broken step must not hide the others
            res = StepResult(
                name,
                "failed",
                exit_code=EXIT_FAILED,
                error=f"{type(exc).__name__}: {exc}",
                summary={"traceback": traceback.format_exc(limit=6)},
            )
        res.seconds = round(time.perf_counter() - t0, 3)
        results.append(res)
        if name in _STOPS_LOOP and res.exit_code != EXIT_OK:
            stopped = True
    return MorningReport(day, store.url, results, round(time.perf_counter() - t_all, 3))
