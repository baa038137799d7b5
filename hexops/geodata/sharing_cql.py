"""CQL2 filters (parsed by pygeofilter) turned into SQL over a shared layer's *published* properties.

The parser (``pygeofilter.parsers.cql2_text`` / ``cql2_json``) gives an AST;
:func:`compile_filter` walks it and builds a :class:`psycopg.sql.Composed`
whose every value -- property names included -- is a bound parameter. Only
the properties the reader is shown (its queryables) may be named, and they
are read from the output of ``hexops_share_props``: a withheld count is NULL
there and a coarsened share is already coarsened, so no comparison, range
or pattern can tell a withheld value from another (docs/access.md).

Supported (the CQL2 conformance classes ``/conformance`` claims): basic CQL2
(comparisons, AND/OR/NOT, IS NULL, ``INCLUDE``/``EXCLUDE``), advanced
comparison operators (LIKE, BETWEEN, IN), every spatial function
(``S_INTERSECTS`` ... ``S_CROSSES``) on the ``geometry`` queryable with any
geometry or BBOX literal, and property-property comparisons. Anything else
(arithmetic, functions, temporal and array operators) is refused naming it.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timezone

import shapely
import shapely.errors
import shapely.geometry
from psycopg import sql
from pygeofilter import ast, values

from hexops.errors import InputError
from hexops.geodata.sharing_sql import SQL_TYPES, Binder, property_value

#: The queryable that stands for a feature's geometry in spatial functions.
GEOMETRY = "geometry"

_COMPARISONS = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
                ast.GreaterThan: ">", ast.GreaterEqual: ">="}
_SPATIAL = {ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
            ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within",
            ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
            ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals"}
_NUMERIC = ("number", "integer")


class FilterError(InputError):
    """A filter this API cannot evaluate; the message says what and why."""

    def __init__(self, message: str):
        super().__init__(f"filter: {message}", field="filter")


class _Compiler:
    def __init__(self, fields: dict[str, str], srid: int, swap_axes: bool, binder: Binder,
                 bounds: tuple[float, float, float, float]):
        self.fields, self.srid, self.swap_axes, self.bind, self.bounds = fields, srid, swap_axes, binder, bounds

    # -- conditions -------------------------------------------------------------------------------

    def condition(self, node) -> sql.Composable:
        if isinstance(node, ast.And) or isinstance(node, ast.Or):
            joiner = " AND " if isinstance(node, ast.And) else " OR "
            return sql.SQL("({})").format(sql.SQL(joiner).join([self.condition(node.lhs), self.condition(node.rhs)]))
        if isinstance(node, ast.Not):
            return sql.SQL("(NOT {})").format(self.condition(node.sub_node))
        if isinstance(node, ast.Include):
            return sql.SQL("FALSE" if node.not_ else "TRUE")
        if type(node) in _COMPARISONS:
            left, right = self.pair(node.lhs, node.rhs)
            return sql.SQL("({} {} {})").format(left, sql.SQL(_COMPARISONS[type(node)]), right)
        if isinstance(node, ast.Between):
            value, kind = self.property(node.lhs)
            if kind not in _NUMERIC + ("date-time", "date", "string"):
                raise FilterError(f"BETWEEN needs a number, text or time property, not {kind}")
            low, high = self.literal(node.low, kind), self.literal(node.high, kind)
            return sql.SQL("({} {}BETWEEN {} AND {})").format(value, sql.SQL("NOT " if node.not_ else ""), low, high)
        if isinstance(node, ast.Like):
            value, kind = self.property(node.lhs)
            if kind != "string" or not isinstance(node.pattern, str):
                raise FilterError("LIKE compares a text property with a text pattern")
            # CQL2's wildcards (% and _) and escape (\) are SQL's.
            return sql.SQL("({} {}{} {} ESCAPE '\\')").format(
                value, sql.SQL("NOT " if node.not_ else ""), sql.SQL("ILIKE" if node.nocase else "LIKE"),
                self.bind(node.pattern, "text"))
        if isinstance(node, ast.In):
            value, kind = self.property(node.lhs)
            if not isinstance(node.sub_nodes, (list, tuple)) or not node.sub_nodes:
                raise FilterError("IN takes a non-empty list of values")
            options = sql.SQL(", ").join(self.literal(option, kind) for option in node.sub_nodes)
            return sql.SQL("({} {}IN ({}))").format(value, sql.SQL("NOT " if node.not_ else ""), options)
        if isinstance(node, ast.IsNull):
            value, _ = self.property(node.lhs)
            return sql.SQL("({} IS {}NULL)").format(value, sql.SQL("NOT " if node.not_ else ""))
        if isinstance(node, ast.BBox):
            return sql.SQL("ST_Intersects({}, {})").format(
                self.spatial(node.lhs), self.envelope([node.minx, node.miny, node.maxx, node.maxy]))
        if type(node) in _SPATIAL:
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(node)]), self.spatial(node.lhs),
                                                self.spatial(node.rhs))
        raise FilterError(f"{_name(node)} is not supported (see /conformance for what is)")

    # -- operands ---------------------------------------------------------------------------------

    def property(self, node) -> tuple[sql.Composable, str]:
        if not isinstance(node, ast.Attribute):
            raise FilterError(f"expected a property name, got {_name(node)}")
        name = node.name
        if name == GEOMETRY:
            raise FilterError("the geometry is compared with spatial functions (S_INTERSECTS, ...)")
        if name not in self.fields:
            raise FilterError(f"{name!r} is not a queryable of this collection (see its /queryables)")
        kind = self.fields[name]
        return property_value(self.bind, name, kind), kind

    def pair(self, lhs, rhs) -> tuple[sql.Composable, sql.Composable]:
        """Both sides of a comparison, the literal one cast to the property's type."""
        if isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            (left, left_kind), (right, right_kind) = self.property(lhs), self.property(rhs)
            if SQL_TYPES[left_kind] != SQL_TYPES[right_kind]:
                raise FilterError(f"{lhs.name!r} ({left_kind}) and {rhs.name!r} ({right_kind}) cannot be compared")
            return left, right
        if isinstance(lhs, ast.Attribute):
            left, kind = self.property(lhs)
            return left, self.literal(rhs, kind)
        if isinstance(rhs, ast.Attribute):
            right, kind = self.property(rhs)
            return self.literal(lhs, kind), right
        for side in (lhs, rhs):
            if isinstance(side, ast.Node):
                raise FilterError(f"{_name(side)} is not supported (see /conformance for what is)")
        raise FilterError("a comparison needs a property on at least one side")

    def literal(self, value, kind: str) -> sql.Composable:
        return self.bind(_coerce(value, kind), SQL_TYPES[kind])

    def spatial(self, node) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            if node.name != GEOMETRY:
                raise FilterError(f"spatial functions take the {GEOMETRY!r} queryable, not {node.name!r}")
            return sql.SQL("s.geom")
        if isinstance(node, values.Geometry):
            return self.geometry(node.geometry)
        if isinstance(node, values.Envelope):
            return self.envelope([node.x1, node.y1, node.x2, node.y2])
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            return self.envelope(list(node.arguments))
        raise FilterError(f"expected {GEOMETRY!r} or a geometry literal, got {_name(node)}")

    def geometry(self, geojson: dict) -> sql.Composable:
        """A geometry literal, checked and made valid here, bound as WKB (x/y order, EPSG ``srid``) to WGS84."""
        try:
            geometry = shapely.geometry.shape(geojson)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError):
            raise FilterError("a geometry literal is not a valid geometry") from None
        if geometry.is_empty:
            raise FilterError("a geometry literal is empty")
        if self.swap_axes:
            # The literal is in the filter CRS's axis order (latitude or northing first): x/y for PostGIS.
            geometry = shapely.transform(geometry, lambda coordinates: coordinates[:, ::-1])
        self._within_bounds(*geometry.bounds)
        valid = shapely.make_valid(geometry)
        literal = sql.SQL("ST_GeomFromWKB({}, {})").format(self.bind(shapely.to_wkb(valid), "bytea"),
                                                          self.bind(self.srid, "integer"))
        return sql.SQL("ST_Transform({}, 4326)").format(literal)

    def envelope(self, numbers: list) -> sql.Composable:
        if len(numbers) not in (4, 6) or not all(isinstance(n, (int, float)) and not isinstance(n, bool)
                                                 and _finite(n) for n in numbers):
            raise FilterError("BBOX takes 4 or 6 finite numbers")
        half = len(numbers) // 2
        x1, y1, x2, y2 = numbers[0], numbers[1], numbers[half], numbers[half + 1]
        if self.swap_axes:
            x1, y1, x2, y2 = y1, x1, y2, x2
        self._within_bounds(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        envelope = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
            *(self.bind(float(v), "double precision") for v in (x1, y1, x2, y2)), self.bind(self.srid, "integer"))
        return sql.SQL("ST_Transform({}, 4326)").format(envelope)

    def _within_bounds(self, xmin: float, ymin: float, xmax: float, ymax: float) -> None:
        west, south, east, north = self.bounds
        if not all(_finite(v) for v in (xmin, ymin, xmax, ymax)) or xmin < west or ymin < south \
                or xmax > east or ymax > north:
            raise FilterError(f"a geometry literal lies outside the filter CRS's area ({west:g}, {south:g}, "
                              f"{east:g}, {north:g} in x/y order)")


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _name(node) -> str:
    if isinstance(node, ast.Function):
        return f"function {node.name}()"
    return type(node).__name__ if isinstance(node, ast.Node) else repr(node)


