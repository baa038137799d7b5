"""Water on the road: unknown without a reference, flooded only with evidence, on the camera's road mask."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from hexops.cli import build_cli
from hexops.ingest.errors import SourceError
from hexops.ingest.video.analyse import FrameAnalyser
from hexops.ingest.video.reader import SampledFrame
from hexops.ingest.video.roadmask import auto_road_mask, load_road_mask, polygon_mask, save_road_mask
from hexops.ingest.video.synthetic import ROAD_TOP, street_frame
from hexops.ingest.video.water import WaterEstimator

REFERENCE = street_frame(0)
AT = datetime(2026, 10, 2, 8, 0, tzinfo=timezone.utc)


class NoBoxes:
    name, version = "none", "1"

    def detect(self, frame_bgr):
        from hexops.detectors.base import Detections

        return Detections()


def test_without_a_reference_the_water_state_is_unknown_never_dry():
    result = FrameAnalyser(NoBoxes()).analyse(SampledFrame(AT, street_frame(3, water="flooded")))
    assert result.usable and result.water_state is None and result.water_confidence == 0.0
    assert result.as_json()["water"] == {"state": None, "confidence": 0.0}


def test_the_road_mask_is_derived_from_the_reference_where_no_one_drew_it():
    mask = auto_road_mask(REFERENCE)
    assert mask[ROAD_TOP + 5:].mean() > 0.95                 # the carriageway, markings included
    assert mask[:ROAD_TOP - 40].mean() < 0.05                # not the facade
    drawn = polygon_mask([(0, ROAD_TOP), (319, ROAD_TOP), (319, 239), (0, 239)], 320, 240)
    assert drawn[ROAD_TOP:].all() and not drawn[:ROAD_TOP - 1].any()


def test_a_drawn_road_mask_round_trips_and_a_bad_one_is_named(tmp_path):
    mask = polygon_mask([(10, 200), (300, 200), (300, 239), (10, 239)], 320, 240)
    path = save_road_mask(tmp_path / "CAM-1.road.png", mask)
    assert (load_road_mask(path, (240, 320)) == mask).all()
    assert load_road_mask(tmp_path / "absent.png", (240, 320)) is None
    (tmp_path / "bad.png").write_text("no")
    with pytest.raises(SourceError, match="bad.png"):
        load_road_mask(tmp_path / "bad.png", (240, 320))
    with pytest.raises(SourceError, match="at least 3 points"):
        polygon_mask([(0, 0), (5, 5)], 320, 240)


def test_a_flood_shows_evidence_beyond_change_and_a_wet_road_does_not():
    estimator = WaterEstimator(REFERENCE)
    flooded = estimator.estimate(street_frame(3, water="flooded"))
    assert flooded.state == "flooded" and len(flooded.evidence) >= 2
    wet = estimator.estimate(street_frame(3, water="wet"))
    assert wet.state == "wet" and wet.changed_fraction > 0.6 and len(wet.evidence) < 2


def test_a_road_changed_everywhere_but_still_marked_and_grained_is_wet_not_flooded():
    # Dark, glossy, bluish: strongly changed, but markings and asphalt grain still there.
    frame = street_frame(3).astype(np.float32)
    frame[ROAD_TOP:] = frame[ROAD_TOP:] * 0.45 + np.array([70, 35, 10], np.float32)
    estimate = WaterEstimator(REFERENCE).estimate(np.clip(frame, 0, 255).astype(np.uint8))
    assert estimate.changed_fraction > 0.8
    assert estimate.state == "wet" and "markings_lost" not in estimate.evidence


def test_paint_gone_alone_is_not_a_flood():
    # Markings resurfaced away (one sign) while the rest of the road is unchanged: dry.
    frame = street_frame(3)
    for x in range(0, 320, 40):
        frame[ROAD_TOP + 45:ROAD_TOP + 50, x:x + 21] = 95
    assert WaterEstimator(REFERENCE).estimate(frame).state == "dry"


def test_a_road_hidden_behind_boxes_has_an_unknown_state():
    estimate = WaterEstimator(REFERENCE).estimate(street_frame(3, water="flooded"), np.array([[0, 0, 320, 240]]))
    assert estimate.state is None


def test_hexops_video_frame_prints_exactly_the_agreed_shape_with_no_camera_registered(tmp_path):
    image, reference = tmp_path / "now.png", tmp_path / "dry.png"
    cv2.imwrite(str(image), street_frame(5, people=2, water="flooded"))
    cv2.imwrite(str(reference), REFERENCE)
    env = {"HEXOPS_STATE_DIR": str(tmp_path / "state"), "HEXOPS_MODELS_DIR": str(tmp_path / "no-models"),
           "HEXOPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(build_cli(), ["video", "frame", str(image), "--reference", str(reference),
                                              "--camera", "CAM-NOWHERE", "--json"], env=env)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(answer) == ["people", "people_low", "people_high", "method", "saturated", "usable", "quality", "water"]
    assert set(answer["water"]) == {"state", "confidence"}
    assert answer["usable"] is True and answer["quality"] is None
    assert answer["water"]["state"] == "flooded" and 0.5 <= answer["water"]["confidence"] <= 1.0
    assert answer["method"] == "opencv-hog-people"                 # the named last resort
    assert "last-resort fallback" in result.stderr and "density counter csrnet-density is absent" in result.stderr
    assert answer["people_low"] <= answer["people"] <= answer["people_high"]


def test_hexops_video_frame_names_a_missing_or_undecodable_file_without_a_traceback(tmp_path):
    env = {"HEXOPS_STATE_DIR": str(tmp_path), "HEXOPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    missing = CliRunner().invoke(build_cli(), ["video", "frame", str(tmp_path / "gone.jpg"), "--json"], env=env)
    assert missing.exit_code == 1 and "gone.jpg: no such image file" in missing.output
    assert "Traceback" not in missing.output
    (tmp_path / "notes.jpg").write_text("not an image")
    junk = CliRunner().invoke(build_cli(), ["video", "frame", str(tmp_path / "notes.jpg")], env=env)
    assert junk.exit_code == 1 and "notes.jpg: not a readable image" in junk.output
    good = tmp_path / "ok.png"
    cv2.imwrite(str(good), REFERENCE)
    bad_ref = CliRunner().invoke(build_cli(), ["video", "frame", str(good), "--reference", str(tmp_path / "notes.jpg")],
                                 env=env)
    assert bad_ref.exit_code == 1 and "notes.jpg" in bad_ref.output


def test_an_unusable_still_answers_unusable_with_its_reason(tmp_path):
    card = tmp_path / "card.png"
    cv2.imwrite(str(card), np.full((240, 320, 3), 128, np.uint8))
    env = {"HEXOPS_STATE_DIR": str(tmp_path), "HEXOPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(build_cli(), ["video", "frame", str(card), "--json"], env=env)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["usable"] is False and answer["quality"].startswith("placeholder")
    assert answer["people"] is None and answer["water"]["state"] is None


def test_people_the_boxes_missed_are_not_water_and_a_road_hidden_by_a_crowd_is_unknown():
    from hexops.ingest.video.crowding import CrowdingCheck

    analyser = FrameAnalyser(NoBoxes(), water=WaterEstimator(REFERENCE), crowding=CrowdingCheck(REFERENCE, 15))
    some = analyser.analyse(SampledFrame(AT, street_frame(3, people=2, crowd=60)))
    assert some.water_state == "dry"
    packed = analyser.analyse(SampledFrame(AT, street_frame(3, people=2, crowd=400)))
    assert packed.usable and packed.water_state is None


def test_a_view_with_no_road_in_it_falls_back_to_the_lower_part_and_says_so():
    from hexops.ingest.video.roadmask import derive_road_mask

    facade = np.zeros((240, 320, 3), np.uint8)
    facade[:] = (40, 90, 200)                                   # orange brick, no grey carriageway
    facade = np.clip(facade + np.random.default_rng(0).normal(0, 20, facade.shape), 0, 255).astype(np.uint8)
    mask, found = derive_road_mask(facade)
    assert not found and mask[150:].all() and not mask[:140].any()
    assert derive_road_mask(REFERENCE)[1]
