//! The web dashboard: Discord login (OAuth2 authorization code with PKCE
//! and a state bound to the browser), sessions kept server-side in Haven's
//! database, and the member's own page, *My data*. Pages are rendered on
//! the server (maud escapes every value) and work without JavaScript.
//!
//! Cookies are `__Host-` (Secure, Path=/, no Domain), HttpOnly and
//! SameSite=Lax; every form carries the session's CSRF token and its
//! Origin is checked; every answer forbids framing and inline script.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};

use crate::clock::SharedClock;
use crate::domain::UserId;
use crate::domain::privacy::Export;
use crate::store::{Db, WebSession};

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-haven";
/// The cookie of a login under way.
pub const LOGIN_COOKIE: &str = "__Host-haven-login";

/// Where the dashboard is and how it reaches Discord.
#[derive(Clone)]
pub struct WebConfig {
    /// The dashboard's public address (`HAVEN_PUBLIC_URL`), without a
    /// trailing slash: the OAuth2 redirect and the Origin checked.
    pub public_url: String,
    /// Discord's address (or the fake Discord's).
    pub discord: String,
    pub client_id: String,
    /// Never logged.
    pub client_secret: String,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("public_url", &self.public_url)
            .field("discord", &self.discord)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .finish()
    }
}

/// What every page can reach.
#[derive(Clone)]
pub struct Web {
    pub db: Db,
    pub clock: SharedClock,
    pub config: Arc<WebConfig>,
    http: reqwest::Client,
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

impl Web {
    pub fn new(db: Db, clock: SharedClock, config: WebConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // The token endpoint must not redirect us anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Self {
            db,
            clock,
            config: Arc::new(config),
            http,
        })
    }

    fn oauth(&self) -> anyhow::Result<Client> {
        let c = &self.config;
        Ok(BasicClient::new(ClientId::new(c.client_id.clone()))
            .set_client_secret(ClientSecret::new(c.client_secret.clone()))
            .set_auth_uri(AuthUrl::new(format!("{}/oauth2/authorize", c.discord))?)
            .set_token_uri(TokenUrl::new(format!(
                "{}/api/v10/oauth2/token",
                c.discord
            ))?)
            .set_redirect_uri(RedirectUrl::new(format!("{}/auth/callback", c.public_url))?))
    }
}

/// Serves the dashboard on `addr` until `shutdown`.
pub async fn serve(
    addr: std::net::SocketAddr,
    web: Web,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("HAVEN_WEB_ADDR {addr}: cannot listen: {e}"))?;
    tracing::info!(%addr, public = %web.config.public_url, "web dashboard listening");
    let app = router(web);
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(error = %e, "the web dashboard stopped");
        }
    }))
}

/// The dashboard's routes.
pub fn router(web: Web) -> axum::Router {
    axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/logout", post(logout))
        .route("/me", get(my_data))
        .route("/me/export.json", get(export))
        .route("/me/timezone", post(set_timezone))
        .fallback(not_found)
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(web)
}

/// Headers on every answer: no framing, no inline script, no referrer
/// beyond the site, nothing cached.
async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self' https://discord.com; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · Haven" }
            }
            body {
                main { h1 { (title) } (body) }
            }
        }
    }
}

fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    (
        status,
        axum::response::Html(layout(title, body).into_string()),
    )
        .into_response()
}

/// A calm page for anything that went wrong, with no internals.
fn sorry(status: StatusCode, what: &str) -> Response {
    page(
        status,
        "Something went wrong",
        html! { p { (what) } p { a href="/" { "Back to the start" } } },
    )
}

/// An internal failure: logged with a reference, the visitor sees only it.
fn internal(e: impl std::fmt::Display) -> Response {
    let reference = crate::store::random_token()[..6].to_uppercase();
    tracing::error!(%reference, error = %e, "web: internal failure");
    sorry(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!(
            "Sorry, that didn't work on our side. If it keeps happening, mention reference {reference}."
        ),
    )
}

async fn not_found() -> Response {
    sorry(StatusCode::NOT_FOUND, "There is no page here.")
}

