"""onnxruntime runner for SSD-style (boxes, scores, classes) and YOLO-style detectors.

The registry entry's contract says how to feed the model and read it:

- input: ``name``, ``dtype`` (``uint8`` or ``float32``), ``layout`` (``NHWC`` or
  ``NCHW``), ``color`` (``RGB`` or ``BGR``), ``size`` ``[width, height]``;
  float inputs are scaled to 0..1.  Frames are resized (stretched, not
  letterboxed) and boxes are scaled back per axis.
- output ``format: ssd``: ``boxes`` [1,N,4] normalised, ``box_order``
  ``yxyx_normalised`` or ``xyxy_normalised``; ``scores`` [1,N]; ``classes`` [1,N];
  optional ``num`` [1].
- output ``format: yolo``: one tensor ``output``, [1, 4+C, N] (v8 style, the
  default) or [1, N, 5+C] with ``objectness: true`` (v5 style; set
  ``attributes_first`` to override either); boxes are centre x, centre y,
  width, height in input pixels; NMS is applied here.

``classes_map`` maps ``person`` and ``vehicle`` to the model's class ids
(for YOLO, column indices among the class scores).

``tiles`` (registry) runs the model on overlapping tiles as well as the whole
frame and merges the boxes by non-maximum suppression.  The shared SSDLite
graph resizes any input to 300x300 itself, so on a 640x480 frame a person 40
px tall reaches it at 19 px, below what its coarsest anchors (stride 16 px)
resolve; on a 2x2 grid of tiles the same person reaches it at about 31 px.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from hexops.detectors.base import Detections, ModelError, non_max_suppression
from hexops.detectors.spec import ModelSpec

_ORT_TYPES = {"uint8": "tensor(uint8)", "float32": "tensor(float)"}


def _open_session(spec: ModelSpec, threads: int = 1):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per session: this small graph parallelises poorly, so a box serves
    # more cameras with one single-threaded session per core (measured in bench/video.py).
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(spec.path), sess_options=options, providers=["CPUExecutionProvider"])


def tile_windows(width: int, height: int, columns: int, rows: int, overlap: float) -> list[tuple[int, int, int, int]]:
    """``(x0, y0, x1, y1)`` pixel windows of a ``columns`` x ``rows`` grid whose neighbours overlap by ``overlap``."""
    tile_w = width / (columns - (columns - 1) * overlap)
    tile_h = height / (rows - (rows - 1) * overlap)
    windows = []
    for r in range(rows):
        for c in range(columns):
            x0, y0 = int(round(c * tile_w * (1 - overlap))), int(round(r * tile_h * (1 - overlap)))
            windows.append((x0, y0, min(width, int(round(x0 + tile_w))), min(height, int(round(y0 + tile_h)))))
    return windows


class OnnxDetector:
    """A :class:`models.base.Detector` over an onnxruntime session."""

    def __init__(self, spec: ModelSpec, session: Any = None):
        self.spec = spec
        self.name = spec.name
        self.version = spec.version
        self.session = session if session is not None else _open_session(spec)
        self._check_contract()
        size = spec.input.get("size") or [300, 300]
        self.width, self.height = int(size[0]), int(size[1])
        self._classes = {label: set(ids) for label, ids in spec.output.get("classes_map", {"person": [0]}).items()}

    def _check_contract(self) -> None:
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        want_in = self.spec.input.get("name")
        if want_in not in inputs:
            raise ModelError(f"model {self.name}: declared input {want_in!r} not in the file's inputs {sorted(inputs)}")
        want_type = _ORT_TYPES.get(self.spec.input.get("dtype", ""))
        if want_type is None or inputs[want_in].type != want_type:
            raise ModelError(f"model {self.name}: input {want_in} is {inputs[want_in].type}, "
                             f"registry declares {self.spec.input.get('dtype')!r}")
        fmt = self.spec.output.get("format")
        if fmt == "ssd":
            needed = [self.spec.output.get(k) for k in ("boxes", "scores", "classes")]
        elif fmt == "yolo":
            needed = [self.spec.output.get("output")]
        else:
            raise ModelError(f"model {self.name}: output format must be ssd or yolo, got {fmt!r}")
        missing = [n for n in needed if n not in outputs]
        if missing:
            raise ModelError(f"model {self.name}: declared outputs {missing} not in the file's outputs {sorted(outputs)}")

    def preprocess(self, frame_bgr: np.ndarray) -> np.ndarray:
        image = cv2.resize(frame_bgr, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        if self.spec.input.get("color", "RGB") == "RGB":
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if self.spec.input.get("dtype") == "float32":
            image = image.astype(np.float32) / 255.0
        if self.spec.input.get("layout", "NHWC") == "NCHW":
            image = np.transpose(image, (2, 0, 1))
        return np.ascontiguousarray(image[np.newaxis])

    def _label_of(self, class_ids: np.ndarray) -> np.ndarray:
        labels = np.full(len(class_ids), -1, np.int64)
        for label, code in (("person", Detections.PERSON), ("vehicle", Detections.VEHICLE)):
            ids = self._classes.get(label, set())
            if ids:
                labels[np.isin(class_ids, list(ids))] = code
        return labels

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        """Boxes in ``frame_bgr`` (whole frame, plus tiles when the registry asks for them)."""
        columns, rows = self.spec.tiles
        if columns * rows == 1:
            return self._detect_one(frame_bgr)
        parts = [self._detect_one(frame_bgr)]
        for x0, y0, x1, y1 in tile_windows(frame_bgr.shape[1], frame_bgr.shape[0], columns, rows,
                                           self.spec.tile_overlap):
            found = self._detect_one(frame_bgr[y0:y1, x0:x1])
            parts.append(Detections(found.boxes + np.array([x0, y0, x0, y0], np.float32), found.scores,
                                    found.labels))
        boxes = np.concatenate([p.boxes for p in parts])
        scores = np.concatenate([p.scores for p in parts])
        labels = np.concatenate([p.labels for p in parts])
        keep = []
        for label in np.unique(labels):
            idx = np.flatnonzero(labels == label)
            keep.extend(idx[non_max_suppression(boxes[idx], scores[idx], 0.45)].tolist())
        keep = np.asarray(sorted(keep), np.int64)
        return Detections(boxes[keep], scores[keep], labels[keep])

    def _detect_one(self, frame_bgr: np.ndarray) -> Detections:
        height, width = frame_bgr.shape[:2]
        feed = {self.spec.input["name"]: self.preprocess(frame_bgr)}
        if self.spec.output["format"] == "ssd":
            boxes, scores, class_ids = self._ssd(feed)
            boxes = boxes * np.array([width, height, width, height], np.float32)
        else:
            boxes, scores, class_ids = self._yolo(feed)
            boxes = boxes * np.array([width / self.width, height / self.height] * 2, np.float32)
        labels = self._label_of(class_ids)
        keep = (scores >= self.spec.score_threshold) & (labels >= 0)
        return Detections(boxes[keep].astype(np.float32), scores[keep].astype(np.float32), labels[keep])

    def _ssd(self, feed: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = self.spec.output
        names = [out["boxes"], out["scores"], out["classes"]] + ([out["num"]] if out.get("num") else [])
        result = self.session.run(names, feed)
        boxes, scores, classes = (np.asarray(r)[0] for r in result[:3])
        n = int(np.asarray(result[3]).reshape(-1)[0]) if len(result) > 3 else len(scores)
        boxes, scores, classes = boxes[:n], scores[:n], classes[:n]
        if out.get("box_order", "yxyx_normalised") == "yxyx_normalised":
            boxes = boxes[:, [1, 0, 3, 2]]
        return np.clip(boxes.astype(np.float32), 0.0, 1.0), scores.astype(np.float32), classes.astype(np.int64)

    def _yolo(self, feed: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = self.spec.output
        pred = np.asarray(self.session.run([out["output"]], feed)[0])[0]
        objectness = bool(out.get("objectness", False))
        width = 5 if objectness else 4
        if out.get("attributes_first", not objectness):
            pred = pred.T  # v8 style [4+C, N] -> [N, 4+C]
        class_scores = pred[:, width:]
        if objectness:
            class_scores = class_scores * pred[:, 4:5]
        class_ids = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(pred)), class_ids].astype(np.float32)
        cx, cy, w, h = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
        boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]).astype(np.float32)
        candidates = np.flatnonzero(scores >= self.spec.score_threshold)
        keep = candidates[non_max_suppression(boxes[candidates], scores[candidates], 0.45)]
        return boxes[keep], scores[keep], class_ids[keep].astype(np.int64)
