-- A reminder's direct messages are jobs of their own ('reminder_dm'), one
-- per member who asked, planned under the reminder's job once its channel
-- post went out: each is recorded as sent when Discord confirms it.
ALTER TABLE jobs ADD COLUMN parent_id BIGINT REFERENCES jobs (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX one_dm_per_recipient ON jobs (parent_id, target_id) WHERE kind = 'reminder_dm';
CREATE INDEX jobs_children ON jobs (parent_id) WHERE parent_id IS NOT NULL;
-- Finished jobs are deleted once past their retention.
CREATE INDEX jobs_finished ON jobs (due_ms) WHERE state IN ('done', 'skipped');
-- A replan reads a meeting's jobs by occurrence; forget finds a member's
-- waiting direct messages.
CREATE INDEX jobs_by_meeting_occurrence ON jobs (meeting_id, occurrence);
CREATE INDEX reminder_dms_by_member ON jobs (target_id) WHERE kind = 'reminder_dm';
-- A notice names the server whose job was added or moved, so a process
-- running other shards need not wake for it; a job some process gave back
-- (a graceful stop, a claim that ended) or of no server wakes every one.
CREATE OR REPLACE FUNCTION haven_jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(
        'haven_jobs',
        CASE WHEN NEW.claimed_by IS NOT NULL OR NEW.guild_id IS NULL THEN '' ELSE NEW.guild_id::text END
    );
    RETURN NULL;
END
$$;
