"""``hexops ingest file`` and ``hexops ingest retention`` against a real PostGIS."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner

from hexops.cli import main  # noqa: F401  (the console script's module must import cleanly)
from hexops.cli import build_cli
from hexops.geodata import detections
from hexops.ingest.files import write_events
from tests.fixtures.ingest import NOW, event

T0 = dt.datetime(2026, 11, 21, 11, 0, 0, tzinfo=dt.timezone.utc)


def _run(url: str, *args: str):
    return CliRunner().invoke(build_cli(), list(args), env={"HEXOPS_DATABASE_URL": url}, catch_exceptions=False)


def _events(n: int = 30) -> pd.DataFrame:
    cams = ["CAM-A", "CAM-B", "CAM-C", "CAM-D"]
    return pd.DataFrame([event(f"f{i}", cams[i % 4], T0 + dt.timedelta(seconds=10 * i), 10, people=i % 7)
                         for i in range(n)])


def _totals(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*), sum(n_events), sum(people_s) FROM detections_camera_minute").fetchone()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_each_file_format_lands_the_same_aggregates(cameras_db_url, tmp_path, fmt):
    frame = _events()
    path = tmp_path / f"events.{fmt}"
    write_events(path, frame, fmt)
    result = _run(cameras_db_url, "ingest", "file", str(path), "--now", NOW.isoformat(), "--quiet")
    assert result.exit_code == 0, result.output
    assert "30 events: 30 accepted, 0 duplicate, 0 rejected" in result.output
    assert _totals(cameras_db_url) == (len({(e.camera_id, e.window_start[:16]) for e in frame.itertuples()}), 30,
                                       float(sum((i % 7) * 10 for i in range(30))))


def test_a_csv_with_bad_rows_names_row_and_field_and_keeps_the_good_rows(cameras_db_url, tmp_path):
    frame = _events(6)
    frame["people"] = frame["people"].astype(object)
    frame.loc[2, "people"] = "many"
    frame.loc[4, "camera_id"] = "CAM-ZZZ"
    path = tmp_path / "events.csv"
    write_events(path, frame, "csv")
    result = _run(cameras_db_url, "ingest", "file", str(path), "--now", NOW.isoformat(), "--quiet")
    assert "6 events: 4 accepted, 0 duplicate, 2 rejected" in result.output
    assert "row 3: people: must be a whole number, got 'many'" in result.output
    assert "row 5: camera_id: unknown camera 'CAM-ZZZ'" in result.output
    with psycopg.connect(cameras_db_url) as conn:
        rows = detections.quarantined(conn)
    assert sorted((r["row_number"], r["reason"].split(":")[0]) for r in rows) == [(3, "people"), (5, "camera_id")]


def test_running_the_same_backfill_twice_counts_nothing_twice(cameras_db_url, tmp_path):
    path = tmp_path / "events.jsonl"
    write_events(path, _events(), "jsonl")
    _run(cameras_db_url, "ingest", "file", str(path), "--now", NOW.isoformat(), "--quiet")
    before = _totals(cameras_db_url)
    again = _run(cameras_db_url, "ingest", "file", str(path), "--now", NOW.isoformat(), "--quiet",
                 "--chunk-rows", "1000")
    assert "0 accepted, 30 duplicate" in again.output
    assert _totals(cameras_db_url) == before


def test_a_json_lines_file_with_a_broken_line_rejects_only_that_line(cameras_db_url, tmp_path):
    path = tmp_path / "events.jsonl"
    write_events(path, _events(3), "jsonl")
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([lines[0], b"{not json", lines[1], lines[2]]) + b"\n")
    result = _run(cameras_db_url, "ingest", "file", str(path), "--now", NOW.isoformat(), "--quiet")
    assert "4 events: 3 accepted, 0 duplicate, 1 rejected" in result.output
    assert "row 2: event: is not valid JSON" in result.output


def test_a_missing_file_or_unknown_suffix_is_a_clear_error(cameras_db_url, tmp_path):
    missing = _run(cameras_db_url, "ingest", "file", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "nope.csv: no such file" in missing.output
    odd = tmp_path / "events.txt"
    odd.write_text("x")
    result = _run(cameras_db_url, "ingest", "file", str(odd))
    assert result.exit_code == 1 and "cannot tell the format" in result.output


def test_a_max_age_beyond_the_keys_retention_is_refused(cameras_db_url, tmp_path):
    path = tmp_path / "events.jsonl"
    write_events(path, _events(2), "jsonl")
    result = _run(cameras_db_url, "ingest", "file", str(path), "--max-age", "30d")
    assert result.exit_code == 1 and "--max-age" in result.output and "keep_days" in result.output


def _make_days(url: str, table: str, first: dt.date, last: dt.date) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("SELECT hexops_ensure_day_partitions(%s, %s, %s)", (table, first, last))


def test_retention_drops_whole_old_days_and_keeps_rollups_longer(cameras_db_url):
    now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone.utc)
    for table in ("detections_camera_minute", "detections_hex_5min"):
        _make_days(cameras_db_url, table, dt.date(2026, 10, 1), dt.date(2026, 11, 21))
    result = _run(cameras_db_url, "ingest", "retention", "--now", now.isoformat(),
                  "--keep", "detections_camera_minute=10", "--keep", "detections_hex_5min=30")
    assert result.exit_code == 0, result.output
    with psycopg.connect(cameras_db_url) as conn:
        from hexops.geodata.ingest_retention import day_partitions
        minute_days = [d for _, d in day_partitions(conn, "detections_camera_minute")]
        hex_days = [d for _, d in day_partitions(conn, "detections_hex_5min")]
        (audits,), = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'retention.run'").fetchall()
    assert minute_days[0] == dt.date(2026, 11, 11) and minute_days[-1] == dt.date(2026, 11, 21)
    assert hex_days[0] == dt.date(2026, 10, 22)
    assert audits == 2


def test_retention_refuses_rollups_kept_shorter_than_camera_minutes(cameras_db_url):
    result = _run(cameras_db_url, "ingest", "retention", "--keep", "detections_hex_5min=5",
                  "--keep", "detections_camera_minute=10")
    assert result.exit_code == 1 and "detections_hex_5min (5) must be at least" in result.output
