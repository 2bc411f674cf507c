-- Anonymous attendance of voice meetings. While an occurrence is open (from
-- ten minutes before its start to its end): a random salt, and each person
-- in its channel only as a keyed hash under that salt, with the time
-- counted so far and since when they are in it now. When the occurrence
-- ends the hashes become one count, and the salt and hashes are deleted.
CREATE TABLE attendance_salts (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    occurrence BIGINT NOT NULL,
    salt       BYTEA   NOT NULL,
    PRIMARY KEY (meeting_id, occurrence)
);
CREATE TABLE attendance_presence (
    meeting_id BIGINT NOT NULL,
    occurrence BIGINT NOT NULL,
    hash       BYTEA   NOT NULL,
    counted_ms BIGINT NOT NULL DEFAULT 0,
    since_ms   BIGINT,
    PRIMARY KEY (meeting_id, occurrence, hash),
    FOREIGN KEY (meeting_id, occurrence) REFERENCES attendance_salts (meeting_id, occurrence) ON DELETE CASCADE
);
-- What an occurrence came to: people, never who.
CREATE TABLE attendance_counts (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id   BIGINT NOT NULL,
    occurrence BIGINT NOT NULL,
    came       BIGINT NOT NULL,
    stayed     BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, occurrence)
);
-- Members who said "don't count me" (`/privacy attendance counted:false`).
CREATE TABLE attendance_optouts (
    user_id BIGINT PRIMARY KEY NOT NULL
);
