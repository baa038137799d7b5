"""People counts on real photos with every head annotated, and the density counter's speed.

``python -m bench.video_validation`` (also part of ``make bench-video``) prints
and returns, for the photos in ``../shared/data/crowd`` (30 sparse, 2 dense):

- per counter -- the HOG fallback, the shared SSDLite detector (tiled, as
  registered), the CSRNet density counter alone, the combined path (regime
  switch) and the combined path without the density counter -- and per set:
  mean absolute error (``mae``), mean relative error (``mre``), how many
  photos were flagged ``saturated`` or counted by the dense method, and how
  many were reported below half their true count with neither flag
  (``below_half_unflagged``: the dangerous error);
- ``density_fps`` (640x480, int8, two threads) beside the float32 graph's in
  the same run, and CPU milliseconds per frame (steadier on a shared machine);
- ``density_int8_max_rel_dev``: the largest relative difference between the
  int8 and float32 models' counts over the photos (target: within 10 %).

The photos are a sanity check, not a calibration: no threshold was fitted to
them.  When ../shared/data/crowd or ../shared/models is absent the figures that
need it are ``null`` and the reason is printed.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import cv2
import numpy as np

from hexops.detectors.density import DensityCounter
from hexops.detectors.registry import DENSITY_MODEL, LAST_RESORT_MODEL, Registry
from hexops.detectors.runners import build_detector
from hexops.detectors.spec import ModelSpec
from hexops.ingest.video.counting import PeopleCounter
from hexops.settings import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
CROWD = SHARED / "data" / "crowd"


def registry() -> Registry:
    return Registry.for_settings(Settings.from_env())


def density_speed(reg: Registry, frames: int = 6) -> dict:
    """Frames/s of the int8 counter at 640x480 beside the float32 graph it was quantised from."""
    spec = reg.load(DENSITY_MODEL)
    float_spec = ModelSpec(**{**spec.__dict__, "path": spec.path.with_name(spec.path.stem + ".fp32.onnx")})
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(frames)]
    if CROWD.is_dir():
        photos = sorted((CROWD / "images").glob("*.jpg"))[:frames]
        images = [cv2.resize(cv2.imread(str(p)), (640, 480), interpolation=cv2.INTER_AREA) for p in photos]
    out: dict = {"density_frame_size": "640x480", "density_frames": len(images)}
    for label, s in (("density", spec), ("density_float32", float_spec)):
        if not s.path.is_file():
            out[f"{label}_fps"] = None
            continue
        counter = DensityCounter(s)
        counter.density(images[0])
        start, cpu = time.perf_counter(), time.process_time()
        for image in images:
            counter.density(image)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        out[f"{label}_fps"] = round(len(images) / wall, 2)
        out[f"{label}_cpu_ms_per_frame"] = round(1000 * cpu / len(images), 1)
    return out


def _summary(rows: list[tuple[str, int, object]]) -> dict:
    out = {}
    for name in ("sparse", "dense"):
        subset = [(truth, est) for s, truth, est in rows if s == name]
        if not subset:
            continue
        err = np.array([est.people - truth for truth, est in subset], float)
        truth = np.array([t for t, _ in subset], float)
        out[name] = {
            "photos": len(subset), "people": int(truth.sum()),
            "mae": round(float(np.abs(err).mean()), 2), "mre": round(float((np.abs(err) / truth).mean()), 3),
            "bias": round(float(err.mean()), 2),
            "saturated": sum(e.saturated for _, e in subset),
            "dense_method": sum(e.regime == "dense" and not e.saturated for _, e in subset),
            "below_half_unflagged": sum(e.people < t / 2 and not e.saturated and e.regime != "dense"
                                        for t, e in subset),
            "truth_within_band": sum(e.people_low <= t <= e.people_high for t, e in subset),
        }
    return out


def validate(reg: Registry) -> dict:
    """Per counter and per set, the error figures on the annotated photos."""
    if not CROWD.is_dir():
        reason = f"{CROWD} is absent: no validation figures"
        print(reason)
        return {"validation_absent": reason, "sparse_mae": None, "dense_mre": None}
    hog_spec = reg.load(LAST_RESORT_MODEL)
    hog = build_detector(hog_spec)
    counters: dict[str, tuple[PeopleCounter, bool]] = {"hog_fallback": (PeopleCounter(hog, hog_spec.saturation_count), False)}
    density = DensityCounter(reg.load(DENSITY_MODEL)) if reg.get(DENSITY_MODEL).available() else None
    ssd_spec = reg.get("pedestrian_ssdlite")
    notes = []
    if ssd_spec.available():
        ssd_spec = reg.load("pedestrian_ssdlite")
        ssd = build_detector(ssd_spec)
        counters["ssdlite_tiled"] = (PeopleCounter(ssd, ssd_spec.saturation_count), True)
        if density is not None:
            counters["combined"] = (PeopleCounter(ssd, ssd_spec.saturation_count, density), True)
    else:
        notes.append(f"{ssd_spec.path} absent: the combined path uses the HOG fallback")
        if density is not None:
            counters["combined"] = (PeopleCounter(hog, hog_spec.saturation_count, density), False)
    if density is None:
        notes.append(f"{DENSITY_MODEL} not built: no density figures (run `hexops video models build`)")
    rows: dict[str, list] = {name: [] for name in counters}
    density_rows = []
    with open(CROWD / "counts.csv", newline="") as fh:
        photos = list(csv.DictReader(fh))
    for photo in photos:
        image = cv2.imread(str(CROWD / "images" / photo["file"]))
        truth = int(photo["count"])
        shared_boxes = counters["ssdlite_tiled"][0].detector.detect(image) if "ssdlite_tiled" in counters else None
        for name, (counter, uses_ssd) in counters.items():
            rows[name].append((photo["set"], truth, counter.count(image, shared_boxes if uses_ssd else None)))
        if density is not None:
            density_rows.append((photo["set"], truth, density.density(image).count))
    out: dict = {"validation_photos": len(photos), "validation_notes": notes,
                 "counters": {name: _summary(r) for name, r in rows.items()}}
    if density_rows:
        out["counters"]["density_alone"] = {
            s: {"mae": round(float(np.mean([abs(c - t) for st, t, c in density_rows if st == s])), 2),
                "mre": round(float(np.mean([abs(c - t) / t for st, t, c in density_rows if st == s])), 3)}
            for s in ("sparse", "dense")}
    combined = out["counters"].get("combined") or out["counters"].get("ssdlite_tiled") or out["counters"]["hog_fallback"]
    out["sparse_mae"] = combined["sparse"]["mae"]
    out["dense_mre"] = combined["dense"]["mre"]
    out["dense_below_half_unflagged"] = combined["dense"]["below_half_unflagged"]
    if density is not None:
        out["density_int8_max_rel_dev"] = int8_deviation(reg, photos)
    return out


def int8_deviation(reg: Registry, photos: list[dict]) -> float | None:
    """Largest relative difference between the int8 and float32 counts over the photos."""
    spec = reg.load(DENSITY_MODEL)
    float_path = spec.path.with_name(spec.path.stem + ".fp32.onnx")
    if not float_path.is_file():
        return None
    int8, fp32 = DensityCounter(spec), DensityCounter(ModelSpec(**{**spec.__dict__, "path": float_path}))
    worst = 0.0
    for photo in photos:
        image = cv2.imread(str(CROWD / "images" / photo["file"]))
        a, b = int8.density(image).count, fp32.density(image).count
        worst = max(worst, abs(a - b) / max(b, 1e-6))
    return round(worst, 4)


def main() -> dict:
    reg = registry()
    out = {}
    if reg.get(DENSITY_MODEL).available():
        out.update(density_speed(reg))
    else:
        out["density_fps"] = None
        out["density_absent"] = f"{DENSITY_MODEL} not built (run `hexops video models build`)"
        print(out["density_absent"])
    out.update(validate(reg))
    out["targets"] = {
        "density_fps_ge_1": None if out.get("density_fps") is None else out["density_fps"] >= 1.0,
        "sparse_mae_le_6": None if out.get("sparse_mae") is None else out["sparse_mae"] <= 6,
        "dense_mre_le_25pct": None if out.get("dense_mre") is None else out["dense_mre"] <= 0.25,
        "no_dense_below_half_unflagged": (None if out.get("dense_below_half_unflagged") is None
                                          else out["dense_below_half_unflagged"] == 0),
        "int8_within_10pct": (None if out.get("density_int8_max_rel_dev") is None
                              else out["density_int8_max_rel_dev"] <= 0.10),
    }
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
