"""A city for bench.scale: the demo city's registry and reference data, history generated in SQL.

:func:`prepare_city` loads a demo city of ``n_cameras`` (the product's own
loader), its event zones, low-lying places, rainfall and crews, calibrates
the crowd shares, generates ``camera_hours`` of camera-minute rows and
``hex_days`` of hex rollups ending at ``end``, and sets the scenario clock
there.  :func:`alert_step` times one step of the crowd and the flood machines
at the end of the history.
"""

from __future__ import annotations

import datetime as dt
import time

from bench import scale_history
from hexops.democity import build_city
from hexops.democity.load import load_city
from hexops.geodata.uow import UnitOfWork
from hexops.services import clock, crowd, stepping
from hexops.settings import Settings
from hexops.services.crowd_alerts import CrowdMachine
from hexops.services.flood import FloodMachine, load_demo_reference

STEP = stepping.STEP


def prepare_city(url: str, n_cameras: int, end: dt.datetime, camera_hours: float, hex_days: float,
                 say=print, super_url: str | None = None) -> dict:
    """Load and fill one city (see the module docstring); returns what was written and how long it took."""
    started = time.perf_counter()
    city = build_city(seed=7, n_cameras=n_cameras)
    # The incident history is not read by the pages measured here: one second of it.
    load_city(UnitOfWork.for_url(url), city, progress=lambda line: say(f"    {line}"),
              incidents_from=end, incidents_to=end + dt.timedelta(seconds=1))
    reference = load_demo_reference(UnitOfWork.for_url(url), city)
    t0 = time.perf_counter()
    calibrated = crowd.calibrate(UnitOfWork.for_url(url))
    calibrate_s = time.perf_counter() - t0
    say(f"    calibrated {calibrated} in {calibrate_s:.0f} s")
    hex_rows = scale_history.fill_hex_buckets(url, end - dt.timedelta(days=hex_days), end,
                                              progress=lambda line: say(f"    {line}"))
    minute_rows = scale_history.fill_camera_minutes(url, end - dt.timedelta(hours=camera_hours), end,
                                                    progress=lambda line: say(f"    {line}"))
    scale_history.analyze(url, super_url)
    clock.set_scenario(UnitOfWork.for_url(url), end, stop_at=end, actor="bench")
    return {"cameras": len(city.cameras), "camera_minute_rows": minute_rows, "hex_rows": hex_rows,
            "reference": reference, "calibrate_s": round(calibrate_s, 1),
            "prepare_s": round(time.perf_counter() - started, 1)}


def deepen(url: str, end: dt.datetime, from_hours: float, to_hours: float, say=print,
           super_url: str | None = None) -> int:
    """More camera-minute history before what is there: ``[end - to_hours, end - from_hours)``."""
    rows = scale_history.fill_camera_minutes(url, end - dt.timedelta(hours=to_hours),
                                             end - dt.timedelta(hours=from_hours),
                                             progress=lambda line: say(f"    {line}"))
    scale_history.analyze(url, super_url)
    return rows


def alert_step(url: str, end: dt.datetime) -> dict:
    """Seconds of one 5-minute step of each machine for the whole city, ending at ``end``.

    What a job run pays when a step is due: the machine's load (layout,
    open alerts, trend history) and the step (reads, computation, writes).
    Nothing is kept (the step is rolled back), so repeated runs time the
    same work.
    """
    configured = crowd.alert_settings(Settings())
    out = {}
    for name, machine in (("crowd", CrowdMachine(configured.thresholds, configured.config)),
                          ("flood", FloodMachine())):
        uow = UnitOfWork.for_url(url)
        with uow:
            t0 = time.perf_counter()
            machine.load(uow, end - STEP)
            t1 = time.perf_counter()
            counts = machine.step(uow, end)
            t2 = time.perf_counter()
            uow.rollback()
        out[f"{name}_load_s"] = round(t1 - t0, 3)
        out[f"{name}_step_s"] = round(t2 - t1, 3)
        out[f"{name}_counts"] = counts
    out["alert_step_s"] = round(sum(out[f"{n}_{p}_s"] for n in ("crowd", "flood") for p in ("load", "step")), 3)
    return out
