-- 0102: incremental ledger — posted order lines with fingerprints, input-table fingerprints (generated from schema.py)
CREATE TABLE IF NOT EXISTS ledger_lines (
    order_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    order_date DATE,
    shop_id TEXT,
    content_id TEXT,
    creator_id TEXT,
    traffic_source TEXT,
    route TEXT,
    operating_model TEXT,
    market TEXT,
    is_sample BOOLEAN,
    quantity BIGINT,
    cost_known BOOLEAN,
    fees_basis TEXT,
    fingerprint TEXT,
    run_id TEXT,
    PRIMARY KEY (order_id, sku_id)
);

CREATE TABLE IF NOT EXISTS ledger_sources (
    name TEXT NOT NULL,
    fingerprint TEXT,
    run_id TEXT,
    PRIMARY KEY (name)
);

