"""Loading incidents from a file: bad rows named and refused, good rows stored once."""

from __future__ import annotations

import pandas as pd
import psycopg
from click.testing import CliRunner

from hexops.cli import build_cli
from hexops.geodata.uow import UnitOfWork
from hexops.services.patrol import create_plan, plan_detail
from hexops.services.risk import compute_forecast
from tests.fixtures.risk import synthetic_incidents

GOOD_AND_BAD = """when,lat,lon,kind,found_by
2026-03-01 10:00,22.3193,114.1694,theft,public
2026-03-01 11:30,22.2800,114.1580,assault,patrol
not a time,22.3000,114.1700,theft,public
2026-03-02 09:00,95.0,114.1700,theft,public
2026-03-02 10:00,22.3000,114.1700,,public
2026-03-02 11:00,22.3000,114.1700,theft,neighbour
2026-03-03 08:15+00:00,22.3100,114.2000,robbery,public
"""


def _load(db_url, tmp_path, path, *extra):
    env = {"HEXOPS_DATABASE_URL": db_url, "HEXOPS_STATE_DIR": str(tmp_path / "state")}
    args = ["load", "incidents", str(path), "--time-col", "when", "--lat-col", "lat", "--lon-col", "lon",
            "--type-col", "kind", "--source-col", "found_by", *extra]
    return CliRunner().invoke(build_cli(), args, env=env, catch_exceptions=False)


def _count(db_url) -> list[tuple]:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT type, source, occurred_at, h3_r9 IS NOT NULL FROM incidents "
                            "ORDER BY occurred_at").fetchall()


def test_bad_rows_are_reported_with_row_and_field_and_the_good_ones_are_loaded(db_url, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(GOOD_AND_BAD)
    result = _load(db_url, tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "row 4, field 'when': not a date and time" in result.output
    assert "row 5, field 'lat'" in result.output
    assert "row 6, field 'kind': empty incident type" in result.output
    assert "row 7, field 'found_by'" in result.output
    assert "3 incident(s) loaded" in result.output
    rows = _count(db_url)
    assert [(r[0], r[1]) for r in rows] == [("theft", "public"), ("assault", "patrol"), ("robbery", "public")]
    # 10:00 Hong Kong time is 02:00 UTC; an explicit offset is kept.
    assert rows[0][2].hour == 2 and rows[2][2].hour == 8
    assert all(r[3] for r in rows)


def test_loading_the_same_file_twice_adds_nothing(db_url, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(GOOD_AND_BAD)
    _load(db_url, tmp_path, path)
    again = _load(db_url, tmp_path, path)
    assert "0 incident(s) loaded, 3 already known" in again.output
    assert len(_count(db_url)) == 3


def test_strict_loading_refuses_the_whole_file_when_any_row_is_bad(db_url, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(GOOD_AND_BAD)
    result = _load(db_url, tmp_path, path, "--strict")
    assert result.exit_code == 1
    assert "nothing loaded" in result.output and "row 4" in result.output
    assert _count(db_url) == []


def test_hk1980_grid_positions_are_converted_to_wgs84(db_url, tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("when,e,n,kind\n2026-03-01 10:00,835500,818500,theft\n2026-03-01 11:00,12,818500,theft\n")
    env = {"HEXOPS_DATABASE_URL": db_url, "HEXOPS_STATE_DIR": str(tmp_path / "state")}
    result = CliRunner().invoke(build_cli(), ["load", "incidents", str(path), "--time-col", "when", "--x-col", "e",
                                              "--y-col", "n", "--type-col", "kind"], env=env)
    assert "row 3, field 'e'" in result.output
    with psycopg.connect(db_url) as conn:
        lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM incidents").fetchone()
    assert 114.1 < lon < 114.25 and 22.25 < lat < 22.35


def test_a_file_missing_a_mapped_column_is_refused_naming_it(db_url, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("time,lat\n2026-03-01 10:00,22.3\n")
    env = {"HEXOPS_DATABASE_URL": db_url, "HEXOPS_STATE_DIR": str(tmp_path / "state")}
    result = CliRunner().invoke(build_cli(), ["load", "incidents", str(path), "--lat-col", "lat", "--lon-col", "lon"],
                                env=env)
    assert result.exit_code == 1
    assert "missing column(s) ['lon']" in result.output


def test_incidents_alone_without_a_city_give_a_forecast_and_a_city_wide_plan(db_url, tmp_path):
    frame = synthetic_incidents(days=60)
    frame["when"] = frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    path = tmp_path / "history.csv"
    frame[["when", "latitude", "longitude", "type", "source"]].to_csv(path, index=False)
    env = {"HEXOPS_DATABASE_URL": db_url, "HEXOPS_STATE_DIR": str(tmp_path / "state")}
    loaded = CliRunner().invoke(build_cli(), ["load", "incidents", str(path), "--time-col", "when",
                                              "--type-col", "type", "--source-col", "source"], env=env)
    assert f"{len(frame)} incident(s) loaded" in loaded.output
    run_id = compute_forecast(UnitOfWork.for_url(db_url), horizon="shift", models=("kde", "hawkes"))
    with psycopg.connect(db_url) as conn:
        start = conn.execute("SELECT window_start FROM risk_forecast_runs WHERE run_id = %s", (run_id,)).fetchone()[0]
        conn.commit()
    plan_id = create_plan(UnitOfWork.for_url(db_url), district=None, units=2, shift_start=pd.Timestamp(start),
                          created_by="test")
    visits = plan_detail(UnitOfWork.for_url(db_url), plan_id)["visits"]
    assert len(visits) > 0 and visits["lat"].notna().all()
