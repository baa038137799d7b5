-- Storage for the 2028 city (60,000 cameras): time-ordered keys, HOT-friendly
-- partitions, storage tiers, and small state tables read instead of scans.
--
-- 1. Partitioned tables get a period (day or month) and a fillfactor in their
--    registry; the partition function honours both.
-- 2. Camera-minute rows, their idempotency keys and the hex rollups are keyed
--    by time first.  Rows arrive a minute (or a 5-minute bucket) at a time, so
--    a time-first B-tree grows at its right edge: a random (camera, minute)
--    key touched a leaf page per camera per minute, and every first touch of a
--    leaf after a checkpoint wrote a full 8 kB page image to the WAL.  Heap
--    rows inserted in time order also make the per-partition BRIN useful.
-- 3. Storage tiers: camera-minute rows 7 days, keys 2 days, hex 5-minute
--    rollups 90 days, hex hourly rollups 2 years (monthly partitions).
-- 4. State read by every page refresh instead of a scan of history:
--    detections_extent (first and latest minute with detections) and
--    detections_camera_latest (each camera's latest, not yet committed minute,
--    written by the JetStream workers every second or two).
-- 5. Versions of the inputs of cached read models (crowd calibration, zones,
--    low-lying places), bumped by statement triggers like the camera registry's.

ALTER TABLE hexops_partitioned_tables
    ADD COLUMN period text NOT NULL DEFAULT 'day' CHECK (period IN ('day', 'month')),
    ADD COLUMN fillfactor integer CHECK (fillfactor BETWEEN 10 AND 100);

