-- Only rows that are really added or moved while pending tell the other
-- processes (on haven_jobs) to look again: a claim, or an insert that
-- changed nothing, wakes nobody. PostgreSQL sends one notice per
-- transaction however many rows it touched. This replaces 0002's trigger,
-- which fired for every INSERT and every change of due_ms, and missed a
-- claim handed back (a state change to pending).
DROP TRIGGER IF EXISTS jobs_changed ON jobs;
DROP TRIGGER IF EXISTS jobs_added ON jobs;
DROP TRIGGER IF EXISTS jobs_moved ON jobs;
CREATE TRIGGER jobs_added
    AFTER INSERT ON jobs
    FOR EACH ROW WHEN (NEW.state = 'pending')
    EXECUTE FUNCTION haven_jobs_changed();
CREATE TRIGGER jobs_moved
    AFTER UPDATE OF due_ms, state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'pending' AND (OLD.due_ms IS DISTINCT FROM NEW.due_ms OR OLD.state IS DISTINCT FROM NEW.state))
    EXECUTE FUNCTION haven_jobs_changed();
