-- A server's own discussion prompts (/prompt add). No author is kept: a
-- prompt belongs to the group.
CREATE TABLE server_prompts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    category   TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX server_prompts_by_guild ON server_prompts (guild_id, category);

-- Built-in prompts a server chose to leave out of its rotation.
CREATE TABLE hidden_prompts (
    guild_id  INTEGER NOT NULL,
    prompt_id TEXT    NOT NULL,
    PRIMARY KEY (guild_id, prompt_id)
);

-- Each server's place in each pool's rotation (a pool is a category, or
-- "all"): the prompts used since the bag was last emptied, and the last one.
CREATE TABLE prompt_rotations (
    guild_id INTEGER NOT NULL,
    pool     TEXT    NOT NULL,
    used     TEXT    NOT NULL DEFAULT '[]',
    last     TEXT,
    PRIMARY KEY (guild_id, pool)
);

-- One prompt schedule per channel: a local time on some days, in a zone.
-- last_date is the local date last posted, so a day is never posted twice.
CREATE TABLE prompt_schedules (
    channel_id INTEGER PRIMARY KEY NOT NULL,
    guild_id   INTEGER NOT NULL,
    zone       TEXT    NOT NULL,
    time_local TEXT    NOT NULL,
    days       TEXT    NOT NULL,
    category   TEXT,
    paused     INTEGER NOT NULL DEFAULT 0,
    last_date  TEXT,
    created_at TEXT    NOT NULL
);

-- Scheduled prompt postings are jobs keyed by their schedule and local day.
ALTER TABLE jobs ADD COLUMN schedule_channel_id INTEGER;
CREATE UNIQUE INDEX one_prompt_posting_per_day ON jobs (schedule_channel_id, occurrence) WHERE kind = 'prompt';

-- Strategies members offered (/strategy share). author_id links one to its
-- author (listed by /privacy show; forget deletes a waiting or rejected one
-- and unlinks an approved one, which stays with the group as from "a
-- member"); a rejected one is deleted once its author has been told, or
-- after 90 days. credit is the name shown when approved, or NULL for "a
-- member".
CREATE TABLE shared_strategies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    category    TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    author_id   INTEGER,
    credit      TEXT,
    status      TEXT    NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'approved', 'rejected')),
    told        INTEGER NOT NULL DEFAULT 0,
    log_message INTEGER,
    created_at  TEXT    NOT NULL,
    decided_at  TEXT
);
CREATE INDEX shared_strategies_by_guild ON shared_strategies (guild_id, status);
CREATE INDEX shared_strategies_by_author ON shared_strategies (author_id);

-- A member's saved strategies: a built-in id ("stress-03") or a shared one
-- ("s42"). Listed by /privacy show, removed by /privacy forget.
CREATE TABLE toolkit (
    user_id     INTEGER NOT NULL,
    strategy_id TEXT    NOT NULL,
    saved_at    TEXT    NOT NULL,
    PRIMARY KEY (user_id, strategy_id)
);
