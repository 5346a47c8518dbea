"""50,000 orders through 429s, 500s, dropped connections and truncated bodies: nothing lost,
nothing duplicated (reconciled against the fake platform's own data)."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from fake_tiktok import FakeTikTok
from tt_helpers import reconcile, settings_for

from quickturn.services.connect import make_client
from quickturn.services.sync import sync_tiktok
from quickturn.store import open_store


@pytest.mark.slow
def test_50k_orders_with_injected_faults_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    with FakeTikTok(n_orders=50_000, days=90, seed=11) as fake:
        tts = settings_for(
            fake, tmp_path / "home", page_size=2000, max_retries=30, window_days=30.0
        )
        with (
            make_client(tts, rng=random.Random(3)) as client,
            open_store(tmp_path / "db.duckdb") as store,
        ):
            client.exchange_code("good-code")
            fake.faults.p429 = 0.08
            fake.faults.p500 = 0.06
            fake.faults.pdrop = 0.05
            fake.faults.ptruncate = 0.03
            report = sync_tiktok(
                store, client, tts, resources=("orders", "returns", "cancellations", "statements")
            )
            s = fake.stats
            assert s.injected_429 > 0 and s.injected_500 > 0 and s.dropped > 0 and s.truncated > 0
            assert client.stats.retries >= s.injected_429 + s.injected_500 + s.dropped + s.truncated
            truth = fake.truth()
            assert truth["orders"] == 50_000
            assert report.tables["orders"]["inserted"] == 50_000
            reconcile(store, fake, settlements=True)
            assert store.count("order_lines") == sum(
                len({li["seller_sku"] or li["sku_id"] for li in o["line_items"]})
                for o in fake.orders[fake.shops[0]["cipher"]].values()
            )
            refunds = store.query(
                "SELECT count(DISTINCT split_part(return_id, ':', 1)) AS n FROM returns "
                "WHERE return_type <> 'cancellation_refund'"
            )["n"][0]
            assert refunds == truth["returns"]
            # a second run with faults still on: no duplicates, nothing changes
            again = sync_tiktok(store, client, tts, resources=("orders",))
            assert again.tables["orders"]["inserted"] == 0
            assert again.tables["orders"]["updated"] == 0
            assert store.count("orders") == 50_000
            total = store.query("SELECT sum(order_amount) AS s FROM orders")["s"][0]
            assert Decimal(str(total)) == truth["order_amount"]
