-- Seals anchor the audit chain outside the database.  The hash chain of
-- migration 032 catches an edit by anyone who cannot recompute hashes, but a
-- database superuser can switch the append-only triggers off
-- (session_replication_role = replica), edit or delete a row and re-hash
-- everything after it.  A seal is HMAC-SHA256 over the row's chain position
-- and hash under a key that never enters the database (it lives with the
-- vault keys; geodata.audit computes it in the application), so a re-hashed
-- row no longer matches its seal and nobody without the key can make one.
-- Deleting the newest rows together with their seals is caught by the
-- checkpoints (services.audit_chain) kept in a file outside the database.

CREATE TABLE audit_seals (
    chain_seq  bigint PRIMARY KEY,
    mac        bytea NOT NULL CHECK (length(mac) = 32),
    sealed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION hexops_audit_refuse_change();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION hexops_audit_refuse_change();
