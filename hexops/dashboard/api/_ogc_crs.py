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

from pyproj import CRS

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
    """

    uri: str
    srid: int
    swap_axes: bool
    geographic: bool


@functools.cache
def _epsg(code: int) -> ServedCrs:
    definition = CRS.from_epsg(code)
    first_axis = definition.axis_info[0].direction.lower()
    return ServedCrs(_EPSG_URI.format(code=code), code, first_axis in ("north", "south"), definition.is_geographic)


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
