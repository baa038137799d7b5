"""Benchmark: what the audit hash chain costs, and how long verification takes.

``python -m bench.audit`` (``make bench-audit``) starts a throwaway PostGIS
cluster, migrates it and times, on the same database and in the same run:

- **chained**: ``geodata.audit.record`` into ``audit_log`` (BEFORE INSERT
  trigger: advisory lock, read of the chain head, SHA-256; then the row's
  seal, an HMAC computed here, into ``audit_seals``), one transaction per
  entry as a web request would;
- **plain** (the naive peer): the same INSERT into a copy of the table
  without the chain trigger;
- **concurrent chained**: 4 threads writing at once (the advisory lock
  serialises them, so this shows the contention cost);
- **verify**: ``geodata.audit.verify_chain`` over all rows written (hashes,
  links and seals).

Figures go to bench/out/audit.json and are printed.  They are noisy on a
shared machine; read the ratio rather than the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb
from tqdm import tqdm

from hexops.geodata import audit, migrate
from hexops.geodata.cluster import PrivateCluster

OUT = Path(__file__).resolve().parent / "out" / "audit.json"


def _chained(url: str, n: int, label: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for i in tqdm(range(n), desc=label, leave=False):
            audit.record(conn, actor=f"user{i % 50}", action="partner.read", target=f"ogcapi/layer{i % 7}",
                         details={"i": i, "bbox": [114.1, 22.3, 114.2, 22.4]})
            conn.commit()
    return time.perf_counter() - started


def _plain(url: str, n: int) -> float:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS audit_plain (audit_id bigserial PRIMARY KEY, "
                     "at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL, action text NOT NULL, "
                     "target text, reason text, details jsonb NOT NULL DEFAULT '{}')")
        conn.commit()
        started = time.perf_counter()
        for i in tqdm(range(n), desc="plain", leave=False):
            conn.execute("INSERT INTO audit_plain (actor, action, target, reason, details) "
                         "VALUES (%s, %s, %s, %s, %s) RETURNING audit_id",
                         (f"user{i % 50}", "partner.read", f"ogcapi/layer{i % 7}", None,
                          Jsonb({"i": i, "bbox": [114.1, 22.3, 114.2, 22.4]})))
            conn.commit()
        return time.perf_counter() - started


def _concurrent(url: str, n: int, threads: int) -> float:
    per = n // threads
    workers = [threading.Thread(target=_chained, args=(url, per, f"thread {t}")) for t in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="entries per variant")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="hexops-bench-audit-")) / "pg"
    cluster = PrivateCluster(root, throwaway=True)
    audit.use_seal_key(os.urandom(32))
    try:
        url = cluster.start()
        migrate.apply_all(url)
        plain_s = _plain(url, args.rows)
        chained_s = _chained(url, args.rows, "chained")
        concurrent_s = _concurrent(url, args.rows, 4)
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            report = audit.verify_chain(conn)
            verify_s = time.perf_counter() - started
    finally:
        cluster.destroy()
    result = {
        "rows_per_variant": args.rows,
        "plain_insert_per_s": round(args.rows / plain_s, 1),
        "chained_insert_per_s": round(args.rows / chained_s, 1),
        "chained_4_threads_per_s": round(args.rows / concurrent_s, 1),
        "chain_overhead_ratio": round(chained_s / plain_s, 2),
        "verify_rows": report.rows,
        "verify_ok": report.ok,
        "verify_s": round(verify_s, 3),
        "verify_rows_per_s": round(report.rows / verify_s, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