/// A cookie value by name.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_s}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The signed-in session, if any.
async fn session(web: &Web, headers: &HeaderMap) -> Result<Option<(String, WebSession)>, Response> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match web.db.web_session(id, web.clock.now()).await {
        Ok(s) => Ok(s.map(|s| (id.to_owned(), s))),
        Err(e) => Err(internal(e)),
    }
}

async fn home(State(web): State<Web>, headers: HeaderMap) -> Response {
    match session(&web, &headers).await {
        Err(r) => r,
        Ok(Some(_)) => Redirect::to("/me").into_response(),
        Ok(None) => page(
            StatusCode::OK,
            "Haven",
            html! {
                p { "See and manage what Haven keeps about you, and your groups if you facilitate them." }
                p { a href="/login" { "Log in with Discord" } }
            },
        ),
    }
}

async fn login(State(web): State<Web>) -> Response {
    let login = match web.db.start_web_login(web.clock.now()).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let client = match web.oauth() {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let verifier = PkceCodeVerifier::new(login.verifier.clone());
    let state = login.state.clone();
    let (url, _) = client
        .authorize_url(move || CsrfToken::new(state))
        .add_scope(Scope::new("identify".into()))
        .add_scope(Scope::new("guilds".into()))
        .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
        .url();
    let mut r = Redirect::to(url.as_str()).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_COOKIE,
            &login.cookie,
            crate::store::LOGIN_LIFETIME.num_seconds(),
        ),
    );
    r
}

#[derive(serde::Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    if q.error.is_some() {
        return sorry(
            StatusCode::BAD_REQUEST,
            "Discord didn't log you in (you may have cancelled). You can try again.",
        );
    }
    let login: Option<&str> = cookie(&headers, LOGIN_COOKIE);
    let (Some(code), Some(state), Some(login)) = (q.code, q.state, login) else {
        return sorry(
            StatusCode::BAD_REQUEST,
            "This login link is incomplete or was opened in another browser. Please log in again.",
        );
    };
    let verifier = match web.db.take_web_login(login, &state, web.clock.now()).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            return sorry(
                StatusCode::BAD_REQUEST,
                "This login has expired or didn't start in this browser. Please log in again.",
            );
        }
        Err(e) => return internal(e),
    };
    let client = match web.oauth() {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let token = match client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&web.http)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(error = %e, "web: Discord refused a login code");
            return sorry(
                StatusCode::BAD_REQUEST,
                "Discord didn't accept this login. Please log in again.",
            );
        }
    };
    let user = match who(&web, token.access_token().secret()).await {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let (id, _) = match web.db.create_web_session(user, web.clock.now()).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    // Always to a page of our own: never where a link says.
    let mut r = Redirect::to("/me").into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &id,
            crate::store::SESSION_IDLE.num_seconds(),
        ),
    );
    h.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0));
    r
}

/// Who the access token belongs to (`users/@me`). The token is used once
/// and not kept.
async fn who(web: &Web, token: &str) -> anyhow::Result<UserId> {
    let r = web
        .http
        .get(format!("{}/api/v10/users/@me", web.config.discord))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let me: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
    let id = me["id"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| anyhow::anyhow!("users/@me without an id"))?;
    Ok(UserId(id))
}

