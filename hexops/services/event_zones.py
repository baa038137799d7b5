"""Editing and deleting event zones from the Events page (each change audited).

A zone keeps its polygon when edited (redraw it to move it); its name and
capacity change.  Deleting a zone removes its ground shares and clears its
open alerts at the time given; alerts it raised stay in the history.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from hexops.errors import NotFoundError
from hexops.geodata.uow import UnitOfWork
from hexops.services.crowd_zones import ZoneInputError

#: Longest zone name (characters) and largest capacity (people) accepted.
MAX_NAME_CHARS = 200
MAX_CAPACITY = 10_000_000


def _zone_id(zone_id) -> str:
    text = str(zone_id or "").strip()
    if not text or len(text) > 64:
        raise ZoneInputError("zone", "choose a zone to change")
    return text


def _name(name) -> str:
    text = str(name or "").strip()
    if not text:
        raise ZoneInputError("name", "required")
    if len(text) > MAX_NAME_CHARS or not text.isprintable():
        raise ZoneInputError("name", f"1 to {MAX_NAME_CHARS} printable characters")
    return text


def _capacity(capacity) -> int:
    text = "" if capacity is None else str(capacity).strip()
    if not text:
        raise ZoneInputError("capacity", "required (a whole number of people)")
    try:
        value = float(text)
    except ValueError:
        raise ZoneInputError("capacity", f"{text[:20]!r} is not a number of people") from None
    if not (np.isfinite(value) and value == int(value) and 1 <= value <= MAX_CAPACITY):
        raise ZoneInputError("capacity", f"a whole number of people from 1 to {MAX_CAPACITY:,}")
    return int(value)


def list_zones(uow: UnitOfWork) -> list[dict]:
    """Every zone's ``zone_id``, ``name`` and ``capacity``, by name (for the editor's list)."""
    with uow:
        zones = uow.crowd.list_zones()
    rows = [{"zone_id": z.zone_id, "name": z.name, "capacity": int(z.capacity)} for z in zones.itertuples()]
    return sorted(rows, key=lambda z: (z["name"].lower(), z["zone_id"]))


def get_zone(uow: UnitOfWork, zone_id: str) -> dict | None:
    """One zone's ``zone_id``, ``name``, ``capacity`` and ``area_m2``, or None."""
    with uow:
        return uow.crowd.get_zone(str(zone_id))


def update_zone(uow: UnitOfWork, zone_id, name, capacity, *, actor: str) -> dict:
    """Rename a zone and set its capacity; audited as ``zone.update`` with the old and new values.

    Raises
    ------
    ZoneInputError
        Naming ``zone``, ``name`` or ``capacity``, before anything is written.
    NotFoundError
        When the zone does not exist (deleted meanwhile).
    """
    zone_id, name, capacity = _zone_id(zone_id), _name(name), _capacity(capacity)
    with uow:
        before = uow.crowd.get_zone(zone_id)
        if before is None:
            raise NotFoundError(f"zone: no zone {zone_id!r} (deleted meanwhile?)", field="zone")
        uow.crowd.update_zone(zone_id, name, capacity)
        uow.audit.record(actor=actor, action="zone.update", target=zone_id,
                         details={"name": [before["name"], name], "capacity": [before["capacity"], capacity]})
        uow.commit()
    return {"zone_id": zone_id, "name": name, "capacity": capacity}


def delete_zone(uow: UnitOfWork, zone_id, *, actor: str, at: datetime) -> dict:
    """Delete a zone (its ground shares gone, its open alerts cleared at ``at``); audited as ``zone.delete``."""
    zone_id = _zone_id(zone_id)
    with uow:
        before = uow.crowd.get_zone(zone_id)
        if before is None:
            raise NotFoundError(f"zone: no zone {zone_id!r} (deleted meanwhile?)", field="zone")
        # Other zones' ground shares do not depend on this one: only its own rows go.
        uow.crowd.delete_zone(zone_id, at)
        uow.audit.record(actor=actor, action="zone.delete", target=zone_id,
                         details={"name": before["name"], "capacity": before["capacity"],
                                  "area_m2": round(float(before["area_m2"]), 1)})
        uow.commit()
    return before


def map_document(uow: UnitOfWork, panel) -> dict:
    """The zones for the Events map (``hexops.zones/1``): id, name, level of service and ring.

    Parameters
    ----------
    panel : pandas.DataFrame
        :func:`hexops.services.crowd.zone_panel`'s rows (indexed by ``zone_id``, with ``los``).

    Returns
    -------
    dict
        ``{"schema", "zones": [{"id", "name", "los", "ring": [lon, lat, lon, lat, ...]}]}``;
        rings in EPSG:4326 rounded to 1e-6 degree (about 0.1 m).
    """
    with uow:
        zones = uow.crowd.list_zones()
    los = panel["los"].to_dict() if "los" in panel else {}
    out = []
    for z in zones.itertuples():
        ring = [round(v, 6) for xy in z.geometry.exterior.coords for v in xy]
        level = los.get(z.zone_id)
        out.append({"id": z.zone_id, "name": z.name, "ring": ring,
                    "los": level if isinstance(level, str) else None})
    return {"schema": "hexops.zones/1", "zones": out}
