-- A retried job keeps the time it was planned for: `due_ms` is when it is
-- next tried, `planned_ms` when it was meant to happen (the grace period
-- and the "never after the meeting started" rule are measured from it).
ALTER TABLE jobs ADD COLUMN planned_ms INTEGER;
UPDATE jobs SET planned_ms = due_ms;

-- Where a meeting happens: a voice or stage channel mention, or a link.
ALTER TABLE meetings ADD COLUMN location TEXT;
