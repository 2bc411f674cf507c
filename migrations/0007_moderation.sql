-- Moderation and member safety. Instants are unix milliseconds.

-- How long a server keeps its moderation records (cases, notes, reports).
ALTER TABLE guild_settings ADD COLUMN mod_retention_days INTEGER NOT NULL DEFAULT 365 CHECK (mod_retention_days BETWEEN 1 AND 3650);

-- The last case number given out per server, so a number is never reused,
-- even after the newest cases were purged.
CREATE TABLE mod_case_numbers (
    guild_id INTEGER PRIMARY KEY NOT NULL,
    last     INTEGER NOT NULL
);

-- Each moderation action, numbered per server. target_id is the member it is
-- about (NULL for a channel action); it is kept for the retention period and
-- listed, as existing, by /privacy show; /privacy forget does not erase it.
CREATE TABLE mod_cases (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       INTEGER NOT NULL,
    number         INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    moderator_id   INTEGER NOT NULL,
    target_id      INTEGER,
    channel_id     INTEGER,
    reason         TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    until_ms       INTEGER,
    log_message_id INTEGER,
    UNIQUE (guild_id, number)
);
CREATE INDEX mod_cases_by_target ON mod_cases (guild_id, target_id, created_ms);
CREATE INDEX mod_cases_by_age ON mod_cases (created_ms);

-- Notes only facilitators see, about one member.
CREATE TABLE mod_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,
    target_id  INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX mod_notes_by_target ON mod_notes (guild_id, target_id, created_ms);
CREATE INDEX mod_notes_by_age ON mod_notes (created_ms);

-- Messages members reported. reporter_id is kept (for the rate limit, and
-- /privacy show) until the member forgets; named says whether facilitators
-- were told who reported. The log gets a link and a short excerpt, no more.
CREATE TABLE mod_reports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       INTEGER NOT NULL,
    reporter_id    INTEGER,
    named          INTEGER NOT NULL DEFAULT 0,
    kind           TEXT    NOT NULL,
    note           TEXT,
    channel_id     INTEGER NOT NULL,
    message_id     INTEGER NOT NULL,
    author_id      INTEGER,
    excerpt        TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    handled_by     INTEGER,
    log_message_id INTEGER,
    created_ms     INTEGER NOT NULL
);
CREATE INDEX mod_reports_by_reporter ON mod_reports (reporter_id, created_ms);
CREATE INDEX mod_reports_by_age ON mod_reports (created_ms);

-- A locked channel: every role overwrite the lock changed, as it was before
-- (JSON: [{"role": id, "before": {"allow", "deny"} or null}]), so unlock puts
-- back exactly that. until_ms is set for a lock with `for`.
CREATE TABLE mod_locks (
    channel_id INTEGER PRIMARY KEY NOT NULL,
    guild_id   INTEGER NOT NULL,
    before     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    until_ms   INTEGER
);

-- A slowmode with `for`: the setting to return to, and when.
CREATE TABLE mod_slowmodes (
    channel_id     INTEGER PRIMARY KEY NOT NULL,
    guild_id       INTEGER NOT NULL,
    before_seconds INTEGER NOT NULL,
    until_ms       INTEGER NOT NULL
);

-- A ban with a duration: lifted by the scheduler at until_ms.
CREATE TABLE mod_tempbans (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- The group's agreements (/guidelines).
CREATE TABLE guidelines (
    guild_id   INTEGER PRIMARY KEY NOT NULL,
    text       TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- Moderation reverts are jobs about a server and a channel or member:
-- 'unban' (target = member), 'slowmode_revert' and 'lock_revert' (target =
-- channel); occurrence is the planned instant in seconds, the key that makes
-- a replaced revert skip.
ALTER TABLE jobs ADD COLUMN guild_id INTEGER;
ALTER TABLE jobs ADD COLUMN target_id INTEGER;
CREATE UNIQUE INDEX one_mod_revert ON jobs (kind, guild_id, target_id, occurrence) WHERE kind IN ('unban', 'slowmode_revert', 'lock_revert');
