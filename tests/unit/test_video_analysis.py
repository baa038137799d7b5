"""Video to events without a database: sampling, water against the reference, saturation, windows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from hexops.ingest.errors import SourceError
from hexops.ingest.video.analyse import FrameAnalyser, FrameResult, event_id, window_events
from hexops.ingest.video.crowding import CrowdingCheck
from hexops.ingest.video.pipeline import analyse_video, build_analyser, median_reference
from hexops.ingest.video.reader import VideoSource
from hexops.ingest.video.synthetic import street_frame, write_reference, write_street_video
from hexops.ingest.video.water import WaterEstimator
from hexops.detectors.base import Detections

START = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


class FakeDetector:
    """Finds ``n`` people per frame, as fixed boxes (a stand-in for a real model)."""

    name, version = "fake", "1"

    def __init__(self, n: int = 2):
        self.n = n
        self.frames = 0

    def detect(self, frame_bgr):
        self.frames += 1
        boxes = np.array([[10 + 20 * i, 60, 24 + 20 * i, 110] for i in range(self.n)], np.float32).reshape(-1, 4)
        return Detections(boxes, np.full(self.n, 0.9, np.float32), np.zeros(self.n, np.int64))


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("video")
    return {
        "dry": write_street_video(root / "dry.avi", frames=50, people=2, water="dry", fps=10),
        "wet": write_street_video(root / "wet.avi", frames=50, people=2, water="wet", fps=10),
        "flooded": write_street_video(root / "flooded.avi", frames=50, people=2, water="flooded", fps=10),
        "crowd": write_street_video(root / "crowd.avi", frames=20, people=2, crowd=400, fps=10),
        "ref": write_reference(root / "ref.png"),
    }


def test_frames_are_sampled_at_the_configured_rate_with_their_video_times(videos):
    with VideoSource(videos["dry"], start=START) as video:
        assert video.frame_count == 50 and video.fps == 10
        times = [f.at for f in video.frames(rate_hz=2.0)]
    assert times == [START + timedelta(seconds=0.5 * i) for i in range(10)]


def test_a_missing_file_and_a_file_that_is_not_video_are_named(tmp_path):
    with pytest.raises(SourceError, match="nope.avi: no such video file"):
        VideoSource(tmp_path / "nope.avi")
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(SourceError, match="junk.avi: OpenCV cannot open it"):
        VideoSource(junk)


@pytest.mark.parametrize("water", ["dry", "wet", "flooded"])
def test_the_road_state_is_read_against_the_cameras_dry_reference(videos, water):
    import cv2

    analyser = build_analyser(FakeDetector(1), cv2.imread(str(videos["ref"])), saturation_count=20)
    events = analyse_video(videos[water], "CAM-1", analyser, start=START, rate_hz=1.0, window_s=60)
    assert list(events["water_state"]) == [water]
    assert 0.5 <= events["water_confidence"].iloc[0] <= 1.0


def test_without_a_reference_an_event_carries_the_schemas_no_information_encoding(videos):
    # Frames say "unknown" (None); the event schema has no such value, so the event
    # carries dry with confidence 0, which the schema documents as "no information".
    events = analyse_video(videos["wet"], "CAM-1", build_analyser(FakeDetector(), None, 20), start=START)
    assert events["water_state"].iloc[0] == "dry" and events["water_confidence"].iloc[0] == 0.0


def test_a_dense_crowd_is_reported_saturated_not_as_the_few_boxes_found(videos):
    import cv2

    analyser = build_analyser(FakeDetector(2), cv2.imread(str(videos["ref"])), saturation_count=20)
    crowd = analyse_video(videos["crowd"], "CAM-1", analyser, start=START)
    sparse = analyse_video(videos["dry"], "CAM-1", analyser, start=START)
    assert crowd["saturated"].all() and crowd["people"].iloc[0] == 2
    assert not sparse["saturated"].any()


def test_a_count_at_the_models_saturation_limit_is_a_lower_bound():
    check = CrowdingCheck(None, saturation_count=15)
    frame = street_frame(0)
    assert check.saturated(frame, 15, np.zeros((0, 4))) and not check.saturated(frame, 14, np.zeros((0, 4)))


def test_people_are_counted_once_per_sample_and_averaged_per_window(videos):
    detector = FakeDetector(3)
    events = analyse_video(videos["dry"], "CAM-1", FrameAnalyser(detector), start=START, rate_hz=1.0)
    assert detector.frames == 5
    row = events.iloc[0]
    assert (row["people"], row["window_start"], row["window_end"]) == (3, START, START + timedelta(seconds=5))
    assert row["model_name"] == "fake"


def test_a_window_of_unusable_frames_becomes_no_event():
    t0 = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    results = [FrameResult(t0 + timedelta(seconds=s), 0, 0, None, 0.0, False, usable=False, quality="frozen")
               for s in range(0, 60, 10)]
    results += [FrameResult(t0 + timedelta(seconds=60 + s), 4, 0, "wet", 0.8, False, 3, 6, "m")
                for s in range(0, 60, 10)]
    events = list(window_events("CAM-1", results, window_s=60, sample_period_s=10, model_name="m",
                                model_version="1"))
    assert len(events) == 1 and events[0]["window_start"] == t0 + timedelta(seconds=60)
    assert events[0]["people"] == 4 and events[0]["water_state"] == "wet"


def test_windows_align_to_the_clock_and_split_at_boundaries():
    t0 = datetime(2026, 11, 21, 10, 0, 50, tzinfo=timezone.utc)
    results = [FrameResult(t0 + timedelta(seconds=s), people=p, vehicles=0, water_state=w,
                           water_confidence=0.8, saturated=False)
               for s, p, w in [(0, 1, "dry"), (5, 3, "wet"), (10, 4, "wet"), (15, 4, "dry"), (20, 6, "dry")]]
    events = list(window_events("CAM-1", results, window_s=60, sample_period_s=5, model_name="m", model_version="1"))
    assert [e["window_start"].second for e in events] == [0, 0]
    first, second = events
    assert first["window_end"] == datetime(2026, 11, 21, 10, 1, tzinfo=timezone.utc)
    assert (first["people"], first["water_state"]) == (2, "wet")   # tie dry/wet goes to the wetter
    assert first["water_confidence"] == pytest.approx(0.4)
    assert second["window_end"] == t0 + timedelta(seconds=25) and second["people"] == 5


def test_event_ids_are_stable_so_reanalysis_is_idempotent_and_fit_the_schema():
    a = event_id("CAM-1", START, "m", "1")
    assert a == event_id("CAM-1", START, "m", "1") != event_id("CAM-1", START, "m", "2")
    assert 1 <= len(a) <= 64


def test_the_median_reference_removes_passers_by(videos):
    reference = median_reference(videos["dry"])
    empty = street_frame(0)
    assert np.abs(reference.astype(int) - empty.astype(int)).mean() < 4


def test_water_pixels_inside_person_boxes_are_ignored():
    reference = street_frame(0)
    frame = reference.copy()
    frame[150:, :160] = (40, 85, 110)   # "water" only where a person box will cover it
    estimator = WaterEstimator(reference)
    assert estimator.estimate(frame).state != "dry"
    assert estimator.estimate(frame, np.array([[0, 150, 160, 240]])).state == "dry"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=80, deadline=None)
@given(
    offsets=st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), min_size=1, max_size=60),
    window_s=st.sampled_from([10, 30, 60, 300, 600]),
    period=st.floats(min_value=0.2, max_value=30),
)
def test_windows_are_valid_events_that_never_overlap_and_cover_every_sample(offsets, window_s, period):
    results = [FrameResult(START + timedelta(seconds=s), people=1, vehicles=0, water_state="dry",
                           water_confidence=0.9, saturated=False) for s in sorted(offsets)]
    events = list(window_events("CAM-1", results, window_s=window_s, sample_period_s=period,
                                model_name="m", model_version="1"))
    for event in events:
        span = (event["window_end"] - event["window_start"]).total_seconds()
        assert 0 < span <= min(window_s, 600)
    for earlier, later in zip(events, events[1:]):
        assert earlier["window_end"] <= later["window_start"]
    assert len({e["event_id"] for e in events}) == len(events)
    for r in results:
        assert any(e["window_start"] <= r.at < e["window_end"] for e in events)


@pytest.mark.parametrize("gain", [0.55, 0.8, 1.3])
def test_a_dry_road_under_different_light_is_still_dry_but_wet_stays_wet(gain):
    reference = street_frame(0)
    estimator = WaterEstimator(reference)
    relit = np.clip(street_frame(3).astype(np.float32) * gain, 0, 255).astype(np.uint8)
    assert estimator.estimate(relit).state == "dry"
    wet = np.clip(street_frame(3, water="wet").astype(np.float32) * gain, 0, 255).astype(np.uint8)
    assert estimator.estimate(wet).state == "wet"
