"""geodata.heatmap and services.heatmap against a real PostGIS, checked by hand counts."""

from __future__ import annotations

import contextlib
import math
from datetime import datetime, timedelta

import h3.api.basic_int as h3i
import numpy as np
import orjson
import psycopg
import pytest

from hexops.geodata import heatmap as q
from hexops.geodata.uow import UnitOfWork
from hexops.services import heatmap
from tests.fixtures.hexmap import R8, R9, R10, T0, insert_map_fixture

HOUR = (T0, T0 + timedelta(hours=1))


@pytest.fixture(scope="module")
def map_db(module_db_url):
    insert_map_fixture(module_db_url)
    return module_db_url


@pytest.fixture
def conn(map_db):
    with psycopg.connect(map_db) as connection:
        yield connection
        connection.rollback()


@pytest.fixture
def uow(conn):
    """A unit of work on the test's connection (its rollback at the end is the test's)."""
    return UnitOfWork(lambda: contextlib.nullcontext(conn))


def _by_cell(conn, resolution, values):
    return dict(zip(q.cell_ids(conn, resolution).tolist(), values.tolist()))


def test_people_are_the_mean_visible_over_the_window_and_edges_are_half_open(conn):
    values = _by_cell(conn, 9, q.cell_values(conn, "people", 9, *HOUR))
    # Buckets at T0 (4 people for 300 s) and T0+5 min (2 people for 300 s) over 3600 s;
    # the buckets at T0-5 min and T0+1 h lie outside [T0, T0+1 h).
    assert values[R9[0]] == pytest.approx((300 * 4 + 300 * 2) / 3600)
    assert values[R9[1]] == pytest.approx(300 * 9 / 3600)


def test_vehicles_use_their_own_column(conn):
    values = _by_cell(conn, 9, q.cell_values(conn, "vehicles", 9, *HOUR))
    assert values[R9[0]] == pytest.approx(300 / 3600)
    assert values[R9[1]] == pytest.approx(900 / 3600)


def test_water_is_the_wet_or_flooded_share_of_observed_time(conn):
    values = _by_cell(conn, 9, q.cell_values(conn, "water", 9, *HOUR))
    assert values[R9[0]] == pytest.approx((100 + 50) / (600 + 600))
    assert values[R9[1]] == pytest.approx(1.0)


def test_hexes_without_any_report_are_no_data_rather_than_zero(conn):
    values = _by_cell(conn, 9, q.cell_values(conn, "people", 9, *HOUR))
    assert all(math.isnan(values[c]) for c in R9[2:])


def test_incidents_are_counted_per_hex_at_the_asked_resolution_and_zero_elsewhere(conn):
    expected9: dict[int, int] = {}
    for cell in (R10[0], R10[1], R10[20]):
        parent = h3i.cell_to_parent(cell, 9)
        expected9[parent] = expected9.get(parent, 0) + 1
    values9 = _by_cell(conn, 9, q.cell_values(conn, "incidents", 9, *HOUR))
    assert values9 == {c: float(expected9.get(c, 0)) for c in R9}
    values8 = _by_cell(conn, 8, q.cell_values(conn, "incidents", 8, *HOUR))
    assert values8 == {R8: 3.0}


def test_values_follow_the_geometry_order_at_every_resolution(conn):
    for resolution, cells in ((8, [R8]), (9, R9), (10, R10)):
        geometry = q.cell_geometry(conn, resolution)
        assert geometry.cells.tolist() == sorted(cells)
        assert len(q.cell_values(conn, "people", resolution, *HOUR)) == len(cells)


def test_geometry_rings_are_the_h3_boundaries(conn):
    geometry = q.cell_geometry(conn, 9)
    for cell, ring, centroid in zip(geometry.cells, geometry.rings, geometry.centroids):
        expected = np.array([(lng, lat) for lat, lng in h3i.cell_to_boundary(int(cell))])
        np.testing.assert_allclose(ring, expected, atol=1e-9)
        lat, lng = h3i.cell_to_latlng(int(cell))
        assert centroid == pytest.approx((lng, lat), abs=2e-5)


