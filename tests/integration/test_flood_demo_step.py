"""``make demo`` step 30 loads the crowd and flood reference data, advances the machines, and is idempotent."""

from __future__ import annotations

import psycopg
from psycopg import sql

from hexops.bootstrap import AppContext
from hexops.services.flood import DEMO_STEP, demo_step
from hexops.settings import Settings


def test_the_demo_step_runs_twice_and_the_second_run_adds_nothing(scenario_db_url, tmp_path):
    assert DEMO_STEP[0] == 30
    context = AppContext(Settings(state_dir=tmp_path, database_url=scenario_db_url))
    lines: list[str] = []
    try:
        demo_step(context, lines.append)

        def counts():
            with psycopg.connect(scenario_db_url) as conn:
                return [conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
                        for t in ("event_zones", "low_lying_places", "drainage_crews", "crowd_alerts",
                                  "flood_transitions", "crew_plans")]

        first = counts()
        lines.clear()
        demo_step(context, lines.append)
        assert counts() == first
    finally:
        context.close()
    assert first[:3] == [7, 8, 6] and first[3] > 0 and first[4] > 0
    assert any("crowd alerts {'steps': 0" in line for line in lines)
    assert any("flood states {'steps': 0" in line for line in lines)
