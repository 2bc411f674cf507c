-- Anonymous statistics: counts per server and local day. No user id, no hash
-- of one, no free text.
CREATE TABLE stats_daily (
    guild_id INTEGER NOT NULL,
    day      TEXT    NOT NULL,
    checkins INTEGER NOT NULL DEFAULT 0,
    mood_1   INTEGER NOT NULL DEFAULT 0,
    mood_2   INTEGER NOT NULL DEFAULT 0,
    mood_3   INTEGER NOT NULL DEFAULT 0,
    mood_4   INTEGER NOT NULL DEFAULT 0,
    mood_5   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day)
);

-- Distinct participants per server and calendar period (W2027-10, M2027-03,
-- Q2027-1, Y2027). Counted in memory with a random key per period that never
-- reaches the disk; only the count is stored.
CREATE TABLE stats_participants (
    guild_id     INTEGER NOT NULL,
    period       TEXT    NOT NULL,
    participants INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, period)
);

-- Check-in rounds. While a round is open, who answered is held only as a
-- keyed hash with the round's salt; at close the answers become counts in
-- stats_rounds and the salt and answers are deleted.
CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER,
    question   TEXT    NOT NULL,
    salt       BLOB,
    opened_at  TEXT    NOT NULL,
    closes_ms  INTEGER NOT NULL,
    closed     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX one_open_round_per_channel ON rounds (channel_id) WHERE closed = 0;

CREATE TABLE round_answers (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    voter    BLOB    NOT NULL,
    answer   INTEGER NOT NULL CHECK (answer BETWEEN 0 AND 5),
    PRIMARY KEY (round_id, voter)
);

CREATE TABLE stats_rounds (
    round_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    day      TEXT    NOT NULL,
    answered INTEGER NOT NULL,
    passed   INTEGER NOT NULL,
    mood_1   INTEGER NOT NULL,
    mood_2   INTEGER NOT NULL,
    mood_3   INTEGER NOT NULL,
    mood_4   INTEGER NOT NULL,
    mood_5   INTEGER NOT NULL
);
CREATE INDEX stats_rounds_by_guild ON stats_rounds (guild_id, day);

-- A member's own journal, only if they opted in. Listed by /privacy show and
-- deleted by /privacy forget.
CREATE TABLE journal_members (
    user_id        INTEGER PRIMARY KEY NOT NULL,
    started_at     TEXT    NOT NULL,
    retention_days INTEGER NOT NULL DEFAULT 90,
    -- 0 after /journal stop with entries kept until their retention ends.
    active         INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE journal_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES journal_members (user_id) ON DELETE CASCADE,
    mood       INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    note       TEXT,
    created_ms INTEGER NOT NULL
);
CREATE INDEX journal_entries_by_user ON journal_entries (user_id, created_ms);
CREATE INDEX journal_entries_by_age ON journal_entries (created_ms);

-- Jobs about rounds (closing them) and housekeeping (retention purges).
ALTER TABLE jobs ADD COLUMN round_id INTEGER REFERENCES rounds (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX one_purge_per_day ON jobs (occurrence) WHERE kind = 'purge';

-- Facilitators who asked to get members' reach-out requests by direct
-- message when the server has no log channel. Listed by /privacy show.
CREATE TABLE facilitator_dm_notices (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX facilitator_dm_notices_by_user ON facilitator_dm_notices (user_id);
