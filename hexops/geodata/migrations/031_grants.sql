-- Layers that partner departments can be granted, and the grants themselves.
--
-- Layers are rows, not a CHECK list, so that the work that builds a new
-- shared layer adds it with one INSERT in its own migration.

CREATE TABLE shared_layers (
    name   text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    title  text NOT NULL
);

INSERT INTO shared_layers (name, title) VALUES
    ('flood_alerts',     'Flood alerts'),
    ('flood_states',     'Flood state per hexagon'),
    ('rainfall',         'Rain gauge readings'),
    ('water_states',     'Road-surface water state per hexagon'),
    ('crowd_density',    'Crowd density per hexagon'),
    ('crime_risk',       'Crime risk and recorded incidents per hexagon'),
    ('camera_positions', 'Exact camera positions'),
    ('detections',       'Detection aggregates per hexagon');

CREATE TABLE layer_grants (
    grant_id         bigserial PRIMARY KEY,
    department_code  text NOT NULL REFERENCES departments (code),
    layer            text NOT NULL REFERENCES shared_layers (name),
    granted_by       text NOT NULL,
    granted_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    reason           text,
    revoked_at       timestamptz,
    revoked_by       text,
    CONSTRAINT layer_grants_expiry_after_grant CHECK (expires_at > granted_at)
);
-- At most one unrevoked grant per department and layer; renewing replaces it.
CREATE UNIQUE INDEX layer_grants_one_open ON layer_grants (department_code, layer)
    WHERE revoked_at IS NULL;
