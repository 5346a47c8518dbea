"""plan use cases: load the shop → demand scenarios → simulate every policy family → decide →
persist today's purchase orders and the per-SKU risk figures.

Data flow::

    store: skus, suppliers, locations, routes, inventory_snapshots, shipments(+lines),
           purchase_orders, fx_rates, orders (delivery days)
    sense.demand_scenarios(...)        → sample paths (n_skus × n_paths × horizon)
    ledger_postings (the ledger's last run, read directly) or, when the ledger has not run,
    ledger.unit_economics(...)         → price, landed and variable cost (when available)
    comply.blocked_skus(...)           → SKUs that get no purchase order (when enabled)
        │
        ▼  services.plan_inputs.assemble_plan_inputs (the one assembly, shared with the web's
        ▼  projection) → core.plan.inputs.assemble_inputs → PlanInputs + SkuContext (+ findings)
        ▼  core.plan.engine.evaluate (chunks of SKUs, progress) → decide (policy, budget)
        ▼
    runs (module "plan"), plan_sku_results (one row per SKU × family), plan_actions
    (purchase orders, transfers of origin-warehouse stock and POD switches) — written in one
    transaction.

``compare``/``explain`` plan one SKU afresh (nothing persisted); ``export_purchase_orders``
writes the latest run's purchase orders as a CSV a supplier can receive.

The package: ``report``, ``load``, ``evaluate``, ``persist``, ``runner``, ``read``; their
public names are re-exported here."""

from quickturn.core.plan.settings import plan_settings
from quickturn.services.plan.evaluate import (
    PlanChunk,
    iter_plan_chunks,
    pack_plan_chunk,
    plan_chunk,
    plan_outcome,
    remote_plan_chunk,
    sim_config,
)
from quickturn.services.plan.load import (
    CHUNK_SKUS,
    Prepared,
    _chunks,
    ledger_journal_economics,
    prepare,
)
from quickturn.services.plan.persist import persist_report
from quickturn.services.plan.read import (
    BAND_QUANTILES,
    EXPORT_COLUMNS,
    PROJECTION_SCENARIOS,
    compare,
    default_as_of,
    explain,
    export_purchase_orders,
    export_purchase_orders_csv,
    inventory_projection,
    latest_run_id,
    plan_overview,
    plan_simulator_available,
    projection_scenarios,
    purchase_order_spend,
)
from quickturn.services.plan.report import (
    PlanReport,
    Progress,
    Reason,
    action_rows,
    localise_action,
    localise_row,
    render_reason,
    sku_result_rows,
)
from quickturn.services.plan.runner import demo_step, run

__all__ = [
    "BAND_QUANTILES",
    "CHUNK_SKUS",
    "EXPORT_COLUMNS",
    "PROJECTION_SCENARIOS",
    "PlanChunk",
    "PlanReport",
    "Prepared",
    "Progress",
    "Reason",
    "_chunks",
    "action_rows",
    "compare",
    "default_as_of",
    "demo_step",
    "explain",
    "export_purchase_orders",
    "export_purchase_orders_csv",
    "inventory_projection",
    "iter_plan_chunks",
    "latest_run_id",
    "ledger_journal_economics",
    "localise_action",
    "localise_row",
    "pack_plan_chunk",
    "persist_report",
    "plan_chunk",
    "plan_outcome",
    "plan_overview",
    "plan_settings",
    "plan_simulator_available",
    "prepare",
    "projection_scenarios",
    "purchase_order_spend",
    "remote_plan_chunk",
    "render_reason",
    "run",
    "sim_config",
    "sku_result_rows",
]