@pytest.mark.parametrize(
    ("metric", "resolution", "start", "end", "message"),
    [
        ("smells", 9, *HOUR, "metric"),
        ("people", 7, *HOUR, "resolution"),
        ("people", 9, HOUR[1], HOUR[0], "end"),
        ("people", 9, datetime(2026, 3, 14, 10), datetime(2026, 3, 14, 11), "start/end"),
    ],
)
def test_bad_requests_name_the_field_at_fault(conn, metric, resolution, start, end, message):
    with pytest.raises(q.HeatmapQueryError, match=message):
        q.cell_values(conn, metric, resolution, start, end)


def test_the_geometry_payload_decodes_back_to_the_cells_within_a_metre(conn, uow):
    document = orjson.loads(orjson.dumps(heatmap.geometry_document(uow, 9)))
    centres = np.cumsum(np.array(document["centres"]).reshape(-1, 2), axis=0)
    offsets = np.array(document["rings"]).reshape(-1, 2)
    starts = np.concatenate([[0], np.cumsum(document["ring_sizes"])])
    for i, text in enumerate(document["cells"]):
        cell = h3i.str_to_int(text)
        ring = (centres[i] + offsets[starts[i]:starts[i + 1]]) / document["scale"]
        expected = np.array([(lng, lat) for lat, lng in h3i.cell_to_boundary(cell)])
        # 1e-5 degrees is about 1.1 m: quantising moves a vertex by half of that at most.
        assert np.abs(ring - expected).max() <= 0.5e-5 + 1e-12
    assert document["version"] == q.cell_version(conn, 9)


def test_the_cell_version_changes_when_the_cell_set_changes(conn):
    before = q.cell_version(conn, 9)
    conn.execute("DELETE FROM hex_cells WHERE h3 = %s", (R9[-1],))
    assert q.cell_version(conn, 9) != before


def test_a_page_can_align_its_own_values_to_the_map_order(conn, uow):
    document = heatmap.align_values(uow, 9, {R9[3]: 0.7, R9[0]: 2.0, 12345: 9.0})
    # Positions in the geometry's order; the cell that is not a land hex is dropped.
    assert (document["index"], document["values"], document["fill"]) == ([0, 3], [2.0, 0.7], None)
    assert document["version"] == q.cell_version(conn, 9)


def test_metric_values_list_only_the_hexes_that_have_a_value(conn, uow):
    people = heatmap.metric_values(uow, "people", 9, *HOUR)
    assert people["index"] == [0, 1] and people["fill"] is None
    assert people["values"] == [round((300 * 4 + 300 * 2) / 3600, 3), 0.75]
    incidents = heatmap.metric_values(uow, "incidents", 9, *HOUR)
    assert incidents["fill"] == 0
    dense = q.cell_values(conn, "incidents", 9, *HOUR)
    assert incidents["index"] == [i for i, v in enumerate(dense) if v > 0]


def test_the_city_map_view_defaults_to_the_latest_data(conn, uow):
    shown = heatmap.city_map_view(uow, "people", 9, timedelta(hours=1), None)
    latest = max(r[0] for r in conn.execute("SELECT bucket FROM detections_hex_5min").fetchall())
    assert shown.end == latest + timedelta(minutes=5)
    assert shown.values["label"].startswith("People")


def test_a_clicked_hex_reports_its_district_and_cameras(uow):
    cameras_in = {h3i.cell_to_parent(c, 9) for c in (R10[0], R10[1])}
    assert len(cameras_in) == 1
    summary = heatmap.selected_cell(uow, h3i.int_to_str(cameras_in.pop()))
    assert summary["district"] == "Central and Western"
    assert summary["cameras"] == 2
    assert heatmap.selected_cell(uow, "not-a-cell") is None


def test_district_outlines_and_cameras_are_served_compactly(uow):
    outlines = heatmap.outlines_document(uow)
    assert [d["code"] for d in outlines["districts"]] == ["A"]
    cameras = heatmap.cameras_document(uow)
    assert cameras["ids"] == ["CAM-0", "CAM-1", "CAM-2"]
    points = np.cumsum(np.array(cameras["points"]).reshape(-1, 2), axis=0) / cameras["scale"]
    lat, lng = h3i.cell_to_latlng(R10[0])
    assert points[0] == pytest.approx((lng, lat), abs=1e-5)
