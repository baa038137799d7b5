"""Every registered shared layer declares what it withholds, and only the query builder withholds it (issue 16).

A source publishes raw values; its counts of people or incidents are named in
``suppressed_fields`` and its camera-derived figures in ``camera_fields``, and
:func:`geodata.sharing.shared_source` applies both to items and tiles.  These
checks run over :func:`geodata.sharing.registry`, so a layer added by another
room is covered the day it registers.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexops.analytics.sharing import share_props
from hexops.geodata.sharing import registry

COLLECTIONS = sorted(registry().values(), key=lambda c: c.id)
#: Source fragments that publish a count of people or incidents.
COUNTS = re.compile(r"people_s|people_max|count\(|\bn_people\b|incidents i\b")
#: Source fragments from which the number or placement of cameras follows.
CAMERA_FIGURES = re.compile(r"covered_s|n_cameras|camera_seconds|f\.reason|evidence|n_events")
#: Published fields computed from camera figures that are free of the camera count: a majority
#: vote over camera time (the same for one camera or ten), and the alert reason with its count removed.
COUNT_FREE = {"state", "basis"}


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda c: c.id)
def test_no_source_suppresses_for_itself(collection):
    assert "hexops_k_suppress" not in collection.source and "%(k)s" not in collection.source


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda c: c.id)
def test_a_layer_publishing_counts_declares_them_suppressed(collection):
    if COUNTS.search(collection.source):
        assert collection.suppressed_fields, collection.id


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda c: c.id)
def test_a_layer_publishing_camera_figures_declares_them(collection):
    published = re.findall(r"'(\w+)', [^,]*(?:covered_s|f\.reason)", collection.source)
    if CAMERA_FIGURES.search(collection.source) and collection.layer != "camera_positions":
        declared = {name for name, _ in collection.camera_fields}
        assert declared and set(published) - COUNT_FREE <= declared, (collection.id, published, declared)


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda c: c.id)
def test_every_declared_field_is_one_the_source_publishes(collection):
    for name in list(collection.suppressed_fields) + [n for n, _ in collection.camera_fields]:
        assert f"'{name}'" in collection.source, (collection.id, name)


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda c: c.id)
def test_a_layer_with_counts_or_camera_figures_is_shared_at_one_resolution(collection):
    if collection.suppressed_fields or collection.camera_fields or "detections_hex_5min" in collection.source:
        assert len(collection.resolutions) == 1, (collection.id, collection.resolutions)


@given(people=st.floats(min_value=0, max_value=100), peak=st.integers(min_value=0, max_value=100),
       k=st.integers(min_value=1, max_value=20))
def test_a_record_publishes_all_its_counts_or_none_and_never_one_below_k(people, peak, k):
    shared = share_props({"people": people, "people_max": peak, "h3": "x"}, ("people", "people_max"), k)
    values = [shared["people"], shared["people_max"]]
    assert shared["suppressed"] == (None in values) and (values == [None, None] or min(values) >= k)
    assert shared["h3"] == "x"


@given(st.floats(min_value=0, max_value=1))
def test_a_coarsened_share_is_a_quarter_and_a_removed_field_is_gone(value):
    shared = share_props({"wet_fraction": value, "camera_seconds": 900}, (), 5,
                         (("wet_fraction", 0.25), ("camera_seconds", None)))
    assert "camera_seconds" not in shared and shared["wet_fraction"] in (0, 0.25, 0.5, 0.75, 1)
