"""Bulk registration of synthetic cameras (benchmarks and fault tests only)."""

from __future__ import annotations

import pandas as pd
import psycopg


def copy_cameras(conn: psycopg.Connection, cameras: pd.DataFrame) -> int:
    """COPY cameras (``camera_id``, ``owner_code``, ``lat``, ``lng``, ``h3_r8..10``; WGS84) into ``cameras``.

    Runs in the caller's transaction; the registry-version trigger fires once.
    """
    with conn.cursor().copy(
        "COPY cameras (camera_id, owner_code, kind, location, h3_r8, h3_r9, h3_r10) FROM STDIN"
    ) as copy:
        for row in cameras[["camera_id", "owner_code", "lat", "lng", "h3_r8", "h3_r9", "h3_r10"]].itertuples(
            index=False
        ):
            point = f"SRID=4326;POINT({row.lng:.7f} {row.lat:.7f})"
            copy.write_row((row.camera_id, row.owner_code, "synthetic", point, int(row.h3_r8), int(row.h3_r9),
                            int(row.h3_r10)))
    return len(cameras)
