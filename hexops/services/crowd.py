"""Crowd use cases: calibrate, estimate at a time, list and acknowledge alerts, the Events page's view.

Crowd hexes are H3 resolution 10 (a street block, ~15,000 m2); zones are
the uploaded or drawn event zones (:mod:`hexops.services.crowd_zones`).
Densities are people per m2 of visible ground (EPSG:2326 areas).  The alert
machine itself is :mod:`hexops.services.crowd_alerts`, stepped by the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely

from hexops.analytics.crowd import (
    DEFAULT_THRESHOLDS,
    AlertConfig,
    CrowdLayout,
    GroundShares,
    crowd_snapshot,
    ground_shares,
    to_hk1980,
)
from hexops.geodata.h3cells import cell_polygon
from hexops.geodata.uow import UnitOfWork
from hexops.services.cache import NoCache, ReadCache
from hexops.services.stepping import STEP

CROWD_RESOLUTION = 10
KINDS = ("zone", "hex")
#: Minutes of the two trend points before ``at`` (the last two 5-minute windows).
_HISTORY_MIN = np.array([-2 * STEP.total_seconds() / 60, -STEP.total_seconds() / 60])
_NO_CACHE = NoCache()


def calibrate(uow: UnitOfWork) -> dict[str, int]:
    """Recompute every camera's share of each crowd hex and zone (run when visible areas or zones change)."""
    with uow:
        cams = uow.crowd.cameras_with_fov()
        fovs_m = to_hk1980(cams["fov"].to_numpy()) if len(cams) else np.zeros(0, object)
        own = np.unique(cams["h3_r10"].to_numpy(np.int64)) if len(cams) else np.zeros(0, np.int64)
        # A field of view reaches into neighbouring cells, never further than one ring at resolution 10.
        cells = sorted({int(n) for c in own for n in h3i.grid_disk(int(c), 1)})
        hex_shares = ground_shares(cams["camera_id"], fovs_m, [str(c) for c in cells],
                                   to_hk1980([cell_polygon(c) for c in cells]) if cells else [])
        seen = hex_shares.regions[hex_shares.regions["covered_m2"] > 0]
        uow.crowd.replace_ground_shares("hex", hex_shares.pairs, seen)
        zones = calibrate_zones(uow, cams, fovs_m)
        uow.commit()
    return {"cameras": len(cams), "hexes": len(seen), "zones": zones, "pairs": len(hex_shares.pairs)}


def calibrate_zones(uow: UnitOfWork, cams: pd.DataFrame | None = None, fovs_m=None) -> int:
    """Recompute the zones' ground shares only (a zone change leaves the hexes' shares as they are)."""
    with uow:
        if cams is None:
            cams = uow.crowd.cameras_with_fov()
            fovs_m = to_hk1980(cams["fov"].to_numpy()) if len(cams) else np.zeros(0, object)
        zones = uow.crowd.list_zones()
        zone_shares = ground_shares(cams["camera_id"], fovs_m, list(zones["zone_id"]),
                                    to_hk1980(zones["geometry"].to_numpy()) if len(zones) else [])
        uow.crowd.replace_ground_shares("zone", zone_shares.pairs, zone_shares.regions)
        uow.commit()
    return len(zones)


