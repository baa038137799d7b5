-- Acknowledgements by people: a note on crowd alerts, and a record for
-- flood alerts (a flood alert is a transition of a hex to a worse state;
-- the Drainage page and the Events page acknowledge them).

ALTER TABLE crowd_alerts ADD COLUMN acknowledged_note text
    CHECK (acknowledged_note IS NULL OR length(acknowledged_note) <= 500);

CREATE TABLE flood_alert_acks (
    transition_id    bigint PRIMARY KEY REFERENCES flood_transitions (transition_id) ON DELETE CASCADE,
    acknowledged_at  timestamptz NOT NULL,
    acknowledged_by  text NOT NULL,
    note             text CHECK (note IS NULL OR length(note) <= 500)
);
