"""Reading one export file column-wise with DuckDB: check its columns, numbers, currency and month,
keep ECR's rows of the month, and sum them per key. A reader (CUR 2.0, FOCUS) only names the
expressions that give each field from its columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...core.errors import InputError
from ...core.period import Month
from ...core.sql import connect
from .frame import ECR_PRODUCTS, TRANSFER_PRODUCT, TRANSFER_SUFFIXES
from .locate import Part

NUMBER = "DECIMAL(38,12)"
# The fields a reader gives, as SQL over its columns: text, except the numbers (checked here).
FIELDS = ("period", "account_id", "region", "usage_type", "resource_id", "product", "detail", "currency")
NUMBERS = ("quantity", "cost", "list_cost", "net_cost")


@dataclass(frozen=True)
class Layout:
    """A bill layout: its name, the columns it must have, and SQL for every field (``exprs``: field →
    expression, given the file's columns and their DuckDB types). ``numbers``: numeric field → the
    column named in messages."""

    name: str
    required: tuple[str, ...]
    exprs: Any  # Callable[[dict[str, str]], dict[str, str]]
    numbers: dict[str, str]


@dataclass(frozen=True)
class Read:
    groups: list[dict[str, Any]]
    layout: Layout  # the layout the file was read as
    other_months: list[str]  # the months of in-scope rows outside the one asked for
    net_cost: Decimal | None  # the sum of a net cost column (CUR's net unblended), when the file has one


def read_part(part: Part, layouts: Sequence[Layout], month: Month) -> Read:
    """ECR's rows of ``month`` in one file, read as the first of ``layouts`` whose columns it has,
    summed by every text field and ``free`` (usage at no cost)."""
    path, shown = part
    con = connect()
    try:
        return _read(con, path, shown, layouts, month)
    finally:
        con.close()


def _relation(con: Any, path: Any, shown: str) -> Any:
    import duckdb

    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return con.read_parquet(str(path))
        return con.read_csv(str(path), header=True, all_varchar=True)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot be read as {'Parquet' if name.endswith('.parquet') else 'CSV'}: {first}", file=shown
        ) from None


def _missing(layout: Layout, types: dict[str, str]) -> str | None:
    for column in layout.required:
        if not any(alt in types for alt in column.split("|")):
            return column.replace("|", "' or '")
    return None


def _read(con: Any, path: Any, shown: str, layouts: Sequence[Layout], month: Month) -> Read:
    import duckdb

    rel = _relation(con, path, shown)
    types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    layout = next((lay for lay in layouts if _missing(lay, types) is None), None)
    if layout is None:
        names = " or ".join(lay.name for lay in layouts)
        raise InputError(
            f"not a {names} export: column '{_missing(layouts[0], types)}' is missing", file=shown
        )
    exprs = layout.exprs(types)
    con.register("bill_src", rel)
    select = ", ".join(f"{exprs[f]} AS {f}" for f in (*FIELDS, *NUMBERS))
    parquet = path.name.lower().endswith(".parquet")
    try:
        # Only ECR's rows are kept (and checked): a CUR holds every service's.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE bill_t AS SELECT * FROM (SELECT {select}, "
            f"row_number() OVER () AS row_number FROM bill_src) WHERE {_scope_sql()}"
        )
        label, offset = ("row", 0) if parquet else ("line", 1)
        for field, column in layout.numbers.items():
            bad = con.execute(
                f"SELECT row_number, {field} FROM bill_t WHERE {field} IS NOT NULL AND trim({field}) <> '' "
                f"AND TRY_CAST({field} AS {NUMBER}) IS NULL ORDER BY row_number LIMIT 1"
            ).fetchone()
            if bad:
                raise InputError(
                    f"'{bad[1]}' is not a number",
                    file=shown,
                    row=bad[0] + offset,
                    column=column,
                    row_label=label,
                )
        months = [  # bill_t holds the in-scope rows only
            m
            for (m,) in con.execute(
                "SELECT DISTINCT left(period, 7) FROM bill_t WHERE left(period, 7) <> ?",
                [str(month)],
            ).fetchall()
        ]
        month_rows = f"left(period, 7) = '{month}'"
        currency = con.execute(
            f"SELECT row_number, currency FROM bill_t WHERE {month_rows} AND coalesce(currency, 'USD') "
            "NOT IN ('USD', '') ORDER BY row_number LIMIT 1"
        ).fetchone()
        if currency:
            raise InputError(
                f"billed in {currency[1]}: ecrcost reconciles USD bills only",
                file=shown,
                row=currency[0] + offset,
                column=layout.numbers["cost"],
                row_label=label,
            )
        keys = ", ".join(f"coalesce({k}, '')" for k in FIELDS if k not in ("period", "currency"))
        quantity, cost = f"TRY_CAST(quantity AS {NUMBER})", f"TRY_CAST(cost AS {NUMBER})"
        rows = con.execute(
            f"SELECT {keys}, (coalesce({cost}, 0) = 0 AND coalesce({quantity}, 0) > 0) AS free, "
            f"sum(coalesce({quantity}, 0)), sum(coalesce({cost}, 0)), "
            f"sum(coalesce(TRY_CAST(list_cost AS {NUMBER}), {cost}, 0)), count(*) "
            f"FROM bill_t WHERE {month_rows} GROUP BY ALL"
        ).fetchall()
        net = con.execute(
            f"SELECT count(net_cost), sum(TRY_CAST(net_cost AS {NUMBER})) FROM bill_t WHERE {month_rows}"
        ).fetchone()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"cannot be read as a {layout.name} export: {first}", file=shown) from None
    finally:
        con.execute("DROP TABLE IF EXISTS bill_t")
        con.unregister("bill_src")
    groups = [
        dict(
            zip(
                [
                    "account_id",
                    "region",
                    "usage_type",
                    "resource_id",
                    "product",
                    "detail",
                    "free",
                    "quantity",
                    "cost",
                    "list_cost",
                    "rows",
                ],
                r,
                strict=True,
            )
        )
        for r in rows
    ]
    return Read(groups, layout, months, net[1] if net and net[0] else None)


def _scope_sql() -> str:
    ecr = ", ".join(f"'{p}'" for p in ECR_PRODUCTS)
    transfer = " OR ".join(f"usage_type LIKE '%{s}'" for s in TRANSFER_SUFFIXES)
    return f"(product IN ({ecr}) OR (product = '{TRANSFER_PRODUCT}' AND ({transfer})))"


def text(column: str, types: dict[str, str]) -> str:
    """SQL for a column as text ('' when the file lacks it)."""
    return f'CAST("{column}" AS VARCHAR)' if column in types else "CAST(NULL AS VARCHAR)"


def first_of(columns: tuple[str, ...], types: dict[str, str]) -> str:
    """SQL for the first of ``columns`` the file has, as text."""
    for c in columns:
        if c in types:
            return text(c, types)
    return "CAST(NULL AS VARCHAR)"
