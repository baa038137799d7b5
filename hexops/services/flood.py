"""Flood use cases: the per-hex flood machines, crew re-planning, reference data and the demo step.

Flood hexes are H3 resolution 9.  The machine advances through the
detections and rain readings in 5-minute steps, in time order, from where it
last stopped (:mod:`hexops.services.stepping` owns the loop, lock and
cursor); every transition is recorded with its evidence, and each change in
the set of flooded hexes re-plans the crews.  When a hex becomes flooded,
partners' webhooks are queued through
:func:`hexops.services.webhooks.enqueue_flood_alert` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from hexops.analytics.crews import CrewConfig, plan_crews, severity
from hexops.analytics.crowd import to_hk1980
from hexops.analytics.flood import FLOODED, STATES, FloodConfig, flood_refresh, nearby_pairs
from hexops.democity import build_city, scenarios
from hexops.geodata.errors import LoadError
from hexops.geodata.h3cells import polygon_to_cells
from hexops.geodata.uow import UnitOfWork
from hexops.democity.simulator import simulate_rainfall
from hexops.services import clock, crowd, stepping
from hexops.services.crowd_alerts import advance_alerts
from hexops.ingest.reference_files import read_crews_csv, read_low_lying, read_rainfall_csv
from hexops.services.cache import NoCache, ReadCache
from hexops.services.stepping import STEP
from hexops.services.webhooks import enqueue_flood_alert

FLOOD_RESOLUTION = 9
RAIN_LOOKBACK = timedelta(minutes=30)
_NO_CACHE = NoCache()
DEMO_STEP = (30, "crowds and floods: zones, low-lying places, rainfall, calibration, alerts, crews")


def _place_cells(geom) -> set[int]:
    cells = set()
    for part in getattr(geom, "geoms", [geom]):
        cells.update(polygon_to_cells(part, FLOOD_RESOLUTION))
        p = part.representative_point()
        cells.add(h3i.latlng_to_cell(p.y, p.x, FLOOD_RESOLUTION))
    return cells


@dataclass(frozen=True)
class FloodLayout:
    """The hexes watched for floods, as positional arrays.

    Attributes
    ----------
    hexes : pandas.Index of int64
        H3 resolution-9 cells with a camera or a low-lying place, sorted.
    camera_ids : pandas.Index
        Cameras, in the order of ``camera_hex``.
    camera_hex : ndarray of int
        Each camera's position in ``hexes``.
    xy : ndarray, shape (n, 2)
        Hex centres in the city's metric CRS (EPSG:2326, metres).
    low_lying : ndarray of bool
        Whether each hex holds a low-lying place.
    """

    hexes: pd.Index
    camera_ids: pd.Index
    camera_hex: np.ndarray
    xy: np.ndarray
    low_lying: np.ndarray


def flood_layout(uow: UnitOfWork, cache: ReadCache = _NO_CACHE) -> FloodLayout:
    """Hexes watched for floods (cameras' and low-lying places' cells), inside an open unit of work.

    Built once per version of the camera registry and the low-lying places.
    """
    return cache.document(("flood_layout", uow.crowd.input_versions()), lambda: _build_flood_layout(uow))


def _build_flood_layout(uow: UnitOfWork) -> FloodLayout:
    cams = uow.flood.camera_cells()
    low = set()
    for geom in uow.flood.list_low_lying()["geometry"]:
        low |= _place_cells(geom)
    hexes = pd.Index(sorted(set(cams["h3_r9"].astype(np.int64).tolist()) | low), dtype=np.int64)
    centres = [h3i.cell_to_latlng(int(h)) for h in hexes]
    xy = shapely.get_coordinates(to_hk1980([Point(lng, lat) for lat, lng in centres])) if len(hexes) else np.zeros((0, 2))
    return FloodLayout(
        hexes=hexes,
        camera_ids=pd.Index(cams["camera_id"]),
        camera_hex=hexes.get_indexer(cams["h3_r9"].astype(np.int64)),
        xy=xy,
        low_lying=np.isin(hexes.to_numpy(), np.array(sorted(low), dtype=np.int64)),
    )


@dataclass
class FloodHexes:
    """Every watched hex's flood machine.

    Attributes
    ----------
    state : ndarray of int8
        Index into :data:`hexops.analytics.flood.STATES`.
    lower_since : ndarray of float
        Seconds since the epoch since the evidence fell below the state; NaN when not.
    since : ndarray of object
        When each hex entered its state (datetime or None).
    evidence : dict
        The latest evidence of each hex that has a stored state.
    stored : set of int
        Positions of hexes whose state is stored (they changed at least once).
    """

    state: np.ndarray
    lower_since: np.ndarray
    since: np.ndarray
    evidence: dict[int, dict]
    stored: set[int]

    @classmethod
    def normal(cls, n: int) -> "FloodHexes":
        return cls(np.zeros(n, np.int8), np.full(n, np.nan), np.full(n, None, dtype=object), {}, set())


class FloodMachine:
    """Every hex's flood machine, crew re-planning and partner pushes, one 5-minute step at a time.

    Parameters
    ----------
    config : FloodConfig
        Thresholds of the flood states.
    crew_config : CrewConfig
        Travel speeds and the crews' planning rules.
    """

    name = "flood"

    def __init__(self, config: FloodConfig = FloodConfig(), crew_config: CrewConfig = CrewConfig()):
        self.config = config
        self.crew_config = crew_config

    def first_time(self, uow: UnitOfWork) -> datetime | None:
        return uow.crowd.detection_time_range()[0]

    def version(self, uow: UnitOfWork) -> tuple:
        """What the loaded layout depends on: cameras, low-lying places, crews (a kept machine reloads when they change)."""
        inputs = uow.jobs.machine_inputs()
        return inputs["cameras"], inputs["low_lying"], inputs["crews"]

    def load(self, uow: UnitOfWork, cursor: datetime) -> None:
        self.layout = lay = flood_layout(uow)
        self.hexes = FloodHexes.normal(len(lay.hexes))
        for row in uow.flood.flood_states().itertuples():
            i = lay.hexes.get_indexer([row.h3])[0]
            if i >= 0:
                self.hexes.state[i] = STATES.index(row.state)
                # None becomes NaT in a column that also holds times.
                self.hexes.lower_since[i] = (pd.Timestamp(row.lower_since).timestamp()
                                             if pd.notna(row.lower_since) else np.nan)
                self.hexes.since[i] = row.since
                self.hexes.evidence[i] = row.evidence
                self.hexes.stored.add(i)
        crews = uow.flood.list_crews()
        if len(crews):
            depot_xy = shapely.get_coordinates(to_hk1980([Point(x, y) for x, y in zip(crews["lon"], crews["lat"])]))
            crews = crews.assign(depot_x=depot_xy[:, 0], depot_y=depot_xy[:, 1])
        self.crews = crews
        _, last_plan = uow.flood.crew_plan_at(cursor)
        self.on_site = last_plan[last_plan["order"] == 0].set_index("crew_id")["h3"].to_dict() if len(last_plan) else {}
        self.flooded = frozenset(lay.hexes[self.hexes.state == FLOODED].tolist())

    def step(self, uow: UnitOfWork, t: datetime) -> dict[str, int]:
        lay, h = self.layout, self.hexes
        cam = uow.crowd.latest_camera_counts(t, STEP)
        pos = lay.camera_ids.get_indexer(cam.index)
        cam = cam[pos >= 0]
        rain = uow.rainfall.latest_readings(t, RAIN_LOOKBACK)
        gauge_xy = shapely.get_coordinates(to_hk1980([Point(x, y) for x, y in zip(rain["lon"], rain["lat"])])) \
            if len(rain) else np.zeros((0, 2))
        step, ev, target = flood_refresh(
            lay.camera_hex[pos[pos >= 0]], len(lay.hexes), cam["covered_s"].to_numpy(), cam["wet_s"].to_numpy(),
            cam["flooded_s"].to_numpy(), cam["water_conf_max"].to_numpy(),
            nearby_pairs(lay.xy, gauge_xy, self.config.rain_radius_m), rain["mm_per_h"].to_numpy(float),
            lay.low_lying, h.state, h.lower_since, t.timestamp(), self.config)
        rows = []
        for i in np.flatnonzero(step.changed):
            evidence = ev.row(int(i)) | {"target": STATES[int(target[i])]}
            rows.append((lay.hexes[i], t, STATES[h.state[i]], STATES[step.state[i]], str(step.reason[i]), evidence))
            h.since[i] = t
            h.stored.add(int(i))
            if step.state[i] == FLOODED:
                _queue_webhook(uow, lay.hexes[i], t, evidence)
        uow.flood.record_transitions(rows)
        for i in h.stored:
            h.evidence[i] = ev.row(int(i)) | {"target": STATES[int(target[i])], "reason": str(step.reason[i])}
        h.state, h.lower_since = step.state, step.lower_since
        plans = 0
        flooded_now = frozenset(lay.hexes[h.state == FLOODED].tolist())
        if flooded_now != self.flooded and len(self.crews):
            self.on_site = self._replan(uow, t, ev)
            plans = 1
        self.flooded = flooded_now
        # Stored every step, so the step's commit leaves states and cursor in agreement.
        uow.flood.save_flood_states([
            (lay.hexes[i], STATES[h.state[i]], h.since[i] or t,
             None if np.isnan(h.lower_since[i]) else datetime.fromtimestamp(h.lower_since[i], t.tzinfo), t,
             h.evidence.get(i, {}))
            for i in sorted(h.stored)
        ])
        return {"transitions": len(rows), "plans": plans}

    def _replan(self, uow: UnitOfWork, t: datetime, ev) -> dict:
        """Plan crews for the flooded hexes now; crews on a still-flooded hex keep it."""
        lay, state = self.layout, self.hexes.state
        idx = np.flatnonzero(state == FLOODED)
        floods = pd.DataFrame({
            "h3": lay.hexes[idx], "x": lay.xy[idx, 0], "y": lay.xy[idx, 1],
            "severity": severity(state[idx], ev.n_flooded[idx], ev.rain_mm_h[idx], ev.low_lying[idx]),
        })
        crews = self.crews.assign(busy_at=[self.on_site.get(c) for c in self.crews["crew_id"]])
        plan = plan_crews(crews, floods, self.crew_config).merge(floods[["h3", "severity"]], on="h3")
        uow.flood.save_crew_plan(t, plan)
        return plan[plan["order"] == 0].set_index("crew_id")["h3"].to_dict()


def _queue_webhook(uow: UnitOfWork, h3: int, at: datetime, evidence: dict) -> None:
    """Tell partners granted ``flood_alerts`` that a hex is flooded (aggregates only)."""
    cell = h3i.int_to_str(int(h3))
    enqueue_flood_alert(uow, {"alert_id": f"flood-{cell}-{at.isoformat()}", "h3": cell, "state": "flooded",
                              "at": at.isoformat(), "evidence": evidence})


def advance_floods(uow: UnitOfWork, until: datetime, *, start: datetime | None = None,
                   config: FloodConfig = FloodConfig(), crew_config: CrewConfig = CrewConfig(),
                   max_steps: int | None = None, progress=None) -> stepping.StepReport:
    """Step every hex's flood machine from the cursor to ``until`` (see :func:`hexops.services.stepping.advance`)."""
    return stepping.advance(uow, FloodMachine(config, crew_config), until, start=start, max_steps=max_steps,
                            progress=progress)


