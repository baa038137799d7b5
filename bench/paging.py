"""Benchmark: what a deep page of a shared layer costs, keyset cursor against offset.

``python -m bench.paging`` (``make bench-paging``) starts a throwaway PostGIS
cluster, fills ``water_states`` at H3 resolution 9 (``--cells`` hexagons x
``--buckets`` 5-minute buckets) and times, in the same run and database:

- **offset (naive peer)**: the query the OGC API ran before issue 10 --
  ``count(*) OVER ()`` and ``LIMIT 1000 OFFSET n`` -- at depths 0, 10,000 and
  ``--depth`` rows;
- **keyset**: :func:`hexops.geodata.sharing.items` with the ``after`` cursor of
  the row at the same depths (what a ``next`` link carries).

Each figure is the median of ``--repeat`` runs.  Figures go to
bench/out/paging.json and are printed; on a shared machine read the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import h3.api.basic_int as h3i
import psycopg
from psycopg import sql

from hexops.geodata import migrate
from hexops.geodata.cluster import PrivateCluster
from hexops.geodata.cluster_auth import APP
from hexops.geodata.h3cells import cell_polygon
from hexops.geodata.shared_layers import WATER_STATES
from hexops.geodata.sharing import ItemQuery, items, shared_source

OUT = Path(__file__).resolve().parent / "out" / "paging.json"
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
#: The pre-issue-10 query: counts every match, then skips ``offset`` rows.
NAIVE = ("SELECT s.fid, ST_AsGeoJSON(s.geom, 7)::jsonb, s.props, count(*) OVER () FROM ({shared}) s "
         "ORDER BY s.t DESC NULLS LAST, s.fid LIMIT 1000 OFFSET %(offset)s")


def _seed(url: str, n_cells: int, n_buckets: int) -> int:
    centre = h3i.latlng_to_cell(22.3193, 114.1694, 9)
    ring = 1
    while len(h3i.grid_disk(centre, ring)) < n_cells:
        ring += 1
    cells = sorted(h3i.grid_disk(centre, ring))[:n_cells]
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO hex_cells (h3, resolution, geom, centroid, area_m2) VALUES (%s, 9, "
                "ST_GeomFromText(%s, 4326), ST_Centroid(ST_GeomFromText(%s, 4326)), 1e5)",
                [(c, cell_polygon(c).wkt, cell_polygon(c).wkt) for c in cells])
        end = START + timedelta(minutes=5 * n_buckets)
        conn.execute("SELECT hexops_ensure_day_partitions('detections_hex_5min', %s, %s)", (START.date(), end.date()))
        conn.execute(
            "INSERT INTO detections_hex_5min (h3, resolution, bucket, n_events, covered_s, people_s, people_max, "
            "wet_s, flooded_s) SELECT c, 9, b, 5, 300, 600, 3, (random() * 300)::int, 0 "
            "FROM unnest(%s::bigint[]) c, generate_series(%s::timestamptz, %s::timestamptz - interval '5 min', "
            "interval '5 min') b", (cells, START, end))
        conn.execute("ANALYZE")
    return len(cells) * n_buckets


def _median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=2700)
    parser.add_argument("--buckets", type=int, default=160)
    parser.add_argument("--depth", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    cluster = PrivateCluster(Path(tempfile.mkdtemp(prefix="hexops-bench-paging-")) / "pg", throwaway=True)
    try:
        owner = cluster.start()
        migrate.apply_all(owner, app_role=APP)
        url = cluster.url(role="app")
        rows = _seed(url, args.cells, args.buckets)
        depths = [0, 10_000, min(args.depth, rows - 1000)]
        naive = sql.SQL(NAIVE).format(shared=shared_source(WATER_STATES))
        base = ItemQuery(limit=1000, resolution=9, reveal_cameras=True, timeout_s=600)
        result: dict = {"rows": rows, "page": 1000, "offset_ms": {}, "keyset_ms": {}}
        with psycopg.connect(url) as conn:
            params = {"res": 9, "k": 5, "suppressed": [], "camera_fields": [], "camera_steps": []}
            for depth in depths:
                result["offset_ms"][depth] = _median_ms(
                    lambda: conn.execute(naive, {**params, "offset": depth}).fetchall(), args.repeat)
                # The cursor a next link would carry at this depth: the (t, fid) of the row before it.
                after = None
                if depth:
                    row = conn.execute(sql.SQL("SELECT s.t, s.fid FROM ({shared}) s ORDER BY s.t DESC, s.fid DESC "
                                               "OFFSET %(d)s LIMIT 1").format(shared=shared_source(WATER_STATES)),
                                       {**params, "d": depth - 1}).fetchone()
                    after = (row[0], row[1])
                query = replace(base, after=after)
                result["keyset_ms"][depth] = _median_ms(lambda: items(conn, WATER_STATES, query), args.repeat)
                conn.rollback()
        deepest = depths[-1]
        result["deep_ratio_offset_over_keyset"] = round(result["offset_ms"][deepest] / result["keyset_ms"][deepest], 1)
    finally:
        cluster.destroy()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
