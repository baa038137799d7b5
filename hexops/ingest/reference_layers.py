"""Reading and checking reference layers: districts and cameras.

GeoJSON, GeoPackage (any OGR format, through geopandas/pyogrio) or CSV
(``lat``/``lon`` columns in WGS84, or ``x``/``y`` in the city's metric grid).
Every problem is collected and reported as one
:class:`hexops.geodata.errors.LoadError` naming the file, the row (1-based,
the n-th feature or data line) and the field, before anything is written
(:mod:`hexops.services.reference` writes a good file in one transaction).
Input in EPSG:2326 (or any CRS pyproj knows) is converted to WGS84 (EPSG:4326).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon

from hexops.analytics.fov import wedges
from hexops.geodata.errors import LoadError
from hexops.city import HONG_KONG

WGS84 = "EPSG:4326"
HK1980 = HONG_KONG.metric_crs

#: Accepted spellings of each field (the Census and Statistics Department's
#: district files use DC_CODE / DC_ENG / DC_CHIN).
DISTRICT_FIELDS = {"code": ("code", "dc_code"), "name_en": ("name_en", "dc_eng", "name"),
                   "name_zh": ("name_zh", "dc_chin")}
CAMERA_FIELDS = {"camera_id": ("camera_id", "id"), "owner_code": ("owner_code", "owner"),
                 "kind": ("kind",), "status": ("status",), "heading_deg": ("heading_deg",),
                 "angle_deg": ("angle_deg",), "range_m": ("range_m",), "near_m": ("near_m",),
                 "location_name": ("location_name", "location", "place")}
#: Longest camera location name accepted (characters).
MAX_LOCATION_NAME = 200
CAMERA_STATUSES = ("active", "maintenance", "retired")
CSV_LATLON = (("lat", "latitude"), ("lon", "lng", "longitude"))
CSV_XY = (("x", "easting"), ("y", "northing"))


def _find(columns, names) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def read_features(path: str | Path, *, layer: str | None = None, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a file into a GeoDataFrame in its own CRS (not yet converted).

    Parameters
    ----------
    path : str or Path
    layer : str, optional
        Layer of a multi-layer file (GeoPackage).
    crs : str, optional
        CRS to assume when the file declares none (CSV x/y default to
        EPSG:2326, lat/lon to EPSG:4326).

    Raises
    ------
    LoadError
        The file cannot be read, has no geometry or no CRS.
    """
    source = str(path)
    if not Path(path).exists():
        raise LoadError(source, ["file: does not exist"])
    if Path(path).suffix.lower() in (".csv", ".txt"):
        return _read_csv(source, crs)
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types; all mean "unreadable"
        raise LoadError(source, [f"file: cannot be read as a geodata file ({exc})"]) from exc
    if frame.crs is None:
        if crs is None:
            raise LoadError(source, [f"file: declares no CRS; give one (e.g. --crs {HK1980})"])
        frame = frame.set_crs(crs)
    return frame


