-- Whom a report is about, as Discord said when it was routed: 0 a member,
-- 1 a facilitator, 2 an admin or the owner (NULL: not routed yet).
-- `/mod reports` shows a report only to those it may reach.
ALTER TABLE mod_reports ADD COLUMN about_rank INTEGER;

-- A case's reason is amended, never overwritten: each amendment, by whom
-- and when, beside the original reason kept in mod_cases.
CREATE TABLE mod_case_amendments (
    guild_id   INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    amended_by INTEGER,
    reason     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX mod_case_amendments_by_case ON mod_case_amendments (guild_id, number);

-- What Haven itself set, so a timer changes only what is still exactly as
-- Haven left it: the ban's reason as sent to Discord, the slowmode's value.
ALTER TABLE mod_tempbans ADD COLUMN reason TEXT;
-- Set while Haven's own unban of a temporary ban is under way (or its
-- answer was lost): a ban found gone then is Haven's doing, not a human's.
ALTER TABLE mod_tempbans ADD COLUMN lifting_ms INTEGER;
ALTER TABLE mod_slowmodes ADD COLUMN set_seconds INTEGER;

-- A /cw post belongs to its author (Haven posts it): forget, purge, bans
-- that delete messages, reports and slowmode reach it through this row.
CREATE TABLE cw_posts (
    message_id INTEGER PRIMARY KEY NOT NULL,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX cw_posts_by_author ON cw_posts (author_id);
CREATE INDEX cw_posts_by_channel ON cw_posts (channel_id, author_id, created_ms);
CREATE INDEX cw_posts_by_age ON cw_posts (created_ms);

-- Reports routed before Haven kept whom they were about: those in a log
-- channel were about a plain member (reports about a facilitator never
-- went there), so facilitators keep seeing and handling them.
UPDATE mod_reports SET about_rank = 0 WHERE log_message_id IS NOT NULL;
