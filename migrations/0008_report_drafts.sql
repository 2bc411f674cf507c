-- What a "Report to facilitators" menu saw of the message, kept only until
-- the reporter sends the form (or for an hour at most). Discord hands a
-- message's text to the menu alone (Haven has no Message Content intent),
-- so the form's id carries only this row's id, and nothing in it can be
-- forged to excerpt another channel.
CREATE TABLE mod_report_drafts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    reporter_id INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    excerpt     TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX mod_report_drafts_by_age ON mod_report_drafts (created_ms);
