-- Crime risk: forecast runs and their per-hex expectations, patrol plans,
-- their planned visits, and the visits units report (dosage).
-- H3 cells are BIGINT; times are timestamptz (UTC).

CREATE TABLE risk_forecast_runs (
    run_id        bigserial PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    model         text NOT NULL,
    horizon       text NOT NULL,
    resolution    smallint NOT NULL CHECK (resolution IN (8, 9, 10)),
    event_type    text,
    -- The bin forecast: [window_start, window_end).
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL CHECK (window_end > window_start),
    -- Short rolling backtest of every model, run when the forecast was made.
    backtest      jsonb NOT NULL DEFAULT '{}'::jsonb,
    params        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX risk_forecast_runs_lookup_idx
    ON risk_forecast_runs (resolution, horizon, event_type, created_at DESC);

CREATE TABLE risk_forecasts (
    run_id         bigint NOT NULL REFERENCES risk_forecast_runs (run_id) ON DELETE CASCADE,
    h3             bigint NOT NULL,
    expected       double precision NOT NULL CHECK (expected >= 0),
    rank           integer NOT NULL CHECK (rank >= 1),
    -- Named additive parts of ``expected`` (background, near repeats, footfall, ...).
    contributions  jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (run_id, h3)
);

CREATE TABLE patrol_plans (
    plan_id        bigserial PRIMARY KEY,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL,
    run_id         bigint REFERENCES risk_forecast_runs (run_id) ON DELETE SET NULL,
    district_code  text REFERENCES districts (code) ON DELETE SET NULL,
    shift_start    timestamptz NOT NULL,
    shift_end      timestamptz NOT NULL CHECK (shift_end > shift_start),
    units          integer NOT NULL CHECK (units >= 1),
    objective      double precision NOT NULL,
    params         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX patrol_plans_shift_idx ON patrol_plans (shift_start);

-- Every candidate hex of a plan and its role: 'treated' (gets visits),
-- 'holdout' (high risk, randomly kept free of patrols) or 'other'.
CREATE TABLE patrol_plan_hexes (
    plan_id   bigint NOT NULL REFERENCES patrol_plans (plan_id) ON DELETE CASCADE,
    h3        bigint NOT NULL,
    role      text NOT NULL CHECK (role IN ('treated', 'holdout', 'other')),
    expected  double precision NOT NULL,
    PRIMARY KEY (plan_id, h3)
);

CREATE TABLE patrol_plan_visits (
    plan_id        bigint NOT NULL REFERENCES patrol_plans (plan_id) ON DELETE CASCADE,
    unit           integer NOT NULL,
    seq            integer NOT NULL,
    h3             bigint NOT NULL,
    planned_start  timestamptz NOT NULL,
    planned_end    timestamptz NOT NULL CHECK (planned_end > planned_start),
    travel_min     double precision NOT NULL,
    expected       double precision NOT NULL,
    PRIMARY KEY (plan_id, unit, seq)
);

CREATE TABLE patrol_plan_bases (
    plan_id  bigint NOT NULL REFERENCES patrol_plans (plan_id) ON DELETE CASCADE,
    unit     integer NOT NULL,
    geom     geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (plan_id, unit)
);

-- Visits units report back: the dosage each hex actually received.
CREATE TABLE patrol_visits (
    visit_id     bigserial PRIMARY KEY,
    plan_id      bigint NOT NULL REFERENCES patrol_plans (plan_id) ON DELETE CASCADE,
    unit         integer NOT NULL,
    h3           bigint NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL CHECK (ended_at > started_at),
    reported_by  text NOT NULL,
    reported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plan_id, unit, h3, started_at)
);
CREATE INDEX patrol_visits_h3_idx ON patrol_visits (h3, started_at);
