"""Reading and validating the files behind crowds and floods: zones, places, calibration, rainfall.

Every reader returns a clean frame or raises :class:`geodata.errors.LoadError`
listing each bad row and field; it never returns part of a file.  Polygon
layers (GeoJSON, GeoPackage, anything GDAL reads) may be in WGS84
(EPSG:4326, the default when a file states none) or HK1980 Grid
(EPSG:2326); they are converted to EPSG:4326 and areas are measured in
EPSG:2326 (m2).
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from hexops.geodata.errors import LoadError
from hexops.city import HONG_KONG
from hexops.times import YEARS

_ACCEPTED_CRS = (4326, HONG_KONG.metric_epsg)
#: Largest believable visible ground of one camera (m2): a wide plaza.
MAX_FOV_M2 = 50_000.0


def read_layer(path: str | Path) -> gpd.GeoDataFrame:
    """A polygon layer in EPSG:4326; LoadError if unreadable or in another CRS."""
    source = str(path)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
        raise LoadError(source, [f"file: cannot be read as a GIS layer ({exc})"]) from exc
    if frame.crs is None:
        frame = frame.set_crs(4326)
    epsg = frame.crs.to_epsg()
    if epsg not in _ACCEPTED_CRS:
        raise LoadError(source, [f"file: CRS {frame.crs.to_string()} is not EPSG:4326 or {HONG_KONG.metric_crs}"])
    return frame.to_crs(4326) if epsg != 4326 else frame


def _text(value: Any, field: str, row: int, problems: list[str], max_len: int = 200) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        problems.append(f"row {row}, field {field}: missing")
        return None
    text = str(value).strip()
    if len(text) > max_len:
        problems.append(f"row {row}, field {field}: longer than {max_len} characters")
        return None
    return text


def _number(value: Any, field: str, row: int, problems: list[str], ok: Callable[[float], bool], rule: str):
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"row {row}, field {field}: {value!r} is not a number")
        return None
    if math.isnan(number) or not ok(number):
        problems.append(f"row {row}, field {field}: {value!r} must be {rule}")
        return None
    return number


def _polygon(geom: Any, row: int, problems: list[str], multi: bool = False):
    if geom is None or geom.is_empty:
        problems.append(f"row {row}, field geometry: missing")
        return None
    if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1 and not multi:
        geom = geom.geoms[0]
    kinds = (Polygon, MultiPolygon) if multi else (Polygon,)
    if not isinstance(geom, kinds):
        problems.append(f"row {row}, field geometry: a {geom.geom_type}, expected a polygon")
        return None
    if not geom.is_valid:
        problems.append(f"row {row}, field geometry: invalid polygon ({shapely.is_valid_reason(geom)})")
        return None
    return geom


def areas_m2(geoms: list) -> list[float]:
    return list(gpd.GeoSeries(geoms, crs=4326).to_crs(HONG_KONG.metric_crs).area)


def _duplicates(ids: list[str | None], field: str, problems: list[str]) -> None:
    seen: dict[str, int] = {}
    for row, value in enumerate(ids, start=1):
        if value is None:
            continue
        if value in seen:
            problems.append(f"row {row}, field {field}: {value!r} repeats row {seen[value]}")
        seen.setdefault(value, row)


def read_zones(path: str | Path) -> pd.DataFrame:
    """Event zones: ``zone_id``, ``name``, ``capacity`` (people), optional ``event_name``; polygons."""
    layer, problems, out = read_layer(path), [], []
    for row, rec in enumerate(layer.to_dict("records"), start=1):
        zone_id = _text(rec.get("zone_id"), "zone_id", row, problems, 64)
        name = _text(rec.get("name"), "name", row, problems)
        cap = _number(rec.get("capacity"), "capacity", row, problems, lambda v: v > 0 and v == int(v),
                      "a whole number above 0")
        geom = _polygon(rec.get("geometry"), row, problems)
        event = rec.get("event_name")
        out.append((zone_id, name, None if event is None or pd.isna(event) else str(event), cap, geom))
    _duplicates([o[0] for o in out], "zone_id", problems)
    if problems:
        raise LoadError(str(path), problems)
    frame = pd.DataFrame(out, columns=["zone_id", "name", "event_name", "capacity", "geometry"])
    frame["capacity"] = frame["capacity"].astype(int)
    frame["area_m2"] = areas_m2(list(frame["geometry"]))
    return frame


def read_low_lying(path: str | Path) -> pd.DataFrame:
    """Low-lying places: ``place_id``, ``name``, optional ``prior`` (0..1, default 0.5) and ``kind``."""
    layer, problems, out = read_layer(path), [], []
    for row, rec in enumerate(layer.to_dict("records"), start=1):
        place_id = _text(rec.get("place_id"), "place_id", row, problems, 64)
        name = _text(rec.get("name"), "name", row, problems)
        raw_prior = rec.get("prior")
        prior = 0.5 if raw_prior is None or (isinstance(raw_prior, float) and math.isnan(raw_prior)) else _number(
            raw_prior, "prior", row, problems, lambda v: 0 <= v <= 1, "between 0 and 1")
        kind = rec.get("kind")
        geom = _polygon(rec.get("geometry"), row, problems, multi=True)
        out.append((place_id, name, "low_lying" if kind is None or pd.isna(kind) else str(kind), prior, geom))
    _duplicates([o[0] for o in out], "place_id", problems)
    if problems:
        raise LoadError(str(path), problems)
    return pd.DataFrame(out, columns=["place_id", "name", "kind", "prior", "geometry"])


def read_calibration(path: str | Path) -> pd.DataFrame:
    """Cameras' visible ground: ``camera_id`` and a polygon each; returns ``fov_area_m2`` too."""
    layer, problems, out = read_layer(path), [], []
    for row, rec in enumerate(layer.to_dict("records"), start=1):
        camera_id = _text(rec.get("camera_id"), "camera_id", row, problems, 64)
        out.append((camera_id, _polygon(rec.get("geometry"), row, problems)))
    _duplicates([o[0] for o in out], "camera_id", problems)
    good = [g for _, g in out if g is not None]
    for (camera_id, geom), area in zip([o for o in out if o[1] is not None], areas_m2(good) if good else []):
        if not 1.0 <= area <= MAX_FOV_M2:
            row = [o[0] for o in out].index(camera_id) + 1
            problems.append(f"row {row}, field geometry: visible area {area:.0f} m2 is outside 1..{MAX_FOV_M2:.0f} m2")
    if problems:
        raise LoadError(str(path), problems)
    frame = pd.DataFrame(out, columns=["camera_id", "fov"])
    frame["fov_area_m2"] = areas_m2(list(frame["fov"]))
    return frame


