-- Categories a server marked sensitive, besides grief and recovery (which
-- always are): left out of a prompt rotation with no category, and shown
-- with a content note.
CREATE TABLE sensitive_categories (
    guild_id BIGINT  NOT NULL,
    category TEXT    NOT NULL,
    PRIMARY KEY (guild_id, category)
);
