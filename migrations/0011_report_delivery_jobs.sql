-- Each of Haven's posts about a case or a report keeps the channel it is
-- in: after an admin picks another log channel, corrections, un-naming and
-- retention still reach the posts in the old one. Rows from before this
-- column (NULL) are looked for in the log channel as set now.
ALTER TABLE mod_cases ADD COLUMN log_channel_id INTEGER;
ALTER TABLE mod_reports ADD COLUMN log_channel_id INTEGER;
ALTER TABLE mod_log_cleanup ADD COLUMN channel_id INTEGER;
-- Who last corrected a case's reason.
ALTER TABLE mod_cases ADD COLUMN edited_by INTEGER;

-- A report that went to facilitators (or admins) by direct message: each
-- copy is kept so that a status change or a forget edits it and retention
-- deletes it, as for the log channel's card.
CREATE TABLE mod_report_copies (
    report_id  INTEGER NOT NULL REFERENCES mod_reports (id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    -- Whom it went to, so a retry does not send it twice (unlinked when
    -- that member asks Haven to forget them).
    recipient_id INTEGER,
    PRIMARY KEY (report_id, message_id)
) WITHOUT ROWID;

-- A report is delivered by a job (target_id: the report), one per report,
-- claimed by whoever delivers it first: the form's answer at once, or the
-- scheduler after a failure or a restart, with its retries.
CREATE UNIQUE INDEX one_report_delivery ON jobs (target_id) WHERE kind = 'report_delivery';
-- Reports stored but not yet delivered before this version get their job.
INSERT INTO jobs (kind, guild_id, target_id, occurrence, due_ms, planned_ms)
SELECT 'report_delivery', guild_id, id, created_ms / 1000, created_ms, created_ms
FROM mod_reports WHERE delivered = 0;
-- Tidying reports (an anonymous reporter unlinked once the rate window has
-- passed, a draft gone once its hour is up) runs at five-minute instants,
-- one job per instant.
CREATE UNIQUE INDEX one_report_tidy_per_instant ON jobs (occurrence) WHERE kind = 'report_tidy';
