"""The built-in shared collections (what partners' GIS can be granted), as data.

Each source is one SELECT with the columns of :mod:`geodata.sharing` and
publishes *raw* values; what a reader may not see is declared beside it and
applied by the query builder, never by the source:

- ``suppressed_fields``: counts of people or incidents, withheld below k
  (the whole record's counts at once);
- ``camera_fields``: figures from which the number or placement of cameras
  follows, removed (step ``None``) or coarsened to a step unless the reader
  may see ``camera_positions``.

Why these declarations (issue 10, findings 4 and 5):

- ``camera_seconds`` of a hexagon is 300 s times its number of cameras, so it
  *is* a camera count; the wet and flooded fractions are multiples of one
  camera-minute over the hexagon's camera time, so their denominators betray
  the count too -- coarsened to quarters, every count yields every value.
- Flood alerts' reasons say "two or more cameras" or "a camera"; ``basis``
  says "cameras see flooding" for all three camera rules, since their
  endings ("in heavy rain", "no heavy rain to confirm") told the rule and so
  the count. What stays: a hexagon with an alert has at least one camera.
- Layers derived from cameras or carrying suppressed counts are published at
  one H3 resolution (9, ~0.1 km2).  A second resolution would let a reader
  subtract published children from their parent and recover a withheld
  count, and res 10 (~0.015 km2) would place a camera within ~70 m.
"""

from __future__ import annotations

from hexops.geodata.sharing import Collection

_H3_TEXT = "lpad(to_hex({col}), 15, '0')"
_BUCKET_FID = ("{h3} || '@' || to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"Z\"')")
#: The one resolution of hexagon layers shared with partners (see the module docstring).
SHARED_RESOLUTION = (9,)

WATER_STATES = Collection(
    id="water_states",
    title="Road-surface water per hexagon (5-minute buckets)",
    description="Share of camera time that saw wet or flooded road in each H3 resolution-9 hexagon and 5-minute "
                "bucket; state is the majority: flooded if flooded half the time or more, else wet if wet or "
                "flooded half the time or more, else dry.  Without the camera_positions grant the shares are "
                "given to the nearest quarter and camera time is not given.",
    layer="water_states",
    source=(
        "SELECT " + _BUCKET_FID.format(h3=_H3_TEXT.format(col="d.h3")) + " AS fid, c.geom, d.bucket AS t, "
        "d.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="d.h3") + ", 'resolution', d.resolution, "
        "'bucket_start', d.bucket, 'bucket_minutes', 5, "
        "'wet_fraction', round((d.wet_s / nullif(d.covered_s, 0))::numeric, 3), "
        "'flooded_fraction', round((d.flooded_s / nullif(d.covered_s, 0))::numeric, 3), "
        "'state', CASE WHEN d.covered_s <= 0 THEN NULL "
        "  WHEN d.flooded_s >= 0.5 * d.covered_s THEN 'flooded' "
        "  WHEN d.wet_s + d.flooded_s >= 0.5 * d.covered_s THEN 'wet' ELSE 'dry' END, "
        "'camera_seconds', round(d.covered_s)) AS props "
        "FROM detections_hex_5min d JOIN hex_cells c ON c.h3 = d.h3 WHERE d.resolution = %(res)s"
    ),
    requires=("detections_hex_5min", "hex_cells"),
    resolutions=SHARED_RESOLUTION,
    camera_fields=(("camera_seconds", None), ("wet_fraction", 0.25), ("flooded_fraction", 0.25)),
    properties=(("h3", "string"), ("resolution", "integer"), ("bucket_start", "date-time"),
                ("bucket_minutes", "integer"), ("wet_fraction", "number"), ("flooded_fraction", "number"),
                ("state", "string"), ("camera_seconds", "number")),
)

CROWD_DENSITY = Collection(
    id="crowd_density",
    title="People visible per hexagon (5-minute buckets)",
    description="Mean number of people visible to the hexagon's cameras over each 5-minute bucket, summed "
                "over cameras, rounded, per H3 resolution-9 hexagon; withheld (null) below k.",
    layer="crowd_density",
    source=(
        "SELECT " + _BUCKET_FID.format(h3=_H3_TEXT.format(col="d.h3")) + " AS fid, c.geom, d.bucket AS t, "
        "d.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="d.h3") + ", 'resolution', d.resolution, "
        "'bucket_start', d.bucket, 'bucket_minutes', 5, "
        "'people', d.people_s / 300.0, 'people_max', d.people_max) AS props "
        "FROM detections_hex_5min d JOIN hex_cells c ON c.h3 = d.h3 WHERE d.resolution = %(res)s"
    ),
    requires=("detections_hex_5min", "hex_cells"),
    resolutions=SHARED_RESOLUTION,
    suppressed_fields=("people", "people_max"),
    properties=(("h3", "string"), ("resolution", "integer"), ("bucket_start", "date-time"),
                ("bucket_minutes", "integer"), ("people", "number"), ("people_max", "number")),
)

