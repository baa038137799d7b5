-- The clip vault: encrypted raw video segments, their wrapped data keys,
-- evidence holds and retention policy.  Key material here is always wrapped
-- by a key-encryption key kept outside the database (vault/keys.py).

-- Retention per camera owner (departments.code); owner '*' is the default.
CREATE TABLE vault_retention_policy (
    owner_code  text PRIMARY KEY,
    keep_days   integer NOT NULL CHECK (keep_days > 0 AND keep_days <= 3650)
);
INSERT INTO vault_retention_policy VALUES ('*', 30);

CREATE TABLE vault_holds (
    hold_id         bigserial PRIMARY KEY,
    case_id         text NOT NULL CHECK (length(case_id) BETWEEN 1 AND 128),
    placed_by       text NOT NULL,
    reason          text NOT NULL CHECK (length(reason) > 0),
    placed_at       timestamptz NOT NULL DEFAULT now(),
    until           timestamptz,
    released_at     timestamptz,
    released_by     text,
    release_reason  text
);
CREATE INDEX vault_holds_case_idx ON vault_holds (case_id);

-- Wrapped data keys: kind 'day' is one key per camera per UTC day; kind
-- 'hold' is one key per evidence hold (held clips are re-encrypted under it).
-- Deleting a row is crypto-shredding: the clips it encrypted become noise.
CREATE TABLE vault_keys (
    key_id      bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('day', 'hold')),
    camera_id   text,
    day         date,
    hold_id     bigint REFERENCES vault_holds (hold_id),
    kek_id      text NOT NULL,
    wrapped     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'day' AND camera_id IS NOT NULL AND day IS NOT NULL AND hold_id IS NULL)
        OR (kind = 'hold' AND hold_id IS NOT NULL AND camera_id IS NULL AND day IS NULL))
);
CREATE UNIQUE INDEX vault_keys_day_uq ON vault_keys (camera_id, day) WHERE kind = 'day';
CREATE UNIQUE INDEX vault_keys_hold_uq ON vault_keys (hold_id) WHERE kind = 'hold';
CREATE INDEX vault_keys_day_idx ON vault_keys (day) WHERE kind = 'day';

CREATE TABLE vault_clips (
    clip_id      text PRIMARY KEY CHECK (length(clip_id) BETWEEN 1 AND 64),
    camera_id    text NOT NULL REFERENCES cameras (camera_id),
    recorded_at  timestamptz NOT NULL,
    -- UTC day of recorded_at: which day key encrypted the clip.
    day          date NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    path         text NOT NULL,
    -- NULL once retention destroyed the key (the row is deleted next).
    key_id       bigint REFERENCES vault_keys (key_id) ON DELETE SET NULL,
    hold_id      bigint REFERENCES vault_holds (hold_id),
    stored_at    timestamptz NOT NULL DEFAULT now(),
    stored_by    text NOT NULL
);
CREATE INDEX vault_clips_day_idx ON vault_clips (day, camera_id);
CREATE INDEX vault_clips_key_idx ON vault_clips (key_id);
CREATE INDEX vault_clips_hold_idx ON vault_clips (hold_id) WHERE hold_id IS NOT NULL;

-- When a camera's day of video expires: the end of the UTC day plus the
-- owner's keep_days (or the default).  Whole days, so a day key and every
-- clip it encrypted expire together and shredding the key is exact.
CREATE FUNCTION hexops_vault_expiry(p_camera text, p_day date)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT ((p_day + 1 + coalesce(
                (SELECT p.keep_days FROM vault_retention_policy p
                   JOIN cameras c ON c.owner_code = p.owner_code
                  WHERE c.camera_id = p_camera),
                (SELECT keep_days FROM vault_retention_policy WHERE owner_code = '*'),
                30))::timestamp AT TIME ZONE 'UTC')
$$;
