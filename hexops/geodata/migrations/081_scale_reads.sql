-- Reads that do not grow with history.
--
-- The Drainage page and the alert jobs ask for the latest rain reading on
-- every refresh; with only a BRIN index, min()/max() read the whole table
-- (every reading ever kept).  A B-tree answers both from its ends.
CREATE INDEX rainfall_readings_observed_at_idx ON rainfall_readings (observed_at);
