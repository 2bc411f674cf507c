-- Whether a report has reached someone (the log channel, or a facilitator
-- by DM). One stored but not yet delivered (Haven stopped in between, or
-- Discord failed for a while) is delivered again when Haven connects and
-- after the next report. Reports from before this column were delivered.
ALTER TABLE mod_reports ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1;
CREATE INDEX mod_reports_undelivered ON mod_reports (created_ms) WHERE delivered = 0;
