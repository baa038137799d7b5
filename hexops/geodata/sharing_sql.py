"""Pieces of the shared-layer queries: typed properties, the WHERE clause, sort keys and output geometry.

Every value a request supplies reaches PostgreSQL as a bound parameter: a
:class:`Binder` hands out placeholders (``%(f0)s``, ``%(f1)s`` ...) and keeps
the values; identifiers and SQL types come only from the fixed tables here.
A property is read from the *published* ``props`` (after
``hexops_share_props`` withheld and coarsened what the reader may not see),
so a filter or a sort on a property can only ever see what the reader is
shown anyway.

Columns of the subquery ``s`` these pieces refer to: ``s.geom`` (WGS84,
EPSG:4326), ``s.t`` (timestamptz), ``s.fid`` (text), ``s.props`` (jsonb).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import sql

#: The property types a collection may declare, and the SQL type each is compared as.
SQL_TYPES: dict[str, str] = {
    "string": "text", "number": "double precision", "integer": "double precision",
    "boolean": "boolean", "date-time": "timestamptz", "date": "date",
}


class Binder:
    """Collects bound parameters for one statement; each call returns a placeholder for a value.

    Parameters
    ----------
    prefix : str
        Prefix of the parameter names (distinct per part of a statement, so
        two binders never clash).
    """

    def __init__(self, prefix: str = "f"):
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any, sql_type: str | None = None) -> sql.Composable:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        placeholder = sql.Placeholder(name)
        if sql_type is None:
            return placeholder
        return sql.SQL("CAST({} AS {})").format(placeholder, sql.SQL(sql_type))


def property_value(binder: Binder, name: str, kind: str) -> sql.Composable:
    """A published property of ``s.props`` as its declared type (NULL when absent or withheld)."""
    return sql.SQL("CAST(s.props ->> {} AS {})").format(binder(name, "text"), sql.SQL(SQL_TYPES[kind]))


@dataclass(frozen=True)
class SortKey:
    """One ``sortby`` key: a published property, its declared type and direction."""

    name: str
    kind: str
    descending: bool = False


def _keys(sortby: tuple[SortKey, ...], temporal: bool, binder: Binder) -> list[tuple[sql.Composable, bool, str]]:
    """``(expression, descending, sql type)`` of every ordering key, the tie-breakers last.

    A property sorts with its withheld (NULL) values last in either
    direction: a NULL flag key comes first, so keyset comparisons never meet
    a NULL on one side only.
    """
    keys: list[tuple[sql.Composable, bool, str]] = []
    for key in sortby:
        value = property_value(binder, key.name, key.kind)
        keys.append((sql.SQL("({} IS NULL)").format(value), False, "boolean"))
        keys.append((value, key.descending, SQL_TYPES[key.kind]))
    if temporal:
        keys.append((sql.SQL("s.t"), True, "timestamptz"))
    keys.append((sql.SQL("s.fid"), True, "text"))
    return keys


def order_by(sortby: tuple[SortKey, ...], temporal: bool, binder: Binder) -> sql.Composable:
    """The ORDER BY list: the requested keys, then newest first and by id (a total order)."""
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(expr, sql.SQL("DESC" if desc else "ASC"))
        for expr, desc, _ in _keys(sortby, temporal, binder))


def sort_values(sortby: tuple[SortKey, ...], temporal: bool, binder: Binder) -> list[sql.Composable]:
    """The key expressions, selected beside each row so a page's last row gives the next cursor."""
    return [expr for expr, _, _ in _keys(sortby, temporal, binder)]


def after(sortby: tuple[SortKey, ...], temporal: bool, values: list, binder: Binder) -> sql.Composable:
    """Keyset condition: rows strictly after the row whose key values are ``values`` in :func:`order_by`.

    ``(k1, k2, ...) > (v1, v2, ...)`` expanded by hand, because directions
    differ between keys: ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...``.
    """
    keys = _keys(sortby, temporal, binder)
    if len(values) != len(keys):
        raise ValueError("cursor does not match the sort keys")
    values = [typed(v, t) for v, (_, _, t) in zip(values, keys)]
    branches = []
    for i, (expr, desc, sql_type) in enumerate(keys):
        equal = [sql.SQL("{} IS NOT DISTINCT FROM {}").format(e, binder(v, t))
                 for (e, _, t), v in zip(keys[:i], values[:i])]
        beyond = sql.SQL("{} {} {}").format(expr, sql.SQL("<" if desc else ">"), binder(values[i], sql_type))
        branches.append(sql.SQL("({})").format(sql.SQL(" AND ").join([*equal, beyond])))
    return sql.SQL("({})").format(sql.SQL(" OR ").join(branches))


def typed(value: Any, sql_type: str) -> Any:
    """A cursor value as the Python type bound for ``sql_type``; ValueError when it is not one.

    Cursors come back from clients, so each value is checked here rather
    than left to a cast that would fail inside PostgreSQL.
    """
    if value is None:
        return None
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("cursor value with a NUL character")
    if sql_type == "timestamptz":
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if parsed.tzinfo is None:
            raise ValueError("cursor time without an offset")
        return parsed
    if sql_type == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if sql_type == "double precision" and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"cursor value {value!r} is not a number") from None
        if math.isfinite(number):
            return number
    if sql_type == "boolean" and isinstance(value, bool):
        return value
    if sql_type == "text" and isinstance(value, str):
        return value
    raise ValueError(f"cursor value {value!r} is not a {sql_type}")


def bbox_condition(bbox: tuple[float, float, float, float], srid: int, binder: Binder) -> sql.Composable:
    """Features whose geometry truly intersects ``bbox`` (x/y order, in EPSG ``srid``), not just its envelope.

    A box given in a projected CRS is densified before it is turned into
    WGS84, so its edges stay where they were drawn.
    """
    xmin, ymin, xmax, ymax = bbox
    step = max(xmax - xmin, ymax - ymin) / 32 or 1.0
    envelope = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
        binder(xmin, "double precision"), binder(ymin, "double precision"), binder(xmax, "double precision"),
        binder(ymax, "double precision"), binder(srid, "integer"))
    if srid != 4326:
        envelope = sql.SQL("ST_Transform(ST_Segmentize({}, {}), 4326)").format(
            envelope, binder(step, "double precision"))
    return sql.SQL("ST_Intersects(s.geom, {})").format(envelope)


def time_conditions(start, end, binder: Binder) -> list[sql.Composable]:
    """``s.t`` within the closed interval ``[start, end]`` (None leaves a side open)."""
    conditions = []
    if start is not None:
        conditions.append(sql.SQL("s.t >= {}").format(binder(start, "timestamptz")))
    if end is not None:
        conditions.append(sql.SQL("s.t <= {}").format(binder(end, "timestamptz")))
    return conditions


def geometry_json(srid: int, swap_axes: bool, binder: Binder) -> sql.Composable:
    """GeoJSON geometry of ``s.geom`` in EPSG ``srid``, northing/latitude first when ``swap_axes``.

    Degrees keep 7 decimals (~1 cm); metres keep 3 (1 mm).
    """
    geom: sql.Composable = sql.SQL("s.geom")
    if srid != 4326:
        geom = sql.SQL("ST_Transform(s.geom, {})").format(binder(srid, "integer"))
    if swap_axes:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    decimals = 7 if srid == 4326 else 3
    return sql.SQL("ST_AsGeoJSON({}, {})::jsonb").format(geom, binder(decimals, "integer"))
