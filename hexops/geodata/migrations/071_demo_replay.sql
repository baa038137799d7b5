-- The live demo: each replay (where in the scenario it started and how
-- fast), every 5-minute window its publisher put on the detection stream
-- (with the wall time, so the delay from detections to a partner's alert
-- can be measured), and what the demo's webhook receiver was sent.

CREATE TABLE demo_replays (
    replay_id      bigserial PRIMARY KEY,
    started_at     timestamptz NOT NULL DEFAULT now(),
    scenario_from  timestamptz NOT NULL,
    speed          double precision NOT NULL CHECK (speed > 0),
    -- The demo city replayed (hexops.democity.build_city's seed and camera count).
    city_seed      integer NOT NULL,
    city_cameras   integer NOT NULL CHECK (city_cameras > 0),
    -- The endpoint registered for this replay's receiver (a partner of the demo).
    endpoint_id    bigint REFERENCES webhook_endpoints (endpoint_id) ON DELETE SET NULL,
    receiver_url   text
);

-- One row per window published: window_end is scenario time (UTC),
-- published_at the wall time the stream acknowledged its last batch.
CREATE TABLE demo_replay_windows (
    replay_id     bigint NOT NULL REFERENCES demo_replays (replay_id) ON DELETE CASCADE,
    window_end    timestamptz NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    events        integer NOT NULL CHECK (events >= 0),
    batches       integer NOT NULL CHECK (batches >= 0),
    PRIMARY KEY (replay_id, window_end)
);

-- What the demo receiver got: every POST, whether its HMAC signature held,
-- and what it answered.  The alert is kept as received (aggregates only).
CREATE TABLE demo_receipts (
    receipt_id    bigserial PRIMARY KEY,
    replay_id     bigint REFERENCES demo_replays (replay_id) ON DELETE CASCADE,
    received_at   timestamptz NOT NULL DEFAULT now(),
    delivery_id   text,
    event_id      text,
    event_type    text,
    signature_ok  boolean NOT NULL,
    status_code   integer NOT NULL,
    alert         jsonb,
    problem       text
);
CREATE INDEX demo_receipts_replay_idx ON demo_receipts (replay_id, receipt_id DESC);