def parse_time(value: Any) -> datetime:
    """An ISO-8601 time with an offset (naive times are refused: their zone is a guess)."""
    stamp = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        raise ValueError("has no UTC offset")
    if not YEARS[0] <= stamp.year <= YEARS[1]:
        raise ValueError(f"is outside the years {YEARS[0]}-{YEARS[1]}")
    return stamp


def validate_rainfall(records: list[dict], source: str, row_label: Callable[[int], str]) -> pd.DataFrame:
    """Rainfall readings from dicts: ``station_id``, ``observed_at``, ``mm_per_h`` and either
    ``district_code`` or ``lon``/``lat`` (EPSG:4326).  ``row_label(i)`` names the i-th record."""
    problems, out = [], []
    for i, rec in enumerate(records):
        where = row_label(i)
        sub: list[str] = []
        station = _text(rec.get("station_id"), "station_id", 0, sub, 64)
        try:
            when = parse_time(rec.get("observed_at"))
        except (TypeError, ValueError) as exc:
            sub.append(f"row 0, field observed_at: {rec.get('observed_at')!r} is not an ISO-8601 time with offset "
                       f"({exc})")
            when = None
        mm = _number(rec.get("mm_per_h"), "mm_per_h", 0, sub, lambda v: 0 <= v < 500, "at least 0 and below 500")
        district = rec.get("district_code") or None
        lon, lat = rec.get("lon"), rec.get("lat")
        has_point = lon not in (None, "") and lat not in (None, "")
        if has_point:
            lon = _number(lon, "lon", 0, sub, lambda v: -180 <= v <= 180, "a longitude")
            lat = _number(lat, "lat", 0, sub, lambda v: -90 <= v <= 90, "a latitude")
        elif district is None:
            sub.append("row 0, field district_code: give a district_code or lon and lat")
        problems += [p.replace("row 0", where, 1) for p in sub]
        out.append((station, when, mm, district, lon if has_point else math.nan, lat if has_point else math.nan))
    if problems:
        raise LoadError(source, problems)
    return pd.DataFrame(out, columns=["station_id", "observed_at", "mm_per_h", "district_code", "lon", "lat"])