-- Create the partitions of ``parent`` covering [first_day, last_day]
-- (inclusive): one per day, or one per month for monthly tables (named after
-- the month's first day), each with a BRIN index on its time column and the
-- table's fillfactor.  Idempotent.
--
-- BRIN ranges are summarised when autovacuum gets to them (autosummarize);
-- a range not yet summarised matches every query, so without it the
-- newest rows of a day, which every page reads, were read with all of the
-- day's unsummarised pages.
--
-- As before (migration 035), it runs with its owner's rights (the application
-- role owns no table), for registered tables only, with a fixed search_path.
CREATE OR REPLACE FUNCTION hexops_ensure_day_partitions(parent text, first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t record;
    d date;
    step interval;
    part text;
    created integer := 0;
BEGIN
    SELECT * INTO t FROM hexops_partitioned_tables WHERE table_name = parent;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hexops_ensure_day_partitions: % is not a registered partitioned table', parent;
    END IF;
    IF t.period = 'month' THEN
        d := date_trunc('month', first_day)::date;
        step := interval '1 month';
    ELSE
        d := first_day;
        step := interval '1 day';
    END IF;
    WHILE d <= last_day LOOP
        part := format('%s_p%s', parent, to_char(d, 'YYYYMMDD'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                part, parent, d::timestamp AT TIME ZONE 'UTC', (d + step)::timestamp AT TIME ZONE 'UTC');
            IF t.fillfactor IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %I SET (fillfactor = %s)', part, t.fillfactor);
            END IF;
            -- Summarised as each range fills (autovacuum), not only at the next VACUUM: the
            -- newest minutes are the ones every refresh reads.
            EXECUTE format('CREATE INDEX %I ON %I USING brin (%I) WITH (autosummarize = on)',
                           part || '_brin', part, t.time_col);
            created := created + 1;
        END IF;
        d := (d + step)::date;
    END LOOP;
    RETURN created;
END $$;

-- Time first (see 2. above).  The ingest merges name these columns in their
-- ON CONFLICT clauses, which any column order of the same key satisfies.
-- Camera ids compare byte by byte ("C"): the keys' B-trees and the merges' sorts compare
-- millions of ids a minute at 60,000 cameras, and the database's C.UTF-8 collation goes
-- through the C library's collation for each comparison (measured: a minute-ordered insert of
-- 1.7 M rows 3.8 s against 2.6 s).  Ids are ASCII codes, so the order is the same.
ALTER TABLE detections_camera_minute DROP CONSTRAINT detections_camera_minute_pkey;
ALTER TABLE detections_camera_minute ALTER COLUMN camera_id TYPE text COLLATE "C";
ALTER TABLE detections_camera_minute ADD PRIMARY KEY (minute, camera_id);
ALTER TABLE ingest_event_keys DROP CONSTRAINT ingest_event_keys_pkey;
ALTER TABLE ingest_event_keys ALTER COLUMN camera_id TYPE text COLLATE "C";
ALTER TABLE ingest_event_keys ADD PRIMARY KEY (minute, camera_id);
ALTER TABLE detections_hex_5min DROP CONSTRAINT detections_hex_5min_pkey;
ALTER TABLE detections_hex_5min ADD PRIMARY KEY (bucket, h3);

-- Camera-minute rows and keys are written about once (a late event, or a
-- fetch straddling a minute, adds a second write: room for a HOT update);
-- hex rows take one merge per minute of their bucket.
UPDATE hexops_partitioned_tables SET fillfactor = 90, keep_days = CASE WHEN keep_days = 35 THEN 7 ELSE keep_days END
    WHERE table_name = 'detections_camera_minute';
UPDATE hexops_partitioned_tables SET fillfactor = 90, keep_days = CASE WHEN keep_days = 8 THEN 2 ELSE keep_days END
    WHERE table_name = 'ingest_event_keys';
UPDATE hexops_partitioned_tables SET fillfactor = 60, keep_days = CASE WHEN keep_days = 400 THEN 90 ELSE keep_days END
    WHERE table_name = 'detections_hex_5min';

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname FROM hexops_partitioned_tables t
             JOIN pg_inherits i ON i.inhparent = to_regclass(t.table_name)
             JOIN pg_class c ON c.oid = i.inhrelid
             WHERE to_regclass(c.relname || '_brin') IS NOT NULL LOOP
        EXECUTE format('ALTER INDEX %I SET (autosummarize = on)', r.relname || '_brin');
    END LOOP;
    FOR r IN SELECT c.relname, t.fillfactor
             FROM hexops_partitioned_tables t
             JOIN pg_inherits i ON i.inhparent = to_regclass(t.table_name)
             JOIN pg_class c ON c.oid = i.inhrelid
             WHERE t.fillfactor IS NOT NULL LOOP
        EXECUTE format('ALTER TABLE %I SET (fillfactor = %s)', r.relname, r.fillfactor);
    END LOOP;
END $$;

-- Hourly hex rollups, kept two years: what the map and the risk models read
-- for windows older than the 5-minute tier.  Rolled up from
-- detections_hex_5min by the partitions.maintain job once an hour is past
-- the late-event window (hexops_rollup_cursors records how far).
CREATE TABLE detections_hex_hour (LIKE detections_hex_5min INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (bucket);
ALTER TABLE detections_hex_hour ADD PRIMARY KEY (bucket, h3);
CREATE INDEX detections_hex_hour_resolution_bucket_idx ON detections_hex_hour (resolution, bucket);
INSERT INTO hexops_partitioned_tables (table_name, time_col, keep_days, period, fillfactor)
    VALUES ('detections_hex_hour', 'bucket', 730, 'month', 100);

CREATE TABLE hexops_rollup_cursors (
    rollup      text PRIMARY KEY,
    done_until  timestamptz NOT NULL
);

-- The first and the latest minute holding camera detections, kept by every
-- ingest transaction (and the live previews); retention moves first_minute.
-- Writers update it last in their transaction and only when they extend it,
-- so concurrent workers meet on this row about once a minute.
CREATE TABLE detections_extent (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    first_minute  timestamptz,
    last_minute   timestamptz
);
INSERT INTO detections_extent (first_minute, last_minute)
    SELECT min(minute), max(minute) FROM detections_camera_minute;

-- Each camera's latest minute that a JetStream worker holds but has not yet
-- committed to detections_camera_minute (it combines a camera's events per
-- minute first): the sums of the events it holds for that minute.  Readers
-- add a row to the committed ones only while its (camera, minute) has no
-- committed row, so nothing is counted twice.  Updated in place every flush:
-- no indexed column changes and half of every page is left free, so the
-- updates are HOT.
CREATE TABLE detections_camera_latest (
    -- Only what readers add up; the columns that change every flush sit together in the
    -- middle, so each update's WAL record carries little more than them (prefix and
    -- suffix compression of HOT updates).
    camera_id      text COLLATE "C" PRIMARY KEY,
    minute         timestamptz NOT NULL,
    covered_s      double precision NOT NULL DEFAULT 0,
    people_s       double precision NOT NULL DEFAULT 0,
    wet_s          double precision NOT NULL DEFAULT 0,
    flooded_s      double precision NOT NULL DEFAULT 0,
    saturated_n    integer NOT NULL DEFAULT 0,
    water_conf_max real NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

-- Versions of tables whose read models the application caches.
CREATE TABLE hexops_table_versions (
    table_name  text PRIMARY KEY,
    version     bigint NOT NULL DEFAULT 1
);

CREATE FUNCTION hexops_bump_table_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hexops_table_versions AS v (table_name) VALUES (TG_TABLE_NAME)
        ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER camera_ground_shares_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON camera_ground_shares
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_bump_table_version();
CREATE TRIGGER crowd_regions_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON crowd_regions
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_bump_table_version();
CREATE TRIGGER event_zones_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_zones
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_bump_table_version();
CREATE TRIGGER low_lying_places_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON low_lying_places
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_bump_table_version();
