-- Statistics count people, not events, and survive restarts.
--
-- stats_daily counted check-in EVENTS per mood, so "struggling: 5" could be
-- one person checking in five times; stats_participants counted people with
-- a hashing key that lived only in memory, so a restart counted a returning
-- member twice. Both are replaced (their counts cannot be turned into people
-- after the fact, so they are dropped, not converted).
DROP TABLE stats_daily;
DROP TABLE stats_participants;

-- One row per server and calendar period (W2027-10, M2027-03, Q2027-1,
-- Y2027) that anyone was counted in. While the period is open it holds a
-- random 32-byte salt, kept here so that a restart neither loses nor doubles
-- anyone; when the period closes (closes_ms: the instant it ends in the
-- server's zone, as it was when the salt was made) the salt is set to NULL
-- and its hashes are deleted. The row stays, salt-less, to mark the period
-- closed: nothing more is counted into it, so nobody can be counted twice.
CREATE TABLE stats_periods (
    guild_id  INTEGER NOT NULL,
    period    TEXT    NOT NULL,
    salt      BLOB,
    closes_ms INTEGER NOT NULL,
    PRIMARY KEY (guild_id, period)
);
CREATE INDEX stats_periods_open ON stats_periods (closes_ms) WHERE salt IS NOT NULL;

-- Who was counted in an open period, per facet (any, mood_1..mood_5, going):
-- a keyed hash of the member and facet under the period's salt, never the
-- id. WITHOUT ROWID, so the rows are ordered by hash and keep no trace of the
-- order (and so the time) in which people were counted.
CREATE TABLE stats_period_people (
    guild_id INTEGER NOT NULL,
    period   TEXT    NOT NULL,
    facet    TEXT    NOT NULL,
    hash     BLOB    NOT NULL,
    PRIMARY KEY (guild_id, period, facet, hash)
) WITHOUT ROWID;

-- The counts themselves: distinct people per server, period and facet. These
-- stay after the period closes; nothing in them can be traced to a person.
CREATE TABLE stats_people (
    guild_id INTEGER NOT NULL,
    period   TEXT    NOT NULL,
    facet    TEXT    NOT NULL,
    people   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, period, facet)
) WITHOUT ROWID;

-- The scheduler closes periods when they end: one job per closing instant
-- (unix seconds as its key), shared by every server whose period ends then.
CREATE UNIQUE INDEX one_period_close_per_instant ON jobs (occurrence) WHERE kind = 'period_close';
