"""A small hand-made shop for the comply service and CLI tests (US and GB shops)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from quickturn.store import Store

TODAY = date(2026, 3, 1)
KETTLE_US = (
    "Hey guys, this foldable kettle saves so much space in my dorm, it boils water in three "
    "minutes and folds flat into my backpack, grab yours before it sells out"
)
KETTLE_GB = KETTLE_US.replace("dorm", "flat").replace("backpack", "rucksack")


def seed_shop(store: Store) -> None:
    store.write(
        "shops",
        pl.DataFrame(
            {"shop_id": ["US1", "GB1"], "name": ["US shop", "UK shop"], "market": ["US", "GB"]}
        ),
    )
    store.write(
        "skus",
        pl.DataFrame(
            {
                "sku_id": ["TEA", "BLOCKS", "UKONLY", "BOX", "SPK"],
                "shop_id": ["US1", "US1", "GB1", "US1", "US1"],
                "title": [
                    "Detox tea for weight loss",
                    "Building blocks 200 pcs",
                    "Cures acne cream",
                    "Beauty mystery box",
                    "Bluetooth speaker",
                ],
                "description": [
                    "Order at www.tea-deals.com",
                    "WARNING: CHOKING HAZARD -- Small parts. Not for children under 3 yrs.",
                    "",
                    "5 random items",
                    "Loud and clear",
                ],
                "category": ["supplements", "toys", "beauty", "beauty", "electronics"],
                "is_supplement": [True, False, False, False, False],
                "is_children": [False, True, False, False, False],
                "has_small_parts": [False, True, False, False, False],
                "has_radio": [False, False, False, False, True],
                "list_price": [19.0, 25.0, 9.0, 129.0, 40.0],
            }
        ),
    )
    store.write(
        "certificates",
        pl.DataFrame(
            {
                "certificate_id": ["cpc", "lab", "trk", "chk", "coc", "fcc"],
                "sku_id": ["BLOCKS", "BLOCKS", "BLOCKS", "BLOCKS", "BLOCKS", "SPK"],
                "cert_type": [
                    "CPC",
                    "LAB_REPORT",
                    "TRACKING_LABEL",
                    "CHOKING_WARNING",
                    "COC",
                    "FCC",
                ],
                "issued_on": [
                    date(2024, 12, 1),
                    date(2025, 6, 1),
                    date(2025, 6, 1),
                    None,
                    None,
                    date(2025, 1, 1),
                ],
                "expires_on": [None, None, None, None, None, date(2026, 2, 1)],
            }
        ),
    )
    store.write(
        "content",
        pl.DataFrame(
            {
                "content_id": ["V-US", "V-GB", "L-US", "V-CN"],
                "shop_id": ["US1", "GB1", "US1", None],
                "kind": ["video", "video", "live", "video"],
                "posted_at": [datetime(2026, 2, 1)] * 4,
                "market": ["US", "GB", "US", "CN"],
                "caption": ["New kettle!", "New kettle!", None, None],
                "script": [
                    KETTLE_US,
                    KETTLE_GB,
                    "直播间抽奖，加微信领福利",
                    "家人们，这款水壶三分钟烧开水，折起来放进背包，赶紧下单",
                ],
            }
        ),
    )
    store.write(
        "content_skus",
        pl.DataFrame({"content_id": ["V-US", "L-US", "V-GB"], "sku_id": ["TEA", "BLOCKS", "TEA"]}),
    )
