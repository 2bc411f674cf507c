-- How many had said they were going to each counted voice occurrence
-- (people, never who), kept beside how many came; NULL for counts taken
-- before this was kept.
ALTER TABLE attendance_counts ADD COLUMN going INTEGER;
