-- Detection aggregates, partitioned by day with BRIN on time.
--
-- Each detection event covers a window [start, end) of a camera.  The
-- aggregates store additive sums so that merging a late or repeated batch is
-- a plain addition: *_s columns are "count x seconds" (people_s / covered_s
-- is the mean number of people visible to the camera over the bucket).

CREATE TABLE detections_camera_minute (
    camera_id    text NOT NULL,
    minute       timestamptz NOT NULL,
    n_events     integer NOT NULL DEFAULT 0,
    covered_s    double precision NOT NULL DEFAULT 0,
    people_s     double precision NOT NULL DEFAULT 0,
    people_max   integer NOT NULL DEFAULT 0,
    vehicles_s   double precision NOT NULL DEFAULT 0,
    vehicles_max integer NOT NULL DEFAULT 0,
    wet_s        double precision NOT NULL DEFAULT 0,
    flooded_s    double precision NOT NULL DEFAULT 0,
    water_conf_max real NOT NULL DEFAULT 0,
    saturated_n  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (camera_id, minute)
) PARTITION BY RANGE (minute);

CREATE TABLE detections_hex_5min (
    h3           bigint NOT NULL,
    resolution   smallint NOT NULL CHECK (resolution IN (8, 9, 10)),
    bucket       timestamptz NOT NULL,
    n_events     integer NOT NULL DEFAULT 0,
    covered_s    double precision NOT NULL DEFAULT 0,
    people_s     double precision NOT NULL DEFAULT 0,
    people_max   integer NOT NULL DEFAULT 0,
    vehicles_s   double precision NOT NULL DEFAULT 0,
    vehicles_max integer NOT NULL DEFAULT 0,
    wet_s        double precision NOT NULL DEFAULT 0,
    flooded_s    double precision NOT NULL DEFAULT 0,
    water_conf_max real NOT NULL DEFAULT 0,
    saturated_n  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (h3, bucket)
) PARTITION BY RANGE (bucket);

-- Create the daily partitions of ``parent`` covering [first_day, last_day]
-- (inclusive), each with a BRIN index on its time column.  Idempotent.
CREATE FUNCTION hexops_ensure_day_partitions(parent text, first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d date := first_day;
    part text;
    time_col text;
    created integer := 0;
BEGIN
    time_col := CASE parent
        WHEN 'detections_camera_minute' THEN 'minute'
        WHEN 'detections_hex_5min' THEN 'bucket'
        ELSE NULL END;
    IF time_col IS NULL THEN
        -- Later migrations register their own partitioned tables here.
        SELECT t.time_col INTO time_col FROM hexops_partitioned_tables t WHERE t.table_name = parent;
    END IF;
    IF time_col IS NULL THEN
        RAISE EXCEPTION 'hexops_ensure_day_partitions: % is not a day-partitioned table', parent;
    END IF;
    WHILE d <= last_day LOOP
        part := format('%s_p%s', parent, to_char(d, 'YYYYMMDD'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                part, parent, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            EXECUTE format('CREATE INDEX %I ON %I USING brin (%I)', part || '_brin', part, time_col);
            created := created + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN created;
END $$;

-- Registry for day-partitioned tables added by later migrations (retention
-- reads it too).  keep_days is the default retention per table.
CREATE TABLE hexops_partitioned_tables (
    table_name  text PRIMARY KEY,
    time_col    text NOT NULL,
    keep_days   integer NOT NULL CHECK (keep_days > 0)
);
INSERT INTO hexops_partitioned_tables VALUES
    ('detections_camera_minute', 'minute', 35),
    ('detections_hex_5min', 'bucket', 400);
