-- Server settings: one row per server that changed anything.
CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY NOT NULL,
    facilitator_role_id INTEGER,
    timezone            TEXT,
    log_channel_id      INTEGER,
    min_group_size      INTEGER NOT NULL DEFAULT 5 CHECK (min_group_size BETWEEN 3 AND 50),
    updated_at          TEXT NOT NULL
);

-- A member's own preferences, shared by every server they are in.
-- Listed in full by /privacy show and deleted by /privacy forget.
CREATE TABLE member_prefs (
    user_id    INTEGER PRIMARY KEY NOT NULL,
    timezone   TEXT,
    updated_at TEXT NOT NULL
);
