-- The web dashboard's sessions, kept server-side. The browser holds a
-- random id in a cookie; only its hash is kept here, so a copy of the
-- database opens no session. A session ends after 12 hours idle, at
-- logout, and at /privacy forget.
CREATE TABLE web_sessions (
    id_hash    BLOB    PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL,
    -- The token every form of this session carries.
    csrf       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    seen_ms    INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
-- Logins under way: the OAuth2 state and PKCE verifier, bound to the
-- browser by a cookie of their own (its hash here), for ten minutes.
CREATE TABLE web_logins (
    id_hash    BLOB    PRIMARY KEY NOT NULL,
    state      TEXT    NOT NULL,
    verifier   TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