def read_rainfall_csv(path: str | Path) -> pd.DataFrame:
    """Rainfall readings from a CSV file with a header row (rows named by file line)."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            records = list(reader)
            columns = set(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(str(path), [f"file: cannot be read as CSV ({exc})"]) from exc
    missing = {"station_id", "observed_at", "mm_per_h"} - columns
    if missing:
        raise LoadError(str(path), [f"line 1: missing column(s) {', '.join(sorted(missing))}"])
    return validate_rainfall(records, str(path), lambda i: f"line {i + 2}")


def read_crews_csv(path: str | Path) -> pd.DataFrame:
    """Drainage crews CSV: ``crew_id``, ``name``, ``depot_id``, ``depot_name``, ``lon``, ``lat``
    (the depot's position, EPSG:4326).  A depot named twice must sit at the same place."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            records = list(reader)
            columns = set(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(str(path), [f"file: cannot be read as CSV ({exc})"]) from exc
    missing = {"crew_id", "name", "depot_id", "depot_name", "lon", "lat"} - columns
    if missing:
        raise LoadError(str(path), [f"line 1: missing column(s) {', '.join(sorted(missing))}"])
    problems: list[str] = []
    out = []
    depots: dict[str, tuple[float | None, float | None, int]] = {}
    for i, rec in enumerate(records):
        sub: list[str] = []
        crew = _text(rec.get("crew_id"), "crew_id", 0, sub, 64)
        name = _text(rec.get("name"), "name", 0, sub)
        depot = _text(rec.get("depot_id"), "depot_id", 0, sub, 64)
        depot_name = _text(rec.get("depot_name"), "depot_name", 0, sub)
        lon = _number(rec.get("lon"), "lon", 0, sub, lambda v: -180 <= v <= 180, "a longitude")
        lat = _number(rec.get("lat"), "lat", 0, sub, lambda v: -90 <= v <= 90, "a latitude")
        if depot is not None and lon is not None and lat is not None:
            first = depots.setdefault(depot, (lon, lat, i + 2))
            if (first[0], first[1]) != (lon, lat):
                sub.append(f"row 0, field lon: depot {depot!r} is placed elsewhere on line {first[2]}")
        problems += [p.replace("row 0", f"line {i + 2}", 1) for p in sub]
        out.append((crew, name, depot, depot_name, lon, lat))
    seen: dict[str, int] = {}
    for i, (crew, *_rest) in enumerate(out):
        if crew is not None and crew in seen:
            problems.append(f"line {i + 2}, field crew_id: {crew!r} repeats line {seen[crew]}")
        seen.setdefault(crew, i + 2)
    if problems:
        raise LoadError(str(path), problems)
    return pd.DataFrame(out, columns=["crew_id", "name", "depot_id", "depot_name", "lon", "lat"])
