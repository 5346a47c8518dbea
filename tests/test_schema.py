"""The canonical model, its generated docs and the migrations agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickturn.schema import SQL_TYPES, TABLES_BY_NAME, markdown
from quickturn.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_is_generated_from_schema() -> None:
    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == markdown(), "docs/data-model.md is stale: run `make docs`"


def test_every_column_has_description_and_money_has_currency() -> None:
    for t in TABLES_BY_NAME.values():
        names = t.column_names
        assert len(names) == len(set(names)), t.name
        assert set(t.key) <= set(names), t.name
        for c in t.columns:
            assert c.description, f"{t.name}.{c.name} has no description"
            if c.type == "money" and not c.name.endswith(("_usd", "_cny")):
                parents = [
                    TABLES_BY_NAME[x.references.split(".")[0]]
                    for x in t.columns
                    if x.references and x.name in t.key
                ]
                has_currency = any(n.endswith("currency") for n in names) or any(
                    "currency" in p.column_names for p in parents
                )
                assert has_currency, (
                    f"{t.name}.{c.name}: money without a currency column (own or parent's)"
                )
            if c.references:
                target, col = c.references.split(".")
                assert col in TABLES_BY_NAME[target].column_names


def _column_types(store: Store, table: str) -> dict[str, str]:
    df = store.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return dict(
        zip(
            df["column_name"].to_list(), [t.upper() for t in df["data_type"].to_list()], strict=True
        )
    )


_EQUIV = {
    "TEXT": {"TEXT", "VARCHAR", "CHARACTER VARYING"},
    "BIGINT": {"BIGINT"},
    "DOUBLE PRECISION": {"DOUBLE", "DOUBLE PRECISION"},
    "BOOLEAN": {"BOOLEAN"},
    "DATE": {"DATE"},
    "TIMESTAMP": {"TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"},
}


@pytest.mark.parametrize("table", sorted(TABLES_BY_NAME))
def test_migrations_create_exactly_the_schema(store: Store, table: str) -> None:
    got = _column_types(store, table)
    want = TABLES_BY_NAME[table]
    assert list(got) == want.column_names
    for c in want.columns:
        sql = SQL_TYPES[c.type]
        if sql.startswith("DECIMAL"):
            assert got[c.name] in ("NUMERIC", sql) or got[c.name].startswith("DECIMAL"), (
                table,
                c.name,
                got[c.name],
            )
        else:
            assert got[c.name] in _EQUIV[sql], (table, c.name, got[c.name])
