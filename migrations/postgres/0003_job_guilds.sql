-- Every job of a server names that server, so that a process running some of
-- the shards works the jobs of its own servers first (their posts count
-- against its share of Discord's global rate limit) and another process's
-- only once they are overdue. Jobs planned before this knew their server
-- only through their meeting, round or prompt schedule.
UPDATE jobs SET guild_id = (SELECT m.guild_id FROM meetings m WHERE m.id = jobs.meeting_id)
WHERE guild_id IS NULL AND meeting_id IS NOT NULL;
UPDATE jobs SET guild_id = (SELECT r.guild_id FROM rounds r WHERE r.id = jobs.round_id)
WHERE guild_id IS NULL AND round_id IS NOT NULL;
UPDATE jobs SET guild_id = (SELECT p.guild_id FROM prompt_schedules p WHERE p.channel_id = jobs.schedule_channel_id)
WHERE guild_id IS NULL AND schedule_channel_id IS NOT NULL;
