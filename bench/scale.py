"""``make bench-scale``: the 5,200-camera city beside the 2028 city of 60,000 cameras, in one run.

1. **Stream** (:mod:`bench.scale_stream`): the 60,000-camera synthetic city
   published live at 60,000 events/s for ``--stream-seconds`` to two
   JetStream workers, once as they now write (each camera-minute about once)
   and once writing every fetch at once (today's path before this change):
   events/s, freshness (publish to visible) and WAL bytes per event, in the
   same run, on a durable cluster with ``wal_level = replica``.
2. **Cities** (:mod:`bench.scale_city`): the demo city at 5,200 and 60,000
   cameras (the product's loader, calibration and reference data), with
   history generated directly in PostgreSQL: 6 hours of camera-minute rows
   (then 24 hours for the large city) and 7 days of hex rollups.  On each,
   the real app is served and asked what a browser asks on a refresh
   (:mod:`bench.scale_pages`): the Events and Drainage pages' refresh
   callbacks, the city map's values (people, 3 h, res 9), the cameras layer;
   and one step of the crowd and the flood machines is timed.

Writes bench/out/scale.json (``city_5200``, ``city_60000_6h``,
``city_60000_24h``, ``stream``, ``goals``) and prints it.  Everything it
builds lives in one temporary directory, removed at the end: about
:data:`DISK_NEEDED_GB` GB at the peak (the 24-hour city).  The machine is
shared: the load average is recorded at each stage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench import scale_city, scale_pages, scale_stream
from hexops.geodata import audit, migrate
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.uow import UnitOfWork
from hexops.services import partitions

OUT = Path(__file__).resolve().parent / "out" / "scale.json"
#: Free space the run needs at its peak (the 60,000-camera city with 24 h of camera-minute rows), GB.
DISK_NEEDED_GB = 30
#: The end of every city's history: the storm afternoon of the demo (2026-10-02 17:00 HKT).
END = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.timezone.utc)
ADMIN = "bench-admin"


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {text}", flush=True)


def _du_gb(path: Path) -> float:
    result = subprocess.run(["du", "-sb", str(path.resolve())], capture_output=True, text=True)
    return round(int(result.stdout.split()[0]) / 1e9, 1) if result.returncode == 0 else float("nan")


def _measure(url: str, state_dir: Path, repeats: int, first: bool) -> dict:
    app = scale_pages.ServedApp(url, state_dir)
    try:
        if first:
            scale_pages.create_admin(app, ADMIN)
        figures = scale_pages.measure_pages(app, ADMIN, repeats)
    finally:
        app.stop()
    figures |= scale_city.alert_step(url, END)
    figures["storage"] = {t["table"]: {"bytes": t["bytes"], "partitions": t["partitions"]}
                          for t in partitions.sizes(UnitOfWork.for_url(url))["tables"]}
    figures["load_average"] = round(os.getloadavg()[0], 2)
    return figures


def run_cities(root: Path, small: int, large: int, depths: tuple[float, float], hex_days: float,
               repeats: int) -> dict:
    cluster = PrivateCluster(root / "pg-cities", throwaway=True)
    cluster.start()
    out: dict = {}
    try:
        for n, key in ((small, f"city_{small}"), (large, None)):
            # The owner role throughout: the bench loads history and vacuums as the schema's owner.
            url = cluster.create_database(f"city{n}")
            migrate.apply_all(url)
            _say(f"city of {n} cameras: loading, {depths[0]:g} h of camera minutes, {hex_days:g} days of hexes")
            prepared = scale_city.prepare_city(url, n, END, depths[0], hex_days, say=_say,
                                               super_url=cluster.url(f"city{n}", role="super"))
            label = key or f"city_{n}_{depths[0]:g}h"
            state = root / f"state-city{n}"
            out[label] = {"prepared": prepared, **_measure(url, state, repeats, first=True)}
            _say(f"{label}: {json.dumps({k: v for k, v in out[label].items() if k.endswith(('_ms', '_s'))})}")
            if key is None:
                rows = scale_city.deepen(url, END, depths[0], depths[1], say=_say,
                                         super_url=cluster.url(f"city{n}", role="super"))
                label = f"city_{n}_{depths[1]:g}h"
                out[label] = {"prepared": {"camera_minute_rows_added": rows,
                                           "disk_gb": _du_gb(cluster.root)},
                              **_measure(url, state, repeats, first=False)}
                _say(f"{label}: {json.dumps({k: v for k, v in out[label].items() if k.endswith(('_ms', '_s'))})}")
            cluster.drop_database(f"city{n}")
    finally:
        cluster.destroy()
    return out


PAGE_FIGURES = ("events_refresh_ms", "drainage_refresh_ms", "values_res9_ms", "cameras_layer_ms")


def goals(results: dict, small: str, large6: str, large24: str) -> dict:
    """Each goal of issue 17 with the measured figure and whether it is met."""
    out: dict = {}
    for figure in PAGE_FIGURES:
        a, b6, b24 = results[small][figure], results[large6][figure], results[large24][figure]
        out[figure] = {"at_most_1000_ms": b24 <= 1000 and b6 <= 1000,
                       "ratio_to_5200": round(max(b6, b24) / max(a, 1e-9), 2),
                       "at_most_3x_5200": max(b6, b24) <= 3 * a,
                       "ratio_24h_to_6h": round(b24 / max(b6, 1e-9), 2),
                       "same_within_20pct": abs(b24 - b6) <= 0.2 * b6}
    out["alert_step_s"] = {"value": max(results[large6]["alert_step_s"], results[large24]["alert_step_s"]),
                           "at_most_5_s": max(results[large6]["alert_step_s"], results[large24]["alert_step_s"]) <= 5}
    stream = results.get("stream")
    if stream:
        out["wal_bytes_per_event"] = {"value": stream["wal_bytes_per_event"],
                                      "at_most_200": stream["wal_bytes_per_event"] <= 200}
        out["freshness_p95_s"] = {"value": stream["freshness_p95_s"], "at_most_3_s": stream["freshness_p95_s"] <= 3}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5200, help="Cameras of the small city.")
    parser.add_argument("--large", type=int, default=60_000, help="Cameras of the large city (and the stream).")
    parser.add_argument("--hours", default="6,24", help="Camera-minute history of the large city, two depths.")
    parser.add_argument("--hex-days", type=float, default=7.0)
    parser.add_argument("--stream-seconds", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--skip-cities", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="Where to build (default: a temporary directory).")
    args = parser.parse_args(argv)
    depths = tuple(float(h) for h in args.hours.split(","))
    # Audit entries the bench writes outside an app (the scenario clock) are sealed with a key of its own.
    audit.use_seal_key(secrets.token_bytes(32))
    root = Path(tempfile.mkdtemp(prefix="hexops-bench-scale-", dir=args.workdir))
    free_gb = shutil.disk_usage(root).free / 1e9
    if free_gb < DISK_NEEDED_GB and not args.skip_cities:
        shutil.rmtree(root, ignore_errors=True)
        raise SystemExit(f"bench.scale needs about {DISK_NEEDED_GB} GB free under {root.parent}; "
                         f"{free_gb:.0f} GB are (use --workdir elsewhere)")
    results: dict = {"cpu_count": os.cpu_count(), "disk_free_gb_at_start": round(free_gb, 1),
                     "load_average_at_start": os.getloadavg()[0], "history_end": END.isoformat()}
    started = time.perf_counter()
    try:
        if not args.skip_stream:
            _say(f"stream: {args.large} cameras at 1 Hz for {args.stream_seconds} s, two ways")
            stream = scale_stream.run_stream(root, args.large, args.stream_seconds, say=_say)
            combined = stream["combined"]
            results["stream"] = {
                "events_per_s": combined["events_per_s"], "freshness_p95_s": combined["freshness_p95_s"],
                "durable_p95_s": combined["durable_p95_s"], "wal_bytes_per_event": combined["wal_bytes_per_event"],
                "wal_bytes_per_event_today": stream["today"]["wal_bytes_per_event"],
                "freshness_p95_s_today": stream["today"]["freshness_p95_s"],
                "events_per_s_today": stream["today"]["events_per_s"], "detail": stream,
            }
        if not args.skip_cities:
            results |= run_cities(root, args.small, args.large, depths, args.hex_days, args.repeats)
            small = f"city_{args.small}"
            results["goals"] = goals(results, small, f"city_{args.large}_{depths[0]:g}h",
                                     f"city_{args.large}_{depths[1]:g}h")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results["load_average_at_end"] = os.getloadavg()[0]
    results["elapsed_s"] = round(time.perf_counter() - started)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    main()
