-- A reminder's direct messages are jobs of their own ('reminder_dm'), one
-- per member who asked, planned under the reminder's job once its channel
-- post went out: each is recorded as sent when Discord confirms it.
ALTER TABLE jobs ADD COLUMN parent_id INTEGER REFERENCES jobs (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX one_dm_per_recipient ON jobs (parent_id, target_id) WHERE kind = 'reminder_dm';
CREATE INDEX jobs_children ON jobs (parent_id) WHERE parent_id IS NOT NULL;
-- Finished jobs are deleted once past their retention.
CREATE INDEX jobs_finished ON jobs (due_ms) WHERE state IN ('done', 'skipped');
-- A replan reads a meeting's jobs by occurrence; forget finds a member's
-- waiting direct messages.
CREATE INDEX jobs_by_meeting_occurrence ON jobs (meeting_id, occurrence);
CREATE INDEX reminder_dms_by_member ON jobs (target_id) WHERE kind = 'reminder_dm';
