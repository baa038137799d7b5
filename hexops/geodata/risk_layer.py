"""The crime-risk forecast as a shared collection (OGC API - Features and vector tiles).

Registered through :data:`SHARED_COLLECTIONS`, which :mod:`geodata.sharing`
discovers.  Partners see it only with a live ``crime_risk`` grant, which the
demo does not give the Drainage Department.  Forecasts are stored at H3
resolution 9; each feature is one hexagon of one forecast run, with its time
``t`` the start of the forecast window (UTC).

The values are model outputs (expected incidents in the window, and the
hexagon's rank), not counts of people or of recorded incidents, so there is
nothing below k to withhold; the recorded incidents themselves are the
``incidents`` collection, which is suppressed.
"""

from __future__ import annotations

from hexops.geodata.sharing import Collection

CRIME_RISK = Collection(
    id="crime_risk",
    title="Crime-risk forecast per hexagon",
    description="Expected incidents per H3 res-9 hexagon over each stored forecast window, and the "
                "hexagon's rank in that forecast (1 = highest); one feature per hexagon and run.",
    layer="crime_risk",
    source=(
        "SELECT lpad(to_hex(f.h3), 15, '0') || '@' || r.run_id AS fid, c.geom, r.window_start AS t, "
        "f.h3::text AS series, "
        "jsonb_build_object('h3', lpad(to_hex(f.h3), 15, '0'), 'resolution', r.resolution, "
        "'run_id', r.run_id, 'model', r.model, 'horizon', r.horizon, 'event_type', r.event_type, "
        "'window_start', r.window_start, 'window_end', r.window_end, "
        "'expected', round(f.expected::numeric, 4), 'rank', f.rank) AS props "
        "FROM risk_forecasts f JOIN risk_forecast_runs r ON r.run_id = f.run_id "
        "JOIN hex_cells c ON c.h3 = f.h3 WHERE r.resolution = %(res)s"
    ),
    requires=("risk_forecasts", "risk_forecast_runs", "hex_cells"),
    resolutions=(9,),
    properties=(("h3", "string"), ("resolution", "integer"), ("run_id", "integer"), ("model", "string"),
                ("horizon", "string"), ("event_type", "string"), ("window_start", "date-time"),
                ("window_end", "date-time"), ("expected", "number"), ("rank", "integer")),
)

SHARED_COLLECTIONS = [CRIME_RISK]
