-- 0601: TikTok Shop connector: webhook notification queue (generated from schema.py)
CREATE TABLE IF NOT EXISTS tiktok_webhook_events (
    notification_id TEXT NOT NULL,
    shop_id TEXT,
    type BIGINT,
    resource TEXT,
    resource_id TEXT,
    order_id TEXT,
    event_time TIMESTAMP,
    received_at TIMESTAMP,
    payload TEXT,
    status TEXT,
    attempts BIGINT,
    processed_at TIMESTAMP,
    error TEXT,
    PRIMARY KEY (notification_id)
);

