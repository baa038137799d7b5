"""Fields of view on the ground: annular sectors ("wedges") in front of a camera.

A fixed camera on a pole or wall sees the ground from a near distance (below
which the lens points over it) out to the distance where people become too
small to detect; sideways it sees its horizontal angle of view.  The ground
footprint is the sector between those two radii.  Built vectorised in the
HK1980 Grid (EPSG:2326, metres) and returned in WGS84 (EPSG:4326).
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer
from hexops.city import HONG_KONG

#: Points on each arc of a wedge; 9 keeps the polygon's area within 0.5 % of
#: the true sector while staying small to store and draw.
ARC_POINTS = 9

_TO_METRIC = Transformer.from_crs("EPSG:4326", HONG_KONG.metric_crs, always_xy=True)
_TO_WGS84 = Transformer.from_crs(HONG_KONG.metric_crs, "EPSG:4326", always_xy=True)


def to_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees (EPSG:4326) to HK1980 Grid metres (EPSG:2326)."""
    return _TO_METRIC.transform(np.asarray(lon, float), np.asarray(lat, float))


def to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HK1980 Grid metres (EPSG:2326) to WGS84 degrees (EPSG:4326)."""
    return _TO_WGS84.transform(np.asarray(x, float), np.asarray(y, float))


def wedges(
    lon: np.ndarray,
    lat: np.ndarray,
    heading_deg: np.ndarray,
    angle_deg: np.ndarray,
    near_m: np.ndarray,
    far_m: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground fields of view of many cameras at once.

    Parameters
    ----------
    lon, lat : array of float
        Camera positions, EPSG:4326 degrees.
    heading_deg : array of float
        Direction the camera faces, degrees clockwise from grid north.
    angle_deg : array of float
        Horizontal angle of view, degrees (0 < angle < 360).
    near_m, far_m : array of float
        Ground distances of the near and far edges, metres (0 <= near < far).

    Returns
    -------
    polygons : numpy.ndarray of shapely.Polygon
        The wedges in EPSG:4326.
    area_m2 : numpy.ndarray of float
        Their areas in square metres, measured in EPSG:2326.
    """
    x0, y0 = to_metric(lon, lat)
    heading = np.radians(np.asarray(heading_deg, float))[:, None]
    half = np.radians(np.asarray(angle_deg, float))[:, None] / 2
    steps = np.linspace(-1.0, 1.0, ARC_POINTS)[None, :]
    bearings = heading + steps * half
    near = np.asarray(near_m, float)[:, None]
    far = np.asarray(far_m, float)[:, None]
    # Far arc left to right, then near arc right to left: a simple ring.
    far_x = x0[:, None] + far * np.sin(bearings)
    far_y = y0[:, None] + far * np.cos(bearings)
    near_x = x0[:, None] + near * np.sin(bearings[:, ::-1])
    near_y = y0[:, None] + near * np.cos(bearings[:, ::-1])
    ring_x = np.concatenate([far_x, near_x, far_x[:, :1]], axis=1)
    ring_y = np.concatenate([far_y, near_y, far_y[:, :1]], axis=1)
    metric = shapely.polygons(np.stack([ring_x, ring_y], axis=-1))
    area = shapely.area(metric)
    lon_r, lat_r = to_wgs84(ring_x.ravel(), ring_y.ravel())
    coords = np.stack([lon_r.reshape(ring_x.shape), lat_r.reshape(ring_y.shape)], axis=-1)
    return shapely.polygons(coords), area
