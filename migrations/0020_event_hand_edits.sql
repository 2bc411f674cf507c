-- What Haven last sent for a meeting's event (a 64-bit digest of its name,
-- text, times and place), so that a change made by hand in Discord is seen
-- and kept: such an event is left as it is (`by_hand`), never overwritten.
ALTER TABLE meeting_events ADD COLUMN sent INTEGER;
-- What Haven is sending it now: an edit whose answer was lost is still
-- Haven's own, not a change by hand.
ALTER TABLE meeting_events ADD COLUMN sending INTEGER;
ALTER TABLE meeting_events ADD COLUMN by_hand INTEGER NOT NULL DEFAULT 0;

-- Events changed by hand whose occurrence has passed: no longer the
-- meeting's, left as they are, and never adopted again as Haven's own.
-- A row goes once its event is no longer open in Discord.
CREATE TABLE kept_events (
    event_id   INTEGER PRIMARY KEY NOT NULL,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE
);