def _coerce(value, kind: str):
    """A literal as the Python value of ``kind``; a mismatch is a :class:`FilterError`."""
    if isinstance(value, ast.Node) or isinstance(value, (values.Geometry, values.Envelope, values.Interval)):
        raise FilterError(f"expected a {kind} value, got {_name(value)}")
    if kind == "string":
        if isinstance(value, str) and "\x00" not in value:
            return value
    elif kind in _NUMERIC:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value):
            return float(value)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "date-time":
        return _instant(value)
    elif kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    raise FilterError(f"{value!r} is not a {kind}")


def _instant(value) -> datetime:
    # GDAL's cql-text writes times as quoted strings ('2026-11-20T08:00:00Z'); CQL2 wraps them in TIMESTAMP().
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00").rstrip("T"))
        except ValueError:
            raise FilterError(f"{value!r} is not a date-time") from None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    raise FilterError(f"{value!r} is not a date-time")


#: Where WGS84 coordinates can lie (x/y: longitude, latitude).
WORLD = (-180.0, -90.0, 180.0, 90.0)


def compile_filter(node, fields: dict[str, str], *, srid: int = 4326, swap_axes: bool = False,
                   bounds: tuple[float, float, float, float] = WORLD,
                   binder: Binder | None = None) -> tuple[sql.Composable, dict]:
    """SQL for a pygeofilter AST over the published properties ``fields`` (name -> declared type).

    Parameters
    ----------
    node
        The parsed filter.
    fields : dict
        The reader's queryables and their types (:data:`sharing_sql.SQL_TYPES` keys).
    srid, swap_axes
        The CRS of geometry literals (``filter-crs``; EPSG code, and whether
        its first axis is latitude or northing). Default CRS84.
    bounds
        Where that CRS's coordinates may lie (x/y order); a literal outside
        is refused before PostGIS would fail to transform it.

    Returns
    -------
    (sql.Composable, dict)
        The condition over ``s`` and its bound parameters.
    """
    binder = binder or Binder("q")
    condition = _Compiler(fields, srid, swap_axes, binder, bounds).condition(node)
    return condition, binder.params