INCIDENTS = Collection(
    id="incidents",
    title="Recorded incidents per hexagon and day",
    description="Count of recorded incidents per H3 resolution-9 hexagon and UTC day; withheld (null) below k.",
    layer="crime_risk",
    source=(
        "SELECT " + _H3_TEXT.format(col="g.h3") + " || '@' || to_char(g.day, 'YYYY-MM-DD') AS fid, c.geom, "
        "g.day AS t, g.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="g.h3") + ", 'resolution', c.resolution, "
        "'day', to_char(g.day, 'YYYY-MM-DD'), 'incidents', g.n) AS props "
        "FROM (SELECT CASE %(res)s WHEN 8 THEN i.h3_r8 WHEN 9 THEN i.h3_r9 ELSE i.h3_r10 END AS h3, "
        "  date_trunc('day', i.occurred_at, 'UTC') AS day, count(*)::double precision AS n "
        "  FROM incidents i GROUP BY 1, 2) g JOIN hex_cells c ON c.h3 = g.h3"
    ),
    requires=("incidents", "hex_cells"),
    resolutions=SHARED_RESOLUTION,
    suppressed_fields=("incidents",),
    properties=(("h3", "string"), ("resolution", "integer"), ("day", "date"), ("incidents", "number")),
)

RAINFALL = Collection(
    id="rainfall",
    title="Rain gauge readings",
    description="Rainfall intensity in mm/h at each gauge and observation time.",
    layer="rainfall",
    source=(
        "SELECT r.station_id || '@' || to_char(r.observed_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS fid, r.geom, r.observed_at AS t, r.station_id AS series, "
        "jsonb_build_object('station_id', r.station_id, 'observed_at', r.observed_at, "
        "'mm_per_h', r.mm_per_h, 'district', r.district_code) AS props "
        "FROM rainfall_readings r WHERE r.geom IS NOT NULL"
    ),
    requires=("rainfall_readings",),
    properties=(("station_id", "string"), ("observed_at", "date-time"), ("mm_per_h", "number"),
                ("district", "string")),
)

CAMERA_POSITIONS = Collection(
    id="camera_positions",
    title="Camera positions",
    description="Exact position, owner and status of each camera.",
    layer="camera_positions",
    source=(
        "SELECT c.camera_id AS fid, c.location AS geom, NULL::timestamptz AS t, c.camera_id AS series, "
        "jsonb_build_object('camera_id', c.camera_id, 'owner', c.owner_code, 'kind', c.kind, "
        "'status', c.status, 'district', c.district_code) AS props FROM cameras c"
    ),
    requires=("cameras",),
    temporal=False,
    properties=(("camera_id", "string"), ("owner", "string"), ("kind", "string"), ("status", "string"),
                ("district", "string")),
)

FLOOD_STATES = Collection(
    id="flood_states",
    title="Flood state per hexagon",
    description="Current flood state (normal, watch, warning, flooded or receding) of each H3 resolution-9 hexagon "
                "the flood alerting follows, with when it entered that state and when it was last assessed.",
    layer="flood_states",
    source=(
        "SELECT " + _H3_TEXT.format(col="f.h3") + " AS fid, c.geom, f.as_of AS t, f.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="f.h3") + ", 'state', f.state, 'since', f.since, "
        "'as_of', f.as_of) AS props FROM flood_hex_states f JOIN hex_cells c ON c.h3 = f.h3"
    ),
    requires=("flood_hex_states", "hex_cells"),
    resolutions=SHARED_RESOLUTION,
    properties=(("h3", "string"), ("state", "string"), ("since", "date-time"), ("as_of", "date-time")),
)

FLOOD_ALERTS = Collection(
    id="flood_alerts",
    title="Flood alerts",
    description="Each hexagon's escalation to flood warning or flooded, with its basis (what the cameras and "
                "the rain showed, without counting cameras).",
    layer="flood_alerts",
    source=(
        "SELECT f.transition_id::text AS fid, c.geom, f.at AS t, f.h3::text AS series, "
        "jsonb_build_object('h3', " + _H3_TEXT.format(col="f.h3") + ", 'from_state', f.from_state, "
        "'to_state', f.to_state, 'at', f.at, 'reason', f.reason, "
        "'basis', regexp_replace(f.reason, '^(two or more cameras see|a camera sees|one camera sees) flooding.*$', "
        "'cameras see flooding')) AS props "
        "FROM flood_transitions f JOIN hex_cells c ON c.h3 = f.h3 WHERE f.to_state IN ('warning', 'flooded')"
    ),
    requires=("flood_transitions", "hex_cells"),
    resolutions=SHARED_RESOLUTION,
    camera_fields=(("reason", None),),
    properties=(("h3", "string"), ("from_state", "string"), ("to_state", "string"), ("at", "date-time"),
                ("reason", "string"), ("basis", "string")),
)

SHARED_COLLECTIONS = [WATER_STATES, FLOOD_STATES, FLOOD_ALERTS, RAINFALL, CROWD_DENSITY, INCIDENTS,
                      CAMERA_POSITIONS]
