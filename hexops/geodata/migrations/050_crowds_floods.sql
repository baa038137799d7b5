-- Crowds and floods: camera calibration shares, event zones, crowd alerts,
-- low-lying places, flood states and their transitions, drainage crews and
-- their plans.  Geometry is WGS84 (EPSG:4326); areas are m2 measured in
-- HK1980 Grid (EPSG:2326).  H3 cells are BIGINT.

-- Event zones: an uploaded or drawn polygon with a capacity (people).
CREATE TABLE event_zones (
    zone_id     text PRIMARY KEY CHECK (length(zone_id) BETWEEN 1 AND 64),
    name        text NOT NULL,
    event_name  text,
    capacity    integer NOT NULL CHECK (capacity > 0),
    geom        geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    area_m2     double precision NOT NULL CHECK (area_m2 > 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_zones_geom_gix ON event_zones USING gist (geom);

-- Each camera's share of a region's visible ground (see
-- analytics/crowd/calibration.py): recomputed when a camera's visible area
-- or a zone changes, never per refresh.  region_kind 'hex' uses h3
-- (resolution 10), 'zone' uses zone_id.
CREATE TABLE camera_ground_shares (
    region_kind  text NOT NULL CHECK (region_kind IN ('hex', 'zone')),
    region_id    text NOT NULL,
    camera_id    text NOT NULL REFERENCES cameras (camera_id) ON DELETE CASCADE,
    share_m2     double precision NOT NULL CHECK (share_m2 > 0),
    PRIMARY KEY (region_kind, region_id, camera_id)
);
CREATE INDEX camera_ground_shares_camera_idx ON camera_ground_shares (camera_id);

-- Ground area and covered area of each calibrated region.
CREATE TABLE crowd_regions (
    region_kind  text NOT NULL CHECK (region_kind IN ('hex', 'zone')),
    region_id    text NOT NULL,
    area_m2      double precision NOT NULL CHECK (area_m2 > 0),
    covered_m2   double precision NOT NULL CHECK (covered_m2 >= 0),
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region_kind, region_id)
);

-- One row per alert: raised once when a density (or its projection)
-- crosses a threshold, acknowledged by a user, cleared after a hold below.
CREATE TABLE crowd_alerts (
    alert_id         bigserial PRIMARY KEY,
    region_kind      text NOT NULL CHECK (region_kind IN ('hex', 'zone')),
    region_id        text NOT NULL,
    threshold        real NOT NULL CHECK (threshold > 0),
    cause            text NOT NULL CHECK (cause IN ('density', 'projection')),
    raised_at        timestamptz NOT NULL,
    density_at_raise real,
    peak_density     real,
    below_since      timestamptz,
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    cleared_at       timestamptz,
    CHECK (cleared_at IS NULL OR cleared_at >= raised_at)
);
-- At most one open alert per region and threshold.
CREATE UNIQUE INDEX crowd_alerts_open_uq ON crowd_alerts (region_kind, region_id, threshold)
    WHERE cleared_at IS NULL;
CREATE INDEX crowd_alerts_raised_idx ON crowd_alerts (raised_at);

-- Low-lying and flood-prone places: raise the flood prior of the hexes they touch.
CREATE TABLE low_lying_places (
    place_id  text PRIMARY KEY CHECK (length(place_id) BETWEEN 1 AND 64),
    name      text NOT NULL,
    kind      text NOT NULL DEFAULT 'low_lying',
    -- Prior probability (0..1) that heavy rain floods the place.
    prior     real NOT NULL DEFAULT 0.5 CHECK (prior >= 0 AND prior <= 1),
    geom      geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX low_lying_places_geom_gix ON low_lying_places USING gist (geom);

-- Current flood state per hex (H3 resolution 9); absent means normal.
CREATE TABLE flood_hex_states (
    h3           bigint PRIMARY KEY,
    state        text NOT NULL CHECK (state IN ('normal', 'watch', 'warning', 'flooded', 'receding')),
    since        timestamptz NOT NULL,
    lower_since  timestamptz,
    as_of        timestamptz NOT NULL,
    evidence     jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- Every transition with the evidence that caused it.
CREATE TABLE flood_transitions (
    transition_id  bigserial PRIMARY KEY,
    h3             bigint NOT NULL,
    at             timestamptz NOT NULL,
    from_state     text NOT NULL,
    to_state       text NOT NULL,
    reason         text NOT NULL,
    evidence       jsonb NOT NULL,
    UNIQUE (h3, at, to_state)
);
CREATE INDEX flood_transitions_at_idx ON flood_transitions (at);

CREATE TABLE drainage_depots (
    depot_id  text PRIMARY KEY,
    name      text NOT NULL,
    geom      geometry(Point, 4326) NOT NULL
);

CREATE TABLE drainage_crews (
    crew_id   text PRIMARY KEY,
    depot_id  text NOT NULL REFERENCES drainage_depots (depot_id),
    name      text NOT NULL
);

-- A plan per re-planning; its assignments say which crew goes where, in order.
CREATE TABLE crew_plans (
    plan_id     bigserial PRIMARY KEY,
    as_of       timestamptz NOT NULL,
    planned_at  timestamptz NOT NULL DEFAULT now(),
    n_flooded   integer NOT NULL,
    objective   double precision NOT NULL
);

CREATE TABLE crew_assignments (
    plan_id       bigint NOT NULL REFERENCES crew_plans (plan_id) ON DELETE CASCADE,
    h3            bigint NOT NULL,
    crew_id       text REFERENCES drainage_crews (crew_id),
    job_order     smallint,
    eta_min       real,
    severity      real NOT NULL,
    PRIMARY KEY (plan_id, h3)
);

-- How far each alerting job has run (the state machines advance in time
-- order through the detections, one step at a time).
CREATE TABLE alert_cursors (
    job    text PRIMARY KEY CHECK (job IN ('crowd', 'flood')),
    as_of  timestamptz NOT NULL
);
