-- A claim on a job names the process that holds it and ends at
-- claimed_until_ms unless that process renews it: the jobs of a process that
-- died are taken over by another once the claim has ended (on PostgreSQL,
-- where several processes share the jobs; SQLite's one process resets its
-- claims when it starts).
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
ALTER TABLE jobs ADD COLUMN claimed_until_ms INTEGER;
CREATE INDEX jobs_claimed ON jobs (claimed_until_ms) WHERE state = 'claimed';
