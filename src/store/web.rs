//! The web dashboard's sessions and logins under way, server-side. The
//! browser holds a random id; only its hash is stored, so a copy of the
//! database opens nothing.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use super::{Db, StoreResult};
use crate::domain::UserId;

/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// A login must come back from Discord within this.
pub const LOGIN_LIFETIME: Duration = Duration::minutes(10);

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub user: UserId,
    /// The token every form of the session carries.
    pub csrf: String,
}

/// A login under way: what the browser is sent to Discord with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebLogin {
    /// The cookie that binds the login to this browser.
    pub cookie: String,
    pub state: String,
    /// PKCE's verifier (only its S256 challenge goes to Discord).
    pub verifier: String,
}

/// 32 random bytes as URL-safe text.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether two secrets are equal, compared in constant time (for their
/// length).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn hash(id: &str) -> Vec<u8> {
    blake3::hash(id.as_bytes()).as_bytes().to_vec()
}

impl Db {
    /// Starts a session for `user`; returns the cookie's id (kept here only
    /// as a hash) and the session.
    pub async fn create_web_session(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<(String, WebSession)> {
        let id = random_token();
        let csrf = random_token();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO web_sessions (id_hash, user_id, csrf, created_ms, seen_ms) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(hash(&id))
            .bind(user.as_db())
            .bind(&csrf)
            .bind(now.timestamp_millis())
            .execute(pool)
            .await?;
            Ok::<(), super::StoreError>(())
        })?;
        Ok((id, WebSession { user, csrf }))
    }

    /// The session of cookie id `id`, if it is open at `now` (and it is
    /// kept open for another idle period); one idle too long is ended.
    pub async fn web_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebSession>> {
        let key = hash(id);
        on_pool!(self, |pool| {
            let row: Option<(i64, String, i64)> = sqlx::query_as(
                "SELECT user_id, csrf, seen_ms FROM web_sessions WHERE id_hash = $1",
            )
            .bind(&key)
            .fetch_optional(pool)
            .await?;
            let Some((user, csrf, seen)) = row else {
                return Ok(None);
            };
            if now.timestamp_millis() - seen > SESSION_IDLE.num_milliseconds() {
                sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
                    .bind(&key)
                    .execute(pool)
                    .await?;
                return Ok(None);
            }
            sqlx::query("UPDATE web_sessions SET seen_ms = $2 WHERE id_hash = $1")
                .bind(&key)
                .bind(now.timestamp_millis())
                .execute(pool)
                .await?;
            Ok(Some(WebSession {
                user: UserId::from_db(user),
                csrf,
            }))
        })
    }

    /// Ends the session of cookie id `id` (logout).
    pub async fn end_web_session(&self, id: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
                .bind(hash(id))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Starts a login: a state and a PKCE verifier, bound to a cookie.
    pub async fn start_web_login(&self, now: DateTime<Utc>) -> StoreResult<WebLogin> {
        let login = WebLogin {
            cookie: random_token(),
            state: random_token(),
            verifier: random_token(),
        };
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO web_logins (id_hash, state, verifier, created_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(hash(&login.cookie))
            .bind(&login.state)
            .bind(&login.verifier)
            .bind(now.timestamp_millis())
            .execute(pool)
            .await?;
            Ok::<(), super::StoreError>(())
        })?;
        Ok(login)
    }

    /// Takes the login of cookie `cookie` back from Discord with `state`:
    /// its verifier, once, if the state matches and it is recent enough.
    pub async fn take_web_login(
        &self,
        cookie: &str,
        state: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        let key = hash(cookie);
        on_pool!(self, |pool| {
            let row: Option<(String, String, i64)> = sqlx::query_as(
                "DELETE FROM web_logins WHERE id_hash = $1 RETURNING state, verifier, created_ms",
            )
            .bind(&key)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(s, verifier, created)| {
                let fresh = now.timestamp_millis() - created <= LOGIN_LIFETIME.num_milliseconds();
                // The state is a secret too.
                (fresh && same_secret(&s, state)).then_some(verifier)
            }))
        })
    }

    /// Sessions idle too long and logins never finished: deleted (daily).
    pub async fn purge_web(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let sessions = sqlx::query("DELETE FROM web_sessions WHERE seen_ms < $1")
                .bind((now - SESSION_IDLE).timestamp_millis())
                .execute(pool)
                .await?
                .rows_affected();
            let logins = sqlx::query("DELETE FROM web_logins WHERE created_ms < $1")
                .bind((now - LOGIN_LIFETIME).timestamp_millis())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(sessions + logins)
        })
    }
}
