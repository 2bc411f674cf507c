-- A case a job records (a timed slowmode, lock or ban that ended) names the
-- job, once: a job taken over after its process died finds the case the
-- dead process recorded instead of recording a second one.
ALTER TABLE mod_cases ADD COLUMN job_id INTEGER;
CREATE UNIQUE INDEX mod_cases_by_job ON mod_cases (guild_id, job_id) WHERE job_id IS NOT NULL;