#: The demo's Drainage Services depots (EPSG:4326 lon, lat) and crews per depot.
DEMO_DEPOTS: tuple[tuple[str, str, float, float, int], ...] = (
    ("DSD-KLN", "Kowloon depot, Cheung Sha Wan", 114.1540, 22.3370, 2),
    ("DSD-HKE", "Hong Kong East depot, Chai Wan", 114.2330, 22.2680, 2),
    ("DSD-HKW", "Hong Kong West depot, Sheung Wan", 114.1480, 22.2860, 1),
    ("DSD-NT", "New Territories depot, Sha Tin", 114.1880, 22.3830, 1),
)


def load_demo_crews(uow: UnitOfWork) -> int:
    """Insert the demo's depots and crews (idempotent); returns the number of crews."""
    crews = [(f"{d}-C{k + 1}", d, f"{name.split(' depot')[0]} crew {k + 1}")
             for d, name, _, _, n in DEMO_DEPOTS for k in range(n)]
    with uow:
        uow.flood.upsert_depots([(d, name, lon, lat) for d, name, lon, lat, _ in DEMO_DEPOTS])
        count = uow.flood.upsert_crews(crews)
        uow.commit()
    return count


def load_demo_reference(uow: UnitOfWork, city) -> dict[str, int]:
    """The demo city's event zones, low-lying places and rain readings (idempotent upserts)."""
    zones = pd.DataFrame({
        "zone_id": city.event_zones["zone_id"], "name": city.event_zones["name"],
        "event_name": "National Day fireworks 2026", "capacity": city.event_zones["capacity"].astype(int),
        "geometry": city.event_zones.geometry.to_numpy(), "area_m2": city.event_zones["area_m2"],
    })
    places = pd.DataFrame({
        "place_id": city.low_lying["place_id"], "name": city.low_lying["name"], "kind": "low_lying",
        "prior": city.low_lying["prior"], "geometry": city.low_lying.geometry.to_numpy(),
    })
    readings = simulate_rainfall(city, scenarios.DEMO_START, scenarios.DEMO_END)
    gauges = city.rain_gauges.set_index("station_id")
    readings = readings.assign(
        district_code=gauges.loc[readings["station_id"], "district_code"].to_numpy(),
        lon=gauges.geometry.x.loc[readings["station_id"]].to_numpy(),
        lat=gauges.geometry.y.loc[readings["station_id"]].to_numpy(),
    )
    with uow:
        uow.crowd.upsert_zones(zones)
        uow.flood.upsert_low_lying(places)
        uow.rainfall.upsert_readings(readings)
        crews = load_demo_crews(uow)
        uow.commit()
    return {"zones": len(zones), "low_lying": len(places), "rain_readings": len(readings), "crews": crews}


