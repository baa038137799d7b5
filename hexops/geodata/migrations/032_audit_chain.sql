-- Tamper-evident audit log: every row carries the hash of its predecessor
-- (prev_hash) and its own hash (row_hash) over its content and prev_hash.
-- The hashes are computed here, in a BEFORE INSERT trigger, so every writer
-- (geodata.audit.record, or anyone with SQL) is chained the same way.
-- Editing a row breaks its own hash; deleting one breaks the next row's
-- link and leaves a gap in chain_seq.  ``hexops audit verify`` checks both.

ALTER TABLE audit_log
    ADD COLUMN chain_seq bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN row_hash  bytea;

-- The canonical form is a JSON array: NULLs stay distinct from strings and
-- no separator can be smuggled inside a field.  Times are rendered in UTC
-- with microseconds, the full precision of timestamptz.
CREATE FUNCTION hexops_audit_hash(
    prev bytea, seq bigint, id bigint, at timestamptz,
    actor text, action text, target text, reason text, details jsonb
) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(convert_to(jsonb_build_array(
        encode(prev, 'hex'), seq, id,
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        actor, action, target, reason, details)::text, 'UTF8'))
$$;

CREATE FUNCTION hexops_audit_genesis() RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT decode(repeat('00', 32), 'hex')
$$;

CREATE FUNCTION hexops_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq  bigint;
    last_hash bytea;
BEGIN
    -- One writer at a time extends the chain: held until the writer's
    -- transaction ends, so two transactions never link to the same row.
    PERFORM pg_advisory_xact_lock(hashtext('hexops_audit_chain'));
    SELECT a.chain_seq, a.row_hash INTO last_seq, last_hash
      FROM audit_log a ORDER BY a.chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, hexops_audit_genesis());
    NEW.row_hash := hexops_audit_hash(NEW.prev_hash, NEW.chain_seq, NEW.audit_id, NEW.at,
                                      NEW.actor, NEW.action, NEW.target, NEW.reason, NEW.details);
    RETURN NEW;
END $$;

-- Chain whatever was recorded before this migration, in id order.
DO $$
DECLARE
    r record;
    seq bigint := 0;
    prev bytea := hexops_audit_genesis();
    h bytea;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY audit_id LOOP
        seq := seq + 1;
        h := hexops_audit_hash(prev, seq, r.audit_id, r.at, r.actor, r.action, r.target, r.reason, r.details);
        UPDATE audit_log SET chain_seq = seq, prev_hash = prev, row_hash = h WHERE audit_id = r.audit_id;
        prev := h;
    END LOOP;
END $$;

ALTER TABLE audit_log
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN row_hash SET NOT NULL;
CREATE UNIQUE INDEX audit_log_chain_seq_idx ON audit_log (chain_seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION hexops_audit_chain();

-- Append-only: no role may change or remove a row through SQL.  (A database
-- superuser can still disable the trigger; the hash chain is what catches
-- that.)
CREATE FUNCTION hexops_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION hexops_audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_audit_refuse_change();
