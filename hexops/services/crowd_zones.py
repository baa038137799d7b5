"""Event zones: drawn on the Events page, or loaded from a polygon layer with cameras' visible ground.

A zone is a polygon (WGS84, EPSG:4326) with a capacity in people; its area
is measured in the city's metric CRS.  Every change recomputes the cameras'
ground shares of the zones (:func:`hexops.services.crowd.calibrate_zones`)
in the same transaction.
"""

from __future__ import annotations

import re
import secrets

import numpy as np
import pandas as pd
import shapely

from hexops.city import HONG_KONG
from hexops.errors import InputError
from hexops.geodata.errors import LoadError
from hexops.geodata.uow import UnitOfWork
from hexops.services import validation
from hexops.services.crowd import calibrate, calibrate_zones
from hexops.ingest.reference_files import areas_m2, read_calibration, read_zones


def load_zones_file(uow: UnitOfWork, path) -> dict[str, int]:
    """Load event zones from a polygon layer and recalibrate (one transaction; LoadError on bad rows)."""
    zones = read_zones(path)
    with uow:
        uow.crowd.upsert_zones(zones)
        calibrated = calibrate(uow)
        uow.commit()
    return {"zones": len(zones)} | {f"calibrated_{k}": v for k, v in calibrated.items()}


def load_calibration_file(uow: UnitOfWork, path) -> dict[str, int]:
    """Set cameras' visible ground from a polygon layer and recalibrate (LoadError names unknown cameras)."""
    frame = read_calibration(path)
    with uow:
        unknown = uow.crowd.unknown_cameras(frame["camera_id"])
        if unknown:
            raise LoadError(str(path), [f"row {i}, field camera_id: unknown camera {c!r}"
                                        for i, c in enumerate(frame["camera_id"], start=1) if c in unknown])
        uow.crowd.set_camera_fovs(frame)
        calibrated = calibrate(uow)
        uow.commit()
    return {"cameras": len(frame)} | {f"calibrated_{k}": v for k, v in calibrated.items()}


#: Where a drawn zone may lie (lon_min, lat_min, lon_max, lat_max; EPSG:4326): the city's bounds.
HK_BOUNDS: tuple[float, float, float, float] = HONG_KONG.bounds


class ZoneInputError(InputError):
    """A drawn zone was refused; ``field`` names the input at fault (``name``, ``capacity``, ``polygon``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", field=field)


def _drawn_polygon(ring_lonlat) -> shapely.Polygon:
    """The drawn ring as a valid polygon inside :data:`HK_BOUNDS`, or ZoneInputError naming ``polygon``."""
    try:
        pts = [(float(p[0]), float(p[1])) for p in (ring_lonlat or [])]
    except (TypeError, ValueError, IndexError):
        raise ZoneInputError("polygon", "vertices must be [lon, lat] pairs of numbers") from None
    if pts and pts[0] == pts[-1]:
        pts = pts[:-1]  # a closed ring repeats its first vertex; count it once
    distinct = list(dict.fromkeys(pts))
    if len(distinct) < 3:
        raise ZoneInputError("polygon", f"needs at least 3 distinct vertices, got {len(distinct)}")
    lon0, lat0, lon1, lat1 = HK_BOUNDS
    if not all(np.isfinite(x) and np.isfinite(y) and lon0 <= x <= lon1 and lat0 <= y <= lat1 for x, y in pts):
        raise ZoneInputError("polygon", "every vertex must lie within Hong Kong "
                                        f"(lon {lon0}..{lon1}, lat {lat0}..{lat1}, EPSG:4326)")
    poly = shapely.Polygon(pts)
    if not poly.is_valid:
        raise ZoneInputError("polygon", f"not a valid polygon ({shapely.is_valid_reason(poly)}); "
                                        "edges must not cross")
    if poly.area <= 0:
        raise ZoneInputError("polygon", "has no area")
    return poly


def save_drawn_zone(uow: UnitOfWork, name: str, capacity, ring_lonlat, actor: str) -> str:
    """Validate and store a zone drawn on the Events page; returns its ``zone_id``.

    Parameters
    ----------
    uow : UnitOfWork
        The zone, its ground shares and the audit row are one transaction.
    name : str
        The zone's name as shown in the zone panel (1-200 characters).
    capacity : int or str
        How many people the zone holds safely (a whole number above 0).
    ring_lonlat : sequence of (float, float)
        The drawn ring's vertices as (lon, lat), WGS84 (EPSG:4326), open or
        closed; at least 3 distinct vertices, edges not crossing, inside
        :data:`HK_BOUNDS`.
    actor : str
        The user saving it (audited as ``zone.create``).

    Raises
    ------
    ZoneInputError
        Before anything is written, naming the field at fault.

    Notes
    -----
    The zone is stored with :func:`hexops.geodata.crowd.upsert_zones` (area in m2
    from HK1980 Grid, EPSG:2326), then the zones' ground shares are
    recomputed (hex shares do not depend on zones, so they are left alone).
    """
    try:
        name = validation.zone_name(name)
        cap_f = validation.zone_capacity(capacity)
    except validation.FieldError as exc:
        raise validation.carry(exc, ZoneInputError(exc.field, exc.sentence)) from None
    poly = _drawn_polygon(ring_lonlat)
    # A readable id from the name, plus a random suffix so that two zones of the same name never collide.
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:40] or "zone"
    zone_id = f"drawn-{slug}-{secrets.token_hex(3)}"
    frame = pd.DataFrame({"zone_id": [zone_id], "name": [name], "event_name": [None],
                          "capacity": [int(cap_f)], "geometry": [poly]})
    frame["area_m2"] = areas_m2([poly])
    with uow:
        uow.crowd.upsert_zones(frame)
        calibrate_zones(uow)
        uow.audit.record(actor=actor, action="zone.create", target=zone_id,
                         details={"name": name, "capacity": int(cap_f),
                                  "area_m2": round(float(frame["area_m2"][0]), 1), "source": "drawn"})
        uow.commit()
    return zone_id
