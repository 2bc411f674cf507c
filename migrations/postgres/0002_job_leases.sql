-- A claim on a job names the process that holds it and ends at
-- claimed_until_ms unless that process renews it: the jobs of a process that
-- died are taken over by another once the claim has ended.
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
ALTER TABLE jobs ADD COLUMN claimed_until_ms BIGINT;
CREATE INDEX jobs_claimed ON jobs (claimed_until_ms) WHERE state = 'claimed';

-- Every process's scheduler sleeps until its next job; when any process
-- adds a job or moves one (a new reminder, a retry), the others are told on
-- the channel haven_jobs and look again. Only rows that are really added
-- or moved while pending count (a claim, or an insert that changed nothing,
-- wakes nobody); PostgreSQL sends one notice per transaction however many
-- rows it touched.
CREATE FUNCTION haven_jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('haven_jobs', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_added
    AFTER INSERT ON jobs
    FOR EACH ROW WHEN (NEW.state = 'pending')
    EXECUTE FUNCTION haven_jobs_changed();
CREATE TRIGGER jobs_moved
    AFTER UPDATE OF due_ms, state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'pending' AND (OLD.due_ms IS DISTINCT FROM NEW.due_ms OR OLD.state IS DISTINCT FROM NEW.state))
    EXECUTE FUNCTION haven_jobs_changed();
