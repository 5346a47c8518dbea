"""Encodings: UTF-8 (with or without BOM), then Chinese GB18030/GBK; anything else rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
import sc_export as sc

from quickturn.errors import UsageError
from quickturn.services.importing import import_file
from quickturn.store import Store

SKUS = "sku_id,title,list_price\nMUG-1,陶瓷马克杯 350毫升,12.50\nTEE-1,纯棉T恤（白色）,19.99\n"


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_chinese_csv_is_read_as_gb18030(store: Store, tmp_path: Path, codec: str) -> None:
    p = tmp_path / "skus.csv"
    p.write_bytes(SKUS.encode(codec))
    r = import_file(store, "skus", p)
    assert r.ok and r.written
    assert r.encoding == "gb18030" and r.to_dict()["encoding"] == "gb18030"
    assert [f.code for f in r.findings] == ["I_ENCODING"]
    assert "gb18030" in r.findings[0].message
    titles = store.table("skus").sort("sku_id")["title"].to_list()
    assert titles == ["陶瓷马克杯 350毫升", "纯棉T恤（白色）"]


def test_utf8_with_and_without_bom(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "skus.csv"
    p.write_bytes(b"\xef\xbb\xbf" + SKUS.encode())
    r = import_file(store, "skus", p)
    assert r.ok and r.encoding == "utf-8-sig" and not r.findings
    p.write_bytes(SKUS.encode())
    assert import_file(store, "skus", p).encoding == "utf-8"


def test_gbk_seller_center_export(store: Store, tmp_path: Path) -> None:
    lines = sc.us_orders()
    header, data = sc.rows(lines)
    name = header.index("Product Name")
    data[1][name] = "陶瓷马克杯"
    path = sc.write_csv(tmp_path / "export.csv", header, data)
    path.write_bytes(path.read_text(encoding="utf-8-sig").encode("gbk"))
    r = import_file(store, "orders", path)
    assert r.ok, [f.message for f in r.errors]
    assert r.encoding == "gb18030"
    assert any(t.startswith("陶瓷马克杯") for t in store.table("skus")["title"].to_list())


def test_text_in_no_known_encoding_is_rejected(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "skus.csv"
    # Latin-1 / Windows-1252 bytes that GB18030 cannot decode as Chinese
    p.write_bytes("sku_id,title,list_price\nA,Crème brûlée set,12.50\n".encode("cp1252"))
    with pytest.raises(UsageError) as exc:
        import_file(store, "skus", p)
    msg = str(exc.value)
    assert str(p) in msg and "line 2" in msg and "0xe8" in msg and "--encoding" in msg
    assert store.count("skus") == 0
    r = import_file(store, "skus", p, encoding="cp1252")
    assert r.ok and store.table("skus")["title"].to_list() == ["Crème brûlée set"]
