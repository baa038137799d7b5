-- The gazetteer: named places that alerts, crew jobs, patrol stops and rain
-- gauges are named after ("Mong Kok Stadium, 120 m north-east"), each camera's
-- location name, and the land the map draws under the hexes (the basemap that
-- needs no tile server).  Points and polygons are WGS84 (EPSG:4326).

CREATE TABLE places (
    place_id   bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    -- Larger places are labelled at coarser zoom (1 = town, 2 = landmark, 3 = street-level).
    rank       smallint NOT NULL DEFAULT 2 CHECK (rank BETWEEN 1 AND 3),
    geom       geometry(Point, 4326) NOT NULL,
    UNIQUE (name, kind)
);
CREATE INDEX places_geom_gix ON places USING gist (geom);

ALTER TABLE cameras ADD COLUMN location_name text
    CHECK (location_name IS NULL OR length(location_name) BETWEEN 1 AND 200);

CREATE TABLE basemap_land (
    part_id    integer PRIMARY KEY,
    source     text NOT NULL,
    geom       geometry(Polygon, 4326) NOT NULL
);