def _read_csv(source: str, crs: str | None) -> gpd.GeoDataFrame:
    try:
        table = pd.read_csv(source, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas' parser errors carry the line
        raise LoadError(source, [f"file: cannot be read as CSV ({exc})"]) from exc
    lat, lon = (_find(table.columns, n) for n in CSV_LATLON)
    x, y = (_find(table.columns, n) for n in CSV_XY)
    if lat and lon:
        cols, default_crs = (lon, lat), WGS84
    elif x and y:
        cols, default_crs = (x, y), HK1980
    else:
        raise LoadError(source, [f"columns lat/lon (EPSG:4326) or x/y ({HK1980}): missing, "
                                 f"found {', '.join(map(str, table.columns))}"])
    problems = []
    values = {}
    for col in cols:
        parsed = pd.to_numeric(table[col].str.strip(), errors="coerce")
        for i in np.flatnonzero(parsed.isna().to_numpy()):
            problems.append(f"row {i + 1}, field {col}: not a number: {table[col].iat[i]!r}")
        values[col] = parsed.to_numpy()
    if problems:
        raise LoadError(source, problems)
    points = shapely.points(values[cols[0]], values[cols[1]])
    return gpd.GeoDataFrame(table.drop(columns=list(cols)), geometry=points, crs=crs or default_crs)


def _to_wgs84(source: str, frame: gpd.GeoDataFrame, problems: list[str]) -> gpd.GeoDataFrame:
    """Convert to EPSG:4326, flagging geometry outside the city (often a wrong CRS)."""
    declared = frame.crs.to_string()
    if frame.crs.is_geographic:
        bounds = shapely.bounds(frame.geometry.to_numpy())
        wild = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
        if wild.any():
            problems.append(f"file: CRS is {declared} (degrees) but coordinates look projected, e.g. row "
                            f"{int(np.flatnonzero(wild)[0]) + 1}; declare the right CRS (the city grid is {HK1980})")
            return frame
    out = frame.to_crs(WGS84)
    minx, miny, maxx, maxy = HONG_KONG.bounds
    b = shapely.bounds(out.geometry.to_numpy())
    outside = ~np.isnan(b[:, 0]) & ((b[:, 0] < minx) | (b[:, 2] > maxx) | (b[:, 1] < miny) | (b[:, 3] > maxy))
    for i in np.flatnonzero(outside):
        problems.append(f"row {i + 1}, field geometry: outside the city (Hong Kong SAR) "
                        f"after reading it as {declared}; is the CRS right?")
    return out


def _geometry_problems(frame: gpd.GeoDataFrame, allowed: tuple[str, ...]) -> list[str]:
    problems = []
    for i, geom in enumerate(frame.geometry):
        where = f"row {i + 1}, field geometry"
        if geom is None or geom.is_empty:
            problems.append(f"{where}: missing or empty")
        elif geom.geom_type not in allowed:
            problems.append(f"{where}: expected {' or '.join(allowed)}, got {geom.geom_type}")
        elif not geom.is_valid:
            problems.append(f"{where}: invalid ({shapely.is_valid_reason(geom)})")
    return problems


def _required(frame, fields: dict, required: tuple[str, ...], problems: list[str]) -> dict[str, str | None]:
    found = {name: _find(frame.columns, names) for name, names in fields.items()}
    present = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    for name in required:
        if found[name] is None:
            problems.append(f"column {name}: missing (accepted names: {', '.join(fields[name])}; "
                            f"found: {present})")
    return found


def _text(frame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series([""] * len(frame), index=frame.index)
    return frame[column].astype("string").fillna("").str.strip()


def _duplicates(values: pd.Series, field: str) -> list[str]:
    problems = []
    first: dict[str, int] = {}
    for i, v in enumerate(values):
        if v == "":
            problems.append(f"row {i + 1}, field {field}: empty")
        elif v in first:
            problems.append(f"row {i + 1}, field {field}: duplicate of row {first[v] + 1} ({v!r})")
        else:
            first[v] = i
    return problems


def validate_districts(source: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check a districts file; return ``code``, ``name_en``, ``name_zh``, MultiPolygon geometry (EPSG:4326)."""
    problems: list[str] = []
    found = _required(frame, DISTRICT_FIELDS, ("code", "name_en"), problems)
    if problems:
        raise LoadError(source, problems)
    codes = _text(frame, found["code"])
    problems += _duplicates(codes, found["code"])
    names = _text(frame, found["name_en"])
    problems += [f"row {i + 1}, field {found['name_en']}: empty" for i in np.flatnonzero((names == "").to_numpy())]
    problems += _geometry_problems(frame, ("Polygon", "MultiPolygon"))
    if problems:
        raise LoadError(source, problems)
    out = _to_wgs84(source, frame, problems)
    if problems:
        raise LoadError(source, problems)
    zh = _text(frame, found["name_zh"])
    zh = zh.where(zh != "", None)
    return gpd.GeoDataFrame(
        {"code": codes.to_numpy(), "name_en": names.to_numpy(), "name_zh": zh.to_numpy()},
        geometry=[g if isinstance(g, MultiPolygon) else MultiPolygon([g]) for g in out.geometry],
        crs=WGS84,
    )


def validate_cameras(source: str, frame: gpd.GeoDataFrame, departments: set[str]) -> gpd.GeoDataFrame:
    """Check a cameras file; return registry columns with Point geometry (EPSG:4326).

    ``location_name`` (optional: a street or landmark, "Nathan Road outside Mong Kok
    station") is kept as given; an empty one keeps the name the registry already has.

    A field of view is built when ``heading_deg`` and ``range_m`` are given
    (``angle_deg`` defaults to 70, ``near_m`` to 3).
    """
    problems: list[str] = []
    found = _required(frame, CAMERA_FIELDS, ("camera_id", "owner_code"), problems)
    if problems:
        raise LoadError(source, problems)
    ids = _text(frame, found["camera_id"])
    problems += _duplicates(ids, found["camera_id"])
    owners = _text(frame, found["owner_code"])
    for i, owner in enumerate(owners):
        if owner not in departments:
            problems.append(f"row {i + 1}, field {found['owner_code']}: unknown department {owner!r} "
                            f"(known: {', '.join(sorted(departments))})")
    status = _text(frame, found["status"]).replace("", "active")
    for i, s in enumerate(status):
        if s not in CAMERA_STATUSES:
            problems.append(f"row {i + 1}, field {found['status']}: {s!r} is not one of {', '.join(CAMERA_STATUSES)}")
    kind = _text(frame, found["kind"]).replace("", "street")
    location = _text(frame, found["location_name"])
    problems += _location_name_problems(location, found["location_name"])
    problems += _geometry_problems(frame, ("Point",))
    fov_params = _fov_params(frame, found, problems)
    if problems:
        raise LoadError(source, problems)
    out = _to_wgs84(source, frame, problems)
    if problems:
        raise LoadError(source, problems)
    result = gpd.GeoDataFrame({"camera_id": ids.to_numpy(), "owner_code": owners.to_numpy(),
                               "kind": kind.to_numpy(), "status": status.to_numpy(),
                               "location_name": location.to_numpy(dtype=object)},
                              geometry=out.geometry.to_numpy(), crs=WGS84)
    if fov_params is not None:
        fov, area = wedges(result.geometry.x.to_numpy(), result.geometry.y.to_numpy(), *fov_params)
        result["fov"], result["fov_area_m2"] = fov, area
    return result


def _location_name_problems(names: pd.Series, field: str | None) -> list[str]:
    """An optional location name: printable text of at most :data:`MAX_LOCATION_NAME` characters."""
    problems = []
    for i, name in enumerate(names):
        if len(name) > MAX_LOCATION_NAME:
            problems.append(f"row {i + 1}, field {field}: at most {MAX_LOCATION_NAME} characters, got {len(name)}")
        elif name and not name.isprintable():
            problems.append(f"row {i + 1}, field {field}: control characters are not allowed in a location name")
    return problems


def _fov_params(frame, found: dict, problems: list[str]):
    if found["heading_deg"] is None or found["range_m"] is None:
        return None
    limits = {"heading_deg": (0.0, 360.0, None), "angle_deg": (1.0, 359.0, 70.0),
              "range_m": (1.0, 500.0, None), "near_m": (0.0, 100.0, 3.0)}
    values = {}
    for name, (low, high, default) in limits.items():
        col = found[name]
        raw = pd.Series([default] * len(frame)) if col is None else pd.to_numeric(frame[col], errors="coerce")
        arr = raw.to_numpy(dtype=float)
        for i in np.flatnonzero(~((arr >= low) & (arr <= high))):
            problems.append(f"row {i + 1}, field {col}: must be a number in [{low:g}, {high:g}], got {frame[col].iat[i]!r}")
        values[name] = arr
    bad = np.flatnonzero(values["near_m"] >= values["range_m"])
    problems += [f"row {i + 1}, field {found['near_m']}: must be less than range_m" for i in bad]
    return values["heading_deg"], values["angle_deg"], values["near_m"], values["range_m"]
