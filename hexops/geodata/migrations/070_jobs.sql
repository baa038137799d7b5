-- Background jobs: the schedule the workers claim from, one row per run,
-- and the scenario clock the demo runs on.

-- A job is due when next_due has passed.  A worker claims it by taking a
-- lease (lease_until, lease_owner) with FOR UPDATE SKIP LOCKED, runs it
-- outside that short transaction and records the outcome; a worker that
-- dies mid-run loses its lease when it expires, and the job is claimed again.
CREATE TABLE jobs (
    name                  text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{1,62}$'),
    period_s              double precision NOT NULL CHECK (period_s > 0),
    timeout_s             double precision NOT NULL CHECK (timeout_s > 0),
    next_due              timestamptz NOT NULL DEFAULT now(),
    lease_owner           text,
    lease_until           timestamptz,
    last_started          timestamptz,
    last_finished         timestamptz,
    last_success          timestamptz,
    last_duration_s       double precision,
    last_error            text,
    consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    total_failures        bigint NOT NULL DEFAULT 0,
    enabled               boolean NOT NULL DEFAULT true
);
CREATE INDEX jobs_due_idx ON jobs (next_due) WHERE enabled;

-- Every run: when it started, how late (lag_s = start - due), how it ended.
CREATE TABLE job_runs (
    run_id       bigserial PRIMARY KEY,
    job          text NOT NULL REFERENCES jobs (name) ON DELETE CASCADE,
    worker       text NOT NULL,
    due_at       timestamptz NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    lag_s        double precision NOT NULL,
    outcome      text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'success', 'failure')),
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
    error        text
);
CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC);

-- The one clock of a demo or a replay: scenario time = anchor_scenario +
-- (wall time - anchor_wall) x speed, held at stop_at.  No row: wall-clock time.
CREATE TABLE scenario_clock (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    anchor_wall      timestamptz NOT NULL,
    anchor_scenario  timestamptz NOT NULL,
    speed            double precision NOT NULL CHECK (speed > 0 AND speed <= 10000),
    stop_at          timestamptz,
    CHECK (stop_at IS NULL OR stop_at >= anchor_scenario)
);
