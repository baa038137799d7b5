-- Crypto-shredding deletes day keys; with a foreign key from vault_clips.key_id
-- (ON DELETE SET NULL) every key deleted also rewrote each of its clip rows,
-- which the very next step deletes anyway: for a million-clip sweep that was
-- most of the time.  A clip whose key_id no longer exists is now simply a
-- shredded clip (geodata.vault finds it with an anti-join).
ALTER TABLE vault_clips DROP CONSTRAINT vault_clips_key_id_fkey;
