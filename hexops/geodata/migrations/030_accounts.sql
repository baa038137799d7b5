-- Accounts: people and machines, password sessions and API tokens.
--
-- Passwords are stored only as argon2id hashes (services.accounts).  Session
-- ids and API tokens are 256-bit random secrets, so a plain SHA-256 of the
-- secret is enough to make a stolen table useless; only the hash is stored.

CREATE TABLE users (
    user_id          bigserial PRIMARY KEY,
    username         text NOT NULL UNIQUE
                     CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    role             text NOT NULL
                     CHECK (role IN ('commander', 'event_manager', 'partner', 'admin', 'device')),
    department_code  text REFERENCES departments (code),
    -- NULL for machine accounts (device), which sign in with tokens only.
    password_hash    text,
    failed_logins    integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until     timestamptz,
    disabled         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- A partner user or a gateway always acts for one department.
    CONSTRAINT users_department_required
        CHECK (role NOT IN ('partner', 'device') OR department_code IS NOT NULL),
    CONSTRAINT users_device_has_no_password
        CHECK (role <> 'device' OR password_hash IS NULL)
);

CREATE TABLE user_sessions (
    session_hash  bytea PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

CREATE TABLE api_tokens (
    token_id      bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    scopes        text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    CONSTRAINT api_tokens_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
