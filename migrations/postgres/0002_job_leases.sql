-- A claim on a job names the process that holds it and ends at
-- claimed_until_ms unless that process renews it: the jobs of a process that
-- died are taken over by another once the claim has ended.
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
ALTER TABLE jobs ADD COLUMN claimed_until_ms BIGINT;
CREATE INDEX jobs_claimed ON jobs (claimed_until_ms) WHERE state = 'claimed';

-- Every process's scheduler sleeps until its next job; when any process
-- adds a job or moves one (a new reminder, a retry), the others are told on
-- the channel haven_jobs and look again. Claims change neither, so they
-- wake nobody.
CREATE FUNCTION haven_jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('haven_jobs', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_changed
    AFTER INSERT OR UPDATE OF due_ms ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION haven_jobs_changed();
