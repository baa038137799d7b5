"""Naming places: the nearest gazetteer place to points and H3 cells, as people say it.

Alerts, crew jobs, patrol stops and rain gauges are named this way
("Kowloon Park, 180 m north-west"); the H3 id stays beside the name as a
detail.  Points are WGS84 (EPSG:4326); cells any H3 resolution.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Mapping

import h3
import orjson

from hexops.geodata.gazetteer import place_phrase
from hexops.geodata.uow import UnitOfWork
from hexops.services.cache import NoCache, ReadCache

_NO_CACHE = NoCache()


def name_points(uow: UnitOfWork, points: Mapping[str, tuple[float, float]]) -> dict[str, str]:
    """``{key: "Place, 120 m north"}`` for ``{key: (lat, lon)}`` (degrees, EPSG:4326).

    Keys get ``"unnamed place"`` when the gazetteer is empty.
    """
    if not points:
        return {}
    keys = list(points)
    with uow:
        frame = uow.gazetteer.nearest_places(keys, [points[k][0] for k in keys], [points[k][1] for k in keys])
    return {str(r.key): place_phrase(r.name, r.metres, r.bearing_deg) for r in frame.itertuples()}


def name_cells(uow: UnitOfWork, cells: Iterable[int | str]) -> dict[str, str]:
    """``{h3 id string: name}`` for H3 cells (int64 or string), named at their centres."""
    ids = {h3.int_to_str(int(c)) if not isinstance(c, str) else c for c in cells}
    return name_points(uow, {c: h3.cell_to_latlng(c) for c in ids})


def _versioned(document: dict) -> dict:
    return document | {"version": hashlib.sha1(orjson.dumps(document)).hexdigest()[:16]}


def places_document(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> dict:
    """The gazetteer for the map's labels (``hexops.places/1``): names, ranks and positions (EPSG:4326)."""
    def build() -> dict:
        with uow:
            frame = uow.gazetteer.list_places()
        return _versioned({"schema": "hexops.places/1", "places": [
            {"name": r.name, "kind": r.kind, "rank": int(r.rank),
             "lon": round(float(r.lon), 5), "lat": round(float(r.lat), 5)} for r in frame.itertuples()]})
    return cache.fact(("places",), build)


def land_document(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> dict:
    """The basemap's land (``hexops.land/1``): rings of ``[lon, lat, lon, lat, ...]`` (EPSG:4326, 1e-5 deg).

    Empty (no rings) where no land was loaded: the map then draws districts on plain water.
    """
    def build() -> dict:
        with uow:
            rings = uow.gazetteer.land_for_drawing()
        return _versioned({"schema": "hexops.land/1",
                           "rings": [[round(v, 5) for xy in ring for v in xy] for ring in rings]})
    return cache.fact(("land",), build)
