-- Web origins (scheme://host[:port]) whose pages may read a department's
-- shared layers from a browser (CORS on /ogcapi and /tiles).  One row per
-- department and origin while it is on the list; removing one closes the row
-- (removed_at, removed_by), so the list's history stays.  Changes are
-- audited as cors.change by the service that makes them.
CREATE TABLE department_origins (
    origin_id        bigserial PRIMARY KEY,
    department_code  text NOT NULL REFERENCES departments (code),
    -- Lower case, no path, no trailing slash: exactly what a browser sends in Origin.
    origin           text NOT NULL CHECK (
        origin ~ '^https?://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?$'),
    added_by         text NOT NULL,
    added_at         timestamptz NOT NULL DEFAULT now(),
    reason           text,
    removed_at       timestamptz,
    removed_by       text,
    CONSTRAINT department_origins_removed_with_actor CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
-- At most one open entry per department and origin.
CREATE UNIQUE INDEX department_origins_one_open ON department_origins (department_code, origin)
    WHERE removed_at IS NULL;
-- Every cross-origin request on a shared route looks its Origin up here.
CREATE INDEX department_origins_by_origin ON department_origins (origin) WHERE removed_at IS NULL;
