//! Discord's OAuth2 authorization-code flow, as the fake Discord plays it,
//! so that a web login needs no Discord account in tests or the sandbox:
//! `GET /oauth2/authorize` shows a consent page for the member the browser
//! is "logged in to Discord" as ([`super::Sim::log_in_as`]), `POST` on it
//! redirects back with a code, `POST /api/v10/oauth2/token` trades the code
//! for an access token, and `GET /api/v10/users/@me` and
//! `/api/v10/users/@me/guilds` answer with that token. Checked as Discord
//! does: the client's id and secret, the same `redirect_uri`, PKCE with
//! S256 (`BASE64URL(SHA256(code_verifier)) == code_challenge`), a code used
//! once and within ten minutes, scopes `identify` and `guilds`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;
use sha2::Digest;

use super::{Inner, payloads};

/// The application's client secret in the fake Discord.
pub const CLIENT_SECRET: &str = "sim-client-secret";
/// How long a code may wait before it is traded.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// The OAuth2 grants in flight.
#[derive(Default)]
pub(super) struct OAuth {
    /// The member the browser is logged in to Discord as.
    pub browser: Option<u64>,
    codes: HashMap<String, Grant>,
    /// Access tokens, each to its member and scopes.
    tokens: HashMap<String, (u64, String)>,
}

struct Grant {
    user: u64,
    redirect_uri: String,
    challenge: String,
    scope: String,
    issued: Instant,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn token_error(error: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": error })),
    )
        .into_response()
}

fn random() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The form fields or query parameters of `raw`.
fn fields(raw: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect()
}

/// Answers the OAuth2 routes; `None` for any other request.
pub(super) fn handle(
    inner: &Inner,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (method.as_str(), path) {
        ("GET", "/oauth2/authorize") => Some(consent(inner, query.unwrap_or(""))),
        ("POST", "/oauth2/authorize") => Some(authorize(inner, query.unwrap_or(""))),
        ("POST", "/oauth2/token") => Some(token(inner, headers, &String::from_utf8_lossy(body))),
        ("GET", "/users/@me") => bearer.map(|t| me(inner, t)),
        ("GET", "/users/@me/guilds") => bearer.map(|t| guilds(inner, t)),
        _ => None,
    }
}

/// Why an authorization request is refused, if it is.
fn refused(inner: &Inner, q: &HashMap<String, String>) -> Option<&'static str> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if get("response_type") != "code" {
        return Some("response_type must be code");
    }
    if get("client_id") != inner.world.app_id.to_string() {
        return Some("unknown client_id");
    }
    if get("redirect_uri").is_empty() {
        return Some("redirect_uri is missing");
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return Some("PKCE with S256 is required");
    }
    let scopes: Vec<&str> = get("scope").split(' ').collect();
    if !scopes.contains(&"identify") || scopes.iter().any(|s| !["identify", "guilds"].contains(s)) {
        return Some("scope must be identify (and guilds)");
    }
    None
}

fn consent(inner: &Inner, query: &str) -> Response {
    let q = fields(query);
    if let Some(why) = refused(inner, &q) {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid OAuth2 request",
            &escape(why),
        );
    }
    let Some(user) = inner.state().oauth.browser else {
        return page(
            StatusCode::UNAUTHORIZED,
            "Log in to Discord",
            "<p>Nobody is logged in to the fake Discord in this browser.</p>",
        );
    };
    let name = inner
        .world
        .members
        .iter()
        .find(|m| m.id == user)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    page(
        StatusCode::OK,
        "Authorize Haven",
        &format!(
            "<p>Logged in as <strong>{}</strong>. Haven wants to know your username and which servers you are in.</p>\
             <form method=\"post\" action=\"/oauth2/authorize?{}\"><button type=\"submit\">Authorize</button></form>",
            escape(&name),
            escape(query)
        ),
    )
}

fn authorize(inner: &Inner, query: &str) -> Response {
    let q = fields(query);
    if let Some(why) = refused(inner, &q) {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid OAuth2 request",
            &escape(why),
        );
    }
    let Some(user) = inner.state().oauth.browser else {
        return page(StatusCode::UNAUTHORIZED, "Log in to Discord", "");
    };
    let code = random();
    let redirect_uri = q["redirect_uri"].clone();
    inner.update(|s| {
        s.oauth.codes.insert(
            code.clone(),
            Grant {
                user,
                redirect_uri: redirect_uri.clone(),
                challenge: q["code_challenge"].clone(),
                scope: q["scope"].clone(),
                issued: Instant::now(),
            },
        )
    });
    let mut to = url::Url::parse(&redirect_uri)
        .unwrap_or_else(|_| url::Url::parse("http://invalid/").expect("a valid url"));
    to.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = q.get("state") {
        to.query_pairs_mut().append_pair("state", state);
    }
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

fn token(inner: &Inner, headers: &HeaderMap, body: &str) -> Response {
    let f = fields(body);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    // The client's credentials: HTTP Basic or the form.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match &basic {
        Some(pair) => pair.split_once(':').unwrap_or((pair.as_str(), "")),
        None => (get("client_id"), get("client_secret")),
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    if decode(id) != inner.world.app_id.to_string() || decode(secret) != CLIENT_SECRET {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if get("grant_type") != "authorization_code" {
        return token_error("unsupported_grant_type");
    }
    // A code is used once, whatever happens.
    let Some(grant) = inner.update(|s| s.oauth.codes.remove(get("code"))) else {
        return token_error("invalid_grant");
    };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(get("code_verifier").as_bytes()));
    if grant.issued.elapsed() > CODE_LIFETIME
        || grant.redirect_uri != get("redirect_uri")
        || challenge != grant.challenge
    {
        return token_error("invalid_grant");
    }
    let access = random();
    inner.update(|s| {
        s.oauth
            .tokens
            .insert(access.clone(), (grant.user, grant.scope.clone()))
    });
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 604800,
        "refresh_token": random(),
        "scope": grant.scope,
    }))
    .into_response()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "401: Unauthorized", "code": 0})),
    )
        .into_response()
}

fn me(inner: &Inner, token: &str) -> Response {
    let Some((user, _)) = inner.state().oauth.tokens.get(token).cloned() else {
        return unauthorized();
    };
    let name = inner
        .world
        .members
        .iter()
        .find(|m| m.id == user)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    axum::Json(payloads::user(user, &name, false)).into_response()
}

fn guilds(inner: &Inner, token: &str) -> Response {
    let Some((user, scope)) = inner.state().oauth.tokens.get(token).cloned() else {
        return unauthorized();
    };
    if !scope.split(' ').any(|s| s == "guilds") {
        return unauthorized();
    }
    let world = &inner.world;
    let Some(member) = world.members.iter().find(|m| m.id == user) else {
        return axum::Json(json!([])).into_response();
    };
    let list: Vec<_> = world
        .guilds()
        .map(|g| {
            json!({
                "id": g.id.to_string(),
                "name": g.name,
                "icon": null,
                "owner": world.owner_id == user,
                "permissions": world.permissions_of(member).to_string(),
                "features": [],
            })
        })
        .collect();
    axum::Json(json!(list)).into_response()
}
