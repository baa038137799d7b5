"""Video into the aggregates through the one ingestion core, against a real PostGIS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from hexops.cli import build_cli
from hexops.ingest.video.pipeline import analyse_video, build_analyser, ingest_video_events, load_reference
from hexops.ingest.video.synthetic import write_reference, write_street_video
from tests.unit.test_video_analysis import FakeDetector

# Recent enough for the ingestion core's late-event window, whole minutes for stable windows.
START = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def wet_video(tmp_path_factory):
    root = tmp_path_factory.mktemp("vid")
    return write_street_video(root / "wet.avi", frames=150, people=2, water="wet", fps=1), write_reference(root / "ref.png")


def minute_rows(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT camera_id, minute, n_events, wet_s, people_s FROM detections_camera_minute ORDER BY minute"
        ).fetchall()


def test_video_events_reach_the_camera_minute_aggregates_once_even_when_reanalysed(vault_db, wet_video):
    video, ref = wet_video
    analyser = build_analyser(FakeDetector(2), load_reference(ref), saturation_count=20)
    events = analyse_video(video, "CAM-1", analyser, start=START, rate_hz=1.0, window_s=60)
    assert len(events) == 3
    with psycopg.connect(vault_db) as conn:
        report = ingest_video_events(conn, events, str(video))
    assert (report.accepted, report.rejected) == (3, 0), report.reasons
    rows = minute_rows(vault_db)
    assert [r[1] for r in rows] == [START, START + timedelta(minutes=1), START + timedelta(minutes=2)]
    assert rows[0][3] == pytest.approx(60.0) and rows[0][4] == pytest.approx(120.0)  # wet all minute, 2 people
    with psycopg.connect(vault_db) as conn:
        again = ingest_video_events(conn, events, str(video))
    assert (again.accepted, again.duplicates) == (0, 3)
    assert minute_rows(vault_db) == rows


def test_events_for_an_unknown_camera_are_rejected_naming_the_field(vault_db, wet_video):
    video, ref = wet_video
    events = analyse_video(video, "CAM-404", build_analyser(FakeDetector(), None, 20), start=START)
    with psycopg.connect(vault_db) as conn:
        report = ingest_video_events(conn, events, str(video))
    assert report.rejected == 3 and all(r.startswith("camera_id") for r in report.reasons.values())
    assert minute_rows(vault_db) == []


def test_hexops_video_analyse_ingests_a_file_with_the_default_detector(vault_db, wet_video, tmp_path, monkeypatch):
    video, ref = wet_video
    monkeypatch.setenv("HEXOPS_DATABASE_URL", vault_db)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(build_cli(), ["video", "analyse", str(video), "--camera", "CAM-1",
                                              "--start", START.isoformat(), "--reference", str(ref), "--rate", "0.2"])
    assert result.exit_code == 0, result.output
    assert "3 events, 3 accepted" in result.output
    assert all(r[3] > 0 for r in minute_rows(vault_db))


SHARED_MODEL = Path(__file__).resolve().parents[3] / "shared" / "models" / "pedestrian_ssdlite.onnx"


@pytest.mark.skipif(not SHARED_MODEL.is_file(), reason=f"shared model absent: {SHARED_MODEL}")
def test_the_shared_onnx_detector_runs_from_the_command_line(vault_db, wet_video, tmp_path, monkeypatch):
    video, ref = wet_video
    monkeypatch.setenv("HEXOPS_DATABASE_URL", vault_db)
    monkeypatch.setenv("HEXOPS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HEXOPS_MODELS_DIR", str(SHARED_MODEL.parent))
    result = CliRunner().invoke(build_cli(), ["video", "analyse", str(video), "--camera", "CAM-1", "--start",
                                              START.isoformat(), "--reference", str(ref), "--rate", "0.2",
                                              "--model", "pedestrian_ssdlite", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.count('"model_name": "pedestrian_ssdlite"') == 3
