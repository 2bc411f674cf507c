-- Servers that mirror their meetings into Discord's Scheduled Events
-- (`/settings events`), and each meeting's event for its next occurrence.
CREATE TABLE event_mirrors (
    guild_id BIGINT PRIMARY KEY NOT NULL
);
CREATE TABLE meeting_events (
    meeting_id BIGINT PRIMARY KEY NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    event_id   BIGINT NOT NULL,
    -- The occurrence (unix seconds) the event stands for.
    occurrence BIGINT NOT NULL
);
