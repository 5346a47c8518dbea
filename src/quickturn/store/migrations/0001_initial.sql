-- 0001: the canonical input tables and the system state table (generated from schema.py)
CREATE TABLE IF NOT EXISTS shops (
    shop_id TEXT NOT NULL,
    name TEXT,
    market TEXT,
    seller_type TEXT,
    currency TEXT,
    timezone TEXT,
    cipher TEXT,
    created_at TIMESTAMP,
    PRIMARY KEY (shop_id)
);

CREATE TABLE IF NOT EXISTS suppliers (
    supplier_id TEXT NOT NULL,
    name TEXT,
    country TEXT,
    currency TEXT,
    deposit_rate DECIMAL(12,6),
    balance_due TEXT,
    balance_days BIGINT,
    production_lead_time_days DOUBLE PRECISION,
    PRIMARY KEY (supplier_id)
);

CREATE TABLE IF NOT EXISTS skus (
    sku_id TEXT NOT NULL,
    shop_id TEXT,
    title TEXT,
    description TEXT,
    category TEXT,
    subcategory TEXT,
    parent_sku_id TEXT,
    status TEXT,
    launch_date DATE,
    list_price DECIMAL(18,4),
    price_currency TEXT,
    unit_cost DECIMAL(18,4),
    cost_currency TEXT,
    supplier_id TEXT,
    weight_g DOUBLE PRECISION,
    length_cm DOUBLE PRECISION,
    width_cm DOUBLE PRECISION,
    height_cm DOUBLE PRECISION,
    hs_code TEXT,
    duty_rate DECIMAL(12,6),
    moq_qty BIGINT,
    case_pack_qty BIGINT,
    production_lead_time_days DOUBLE PRECISION,
    pod_eligible BOOLEAN,
    pod_unit_cost DECIMAL(18,4),
    pod_lead_time_days DOUBLE PRECISION,
    is_battery BOOLEAN,
    is_children BOOLEAN,
    has_small_parts BOOLEAN,
    is_cosmetic BOOLEAN,
    is_supplement BOOLEAN,
    is_beauty_device BOOLEAN,
    is_pet_food BOOLEAN,
    has_radio BOOLEAN,
    is_flammable BOOLEAN,
    PRIMARY KEY (sku_id)
);

CREATE TABLE IF NOT EXISTS bom (
    sku_id TEXT NOT NULL,
    component_id TEXT NOT NULL,
    component_qty DOUBLE PRECISION,
    component_unit_cost DECIMAL(18,4),
    cost_currency TEXT,
    lead_time_days DOUBLE PRECISION,
    PRIMARY KEY (sku_id, component_id)
);

CREATE TABLE IF NOT EXISTS certificates (
    certificate_id TEXT NOT NULL,
    sku_id TEXT,
    cert_type TEXT,
    number TEXT,
    issuer TEXT,
    issued_on DATE,
    expires_on DATE,
    language TEXT,
    PRIMARY KEY (certificate_id)
);

CREATE TABLE IF NOT EXISTS locations (
    location_id TEXT NOT NULL,
    name TEXT,
    kind TEXT,
    country TEXT,
    storage_cost_per_cbm_day_usd DECIMAL(18,4),
    inbound_cost_per_unit_usd DECIMAL(18,4),
    outbound_cost_per_unit_usd DECIMAL(18,4),
    capacity_cbm DOUBLE PRECISION,
    PRIMARY KEY (location_id)
);

CREATE TABLE IF NOT EXISTS routes (
    route_id TEXT NOT NULL,
    origin_id TEXT,
    destination_id TEXT,
    mode TEXT,
    lead_time_dist TEXT,
    lead_time_mean_days DOUBLE PRECISION,
    lead_time_sd_days DOUBLE PRECISION,
    lead_time_min_days DOUBLE PRECISION,
    cost_per_kg_usd DECIMAL(18,4),
    cost_per_cbm_usd DECIMAL(18,4),
    cost_per_unit_usd DECIMAL(18,4),
    fixed_cost_usd DECIMAL(18,4),
    min_charge_usd DECIMAL(18,4),
    volumetric_divisor DOUBLE PRECISION,
    PRIMARY KEY (route_id)
);

CREATE TABLE IF NOT EXISTS creators (
    creator_id TEXT NOT NULL,
    handle TEXT,
    market TEXT,
    commission_rate DECIMAL(12,6),
    followers BIGINT,
    PRIMARY KEY (creator_id)
);

CREATE TABLE IF NOT EXISTS content (
    content_id TEXT NOT NULL,
    shop_id TEXT,
    kind TEXT,
    creator_id TEXT,
    posted_at TIMESTAMP,
    market TEXT,
    language TEXT,
    title TEXT,
    caption TEXT,
    script TEXT,
    commission_rate DECIMAL(12,6),
    PRIMARY KEY (content_id)
);

CREATE TABLE IF NOT EXISTS content_skus (
    content_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    PRIMARY KEY (content_id, sku_id)
);

CREATE TABLE IF NOT EXISTS content_metrics (
    content_id TEXT NOT NULL,
    date DATE NOT NULL,
    views BIGINT,
    likes BIGINT,
    shares BIGINT,
    comments BIGINT,
    clicks BIGINT,
    PRIMARY KEY (content_id, date)
);

CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT NOT NULL,
    shop_id TEXT,
    market TEXT,
    currency TEXT,
    status TEXT,
    order_type TEXT,
    created_at TIMESTAMP,
    paid_at TIMESTAMP,
    rts_at TIMESTAMP,
    shipped_at TIMESTAMP,
    delivered_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    rts_sla_at TIMESTAMP,
    shipping_due_at TIMESTAMP,
    delivery_sla_at TIMESTAMP,
    fulfillment_type TEXT,
    warehouse_id TEXT,
    route_id TEXT,
    carrier TEXT,
    tracking_id TEXT,
    tracking_valid BOOLEAN,
    shipping_fee DECIMAL(18,4),
    shipping_fee_seller_discount DECIMAL(18,4),
    shipping_fee_platform_discount DECIMAL(18,4),
    tax DECIMAL(18,4),
    order_amount DECIMAL(18,4),
    is_sample_order BOOLEAN,
    cancel_initiator TEXT,
    cancel_reason TEXT,
    cancel_fault TEXT,
    operating_model TEXT,
    PRIMARY KEY (order_id)
);

CREATE TABLE IF NOT EXISTS order_lines (
    order_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    quantity BIGINT,
    unit_price DECIMAL(18,4),
    subtotal_before_discount DECIMAL(18,4),
    seller_discount DECIMAL(18,4),
    platform_discount DECIMAL(18,4),
    subtotal_after_discount DECIMAL(18,4),
    tax DECIMAL(18,4),
    traffic_source TEXT,
    content_id TEXT,
    creator_id TEXT,
    commission_rate DECIMAL(12,6),
    PRIMARY KEY (order_id, sku_id)
);

CREATE TABLE IF NOT EXISTS returns (
    return_id TEXT NOT NULL,
    order_id TEXT,
    sku_id TEXT,
    quantity BIGINT,
    return_type TEXT,
    reason TEXT,
    fault TEXT,
    status TEXT,
    requested_at TIMESTAMP,
    completed_at TIMESTAMP,
    currency TEXT,
    refund_amount DECIMAL(18,4),
    return_shipping_cost DECIMAL(18,4),
    disposition TEXT,
    PRIMARY KEY (return_id)
);

CREATE TABLE IF NOT EXISTS reviews (
    review_id TEXT NOT NULL,
    order_id TEXT,
    sku_id TEXT,
    rating BIGINT,
    created_at TIMESTAMP,
    text TEXT,
    PRIMARY KEY (review_id)
);

CREATE TABLE IF NOT EXISTS settlement_lines (
    statement_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    statement_date DATE,
    order_id TEXT,
    sku_id TEXT,
    fee_type TEXT,
    amount DECIMAL(18,4),
    currency TEXT,
    PRIMARY KEY (statement_id, line_id)
);

CREATE TABLE IF NOT EXISTS ad_spend (
    campaign_id TEXT NOT NULL,
    date DATE NOT NULL,
    shop_id TEXT,
    sku_id TEXT,
    content_id TEXT,
    spend DECIMAL(18,4),
    currency TEXT,
    impressions BIGINT,
    clicks BIGINT,
    PRIMARY KEY (campaign_id, date)
);

CREATE TABLE IF NOT EXISTS inventory_snapshots (
    date DATE NOT NULL,
    sku_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    on_hand_qty BIGINT,
    reserved_qty BIGINT,
    PRIMARY KEY (date, sku_id, location_id)
);

CREATE TABLE IF NOT EXISTS purchase_orders (
    po_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    supplier_id TEXT,
    ordered_on DATE,
    quantity BIGINT,
    unit_cost DECIMAL(18,4),
    currency TEXT,
    deposit_rate DECIMAL(12,6),
    ready_on DATE,
    destination_id TEXT,
    status TEXT,
    PRIMARY KEY (po_id, sku_id)
);

CREATE TABLE IF NOT EXISTS shipments (
    shipment_id TEXT NOT NULL,
    route_id TEXT,
    origin_id TEXT,
    destination_id TEXT,
    shipped_on DATE,
    eta_on DATE,
    arrived_on DATE,
    freight_cost DECIMAL(18,4),
    duty_cost DECIMAL(18,4),
    inbound_fee DECIMAL(18,4),
    currency TEXT,
    allocation TEXT,
    PRIMARY KEY (shipment_id)
);

CREATE TABLE IF NOT EXISTS shipment_lines (
    shipment_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    po_id TEXT,
    quantity BIGINT,
    PRIMARY KEY (shipment_id, sku_id)
);

CREATE TABLE IF NOT EXISTS bills (
    bill_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    vendor_id TEXT,
    bill_date DATE,
    due_date DATE,
    period_start DATE,
    period_end DATE,
    charge_type TEXT,
    sku_id TEXT,
    order_id TEXT,
    amount DECIMAL(18,4),
    currency TEXT,
    PRIMARY KEY (bill_id, line_id)
);

CREATE TABLE IF NOT EXISTS fx_rates (
    date DATE NOT NULL,
    currency TEXT NOT NULL,
    usd_per_unit DECIMAL(18,8),
    PRIMARY KEY (date, currency)
);

CREATE TABLE IF NOT EXISTS state (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    updated_at TIMESTAMP,
    PRIMARY KEY (namespace, key)
);

