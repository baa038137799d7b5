-- A clip can be evidence in more than one case.  vault_clips.hold_id stays
-- "the hold whose key encrypts the clip" (the first hold placed on it); this
-- table says which holds keep it.  A clip is protected while any of its
-- holds is active, and its hold key survives until none is.  No foreign key
-- to vault_clips: a cascade would fire once per clip a sweep deletes (it more
-- than doubled a 200,000-clip sweep); geodata.vault.delete_clips removes the
-- links in the same statement batch instead.
CREATE TABLE vault_clip_holds (
    clip_id  text NOT NULL,
    hold_id  bigint NOT NULL REFERENCES vault_holds (hold_id),
    PRIMARY KEY (clip_id, hold_id)
);
CREATE INDEX vault_clip_holds_hold_idx ON vault_clip_holds (hold_id);
INSERT INTO vault_clip_holds (clip_id, hold_id)
    SELECT clip_id, hold_id FROM vault_clips WHERE hold_id IS NOT NULL;
