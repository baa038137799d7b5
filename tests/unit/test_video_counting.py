"""The regime switch and the quality gate, on synthetic frames and fake counters."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.detectors.base import Detections
from hexops.detectors.density import DensityMap
from hexops.ingest.video.counting import PeopleCounter, piled_share
from hexops.ingest.video.crowding import CrowdingCheck
from hexops.ingest.video.quality import QualityGate
from hexops.ingest.video.synthetic import street_frame


class Boxes:
    """A detector that finds the boxes it was given."""

    name, version = "fake-boxes", "1"

    def __init__(self, boxes):
        self.boxes = np.asarray(boxes, np.float32).reshape(-1, 4)

    def detect(self, frame_bgr):
        n = len(self.boxes)
        return Detections(self.boxes, np.full(n, 0.9, np.float32), np.zeros(n, np.int64))


class Density:
    """A density counter returning a fixed map (people per 8x8 cell of a 320x240 frame)."""

    name, version, stride = "fake-density", "1", 8

    def __init__(self, values):
        self.values = np.asarray(values, np.float32)

    def density(self, frame_bgr):
        return DensityMap(self.values, frame_bgr.shape[1] / self.values.shape[1],
                          frame_bgr.shape[0] / self.values.shape[0], 1.0)


def spread_boxes(n: int) -> np.ndarray:
    return np.array([[10 + 30 * (i % 10), 20 + 60 * (i // 10), 30 + 30 * (i % 10), 70 + 60 * (i // 10)]
                     for i in range(n)], np.float32).reshape(-1, 4)


FRAME = street_frame(0)


def test_a_packed_crowd_is_counted_by_the_density_map_not_the_few_boxes():
    packed = np.full((30, 40), 0.4, np.float32)          # 480 people, 0.4 per cell: far closer than boxes resolve
    estimate = PeopleCounter(Boxes(spread_boxes(6)), 15, Density(packed)).count(FRAME)
    assert estimate.method == "fake-density" and estimate.regime == "dense"
    assert estimate.people == 480 and not estimate.saturated
    assert estimate.people_low == pytest.approx(384, abs=1) and estimate.people_high == pytest.approx(576, abs=1)


def test_a_sparse_scene_is_counted_by_boxes_even_when_the_density_map_sees_clutter():
    clutter = np.full((30, 40), 0.03, np.float32)        # 36 "people" of background, none packed
    estimate = PeopleCounter(Boxes(spread_boxes(8)), 15, Density(clutter)).count(FRAME)
    assert (estimate.people, estimate.method, estimate.regime) == (8, "fake-boxes", "sparse")
    assert not estimate.saturated and estimate.people_low == 8 and estimate.people_high > 8


def test_without_a_density_counter_a_crowd_against_the_empty_reference_is_a_lower_bound():
    counter = PeopleCounter(Boxes(spread_boxes(2)), 15, crowding=CrowdingCheck(FRAME, 15))
    crowd = counter.count(street_frame(1, people=2, crowd=400))
    assert crowd.saturated and crowd.regime == "dense" and crowd.people == 2 and crowd.people_high > 50
    assert not counter.count(street_frame(1, people=2)).saturated


def test_without_a_density_counter_boxes_at_the_saturation_count_or_piled_up_are_a_lower_bound():
    assert PeopleCounter(Boxes(spread_boxes(15)), 15).count(FRAME).saturated
    piled = np.array([[100 + i, 100, 130 + i, 160] for i in range(0, 12, 2)], np.float32)
    assert piled_share(piled, 0.3) == 1.0
    assert PeopleCounter(Boxes(piled), 15).count(FRAME).saturated
    assert not PeopleCounter(Boxes(spread_boxes(4)), 15).count(FRAME).saturated


@settings(max_examples=60, deadline=None)
@given(level=st.floats(0.0, 1.0), n_boxes=st.integers(0, 40), density=st.booleans())
def test_the_band_always_holds_the_count(level, n_boxes, density):
    values = np.full((30, 40), level, np.float32)
    counter = PeopleCounter(Boxes(spread_boxes(n_boxes)), 15, Density(values) if density else None)
    estimate = counter.count(FRAME)
    assert 0 <= estimate.people_low <= estimate.people <= estimate.people_high
    if estimate.regime == "dense" and estimate.method == "fake-boxes":
        assert estimate.saturated      # a dense scene counted by boxes is always a lower bound


# -- the quality gate ---------------------------------------------------------------------------

def _verdict(frame, reference=None, previous=None):
    gate = QualityGate(reference)
    if previous is not None:
        gate.check(previous)
    return gate.check(frame)


def test_an_ordinary_frame_a_greyscale_one_and_a_crowded_one_are_usable():
    assert _verdict(street_frame(1, people=3), FRAME).usable
    grey = cv2.cvtColor(cv2.cvtColor(street_frame(1), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert _verdict(grey).usable
    assert _verdict(street_frame(1, people=2, crowd=300), FRAME).usable


def test_an_image_unavailable_card_and_a_test_card_are_placeholders():
    card = np.full((240, 320, 3), (90, 90, 90), np.uint8)
    cv2.putText(card, "IMAGE UNAVAILABLE", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    assert _verdict(cv2.imdecode(cv2.imencode(".jpg", card)[1], cv2.IMREAD_COLOR)).reason.startswith("placeholder")
    bars = np.zeros((240, 320, 3), np.uint8)
    for i, colour in enumerate([(255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0),
                                (255, 0, 255), (0, 0, 255), (255, 0, 0), (0, 0, 0)]):
        bars[:, i * 40:(i + 1) * 40] = colour
    assert _verdict(bars).reason.startswith("placeholder")


def test_darkness_night_glare_overexposure_and_a_colour_cast_are_unusable_with_their_reason():
    assert _verdict((street_frame(1) * 0.03).astype(np.uint8)).reason == "too dark"
    night = (street_frame(1).astype(np.float32) * 0.25).astype(np.uint8)
    for x in (60, 160, 260):                                     # three headlights
        cv2.circle(night, (x, 190), 22, (255, 255, 255), -1)
    assert _verdict(night).reason.startswith("night glare")
    flare = street_frame(1)
    cv2.circle(flare, (160, 100), 110, (255, 255, 255), -1)
    assert _verdict(flare).reason == "overexposed or lens flare"
    magenta = np.clip(street_frame(1).astype(np.float32) * (1.25, 0.7, 1.25), 0, 255).astype(np.uint8)
    assert _verdict(magenta).reason == "colour cast"


def test_a_repeated_frame_is_frozen_and_a_moved_camera_no_longer_matches_its_reference():
    frame = street_frame(2, people=2)
    assert _verdict(frame, previous=frame.copy()).reason.startswith("frozen")
    assert _verdict(frame, previous=street_frame(3, people=2)).usable
    panned = np.roll(street_frame(2), 70, axis=1)
    assert _verdict(panned, FRAME).reason.startswith("view no longer matches")
    zoomed = cv2.resize(street_frame(2), None, fx=1.4, fy=1.4)[40:280, 60:380]
    assert _verdict(zoomed, FRAME).reason.startswith("view no longer matches")
    assert _verdict(street_frame(2, water="flooded"), FRAME).usable   # water changes the road, not the view


@pytest.mark.parametrize("water", ["dry", "wet", "flooded"])
def test_an_unusable_frame_contributes_no_people_and_no_water(water):
    from datetime import datetime, timezone

    from hexops.ingest.video.analyse import FrameAnalyser
    from hexops.ingest.video.reader import SampledFrame
    from hexops.ingest.video.water import WaterEstimator

    analyser = FrameAnalyser(Boxes(spread_boxes(3)), water=WaterEstimator(FRAME))
    at = datetime(2026, 10, 1, tzinfo=timezone.utc)
    good = analyser.analyse(SampledFrame(at, street_frame(4, water=water)))
    assert good.usable and good.people == 3 and good.water_state == water
    bad = analyser.analyse(SampledFrame(at, np.full((240, 320, 3), 90, np.uint8)))
    assert not bad.usable and bad.as_json()["people"] is None and bad.as_json()["water"]["state"] is None
