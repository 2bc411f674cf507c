-- Meetings: the rule lives in the meeting's own zone (IANA name) as a local
-- wall-clock start and a repeat kind; instants are computed from it.
CREATE TABLE meetings (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    title             TEXT    NOT NULL,
    zone              TEXT    NOT NULL,
    start_local       TEXT    NOT NULL,
    repeat            TEXT    NOT NULL,
    duration_min      INTEGER NOT NULL CHECK (duration_min BETWEEN 1 AND 1440),
    reminders         TEXT    NOT NULL,
    mention_role_id   INTEGER,
    announcement_id   INTEGER,
    reminders_enabled INTEGER NOT NULL DEFAULT 1,
    ended             INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT    NOT NULL
);
CREATE INDEX meetings_by_guild ON meetings (guild_id) WHERE ended = 0;

-- Occurrences skipped with /meeting cancel id date (local dates).
CREATE TABLE meeting_skips (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, local_date)
);

-- A member's answer for one occurrence (its start, unix seconds). Listed by
-- /privacy show and deleted by /privacy forget.
CREATE TABLE rsvps (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    occurrence INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    answer     TEXT    NOT NULL CHECK (answer IN ('going', 'maybe', 'no')),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, occurrence, user_id)
);
CREATE INDEX rsvps_by_user ON rsvps (user_id);

-- Members who asked for reminders by direct message. Listed by /privacy show.
CREATE TABLE meeting_dms (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_dms_by_user ON meeting_dms (user_id);

-- The scheduler's durable jobs. Instants are unix milliseconds.
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    meeting_id INTEGER REFERENCES meetings (id) ON DELETE CASCADE,
    occurrence INTEGER NOT NULL,
    offset_min INTEGER NOT NULL DEFAULT 0,
    due_ms     INTEGER NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done', 'skipped')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, meeting_id, occurrence, offset_min)
);
CREATE INDEX jobs_due ON jobs (due_ms) WHERE state = 'pending';
CREATE INDEX jobs_by_meeting ON jobs (meeting_id) WHERE state = 'pending';
