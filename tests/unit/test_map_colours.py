"""The map's colours under simulated colour-vision deficiency (Machado, Oliveira & Fernandes 2009, severity 1).

Colours are compared in CIELAB (D65) after simulating deuteranopia, protanopia and tritanopia on
linear RGB; 20 units is a difference anyone notices at a glance on a map.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hexops.analytics.flood import STATES
from hexops.dashboard.components.hexmap import FLOOD_STATES, LOS_COLOURS, SCALES

SIMULATIONS = {
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "typical": np.eye(3).tolist(),
}


def _lab(hex_colour: str, vision: str) -> np.ndarray:
    srgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(np.array(SIMULATIONS[vision]) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ seen
    n = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(n > 0.008856, np.cbrt(n), 7.787 * n + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("vision", list(SIMULATIONS))
def test_every_pair_of_flood_states_stays_apart_whatever_the_colour_vision(vision):
    assert len(FLOOD_STATES) == len(STATES)
    for (i, a), (j, b) in itertools.combinations(enumerate(FLOOD_STATES), 2):
        distance = np.linalg.norm(_lab(a, vision) - _lab(b, vision))
        assert distance >= 20, f"{STATES[i]} and {STATES[j]} are {distance:.1f} apart under {vision}"


@pytest.mark.parametrize("vision", list(SIMULATIONS))
def test_flooded_is_clearly_lighter_than_watch_for_every_viewer(vision):
    # The complaint: under red-green colour blindness the old red "flooded" was darker than "watch".
    lightness = {s: _lab(c, vision)[0] for s, c in zip(STATES, FLOOD_STATES)}
    assert lightness["flooded"] > lightness["watch"] + 10
    assert lightness["flooded"] > lightness["normal"] + 30


@pytest.mark.parametrize("name", ["heat", "water", "risk"])
@pytest.mark.parametrize("vision", list(SIMULATIONS))
def test_continuous_scales_get_lighter_step_by_step_for_every_viewer(name, vision):
    lightness = [_lab(c, vision)[0] for c in SCALES[name]]
    assert all(b > a for a, b in zip(lightness, lightness[1:])), lightness


def test_levels_of_service_get_lighter_from_a_to_f():
    lightness = [_lab(LOS_COLOURS[level], "deuteranopia")[0] for level in "ABCDEF"]
    assert all(b > a for a, b in zip(lightness, lightness[1:]))
