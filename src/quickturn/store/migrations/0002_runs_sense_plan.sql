-- 0002: runs registry, sense and plan result tables (generated from schema.py)
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL,
    module TEXT,
    created_at TIMESTAMP,
    as_of DATE,
    params TEXT,
    summary TEXT,
    PRIMARY KEY (run_id)
);

CREATE TABLE IF NOT EXISTS forecasts (
    run_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    ds DATE NOT NULL,
    model TEXT,
    mean DOUBLE PRECISION,
    lo_50 DOUBLE PRECISION,
    hi_50 DOUBLE PRECISION,
    lo_80 DOUBLE PRECISION,
    hi_80 DOUBLE PRECISION,
    lo_95 DOUBLE PRECISION,
    hi_95 DOUBLE PRECISION,
    PRIMARY KEY (run_id, sku_id, ds)
);

CREATE TABLE IF NOT EXISTS sku_phases (
    run_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    as_of DATE,
    phase TEXT,
    p_testing DOUBLE PRECISION,
    p_rising DOUBLE PRECISION,
    p_peaking DOUBLE PRECISION,
    p_steady DOUBLE PRECISION,
    p_decaying DOUBLE PRECISION,
    p_dead DOUBLE PRECISION,
    receding BOOLEAN,
    receding_since DATE,
    kernel TEXT,
    velocity_7d DOUBLE PRECISION,
    remaining_demand_mean DOUBLE PRECISION,
    remaining_demand_p10 DOUBLE PRECISION,
    remaining_demand_p90 DOUBLE PRECISION,
    PRIMARY KEY (run_id, sku_id)
);

CREATE TABLE IF NOT EXISTS plan_sku_results (
    run_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    policy TEXT NOT NULL,
    chosen BOOLEAN,
    params TEXT,
    expected_profit_usd DOUBLE PRECISION,
    profit_p05_usd DOUBLE PRECISION,
    cvar_usd DOUBLE PRECISION,
    objective_usd DOUBLE PRECISION,
    expected_sales_qty DOUBLE PRECISION,
    lost_sales_qty DOUBLE PRECISION,
    fill_rate DOUBLE PRECISION,
    stockout_prob DOUBLE PRECISION,
    oos_demand_share DOUBLE PRECISION,
    dead_stock_qty DOUBLE PRECISION,
    dead_stock_value_usd DOUBLE PRECISION,
    peak_cash_usd DOUBLE PRECISION,
    holding_cost_usd DOUBLE PRECISION,
    freight_cost_usd DOUBLE PRECISION,
    order_qty DOUBLE PRECISION,
    fulfilment_days_mean DOUBLE PRECISION,
    fulfilment_days_sd DOUBLE PRECISION,
    held_back_by_budget BOOLEAN,
    gated_by_compliance BOOLEAN,
    reason TEXT,
    PRIMARY KEY (run_id, sku_id, policy)
);

CREATE TABLE IF NOT EXISTS plan_actions (
    run_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    kind TEXT,
    sku_id TEXT,
    policy TEXT,
    supplier_id TEXT,
    route_id TEXT,
    origin_id TEXT,
    destination_id TEXT,
    quantity BIGINT,
    order_date DATE,
    expected_arrival DATE,
    unit_cost DOUBLE PRECISION,
    currency TEXT,
    total_cost_usd DOUBLE PRECISION,
    reason TEXT,
    PRIMARY KEY (run_id, action_id)
);