def load_layouts(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> dict[str, CrowdLayout]:
    """The stored calibration as positional layouts, per region kind (inside an open unit of work).

    Built once per version of its inputs (camera registry, ground shares,
    regions, zones): at 60,000 cameras reading every field of view costs
    about half a second, which a page refresh must not pay.
    """
    def build() -> dict[str, CrowdLayout]:
        cams = uow.crowd.cameras_with_fov()
        out = {}
        for kind in KINDS:
            pairs, regions = uow.crowd.load_ground_shares(kind)
            out[kind] = CrowdLayout.from_shares(cams["camera_id"], cams["fov_area_m2"],
                                                GroundShares(pairs, regions))
        return out
    return cache.document(("crowd_layouts", uow.crowd.input_versions()), build)


def latest_data_time(uow: UnitOfWork) -> datetime | None:
    """The end of the latest minute with detections (UTC)."""
    with uow:
        return uow.crowd.detection_time_range()[1]


def region_history(uow: UnitOfWork, layouts, at: datetime, n: int) -> dict[str, list[np.ndarray]]:
    """Region densities in the ``n`` 5-minute windows ending at ``at``, oldest first (one query)."""
    return _region_densities(layouts, uow.crowd.camera_people_windows(at, STEP, n), n)


def _region_densities(layouts, windows: pd.DataFrame, n: int) -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
    for k in range(n - 1, -1, -1):
        frame = windows[windows["k"] == k].set_index("camera_id")
        for kind in KINDS:
            out[kind].append(crowd_snapshot(layouts[kind], frame)[0]["density"].to_numpy())
    return out


@dataclass
class Snapshot:
    """Crowd figures of every zone and hex at one time.

    ``estimates[kind]`` is indexed by region id with the columns of
    :func:`hexops.analytics.crowd.region_estimates` plus ``slope_per_min`` and
    ``eta_<threshold>`` (minutes to each threshold).
    """

    at: datetime
    estimates: dict[str, pd.DataFrame]


@dataclass(frozen=True)
class AlertSettings:
    """Crowd alert thresholds (people/m2 of visible ground) and timing, as configured.

    Built by :func:`alert_settings` from the settings ``crowd_thresholds``
    (default ``2,4,5.5``), ``crowd_clear_after_min`` (minutes below before an
    alert clears, default 10) and ``crowd_horizon_min`` (how far ahead a
    projection may raise, default 10).
    """

    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    config: AlertConfig = AlertConfig()


def alert_settings(settings) -> AlertSettings:
    """The crowd alert configuration of a :class:`hexops.settings.Settings` (see :class:`AlertSettings`)."""
    defaults = AlertConfig()
    config = AlertConfig(
        horizon_min=settings.crowd_horizon_min or defaults.horizon_min,
        hysteresis=defaults.hysteresis,
        clear_after_min=settings.crowd_clear_after_min or defaults.clear_after_min,
    )
    thresholds = settings.crowd_thresholds or DEFAULT_THRESHOLDS
    return AlertSettings(thresholds, config)


def snapshot(uow: UnitOfWork, at: datetime, thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
             layouts: dict[str, CrowdLayout] | None = None, cache: ReadCache = _NO_CACHE) -> Snapshot:
    """Crowd estimates at ``at`` with the trend over the previous 10 minutes."""
    with uow:
        layouts = layouts or load_layouts(uow, cache)
        # The latest window and the two before it, in one pass over the minutes.
        latest, windows = uow.crowd.recent_counts(at, STEP, 2)
    history = _region_densities(layouts, windows, 2)
    out = {}
    for kind in KINDS:
        est, eta = crowd_snapshot(layouts[kind], latest, _HISTORY_MIN, np.column_stack(history[kind]), thresholds)
        for j, thr in enumerate(thresholds):
            est[f"eta_{thr:g}"] = eta[:, j]
        out[kind] = est
    return Snapshot(at=at, estimates=out)


def zone_panel(uow: UnitOfWork, snap: Snapshot) -> pd.DataFrame:
    """Zone rows for the event manager: name, capacity, occupancy band, share of capacity, density, LOS, ETAs."""
    with uow:
        zones = uow.crowd.list_zones().set_index("zone_id")
    est = snap.estimates["zone"].reindex(zones.index)
    panel = zones[["name", "capacity"]].join(est)
    panel["occupancy_pct"] = 100.0 * panel["people"] / panel["capacity"]
    return panel


def acknowledge(uow: UnitOfWork, alert_id: int, username: str, at: datetime) -> bool:
    """A user acknowledges an alert (audited); False if unknown or already acknowledged."""
    with uow:
        done = uow.crowd.acknowledge_crowd_alert(alert_id, username, at)
        if done:
            uow.audit.record(actor=username, action="crowd_alert.acknowledge", target=str(alert_id))
        uow.commit()
    return done


def alerts(uow: UnitOfWork, at: datetime, hours: float = 6.0) -> pd.DataFrame:
    """Alerts open at any time in the ``hours`` before ``at`` (newest first), with region names."""
    with uow:
        frame = uow.crowd.list_crowd_alerts(at - timedelta(hours=hours), at)
        names = uow.crowd.list_zones().set_index("zone_id")["name"].to_dict()
    frame["region_name"] = [names.get(r, r) if k == "zone" else f"hex {h3i.int_to_str(int(r))}"
                            for k, r in zip(frame["region_kind"], frame["region_id"])]
    frame["state"] = np.where(frame["cleared_at"].notna() & (frame["cleared_at"] <= at), "cleared",
                              np.where(frame["acknowledged_at"].notna(), "acknowledged", "open"))
    return frame


@dataclass
class EventView:
    """What the Events page shows at one time (a read model: building it changes nothing).

    Attributes
    ----------
    at : datetime
        The time shown (UTC).
    latest : datetime or None
        The end of the latest detections (UTC).
    panel : pandas.DataFrame
        :func:`zone_panel`'s rows.
    alerts : pandas.DataFrame
        :func:`alerts` over the replay window.
    hex_density : dict
        ``{H3 res-10 cell: people/m2}`` of every crowd hex with an estimate.
    thresholds : tuple of float
        The alert levels (people/m2).
    """

    at: datetime
    latest: datetime | None
    panel: pd.DataFrame
    alerts: pd.DataFrame
    hex_density: dict[int, float]
    thresholds: tuple[float, ...]


def event_view(uow: UnitOfWork, at: datetime, settings, hours: float = 6.0,
               cache: ReadCache = _NO_CACHE) -> EventView | None:
    """The Events page's figures at ``at`` (None when no detections were ever loaded)."""
    configured = alert_settings(settings)
    with uow:
        latest = uow.crowd.detection_time_range()[1]
        if latest is None:
            return None
        snap = snapshot(uow, at, configured.thresholds, cache=cache)
        panel = zone_panel(uow, snap)
        recent = alerts(uow, at, hours=hours)
    hexes = snap.estimates["hex"]["density"].dropna()
    return EventView(at=at, latest=latest, panel=panel, alerts=recent,
                     hex_density={int(h): float(d) for h, d in hexes.items()}, thresholds=configured.thresholds)


def hex_geometry(layouts: dict[str, CrowdLayout]) -> dict[int, list[tuple[float, float]]]:
    """Outline (lon, lat, EPSG:4326) of every calibrated crowd hex, sent to the map once."""
    return {int(r): list(shapely.get_coordinates(cell_polygon(int(r))).tolist()) for r in layouts["hex"].regions}
