"""The model registry: which model files hexops may run, checked on load.

Each entry (``models/registry.json``) states a model's name, version, file
path, SHA-256, input and output contract and licence.  Loading an entry
checks that the file exists and its SHA-256 matches, so a swapped or
corrupted model never runs silently; building a runner then checks the
file's actual inputs and outputs against the declared contract.

Model files are never part of the project: relative paths are looked up in
the settings' ``models_dir`` (``HEXOPS_MODELS_DIR``), else ``../shared/models``
beside the checkout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hexops.detectors.base import ModelError

REGISTRY_FILE = Path(__file__).with_name("registry.json")
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[3] / "shared" / "models"
DEFAULT_MODEL = "opencv-hog-people"


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry.

    Attributes
    ----------
    runner : str
        ``hog`` (built into OpenCV) or ``onnx`` (onnxruntime).
    path : Path or None
        Resolved model file (None for built-in models).
    input, output : dict
        The declared contract (see ``models/registry.json``).
    score_threshold : float
        Minimum detection score counted (0..1).
    saturation_count : int
        People per frame beyond which the model is known to undercount: the
        count is then reported as a lower bound (``saturated``).
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

    def available(self) -> bool:
        return self.path is None or self.path.is_file()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Registry:
    """The entries of one registry file, with paths resolved against a models directory."""

    def __init__(self, registry_file: Path = REGISTRY_FILE, models_dir: Path | None = None):
        self.registry_file = Path(registry_file)
        self.models_dir = Path(models_dir or DEFAULT_MODELS_DIR)
        try:
            raw = json.loads(self.registry_file.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"{self.registry_file}: cannot read the model registry: {exc}") from exc
        self._specs: dict[str, ModelSpec] = {}
        for i, entry in enumerate(raw.get("models", []), start=1):
            spec = self._spec(entry, i)
            self._specs[spec.name] = spec

    def _spec(self, entry: dict[str, Any], index: int) -> ModelSpec:
        where = f"{self.registry_file}: model {index}"
        for key in ("name", "version", "runner", "licence"):
            if not entry.get(key):
                raise ModelError(f"{where}: field {key!r} is required")
        if entry["runner"] not in ("hog", "onnx"):
            raise ModelError(f"{where}: field 'runner' must be hog or onnx, got {entry['runner']!r}")
        path = entry.get("path")
        if entry["runner"] == "onnx" and (not path or not entry.get("sha256")):
            raise ModelError(f"{where}: an onnx model needs 'path' and 'sha256'")
        resolved = None if not path else (Path(path) if Path(path).is_absolute() else self.models_dir / path)
        return ModelSpec(
            name=entry["name"], version=entry["version"], runner=entry["runner"], path=resolved,
            sha256=entry.get("sha256"), licence=entry["licence"], input=entry.get("input", {}),
            output=entry.get("output", {}), score_threshold=float(entry.get("score_threshold", 0.5)),
            saturation_count=int(entry.get("saturation_count", 20)),
        )

    def names(self) -> list[str]:
        return list(self._specs)

    def specs(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def get(self, name: str) -> ModelSpec:
        """The entry called ``name`` (not yet checked against its file)."""
        if name not in self._specs:
            raise ModelError(f"model {name!r} is not in {self.registry_file} (known: {', '.join(self._specs)})")
        return self._specs[name]

    def load(self, name: str) -> ModelSpec:
        """The entry called ``name``, after checking its file exists and its SHA-256 matches."""
        spec = self.get(name)
        if spec.path is None:
            return spec
        if not spec.path.is_file():
            raise ModelError(
                f"model {name}: file {spec.path} is absent (set HEXOPS_MODELS_DIR to the directory holding it)"
            )
        actual = sha256_of(spec.path)
        if actual != spec.sha256:
            raise ModelError(f"model {name}: {spec.path} has sha256 {actual}, registry says {spec.sha256}")
        return spec

    def status(self) -> list[dict[str, Any]]:
        """Each entry with whether its file is present (for the admin page); hashes are not recomputed."""
        return [{"name": s.name, "version": s.version, "runner": s.runner, "licence": s.licence,
                 "path": str(s.path) if s.path else "(built into OpenCV)", "sha256": s.sha256 or "-",
                 "present": s.available(), "saturation_count": s.saturation_count}
                for s in self.specs()]


def build_detector(spec: ModelSpec, session: Any = None):
    """A :class:`models.base.Detector` for a loaded spec.

    Parameters
    ----------
    session : optional
        An onnxruntime-like session to use instead of opening ``spec.path``
        (tests pass a fake with ``get_inputs``, ``get_outputs`` and ``run``).
    """
    if spec.runner == "hog":
        from hexops.detectors.hog import HogPeopleDetector

        return HogPeopleDetector(name=spec.name, version=spec.version)
    from hexops.detectors.onnx_runner import OnnxDetector

    return OnnxDetector(spec, session)
