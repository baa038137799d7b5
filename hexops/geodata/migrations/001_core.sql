-- Core registry: departments, districts, H3 hex cells, cameras, incidents,
-- rainfall readings and the audit log.  Coordinates are WGS84 (EPSG:4326);
-- H3 cells are BIGINT everywhere inside the database.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE departments (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    is_partner  boolean NOT NULL DEFAULT false
);

INSERT INTO departments (code, name, is_partner) VALUES
    ('HKPF', 'Hong Kong Police Force', false),
    ('HD',   'Housing Department (public housing estates)', true),
    ('TD',   'Transport Department (road tunnels)', true),
    ('LCSD', 'Leisure and Cultural Services Department (sports and leisure venues)', true),
    ('ImmD', 'Immigration Department (boundary control points)', true),
    ('DSD',  'Drainage Services Department', true);

CREATE TABLE districts (
    code     text PRIMARY KEY,
    name_en  text NOT NULL,
    name_zh  text,
    geom     geometry(MultiPolygon, 4326) NOT NULL,
    CONSTRAINT districts_geom_valid CHECK (ST_IsValid(geom))
);
CREATE INDEX districts_geom_gix ON districts USING gist (geom);

-- One row per H3 cell at resolutions 8, 9 and 10 that touches land.
CREATE TABLE hex_cells (
    h3             bigint PRIMARY KEY,
    resolution     smallint NOT NULL CHECK (resolution IN (8, 9, 10)),
    geom           geometry(Polygon, 4326) NOT NULL,
    centroid       geometry(Point, 4326) NOT NULL,
    district_code  text REFERENCES districts (code) ON DELETE SET NULL,
    area_m2        double precision NOT NULL
);
CREATE INDEX hex_cells_geom_gix ON hex_cells USING gist (geom);
CREATE INDEX hex_cells_res_district_idx ON hex_cells (resolution, district_code);

CREATE TABLE cameras (
    camera_id      text PRIMARY KEY,
    owner_code     text NOT NULL REFERENCES departments (code),
    kind           text NOT NULL DEFAULT 'street',
    status         text NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'maintenance', 'retired')),
    location       geometry(Point, 4326) NOT NULL,
    -- Visible ground area (field of view projected on the ground).
    fov            geometry(Polygon, 4326),
    fov_area_m2    double precision CHECK (fov_area_m2 IS NULL OR fov_area_m2 > 0),
    h3_r8          bigint NOT NULL,
    h3_r9          bigint NOT NULL,
    h3_r10         bigint NOT NULL,
    district_code  text REFERENCES districts (code) ON DELETE SET NULL,
    installed_at   timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cameras_location_gix ON cameras USING gist (location);
CREATE INDEX cameras_h3_r9_idx ON cameras (h3_r9);
CREATE INDEX cameras_owner_idx ON cameras (owner_code);

CREATE TABLE incidents (
    incident_id    bigserial PRIMARY KEY,
    external_id    text UNIQUE,
    occurred_at    timestamptz NOT NULL,
    type           text NOT NULL,
    -- 'public': reported by the public; 'patrol': found by a patrol (see the
    -- feedback-loop guard in analytics/).
    source         text NOT NULL DEFAULT 'public' CHECK (source IN ('public', 'patrol')),
    geom           geometry(Point, 4326) NOT NULL,
    h3_r8          bigint NOT NULL,
    h3_r9          bigint NOT NULL,
    h3_r10         bigint NOT NULL,
    district_code  text REFERENCES districts (code) ON DELETE SET NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_time_brin ON incidents USING brin (occurred_at);
CREATE INDEX incidents_h3_r9_idx ON incidents (h3_r9, occurred_at);

-- Rain gauge (or district) readings in mm/h.
CREATE TABLE rainfall_readings (
    station_id     text NOT NULL,
    observed_at    timestamptz NOT NULL,
    mm_per_h       real NOT NULL CHECK (mm_per_h >= 0 AND mm_per_h < 500),
    district_code  text REFERENCES districts (code) ON DELETE SET NULL,
    geom           geometry(Point, 4326),
    PRIMARY KEY (station_id, observed_at)
);
CREATE INDEX rainfall_time_brin ON rainfall_readings USING brin (observed_at);

-- Append-only record of who did what, when and why.  The access work adds
-- the hash chain that makes edits and deletions detectable.
CREATE TABLE audit_log (
    audit_id   bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text,
    reason     text,
    details    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
