-- Ingestion bookkeeping: idempotency keys, the quarantine of rejected
-- events, and a version counter of the camera registry (so that ingest
-- processes can cache the registry and notice when it changes).

-- One row per accepted detection event.  The key is (minute of the event's
-- window_start, 64-bit hash of its event_id): a redelivered event has the
-- same window and id, so it hits the same key and is counted once.  Keying
-- by minute first keeps the B-tree append-mostly (events arrive roughly in
-- time order) and limits hash collisions to events of the same minute.
CREATE TABLE ingest_event_keys (
    minute     timestamptz NOT NULL,
    event_key  bigint NOT NULL,
    PRIMARY KEY (minute, event_key)
) PARTITION BY RANGE (minute);

-- Rejected events with the reason (naming the field) and the raw payload.
CREATE TABLE ingest_quarantine (
    received_at  timestamptz NOT NULL,
    source       text NOT NULL,
    row_number   integer,
    event_id     text,
    camera_id    text,
    reason       text NOT NULL,
    payload      jsonb NOT NULL
) PARTITION BY RANGE (received_at);

-- Keys need to outlive the late-event window plus any redelivery horizon;
-- quarantine is kept for a month of investigation.
INSERT INTO hexops_partitioned_tables VALUES
    ('ingest_event_keys', 'minute', 8),
    ('ingest_quarantine', 'received_at', 30);

CREATE TABLE camera_registry_version (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint NOT NULL
);
INSERT INTO camera_registry_version VALUES (true, 1);

CREATE FUNCTION hexops_bump_camera_registry_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE camera_registry_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER cameras_registry_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cameras
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_bump_camera_registry_version();
