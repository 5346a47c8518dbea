"""Category document rules (skus × certificates as of today) and the plan gating hook."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from quickturn.core.comply.documents import blocking_by_sku, check_documents
from quickturn.services.comply import blocked_skus, load_rules
from quickturn.store import Store

TODAY = date(2026, 3, 1)
RULES = load_rules()


def sku(sku_id: str, **attrs: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "sku_id": sku_id,
        "title": attrs.pop("title", f"Item {sku_id}"),
        "description": attrs.pop("description", ""),
        "category": attrs.pop("category", "home"),
        "status": attrs.pop("status", "active"),
    }
    for flag in (
        "is_children",
        "has_small_parts",
        "is_supplement",
        "is_beauty_device",
        "is_pet_food",
        "has_radio",
        "is_battery",
        "is_flammable",
    ):
        row[flag] = attrs.pop(flag, False)
    assert not attrs, attrs
    return row


def cert(
    cid: str,
    sku_id: str,
    cert_type: str,
    issued: int | None = -30,
    expires: int | None = None,
    language: str | None = "en",
) -> dict[str, Any]:
    """A certificate issued ``issued`` days from TODAY (negative: in the past)."""
    return {
        "certificate_id": cid,
        "sku_id": sku_id,
        "cert_type": cert_type,
        "issued_on": TODAY + timedelta(days=issued) if issued is not None else None,
        "expires_on": TODAY + timedelta(days=expires) if expires is not None else None,
        "language": language,
    }


CERT_SCHEMA = {
    "certificate_id": pl.String,
    "sku_id": pl.String,
    "cert_type": pl.String,
    "issued_on": pl.Date,
    "expires_on": pl.Date,
    "language": pl.String,
}


def run(
    skus: list[dict[str, Any]], certs: list[dict[str, Any]], codes: list[str] | None = None
) -> list[Any]:
    return check_documents(
        RULES,
        pl.DataFrame(skus),
        pl.DataFrame(certs, schema=CERT_SCHEMA),
        today=TODAY,
        codes=codes,
    )


def codes_of(findings: list[Any], sku_id: str) -> set[str]:
    return {f.code for f in findings if f.record.get("sku_id") == sku_id}


FULL_CHILDREN = ["CPC", "LAB_REPORT", "TRACKING_LABEL", "COC"]


def test_plain_product_needs_nothing() -> None:
    assert run([sku("H1")], []) == []


def test_children_product_with_every_document_is_clean() -> None:
    certs = [cert(f"c{i}", "K1", t) for i, t in enumerate(FULL_CHILDREN)]
    assert run([sku("K1", is_children=True, category="toys")], certs) == []


def test_children_product_missing_everything() -> None:
    f = run([sku("K1", is_children=True, category="toys")], [])
    assert codes_of(f, "K1") == {
        "DOC_CHILDREN_CPC",
        "DOC_CHILDREN_LAB_REPORT",
        "DOC_CHILDREN_TRACKING_LABEL",
        "DOC_TOY_COC",
    }
    cpc = next(x for x in f if x.code == "DOC_CHILDREN_CPC")
    assert cpc.severity == "block"
    assert cpc.record["reason"] == "missing"
    assert "no CPC on file" in cpc.message
    assert "CPC" in (cpc.message_zh or "") and "儿童产品" in (cpc.message_zh or "")
    assert cpc.fix and cpc.fix_zh
    assert cpc.source == "sku:K1"
    assert "16 CFR part 1110" in cpc.record["rule_source"]


@pytest.mark.parametrize(
    ("issued", "blocked"),
    [(-365, False), (-366, True), (-10, False), (0, False), (5, True)],
)
def test_cpc_must_be_issued_within_365_days(issued: int, blocked: bool) -> None:
    certs = [cert("cpc", "K1", "CPC", issued=issued)]
    f = run([sku("K1", is_children=True)], certs, codes=["DOC_CHILDREN_CPC"])
    assert bool(f) is blocked
    if issued == -366:
        assert f[0].record["reason"] == "too_old"
        assert "366 days ago" in f[0].message
    if issued == 5:
        assert f[0].record["reason"] == "not_yet_valid"


def test_cpc_without_issue_date_or_in_chinese_does_not_count() -> None:
    f = run(
        [sku("K1", is_children=True)], [cert("cpc", "K1", "CPC", issued=None)], ["DOC_CHILDREN_CPC"]
    )
    assert [x.record["reason"] for x in f] == ["undated"]
    f = run(
        [sku("K1", is_children=True)],
        [cert("cpc", "K1", "CPC", language="zh")],
        ["DOC_CHILDREN_CPC"],
    )
    assert [x.record["reason"] for x in f] == ["language"]
    # an empty language is taken as English (the column's default)
    assert (
        run(
            [sku("K1", is_children=True)],
            [cert("cpc", "K1", "CPC", language=None)],
            ["DOC_CHILDREN_CPC"],
        )
        == []
    )


def test_a_fresh_cpc_beside_an_old_one_is_enough() -> None:
    certs = [cert("old", "K1", "CPC", issued=-800), cert("new", "K1", "CPC", issued=-20)]
    assert run([sku("K1", is_children=True)], certs, ["DOC_CHILDREN_CPC"]) == []


def test_lab_report_and_tracking_label() -> None:
    certs = [cert("lab", "K1", "LAB_REPORT", expires=-1)]
    f = run(
        [sku("K1", is_children=True)],
        certs,
        ["DOC_CHILDREN_LAB_REPORT", "DOC_CHILDREN_TRACKING_LABEL"],
    )
    by = {x.code: x for x in f}
    assert by["DOC_CHILDREN_LAB_REPORT"].record["reason"] == "expired"
    assert by["DOC_CHILDREN_TRACKING_LABEL"].record["reason"] == "missing"
    ok = run(
        [sku("K1", is_children=True)],
        [cert("lab", "K1", "LAB_REPORT", expires=0), cert("t", "K1", "TRACKING_LABEL")],
        ["DOC_CHILDREN_LAB_REPORT", "DOC_CHILDREN_TRACKING_LABEL"],
    )
    assert ok == []  # valid through its expiry day


def test_toy_coc_is_a_warning_only_for_toys_and_a_cpc_satisfies_it() -> None:
    f = run(
        [
            sku("K1", is_children=True, category="Toys"),
            sku("K2", is_children=True, category="apparel"),
        ],
        [],
        ["DOC_TOY_COC"],
    )
    assert [(x.code, x.record["sku_id"], x.severity) for x in f] == [("DOC_TOY_COC", "K1", "warn")]
    assert (
        run(
            [sku("K1", is_children=True, category="toys")],
            [cert("c", "K1", "CPC")],
            ["DOC_TOY_COC"],
        )
        == []
    )


def test_choking_warning_label_and_listing() -> None:
    bare = sku("S1", has_small_parts=True, is_children=True, description="Cute building blocks")
    f = run([bare], [], ["DOC_CHOKING_WARNING", "DOC_CHOKING_WARNING_LISTING"])
    assert codes_of(f, "S1") == {"DOC_CHOKING_WARNING", "DOC_CHOKING_WARNING_LISTING"}
    warned = sku(
        "S1",
        has_small_parts=True,
        description="WARNING: CHOKING HAZARD -- Small parts. Not for children under 3 yrs.",
    )
    f = run(
        [warned],
        [cert("w", "S1", "CHOKING_WARNING")],
        ["DOC_CHOKING_WARNING", "DOC_CHOKING_WARNING_LISTING"],
    )
    assert f == []
    zh = sku("S1", has_small_parts=True, title="积木 警告：含小零件，有窒息危险，不适合3岁以下儿童")
    assert run([zh], [], ["DOC_CHOKING_WARNING_LISTING"]) == []


@pytest.mark.parametrize(
    ("flag", "code", "good", "bad"),
    [
        ("has_radio", "DOC_FCC", ["FCC"], ["CPC"]),
        ("is_supplement", "DOC_SUPPLEMENT_FACILITY", ["CGMP"], ["LAB_REPORT"]),
        ("is_supplement", "DOC_SUPPLEMENT_FACILITY", ["FDA_FACILITY"], []),
        ("is_beauty_device", "DOC_BEAUTY_DEVICE", ["FDA_DEVICE"], ["FDA_FACILITY"]),
        ("is_pet_food", "DOC_PET_FOOD", ["FDA_FACILITY"], ["SDS"]),
        ("is_pet_food", "DOC_PET_FOOD", ["CGMP"], []),
        ("is_battery", "DOC_LITHIUM_BATTERY", ["UN38_3"], ["FCC"]),
        ("is_battery", "DOC_LITHIUM_BATTERY", ["SDS"], []),
        ("is_flammable", "DOC_HAZMAT_SDS", ["SDS"], ["UN38_3"]),
    ],
)
def test_category_documents(flag: str, code: str, good: list[str], bad: list[str]) -> None:
    item = sku("X1", **{flag: True})
    ok = run([item], [cert(f"g{i}", "X1", t) for i, t in enumerate(good)], [code])
    assert ok == []
    f = run([item], [cert(f"b{i}", "X1", t) for i, t in enumerate(bad)], [code])
    assert [(x.code, x.severity, x.record["reason"]) for x in f] == [(code, "block", "missing")]
    # the flag off: nothing required
    assert run([sku("X1")], [], [code]) == []
    # expired good document: blocked with the reason
    f = run([item], [cert("g", "X1", good[0], issued=-400, expires=-3)], [code])
    assert [x.record["reason"] for x in f] == ["expired"]
    assert "expired on" in f[0].message


def test_expired_and_expiring_documents() -> None:
    certs = [
        cert("gone", "H1", "OTHER", issued=-500, expires=-2),
        cert("soon", "H1", "SDS", issued=-300, expires=10),
        cert("later", "H1", "SDS", issued=-300, expires=31),
        cert("forever", "H1", "SDS", issued=-300, expires=None),
    ]
    f = run([sku("H1")], certs, ["DOC_EXPIRED", "DOC_EXPIRING_SOON"])
    assert [(x.code, x.value, x.severity) for x in f] == [
        ("DOC_EXPIRED", "gone", "warn"),
        ("DOC_EXPIRING_SOON", "soon", "info"),
    ]
    assert "2 days ago" in f[0].message and "in 10 days" in f[1].message


def test_discontinued_skus_are_skipped_and_null_flags_are_false() -> None:
    rows = [sku("K1", is_children=True, status="discontinued"), sku("K2")]
    rows[1]["is_children"] = None
    assert run(rows, []) == []


def test_blocking_by_sku_only_counts_blocking_document_findings() -> None:
    f = run(
        [
            sku("K1", is_children=True, category="toys"),
            sku("S1", has_small_parts=True, description="small parts inside"),
        ],
        [],
    )
    assert blocking_by_sku(f) == {
        "K1": ["DOC_CHILDREN_CPC", "DOC_CHILDREN_LAB_REPORT", "DOC_CHILDREN_TRACKING_LABEL"],
        "S1": ["DOC_CHOKING_WARNING"],
    }


def test_blocked_skus_reads_the_store(store: Store) -> None:
    skus = pl.DataFrame(
        [
            sku("K1", is_children=True, category="toys"),
            sku("R1", has_radio=True),
            sku("R2", has_radio=True),
            sku("H1"),
        ]
    )
    store.write("skus", skus)
    store.write(
        "certificates",
        pl.DataFrame(
            [cert("f1", "R1", "FCC"), cert("f2", "R2", "FCC", issued=-900, expires=-1)],
            schema=CERT_SCHEMA,
        ),
    )
    got = blocked_skus(store, today=TODAY)
    assert got == {
        "K1": ["DOC_CHILDREN_CPC", "DOC_CHILDREN_LAB_REPORT", "DOC_CHILDREN_TRACKING_LABEL"],
        "R2": ["DOC_FCC"],
    }
    # a year earlier the FCC of R2 was still valid
    assert "R2" not in blocked_skus(store, today=date(2025, 3, 1))
