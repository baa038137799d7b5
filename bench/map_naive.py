"""Data of the naive map in ``bench.map``: every res-9 hex as a GeoJSON feature, plus values.

What a straightforward Plotly page would send: full-precision polygons
(WGS84, EPSG:4326) and one value per hex, all inside the figure.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import psycopg

from hexops.geodata import heatmap as q
from hexops.geodata.h3cells import cell_to_str
from hexops.services.heatmap import window_default

RESOLUTION = 9
WINDOW = timedelta(hours=3)


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values.tolist()]


def naive_values(conn: psycopg.Connection, metric: str) -> list[float | None]:
    """Values of ``metric`` per res-9 hex (geometry order) over the city map's default window.

    Queried afresh on every call, as a page's callback would: the naive
    update pays the same database query as the hexops one.
    """
    end = window_default(conn)
    return _listed(q.cell_values(conn, metric, RESOLUTION, end - WINDOW, end))


def naive_figure_data(url: str) -> tuple[list[dict], list[str], list]:
    """Features, their ids and people values (the city map's default window).

    Returns
    -------
    features : list of dict
        GeoJSON Polygon features (closed rings, lon/lat), ``id`` the H3 string.
    ids : list of str
    people : list of float or None
        Values per hex over the 3 hours ending at the latest data.
    """
    with psycopg.connect(url) as conn:
        geometry = q.cell_geometry(conn, RESOLUTION)
        people = naive_values(conn, "people")
    ids = [cell_to_str(c) for c in geometry.cells.tolist()]
    features = []
    for cell_id, ring in zip(ids, geometry.rings):
        closed = ring.tolist() + [ring[0].tolist()]
        features.append({"type": "Feature", "id": cell_id, "properties": {},
                         "geometry": {"type": "Polygon", "coordinates": [closed]}})
    return features, ids, people
