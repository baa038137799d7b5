"""A runner for a loaded registry entry (kept apart from the registry so neither imports the other)."""

from __future__ import annotations

from typing import Any

from hexops.detectors.base import Detector, ModelError
from hexops.detectors.hog import HogPeopleDetector
from hexops.detectors.onnx_runner import OnnxDetector
from hexops.detectors.spec import ModelSpec


def build_detector(spec: ModelSpec, session: Any = None) -> Detector:
    """A :class:`hexops.detectors.base.Detector` for a loaded box-detector spec.

    Parameters
    ----------
    session : optional
        An onnxruntime-like session to use instead of opening ``spec.path``
        (tests pass a fake with ``get_inputs``, ``get_outputs`` and ``run``).
    """
    if spec.runner == "hog":
        return HogPeopleDetector(name=spec.name, version=spec.version)
    if spec.runner == "density":
        raise ModelError(f"model {spec.name} is a density counter, not a box detector (use DensityCounter)")
    return OnnxDetector(spec, session)