/// A form's CSRF token and Origin, checked against the session.
fn form_ok(web: &Web, headers: &HeaderMap, session: &WebSession, token: &str) -> bool {
    let origin_ok = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o == web.config.public_url);
    origin_ok && crate::store::same_secret(token, &session.csrf)
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// The session a form was sent from, its token and Origin checked; else
/// the answer to give (the start page, or a refusal).
async fn form_session(
    web: &Web,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(String, WebSession), Response> {
    let Some((id, s)) = session(web, headers).await? else {
        return Err(Redirect::to("/").into_response());
    };
    if !form_ok(web, headers, &s, csrf) {
        return Err(sorry(
            StatusCode::FORBIDDEN,
            "That form came from somewhere else or has expired. Please try again from the page.",
        ));
    }
    Ok((id, s))
}

async fn logout(
    State(web): State<Web>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    let (id, _) = match form_session(&web, &headers, &form.csrf).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if let Err(e) = web.db.end_web_session(&id).await {
        return internal(e);
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    r
}

/// The signed-in member's session and everything kept about them; with
/// no session, the way to the start.
async fn own_data(
    web: &Web,
    headers: &HeaderMap,
) -> Result<(WebSession, crate::domain::privacy::MemberData), Response> {
    let s = match session(web, headers).await? {
        None => return Err(Redirect::to("/").into_response()),
        Some((_, s)) => s,
    };
    let data = web.db.member_data(s.user).await.map_err(internal)?;
    Ok((s, data))
}

async fn my_data(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (s, data) = match own_data(&web, &headers).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    (
        StatusCode::OK,
        axum::response::Html(my_data_page(&data, &s.csrf).into_string()),
    )
        .into_response()
}

/// The *My data* page for `data`, its forms carrying `csrf`. Every value
/// is escaped by maud: no member's text can become markup.
pub fn my_data_page(data: &crate::domain::privacy::MemberData, csrf: &str) -> Markup {
    layout(
        "My data",
        html! {
            p { "Everything Haven keeps about you, in every server. Only you can see this page." }
            dl {
                dt { "Time zone" }
                dd { (data.timezone.as_ref().map_or("Not set", |z| z.zone.as_str())) }
                dt { "Meeting answers" }
                dd { (data.rsvps.len()) }
                @for r in &data.rsvps {
                    dd { (r.meeting_title) ": " (r.answer) }
                }
                dt { "Meetings you get reminders for by direct message" }
                @if data.meeting_dms.is_empty() { dd { "None" } }
                @for m in &data.meeting_dms { dd { (m.meeting_title) } }
                dt { "Journal" }
                dd { (if data.journal.is_some() { "You keep one (only you can see it)." } else { "Off" }) }
                dt { "Toolkit" }
                dd { (data.toolkit.len()) " saved" }
                dt { "Strategies you shared" }
                dd { (data.shared_strategies.len()) }
                dt { "Voice meetings" }
                dd {
                    (if data.not_counted_at_voice_meetings {
                        "You asked not to be counted."
                    } else {
                        "Counted anonymously, as part of a number."
                    })
                }
            }
            form method="post" action="/me/timezone" {
                input type="hidden" name="csrf" value=(csrf);
                label for="zone" { "Your time zone" }
                " "
                input id="zone" name="zone" type="text" maxlength="100" autocomplete="off"
                    placeholder="Europe/Berlin"
                    value=(data.timezone.as_ref().map_or("", |z| z.zone.as_str()));
                " "
                button type="submit" { "Save" }
            }
            p { a href="/me/export.json" download="haven-my-data.json" { "Download all of it (JSON)" } }
            form method="post" action="/logout" {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Log out" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct ZoneForm {
    csrf: String,
    zone: String,
}

/// Sets the member's own time zone, as `/timezone set` does; a zone it
/// does not know is answered with the nearest names, and nothing changes.
async fn set_timezone(
    State(web): State<Web>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ZoneForm>,
) -> Response {
    let (_, s) = match form_session(&web, &headers, &form.csrf).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let zone: String = form.zone.chars().take(100).collect();
    let tz = match crate::domain::zones::parse_zone(&zone) {
        Ok(tz) => tz,
        Err(e) => {
            let names: Vec<&str> = e.suggestions.iter().map(|tz| tz.name()).collect();
            let hint = if names.is_empty() {
                "Time zones are written like Europe/Berlin or America/New_York.".to_owned()
            } else {
                format!("Did you mean {}?", names.join(", "))
            };
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "That time zone isn't known",
                html! {
                    p { "I don't know the time zone “" (zone) "”. " (hint) " Nothing was changed." }
                    p { a href="/me" { "Back to My data" } }
                },
            );
        }
    };
    if let Err(e) = web
        .db
        .set_member_timezone(s.user, tz, web.clock.now())
        .await
    {
        return internal(e);
    }
    Redirect::to("/me").into_response()
}

async fn export(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (_, data) = match own_data(&web, &headers).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"haven-my-data.json\"",
            ),
        ],
        Export::new(&data, web.clock.now()).to_json(),
    )
        .into_response()
}
