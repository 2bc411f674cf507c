-- A server's own time in a voice meeting's channel that counts as coming
-- (`/settings attendance`); NULL keeps the operator's HAVEN_ATTEND_MINUTES.
ALTER TABLE guild_settings ADD COLUMN attend_minutes INTEGER;
