"""Coordinate reference systems of the shared layers (OGC API - Features Part 2: CRS by reference).

Every collection is served in CRS84 (longitude, latitude; the default),
EPSG:4326 (latitude, longitude: the EPSG axis order) and the city's metric
CRS (``settings.city.metric_crs``; HK1980 Grid, EPSG:2326, for Hong Kong,
whose EPSG axis order is northing, easting). Coordinates and ``bbox`` values
follow each CRS's own axis order, as Part 2 requires; the axis order is read
from the EPSG definition (pyproj), not assumed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pyproj import CRS, Transformer

from hexops.city import City
from hexops.dashboard.api._ogc_params import ParameterError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
_EPSG_FORMS = (re.compile(r"^http://www\.opengis\.net/def/crs/EPSG/0/(\d+)$"),
               re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE),
               re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.IGNORECASE))
_CRS84_FORMS = {CRS84, "[OGC:CRS84]", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84"}


@dataclass(frozen=True)
class ServedCrs:
    """A CRS the shared layers are served and queried in.

    Attributes
    ----------
    uri : str
        Its OGC URI (what ``crs``, ``bbox-crs`` and ``Content-Crs`` carry).
    srid : int
        The EPSG code PostGIS transforms to (4326 for CRS84 too).
    swap_axes : bool
        Whether its first axis is northing or latitude (so x/y are swapped
        between PostGIS and the wire).
    geographic : bool
        Whether coordinates are degrees.
    bounds : tuple of float
        Where its coordinates may lie, x/y order (easting/longitude first):
        the world for degrees, the EPSG area of use with a 100 km margin for
        a projected CRS (beyond it PostGIS cannot transform).
    """

    uri: str
    srid: int
    swap_axes: bool
    geographic: bool
    bounds: tuple[float, float, float, float] = (-180.0, -90.0, 180.0, 90.0)


#: How far beyond a projected CRS's area of use a coordinate may lie, in metres.
_MARGIN_M = 100_000.0


@functools.cache
def _epsg(code: int) -> ServedCrs:
    definition = CRS.from_epsg(code)
    first_axis = definition.axis_info[0].direction.lower()
    swap = first_axis in ("north", "south")
    uri = _EPSG_URI.format(code=code)
    if definition.is_geographic:
        return ServedCrs(uri, code, swap, True)
    west, south, east, north = definition.area_of_use.bounds
    to_crs = Transformer.from_crs("OGC:CRS84", definition, always_xy=True)
    xs, ys = to_crs.transform([west, west, east, east], [south, north, south, north])
    bounds = (min(xs) - _MARGIN_M, min(ys) - _MARGIN_M, max(xs) + _MARGIN_M, max(ys) + _MARGIN_M)
    return ServedCrs(uri, code, swap, False, bounds)


def served(city: City) -> list[ServedCrs]:
    """The CRSs every collection is served in: CRS84, EPSG:4326 and the city's metric CRS."""
    return [ServedCrs(CRS84, 4326, False, True), _epsg(4326), _epsg(city.metric_epsg)]


def parse_crs(text: str | None, name: str, city: City) -> ServedCrs:
    """The CRS a parameter (``crs``, ``bbox-crs``, ``filter-crs``) names; CRS84 when absent.

    Accepts the OGC URI, ``EPSG:n`` or ``[EPSG:n]`` (safe CURIE), and the URN
    forms; anything not served is a :class:`ParameterError` listing what is.
    """
    offered = served(city)
    if text is None or text == "" or text in _CRS84_FORMS:
        return offered[0]
    for form in _EPSG_FORMS:
        match = form.match(text.strip())
        if match:
            code = int(match.group(1))
            for crs in offered[1:]:
                if crs.srid == code:
                    return crs
    raise ParameterError(f"{name}: {text!r} is not served; use one of " + ", ".join(c.uri for c in offered))
