-- Webhooks: partner endpoints that receive flood alerts, and the delivery
-- log (one row per alert and endpoint, retried with exponential backoff).

CREATE TABLE webhook_endpoints (
    endpoint_id      bigserial PRIMARY KEY,
    department_code  text NOT NULL REFERENCES departments (code),
    url              text NOT NULL CHECK (url ~ '^https?://'),
    -- The HMAC key must be readable to sign with; it is shared with the
    -- partner once, when the endpoint is registered.
    secret           text NOT NULL CHECK (length(secret) >= 32),
    event_types      text[] NOT NULL DEFAULT ARRAY['flood_alert'],
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    delivery_id       bigserial PRIMARY KEY,
    endpoint_id       bigint NOT NULL REFERENCES webhook_endpoints (endpoint_id),
    event_type        text NOT NULL,
    -- Idempotency key the receiver can use to drop a repeated delivery.
    event_id          text NOT NULL,
    payload           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    last_status_code  integer,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
