"""A density-map crowd counter (CSRNet on onnxruntime) behind one small interface.

A box detector counts people it can separate; in a packed crowd it finds a
handful.  A density-map counter instead predicts, for every 8x8-pixel cell of
its input, how many people stand there (fractions of a person), and the map's
sum is the count.  It needs no separable people, so it keeps counting where
boxes fail, but it also puts a little mass on clutter (on the validation's
sparse photos the published CSRNet weights add about 25-60 "people" of
background), so hexops uses it only when the scene is dense
(:mod:`hexops.ingest.video.counting` decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from hexops.detectors.base import ModelError
from hexops.detectors.spec import ModelSpec


@dataclass(frozen=True)
class DensityMap:
    """People per cell over one frame.

    Attributes
    ----------
    values : ndarray, float32, (rows, columns)
        People per output cell (a cell is ``stride`` x ``stride`` pixels of the
        counter's input).
    cell_w, cell_h : float
        Frame pixels per cell, across and down.
    input_scale : float
        Counter input pixels per frame pixel (1.0 when the frame fitted).
    """

    values: np.ndarray
    cell_w: float
    cell_h: float
    input_scale: float

    @property
    def count(self) -> float:
        return float(self.values.sum())

    def cells_of(self, mask: np.ndarray) -> np.ndarray:
        """Share (0..1) of each cell inside a frame-sized boolean mask."""
        rows, cols = self.values.shape
        return cv2.resize(mask.astype(np.float32), (cols, rows), interpolation=cv2.INTER_AREA)

    def mass(self, min_density: float = 0.0, mask: np.ndarray | None = None) -> float:
        """People in cells at or above ``min_density`` people per cell (within ``mask``)."""
        values = self.values if mask is None else self.values * self.cells_of(mask)
        return float(values[self.values >= min_density].sum())


class DensityCounter:
    """Runs a registry ``density`` model on BGR frames.

    Parameters
    ----------
    spec : ModelSpec
        A loaded registry entry with runner ``density`` (input contract:
        float32 NCHW RGB 0..255 named ``input.name``; ``input.max_size``
        [width, height] caps the size fed to it; ``output.stride``).
    session : optional
        An onnxruntime-like session (tests may pass their own).
    threads : int
        onnxruntime intra-op threads (the convolution layers use both cores well).
    """

    def __init__(self, spec: ModelSpec, session: Any = None, threads: int = 2):
        if spec.runner != "density":
            raise ModelError(f"model {spec.name}: runner is {spec.runner!r}, not a density counter")
        self.spec = spec
        self.name, self.version = spec.name, spec.version
        self.session = session if session is not None else _open_session(spec, threads)
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        self.input_name = spec.input.get("name", "image")
        self.output_name = spec.output.get("name", "density")
        if self.input_name not in inputs or inputs[self.input_name].type != "tensor(float)":
            raise ModelError(f"model {spec.name}: needs a float32 input {self.input_name!r}, "
                             f"the file has {sorted((i.name, i.type) for i in inputs.values())}")
        if self.output_name not in outputs:
            raise ModelError(f"model {spec.name}: declared output {self.output_name!r} not in {sorted(outputs)}")
        self.stride = int(spec.output.get("stride", 8))
        self.max_w, self.max_h = (int(v) for v in spec.input.get("max_size", [640, 480]))

    def fit(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, float]:
        """The frame scaled down (never up) to fit ``max_size``, and the scale used."""
        height, width = frame_bgr.shape[:2]
        scale = min(1.0, self.max_w / width, self.max_h / height)
        if scale < 1.0:
            size = (max(self.stride, int(round(width * scale))), max(self.stride, int(round(height * scale))))
            return cv2.resize(frame_bgr, size, interpolation=cv2.INTER_AREA), scale
        return frame_bgr, 1.0

    def density(self, frame_bgr: np.ndarray) -> DensityMap:
        """The density map of one frame (BGR uint8, any size)."""
        image, scale = self.fit(frame_bgr)
        tensor = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32).transpose(2, 0, 1)[np.newaxis]
        values = np.asarray(self.session.run([self.output_name], {self.input_name: np.ascontiguousarray(tensor)})[0])
        values = values.reshape(values.shape[-2:]).astype(np.float32)
        rows, cols = values.shape
        height, width = frame_bgr.shape[:2]
        return DensityMap(values, width / max(cols, 1), height / max(rows, 1), scale)


def _open_session(spec: ModelSpec, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(spec.path), sess_options=options, providers=["CPUExecutionProvider"])
