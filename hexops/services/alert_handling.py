"""Alerts as people handle them: grouped by place, worst first, named by place, acknowledged with a note.

Crowd alerts are grouped by event zone (zone alerts) or by district (alerts
of H3 resolution-10 crowd hexes); flood alerts (a hex of H3 resolution 9
reaching warning or flooded) by district.  Each alert is named by
its place: the zone's name, the district, and the nearest active camera
with its position (WGS84, EPSG:4326), so a dispatcher can say where to go
without reading a hex id.  Groups holding an open alert of the highest
severity come first; within a group, open before acknowledged before
cleared, then by severity and time.

Acknowledging (one alert or many, with an optional note) is the only write
here; it is audited per alert (``crowd_alert.acknowledge``,
``flood_alert.acknowledge``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import pandas as pd

from hexops.errors import InputError
from hexops.geodata.uow import UnitOfWork
from hexops.services import gazetteer

#: Flood transitions that are alerts, and their severity (higher is worse).  "watch" (rain near a
#: watched hex) is shown on the map but is not an alert: a storm puts hundreds of hexes on watch.
FLOOD_SEVERITY = {"warning": 2, "flooded": 3}
#: Crowd hexes (H3 resolution) and flood hexes.
CROWD_RESOLUTION, FLOOD_RESOLUTION = 10, 9
#: Longest acknowledgement note, in characters.
MAX_NOTE = 500
#: Low-lying places this close to a flood hex's centre name it (metres).
LOW_LYING_WITHIN_M = 300.0
_STATE_ORDER = {"open": 0, "acknowledged": 1, "cleared": 2}


@dataclass(frozen=True)
class AlertItem:
    """One alert as a person reads it.

    Attributes
    ----------
    kind : str
        ``crowd`` or ``flood``.
    alert_id : int
        The crowd alert's id or the flood transition's id.
    title : str
        What happened (``>= 4 people/m2``, ``flooded``).
    place : str
        Zone or area, district, and the nearest camera with its position.
    cell : str
        H3 id of the place (resolution 10 for crowds, 9 for floods): "show on map".
    lat, lon : float
        The place's point (EPSG:4326): the zone's representative point or the hex's centre.
    at : datetime
        When it was raised (UTC).
    state : str
        ``open``, ``acknowledged`` or ``cleared``.
    severity : int
        1 (lowest) upwards.
    detail : str
        The evidence in a line.
    acknowledged_by, note : str or None
    acknowledged_at : datetime or None
    """

    kind: str
    alert_id: int
    title: str
    place: str
    cell: str
    at: datetime
    state: str
    severity: int
    detail: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    note: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class AlertGroup:
    """Alerts of one zone or district, worst first.

    Attributes
    ----------
    key : str
        ``zone:<id>`` or ``district:<code>``.
    title : str
    alerts : list of AlertItem
    """

    key: str
    title: str
    alerts: list[AlertItem]

    @property
    def open(self) -> int:
        """Alerts nobody has acknowledged yet (and not cleared)."""
        return sum(a.state == "open" for a in self.alerts)

    @property
    def worst_open(self) -> int:
        """The highest severity among open alerts (0 when none is open)."""
        return max((a.severity for a in self.alerts if a.state == "open"), default=0)


def _places(uow: UnitOfWork, points: dict[str, tuple[float, float]]) -> dict[str, dict]:
    if not points:
        return {}
    keys = list(points)
    found = uow.alert_handling.places_near(keys, [points[k][0] for k in keys], [points[k][1] for k in keys])
    return {row["key"]: row for row in found.to_dict("records")}


def _camera_text(place: dict | None) -> str:
    if not place or not place.get("camera_id"):
        return "no camera nearby"
    return (f"nearest camera {place['camera_id']} at {place['camera_lat']:.5f} N, {place['camera_lon']:.5f} E "
            f"({place['camera_m']:.0f} m)")


def _sorted(groups: list[AlertGroup]) -> list[AlertGroup]:
    ordered = [AlertGroup(g.key, g.title, sorted(g.alerts, key=lambda a: (_STATE_ORDER[a.state], -a.severity,
                                                                          -a.at.timestamp())))
               for g in groups]
    latest = lambda g: max(a.at for a in g.alerts).timestamp()  # noqa: E731
    return sorted(ordered, key=lambda g: (-g.worst_open, -g.open, -latest(g), g.title))


def crowd_groups(uow: UnitOfWork, at: datetime, thresholds: tuple[float, ...], hours: float = 6.0) -> list[AlertGroup]:
    """Crowd alerts open at any time in the ``hours`` before ``at``, grouped and named by place."""
    levels = {float(t): k + 1 for k, t in enumerate(sorted(thresholds))}
    with uow:
        frame = uow.crowd.list_crowd_alerts(at - timedelta(hours=hours), at)
        if frame.empty:
            return []
        zones = uow.crowd.list_zones().set_index("zone_id")
        notes = uow.alert_handling.crowd_alert_notes(frame["alert_id"].astype(int).tolist())
        points: dict[str, tuple[float, float]] = {}
        for kind, region in set(zip(frame["region_kind"], frame["region_id"])):
            if kind == "zone" and region in zones.index:
                p = zones.loc[region, "geometry"].representative_point()
                points[f"zone:{region}"] = (p.y, p.x)
            elif kind == "hex":
                points[f"hex:{region}"] = h3i.cell_to_latlng(int(region))
        places = _places(uow, points)
    groups: dict[str, tuple[str, list[AlertItem]]] = {}
    for a in frame.itertuples():
        key = f"{a.region_kind}:{a.region_id}"
        place = places.get(key) or {}
        district = place.get("district") or "district unknown"
        lat, lon = points.get(key, (None, None))
        if a.region_kind == "zone":
            name = zones.loc[a.region_id, "name"] if a.region_id in zones.index else a.region_id
            group_key, group_title, where = f"zone:{a.region_id}", f"{name} (event zone, {district})", name
        else:
            group_key, group_title, where = f"district:{place.get('district_code')}", district, "street block"
        cell = h3i.int_to_str(h3i.latlng_to_cell(lat, lon, CROWD_RESOLUTION)) if lat is not None else ""
        cleared = pd.notna(a.cleared_at) and a.cleared_at <= at
        state = "cleared" if cleared else "acknowledged" if pd.notna(a.acknowledged_at) else "open"
        item = AlertItem(
            kind="crowd", alert_id=int(a.alert_id), title=f"\u2265 {a.threshold:g} people/m\u00b2",
            place=f"{where}, {district}; {_camera_text(place)}", cell=cell, at=a.raised_at, state=state,
            severity=levels.get(float(a.threshold), 1),
            detail=f"{'projected to reach' if a.cause == 'projection' else 'reached'} {a.threshold:g}; "
                   f"peak {float(a.peak_density or 0):.2f} people/m\u00b2",
            acknowledged_by=a.acknowledged_by if pd.notna(a.acknowledged_by) else None,
            acknowledged_at=a.acknowledged_at if pd.notna(a.acknowledged_at) else None,
            note=notes.get(int(a.alert_id)), lat=lat, lon=lon)
        groups.setdefault(group_key, (group_title, []))[1].append(item)
    return _sorted([AlertGroup(k, title, items) for k, (title, items) in groups.items()])


def flood_groups(uow: UnitOfWork, at: datetime, hours: float = 6.0, *, reveal_cameras: bool = True) -> list[AlertGroup]:
    """Flood alerts (transitions to warning or flooded) in the ``hours`` before ``at``, by district.

    ``reveal_cameras=False`` (a partner without the ``camera_positions`` grant) leaves out the
    nearest camera and the camera counts: the alert is named by its district and low-lying place,
    and its evidence is the rain.
    """
    with uow:
        frame = uow.alert_handling.flood_alerts(at - timedelta(hours=hours), at, list(FLOOD_SEVERITY))
        if frame.empty:
            return []
        now_states = uow.flood.states_at(at).set_index("h3")["state"].to_dict()
        cells = sorted({int(h) for h in frame["h3"]})
        points = {str(c): h3i.cell_to_latlng(c) for c in cells}
        places = _places(uow, points)
        keys = list(points)
        low = uow.alert_handling.low_lying_near(keys, [points[k][0] for k in keys], [points[k][1] for k in keys],
                                                LOW_LYING_WITHIN_M)
    low_names = low.groupby("key")["name"].apply(lambda s: ", ".join(s)).to_dict() if len(low) else {}
    near = gazetteer.name_points(uow, points)
    groups: dict[str, tuple[str, list[AlertItem]]] = {}
    for t in frame.itertuples():
        key = str(int(t.h3))
        place = places.get(key) or {}
        district = place.get("district") or "district unknown"
        severity = FLOOD_SEVERITY[t.to_state]
        current = FLOOD_SEVERITY.get(now_states.get(int(t.h3), "normal"), 0)
        state = ("acknowledged" if pd.notna(t.acknowledged_at) else
                 "cleared" if current < severity else "open")
        ev = t.evidence or {}
        where = low_names.get(key) or near.get(key) or "area"
        # The reason and the counts state how many cameras saw water: only for readers who may know.
        cameras = (f"{t.reason}; {ev.get('n_flooded', 0)} camera(s) flooded, {ev.get('n_wet', 0)} wet, "
                   if reveal_cameras else "")
        item = AlertItem(
            kind="flood", alert_id=int(t.transition_id), title=f"{t.to_state} (was {t.from_state})",
            place=f"{where}, {district}" + (f"; {_camera_text(place)}" if reveal_cameras else ""),
            cell=h3i.int_to_str(int(t.h3)), at=t.at, state=state, severity=severity,
            detail=f"{cameras}rain {ev.get('rain_mm_h', 0)} mm/h" + (" \u00b7 low-lying" if ev.get("low_lying") else ""),
            acknowledged_by=t.acknowledged_by if pd.notna(t.acknowledged_by) else None,
            acknowledged_at=t.acknowledged_at if pd.notna(t.acknowledged_at) else None,
            note=t.note if pd.notna(t.note) else None, lat=points[key][0], lon=points[key][1])
        groups.setdefault(f"district:{place.get('district_code')}", (district, []))[1].append(item)
    return _sorted([AlertGroup(k, title, items) for k, (title, items) in groups.items()])


def clean_note(note: str | None) -> str | None:
    """An acknowledgement note, trimmed; None when empty.

    Raises
    ------
    InputError
        Naming ``note`` when it is longer than :data:`MAX_NOTE` characters.
    """
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InputError(f"note: at most {MAX_NOTE} characters, got {len(text)}", field="note")
    return text or None


def acknowledge(uow: UnitOfWork, kind: str, alert_ids: list[int], *, user: str, note: str | None,
                at: datetime) -> list[int]:
    """Acknowledge alerts of ``kind`` (``crowd`` or ``flood``) with an optional note; audited per alert.

    Alerts already acknowledged are left as they were (the first
    acknowledgement stands).  Returns the ids acknowledged by this call.

    Raises
    ------
    InputError
        Naming ``kind``, ``alerts`` (none chosen) or ``note``.
    """
    if kind not in ("crowd", "flood"):
        raise InputError(f"kind: expected crowd or flood, got {kind!r}", field="kind")
    ids = sorted({int(i) for i in alert_ids})
    if not ids:
        raise InputError("alerts: choose at least one alert to acknowledge", field="alerts")
    text = clean_note(note)
    with uow:
        if kind == "crowd":
            done = uow.alert_handling.acknowledge_crowd(ids, user, at, text)
        else:
            done = uow.alert_handling.acknowledge_flood(ids, user, at, text, list(FLOOD_SEVERITY))
        for alert_id in done:
            uow.audit.record(actor=user, action=f"{kind}_alert.acknowledge", target=str(alert_id),
                             details={"note": text, "at": at.isoformat(), "bulk": len(ids) > 1})
        uow.commit()
    return done
