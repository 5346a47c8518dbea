"""PostgreSQL backend (team server).  Bulk writes go through COPY into a temporary table."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
from collections.abc import Sequence
from typing import Any

import polars as pl
import psycopg

from quickturn.errors import StoreError
from quickturn.schema import Table
from quickturn.store.base import Store, ident

_counter = itertools.count()

#: PostgreSQL type OIDs → Polars dtypes for query results
_OID_TYPES: dict[int, pl.DataType] = {
    16: pl.Boolean(),
    20: pl.Int64(),
    21: pl.Int64(),
    23: pl.Int64(),
    25: pl.String(),
    1043: pl.String(),
    1042: pl.String(),
    19: pl.String(),
    700: pl.Float64(),
    701: pl.Float64(),
    1082: pl.Date(),
    1114: pl.Datetime("us"),
    1184: pl.Datetime("us", "UTC"),
}


def _placeholders(sql: str) -> str:
    """Translate portable ``?`` placeholders into psycopg's ``%s`` (quotes respected)."""
    out: list[str] = []
    in_quote = False
    for ch in sql:
        if ch == "'":
            in_quote = not in_quote
            out.append(ch)
        elif ch == "%":
            out.append("%%")
        elif ch == "?" and not in_quote:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


def _sql(sql: str, params: Sequence[Any] | None) -> str:
    """Without parameters psycopg sends the text as is: no placeholder translation then
    (else a literal ``%`` would arrive doubled)."""
    return _placeholders(sql) if params else sql


def _max_scale(values: pl.Series) -> int:
    """Digits after the point needed to hold every value of a numeric column exactly (≤ 12)."""
    frac = values.drop_nulls().str.extract(r"\.(\d+)$").str.len_chars()
    top = frac.max()
    return min(int(top), 12) if isinstance(top, int) else 0


class PostgresStore(Store):
    backend = "postgres"
    byte_order = ' COLLATE "C"'

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        try:
            self.con = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            safe = re.sub(r"://([^:@/]+):[^@/]+@", r"://\1:***@", url)
            raise StoreError(f"cannot connect to PostgreSQL at {safe}: {exc}") from None

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.con.close()

    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> int:
        try:
            with self.con.cursor() as cur:
                cur.execute(_sql(sql, params), list(params) if params else None)  # type: ignore[arg-type]
                return cur.rowcount
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL error in {sql[:200]!r}: {exc}") from exc

    def _fetch(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        try:
            with self.con.cursor() as cur:
                cur.execute(
                    _sql(f"SELECT * FROM ({sql}) AS qt_q LIMIT 0", params),
                    list(params) if params else None,
                )  # type: ignore[arg-type]
                desc = cur.description or []
                schema: dict[str, pl.DataType] = {}
                for d in desc:
                    if d.type_code == 1700:
                        prec, scale = d.precision or 38, d.scale or 0
                        if d.precision is None:
                            schema[d.name] = pl.Decimal(38, None)  # scale inferred below
                        else:
                            schema[d.name] = pl.Decimal(prec, scale)
                    else:
                        schema[d.name] = _OID_TYPES.get(d.type_code, pl.String())
                inner = psycopg.ClientCursor(self.con).mogrify(
                    _sql(sql, params), list(params) if params else None
                )  # type: ignore[arg-type]
                buf = io.BytesIO()
                with cur.copy(f"COPY ({inner}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                    for chunk in copy:
                        buf.write(chunk)
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL error in {sql[:200]!r}: {exc}") from exc
        buf.seek(0)
        read_schema = {
            k: (
                pl.String()
                if v == pl.Boolean()
                or isinstance(v, pl.Datetime)
                or (isinstance(v, pl.Decimal) and v.scale is None)
                else v
            )
            for k, v in schema.items()
        }
        if not schema:
            return pl.DataFrame()
        # COPY … CSV writes NULL as an empty unquoted field and '' as "": Polars keeps that
        # distinction when no null_values are given (empty text stays '', NULL stays null).
        df = pl.read_csv(buf, schema=read_schema, has_header=True)
        casts = []
        for name, dtype in schema.items():
            if dtype == pl.Boolean():
                casts.append(
                    pl.col(name).replace_strict(
                        {"t": True, "f": False}, default=None, return_dtype=pl.Boolean
                    )
                )
            elif isinstance(dtype, pl.Decimal) and dtype.scale is None:
                casts.append(pl.col(name).str.to_decimal(scale=_max_scale(df[name])))
            elif isinstance(dtype, pl.Datetime):
                casts.append(
                    pl.col(name).str.to_datetime(
                        time_unit="us", strict=False, time_zone=dtype.time_zone
                    )
                )
        if casts:
            df = df.with_columns(casts)
        return df

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            with self.con.cursor() as cur:
                cur.execute(_sql(sql, params), list(params) if params else None)
                return list(cur.fetchall())
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL error in {sql[:200]!r}: {exc}") from exc

    def _stage(self, frame: pl.DataFrame, table: Table) -> str:
        name = f"qt_stage_{next(_counter)}"
        cols = ", ".join(frame.columns)
        self._exec(f"CREATE TEMPORARY TABLE {name} AS SELECT {cols} FROM {table.name} WITH NO DATA")
        buf = io.BytesIO()
        frame.write_csv(
            buf,
            include_header=True,
            null_value="",
            quote_style="non_numeric",
            datetime_format="%Y-%m-%d %H:%M:%S%.6f",
            date_format="%Y-%m-%d",
        )
        try:
            with (
                self.con.cursor() as cur,
                cur.copy(
                    f"COPY {name} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '')"
                ) as copy,
            ):
                copy.write(buf.getvalue())
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL COPY into {table.name} failed: {exc}") from exc
        return name

    def _unstage(self, name: str) -> None:
        # may run while a failed transaction is being unwound (then PostgreSQL refuses every
        # statement and drops temporary tables at ROLLBACK anyway): never mask the first error
        with contextlib.suppress(StoreError):
            self._exec(f"DROP TABLE IF EXISTS {name}")

    def _begin(self) -> None:
        self._exec("BEGIN")

    def _commit(self) -> None:
        self._exec("COMMIT")

    def _rollback(self) -> None:
        with contextlib.suppress(StoreError):
            self._exec("ROLLBACK")

    def _renamed(self, old: str, new: str) -> None:
        # the primary key's index keeps the name it was created with; give it the table's
        # (the next rebuild creates the old name again)
        old_key, new_key = ident(old + "_pkey"), ident(new + "_pkey")
        self._exec(f"ALTER INDEX IF EXISTS {old_key} RENAME TO {new_key}")

    def existing_tables(self) -> set[str]:
        rows = self._rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {str(r[0]) for r in rows}
