-- Period keys (vault/keystore.py): each wrapped data key names the period
-- key, held outside the database, that its wrapping also depends on
-- ('day:<owner>:<YYYY-MM-DD>' or 'hold:<id>').  Retention destroys a period's
-- key file once no row names it, so the deleted rows' copies in the WAL and
-- in backups no longer unwrap, even with the KEK.  NULL: a row wrapped before
-- period keys existed (the KEK alone); hexops vault rotate-kek re-wraps it.
ALTER TABLE vault_keys ADD COLUMN period text;
CREATE INDEX vault_keys_period_idx ON vault_keys (period);