def demo_step(context, echo) -> None:
    """Load the demo's zones, places, rainfall and crews; calibrate; advance crowd and flood alerts."""
    # The city the demo loaded (its size and seed from the settings, as the demo city step builds it).
    loaded = load_demo_reference(context.uow(), build_city(seed=context.settings.demo_seed,
                                                           n_cameras=context.settings.demo_cameras))
    echo(f"  loaded {loaded}")
    echo(f"  calibrated {crowd.calibrate(context.uow())}")
    last = crowd.latest_data_time(context.uow())
    if last is None:
        echo("  no detections loaded: crowd and flood alerts not computed")
        return
    configured = crowd.alert_settings(context.settings)
    raised = advance_alerts(context.uow(), last, thresholds=configured.thresholds, config=configured.config)
    echo(f"  crowd alerts {raised.as_dict()}")
    echo(f"  flood states {advance_floods(context.uow(), last).as_dict()}")
    if not clock.current(context.uow()).is_scenario:
        # The demo's data is history: hold the product's clock at its end so every page shows it.
        clock.set_scenario(context.uow(), last, stop_at=last, actor="system:demo")
        echo(f"  clock held at the end of the demo data, {last.isoformat()}")


def store_rainfall(uow: UnitOfWork, readings: pd.DataFrame, source: str, row_label: Callable[[int], str]) -> int:
    """Store validated readings after checking their districts exist (LoadError names the rows)."""
    with uow:
        unknown = uow.rainfall.unknown_districts([d for d in readings["district_code"] if isinstance(d, str)])
        if unknown:
            raise LoadError(source, [f"{row_label(i)}, field district_code: unknown district {d!r}"
                                     for i, d in enumerate(readings["district_code"]) if d in unknown])
        count = uow.rainfall.upsert_readings(readings)
        uow.commit()
    return count


def load_rainfall_file(uow: UnitOfWork, path) -> int:
    """Load a rainfall CSV (see :func:`hexops.ingest.reference_files.read_rainfall_csv`) in one transaction."""
    return store_rainfall(uow, read_rainfall_csv(path), str(path), lambda i: f"line {i + 2}")


def load_low_lying_file(uow: UnitOfWork, path) -> int:
    """Load low-lying and flood-prone places from a polygon layer."""
    places = read_low_lying(path)
    with uow:
        count = uow.flood.upsert_low_lying(places)
        uow.commit()
    return count


def load_crews_file(uow: UnitOfWork, path) -> int:
    """Load drainage crews and their depots from a CSV (one transaction; LoadError on bad lines)."""
    crews = read_crews_csv(path)
    depots = crews.drop_duplicates("depot_id")
    with uow:
        uow.flood.upsert_depots(list(zip(depots["depot_id"], depots["depot_name"], depots["lon"], depots["lat"])))
        count = uow.flood.upsert_crews(list(zip(crews["crew_id"], crews["depot_id"], crews["name"])))
        uow.commit()
    return count
