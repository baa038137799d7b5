"""The map's compact payloads and the Dash component, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import h3.api.basic_int as h3i
import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.dashboard.components.hexmap import SCALES, hex_map, hexmap_ids
from hexops.geodata.heatmap import CellGeometry, SparseValues
from hexops.services.heatmap import SCALE, encode_geometry, sparse_document, window_end_local


def _geometry(cells: list[int]) -> CellGeometry:
    cells = sorted(set(cells))
    rings = [np.array([(lng, lat) for lat, lng in h3i.cell_to_boundary(c)]) for c in cells]
    centroids = np.array([(lng, lat) for lat, lng in (h3i.cell_to_latlng(c) for c in cells)]).reshape(-1, 2)
    return CellGeometry(9, np.array(cells, dtype=np.int64), centroids, rings)


def _decode(document: dict) -> list[np.ndarray]:
    centres = np.cumsum(np.array(document["centres"], dtype=np.int64).reshape(-1, 2), axis=0)
    offsets = np.array(document["rings"], dtype=np.int64).reshape(-1, 2)
    starts = np.concatenate([[0], np.cumsum(document["ring_sizes"])]).astype(int)
    return [(centres[i] + offsets[starts[i]:starts[i + 1]]) / document["scale"] for i in range(len(starts) - 1)]


# Hong Kong and its surroundings, WGS84 degrees.
hk_points = st.tuples(st.floats(22.15, 22.56), st.floats(113.83, 114.44))


@settings(max_examples=40, deadline=None)
@given(st.lists(hk_points, min_size=1, max_size=30))
def test_decoded_hex_vertices_are_within_half_a_quantum_of_the_true_ones(points):
    geometry = _geometry([h3i.latlng_to_cell(lat, lng, 9) for lat, lng in points])
    document = orjson.loads(orjson.dumps(encode_geometry(geometry, "v1")))
    for ring, decoded in zip(geometry.rings, _decode(document)):
        assert decoded.shape == ring.shape
        assert np.abs(decoded - ring).max() <= 0.5 / SCALE + 1e-12


@settings(max_examples=25, deadline=None)
@given(st.lists(hk_points, min_size=1, max_size=30))
def test_geometry_keeps_the_ascending_cell_order_that_values_rely_on(points):
    geometry = _geometry([h3i.latlng_to_cell(lat, lng, 9) for lat, lng in points])
    document = encode_geometry(geometry, "v1")
    ints = [h3i.str_to_int(c) for c in document["cells"]]
    assert ints == sorted(ints) == geometry.cells.tolist()


def test_the_geometry_of_a_city_is_far_smaller_than_geojson():
    centre = h3i.latlng_to_cell(22.30, 114.17, 9)
    cells = list(h3i.grid_disk(centre, 20))
    geometry = _geometry(cells)
    compact = len(orjson.dumps(encode_geometry(geometry, "v1")))
    geojson = len(orjson.dumps([
        {"type": "Feature", "id": h3i.int_to_str(c), "properties": {},
         "geometry": {"type": "Polygon", "coordinates": [ring.tolist() + [ring[0].tolist()]]}}
        for c, ring in zip(geometry.cells.tolist(), geometry.rings)
    ]))
    assert compact * 2.5 < geojson


def test_values_become_short_numbers_at_their_cells_positions_and_missing_ones_null():
    order = np.array([10, 20, 30, 40, 50], dtype=np.int64)
    sparse = SparseValues(np.array([20, 30, 35, 40, 50]), np.array([0.0, np.nan, 7.0, 1.23456789, 12345.678]),
                          float("nan"))
    document = sparse_document(9, "v1", order, sparse)
    # Cell 35 is not on the map: dropped.
    assert document["index"] == [1, 2, 3, 4]
    assert document["values"] == [0, None, 1.23, 12300.0]
    assert document["fill"] is None and document["schema"] == "hexops.hexvalues/1"


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(1, 500), max_size=60), st.sets(st.integers(1, 500), max_size=60))
def test_sparse_positions_point_at_the_same_cells_in_the_map_order(map_cells, valued_cells):
    order = np.array(sorted(map_cells), dtype=np.int64)
    cells = np.array(sorted(valued_cells), dtype=np.int64)
    document = sparse_document(9, "v1", order, SparseValues(cells, cells.astype(float), 0.0))
    assert [int(order[i]) for i in document["index"]] == sorted(map_cells & valued_cells)
    assert document["values"] == [float(order[i]) for i in document["index"]]


def test_every_part_of_the_map_carries_the_page_prefix():
    component = hex_map("drainage", resolutions=(9, 8), colors="water")
    ids = hexmap_ids("drainage")
    found = {child.id for child in component.children if getattr(child, "id", None)}
    assert component.id == ids.container
    # The keyboard help the canvas points at (aria-describedby) is the map's too.
    assert found == {ids.values, ids.view, ids.selected, ids.ack, ids.focus, f"{ids.container}-help"}
    assert all(i.startswith("drainage-") for i in found | {component.id})
    props = component.to_plotly_json()["props"]
    assert props["data-resolutions"] == "[8,9]"
    assert props["data-resolution"] == "9"
    assert orjson.loads(props["data-colors"]) == SCALES["water"]


def test_values_for_a_map_without_cells_are_empty_rather_than_an_error():
    document = sparse_document(9, "v1", np.zeros(0, dtype=np.int64),
                               SparseValues(np.array([5], dtype=np.int64), np.array([1.0]), float("nan")))
    assert document["index"] == [] and document["values"] == []


def test_a_window_picked_in_hong_kong_time_ends_at_the_right_utc_instant():
    end = window_end_local("2026-10-01", 21)
    assert end.astimezone(timezone.utc) == datetime(2026, 10, 1, 13, 0, tzinfo=timezone.utc)
    # A day without an hour is the whole day: it ends at the next Hong Kong midnight.
    whole_day = window_end_local("2026-10-01T00:00:00", None)
    assert whole_day.astimezone(timezone.utc) == datetime(2026, 10, 1, 16, 0, tzinfo=timezone.utc)
    assert window_end_local(None, 5) is None


@given(st.dates(min_value=datetime(1990, 1, 1).date(), max_value=datetime(2100, 1, 1).date()),
       st.integers(0, 23))
def test_hong_kong_time_is_always_eight_hours_ahead_of_utc(day, hour):
    end = window_end_local(day.isoformat(), hour)
    utc = end.astimezone(timezone.utc)
    assert (utc.date(), utc.hour) == ((datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)).date(),
                                      (hour - 8) % 24)
