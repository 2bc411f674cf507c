-- Haven's posts in a log channel (a case's embed, a report's card) whose
-- record has passed its retention: deleted from Discord at Discord's pace,
-- and kept here only until they are, so a restart loses none of them.
CREATE TABLE mod_log_cleanup (
    guild_id   INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, message_id)
) WITHOUT ROWID;
