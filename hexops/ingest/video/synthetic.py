"""Small synthetic street videos for tests, the demo and the benchmark (no real footage needed).

A fixed camera looks at a grey road with pavements; simple upright figures
walk across; the road can be dry, wet (a darker, bluish sheen) or flooded
(brown water over most of it).  Written with OpenCV as MJPG in an AVI
container, which every OpenCV build can read back.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 320, 240
#: Rows of the frame that are road (the lower part); figures walk on the pavement above it.
ROAD_TOP = 150


def street_frame(t: int, people: int = 0, water: str = "dry", rng_seed: int = 0,
                 width: int = WIDTH, height: int = HEIGHT, crowd: int = 0) -> np.ndarray:
    """One BGR frame (uint8, ``height x width x 3``) at frame index ``t``.

    ``people`` walk in a line along the pavement; ``crowd`` more stand packed
    at random places on the pavement and road (a dense event crowd).
    """
    rng = np.random.default_rng(rng_seed)
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = (70, 100, 160)                           # a brick facade
    for wx in range(8, width - 16, 32):                 # its windows
        for wy in range(8, ROAD_TOP - 40, 28):
            cv2.rectangle(frame, (wx, wy), (wx + 16, wy + 16), (95, 80, 70), -1)
    frame[ROAD_TOP - 25:ROAD_TOP] = (165, 170, 175)     # pavement
    frame[ROAD_TOP - 2:ROAD_TOP] = (110, 110, 110)      # kerb
    frame[ROAD_TOP:] = (95, 95, 95)                     # asphalt
    noise = rng.integers(-6, 7, size=(height - ROAD_TOP, width, 1), dtype=np.int16)
    frame[ROAD_TOP:] = np.clip(frame[ROAD_TOP:].astype(np.int16) + noise, 0, 255).astype(np.uint8)
    for x in range(0, width, 40):                       # lane markings
        cv2.rectangle(frame, (x, ROAD_TOP + 45), (x + 20, ROAD_TOP + 49), (230, 230, 230), -1)
    if water == "wet":
        sheen = frame[ROAD_TOP:].astype(np.float32) * 0.6 + np.array([60, 30, 10], np.float32)
        frame[ROAD_TOP:] = np.clip(sheen, 0, 255).astype(np.uint8)
    elif water == "flooded":
        frame[ROAD_TOP - 10:] = (40, 85, 110)             # muddy water over the kerb
    elif water != "dry":
        raise ValueError(f"water: {water!r} is not dry, wet or flooded")
    for i in range(people):
        x = int((20 + i * 53 + t * 3) % (width - 20))
        y = 70 + (i % 3) * 12
        cv2.rectangle(frame, (x - 6, y), (x + 6, y + 40), (40, 40, 120 + 20 * (i % 4)), -1)
        cv2.circle(frame, (x, y - 8), 7, (120, 150, 190), -1)
    crowd_rng = np.random.default_rng(rng_seed + 1)
    for _ in range(crowd):
        # A crowd stands on the ground (pavement and road), not on the facade.
        x, y = int(crowd_rng.integers(0, width)), int(crowd_rng.integers(ROAD_TOP - 30, height))
        colour = tuple(int(c) for c in crowd_rng.integers(0, 256, 3))
        cv2.rectangle(frame, (x - 3, y), (x + 3, y + 14), colour, -1)
        cv2.circle(frame, (x, y - 3), 3, (90, 120, 170), -1)
    # Sensor noise, new at every frame index: a live camera never repeats a frame
    # exactly (the quality gate calls a noiseless or repeated frame a placeholder or frozen).
    # Light falls off towards the frame's corners (vignetting), as in every real lens.
    yy, xx = np.mgrid[0:height, 0:width]
    falloff = 1.0 - 0.12 * (((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2) * 4
    sensor = np.random.default_rng([rng_seed, t, 99]).normal(0.0, 2.0, frame.shape)
    return np.clip(frame.astype(np.float32) * falloff[..., None] + sensor, 0, 255).astype(np.uint8)


def write_street_video(path: Path, frames: int = 50, people: int = 2, water: str = "dry",
                       fps: float = 10.0, crowd: int = 0) -> Path:
    """Write a synthetic clip to ``path`` (``.avi``, MJPG); returns the path."""
    path = Path(path)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write MJPG video here")
    try:
        for t in range(frames):
            writer.write(street_frame(t, people, water, crowd=crowd))
    finally:
        writer.release()
    return path


def write_reference(path: Path) -> Path:
    """The camera's dry-weather reference image (PNG) for :func:`street_frame` scenes."""
    path = Path(path)
    if not cv2.imwrite(str(path), street_frame(0, people=0, water="dry")):
        raise OSError(f"{path}: could not write the reference image")
    return path
