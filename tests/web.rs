//! The web dashboard without a browser: a login through the fake
//! Discord's OAuth2 with PKCE and a state bound to the browser, the
//! cookies' flags, the security headers, a forged state or a login from
//! another browser refused, a logout that needs the session's CSRF token
//! and its own Origin, and /privacy forget ending the session.

mod common;

use haven::clock::{SharedClock, SystemClock};
use haven::sim::{Sim, World};
use haven::web::{LOGIN_COOKIE, SESSION_COOKIE, Web, WebConfig};
use reqwest::header;

struct Site {
    url: String,
    sim: Sim,
    db: haven::store::Db,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = haven::store::Db::open(&common::backend::url(&dir).await)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let clock: SharedClock = SystemClock::shared();
    let web = Web::new(
        db.clone(),
        clock,
        WebConfig {
            public_url: url.clone(),
            discord: sim.base_url(),
            client_id: sim.world().app_id.to_string(),
            client_secret: haven::sim::oauth::CLIENT_SECRET.to_owned(),
        },
    )
    .unwrap();
    tokio::spawn(async move {
        axum::serve(listener, haven::web::router(web))
            .await
            .unwrap();
    });
    Site {
        url,
        sim,
        db,
        _dir: dir,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value a response sets for cookie `name`, with its attributes.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn value(set: &str) -> String {
    set.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

/// Logs `name` in; returns the session cookie's value.
async fn log_in(site: &Site, name: &str) -> String {
    let http = http();
    let start = http
        .get(format!("{}/login", site.url))
        .send()
        .await
        .unwrap();
    assert!(start.status().is_redirection());
    let login = set_cookie(&start, LOGIN_COOKIE).expect("a login cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(login.contains(flag), "{login}");
    }
    let to_discord = location(&start);
    assert!(
        to_discord.contains("code_challenge_method=S256"),
        "{to_discord}"
    );
    site.sim.log_in_as(Some(&site.sim.member(name)));
    let back = http.post(&to_discord).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let callback = location(&back);
    assert!(
        callback.starts_with(&format!("{}/auth/callback", site.url)),
        "{callback}"
    );
    let done = http
        .get(&callback)
        .header(header::COOKIE, format!("{LOGIN_COOKIE}={}", value(&login)))
        .send()
        .await
        .unwrap();
    assert!(done.status().is_redirection(), "{:?}", done.status());
    assert_eq!(location(&done), "/me", "always to a page of our own");
    let session = set_cookie(&done, SESSION_COOKIE).expect("a session cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(
        !session.contains("Domain"),
        "a __Host- cookie has no Domain"
    );
    value(&session)
}

async fn get(site: &Site, path: &str, session: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", site.url))
        .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_logs_in_sees_their_data_and_logs_out() {
    let site = site().await;
    let session = log_in(&site, "alice").await;
    let me = get(&site, "/me", &session).await;
    assert_eq!(me.status(), 200);
    let csp = me.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(me.headers()[header::REFERRER_POLICY], "same-origin");
    let body = me.text().await.unwrap();
    assert!(
        body.contains("My data") && body.contains("Log out"),
        "{body}"
    );
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the logout form carries a token")
        .to_owned();
    let export = get(&site, "/me/export.json", &session).await;
    assert_eq!(export.status(), 200);
    let json: serde_json::Value = serde_json::from_slice(&export.bytes().await.unwrap()).unwrap();
    assert_eq!(
        json["data"]["user_id"],
        site.sim.member("alice").id.to_string()
    );

    // The time zone, set from the page as /timezone set does.
    let zone = |origin: &str, zone: &str| {
        http()
            .post(format!("{}/me/timezone", site.url))
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .header(header::ORIGIN, origin.to_owned())
            .form(&[("csrf", csrf.as_str()), ("zone", zone)])
            .send()
    };
    assert_eq!(
        zone("https://evil.example", "Asia/Tokyo")
            .await
            .unwrap()
            .status(),
        403
    );
    let set = zone(&site.url, "Europe/Berlin").await.unwrap();
    assert!(set.status().is_redirection());
    let body = get(&site, "/me", &session).await.text().await.unwrap();
    assert!(body.contains("value=\"Europe/Berlin\""), "{body}");
    let wrong = zone(&site.url, "Europe/Berln").await.unwrap();
    assert_eq!(wrong.status(), 422);
    let text = wrong.text().await.unwrap();
    assert!(
        text.contains("Did you mean") && text.contains("Europe/Berlin"),
        "{text}"
    );
    let body = get(&site, "/me", &session).await.text().await.unwrap();
    assert!(body.contains("value=\"Europe/Berlin\""), "nothing changed");

    // A logout from another site (no Origin, or another one) or without the
    // token is refused; from the page it ends the session.
    let post = |origin: Option<&str>, token: &str| {
        let mut r = http()
            .post(format!("{}/logout", site.url))
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .form(&[("csrf", token)]);
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        r.send()
    };
    assert_eq!(post(None, &csrf).await.unwrap().status(), 403);
    assert_eq!(
        post(Some("https://evil.example"), &csrf)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(post(Some(&site.url), "forged").await.unwrap().status(), 403);
    let out = post(Some(&site.url), &csrf).await.unwrap();
    assert!(out.status().is_redirection());
    assert!(
        set_cookie(&out, SESSION_COOKIE)
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = get(&site, "/me", &session).await;
    assert_eq!(location(&after), "/", "the session is over");

    // /privacy forget ends every session.
    let session = log_in(&site, "alice").await;
    assert_eq!(get(&site, "/me", &session).await.status(), 200);
    site.db
        .forget_member(haven::domain::UserId(site.sim.member("alice").id))
        .await
        .unwrap();
    assert_eq!(location(&get(&site, "/me", &session).await), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_state_or_a_login_from_another_browser_is_refused() {
    let site = site().await;
    let http = http();
    let start = http
        .get(format!("{}/login", site.url))
        .send()
        .await
        .unwrap();
    let login = value(&set_cookie(&start, LOGIN_COOKIE).unwrap());
    site.sim.log_in_as(Some(&site.sim.member("bob")));
    let back = http.post(location(&start)).send().await.unwrap();
    let callback = location(&back);

    // Opened in another browser (no login cookie): refused, no session.
    let other = http.get(&callback).send().await.unwrap();
    assert_eq!(other.status(), 400);
    assert!(set_cookie(&other, SESSION_COOKIE).is_none());
    // A forged state: refused, and the login is spent.
    let mut forged = url::Url::parse(&callback).unwrap();
    let code: String = forged
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "forged");
    let r = http
        .get(forged.as_str())
        .header(header::COOKIE, format!("{LOGIN_COOKIE}={login}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(set_cookie(&r, SESSION_COOKIE).is_none());
    let r = http
        .get(&callback)
        .header(header::COOKIE, format!("{LOGIN_COOKIE}={login}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "spent by the forged try");
    let text = r.text().await.unwrap();
    assert!(
        text.contains("Please log in again") && !text.contains("invalid_grant"),
        "{text}"
    );
    // Without a session, /me sends you to the start.
    let r = http.get(format!("{}/me", site.url)).send().await.unwrap();
    assert_eq!(location(&r), "/");
}

fn data_with(texts: &[String]) -> haven::domain::privacy::MemberData {
    use haven::domain::privacy::*;
    let now = chrono::Utc::now();
    MemberData {
        user_id: haven::domain::UserId(1_500_000_000_000_000_003),
        timezone: texts.first().map(|t| StoredZone {
            zone: t.clone(),
            set_at: now,
        }),
        rsvps: texts
            .iter()
            .map(|t| StoredRsvp {
                meeting_id: 1,
                meeting_title: t.clone(),
                occurrence: now,
                answer: t.clone(),
            })
            .collect(),
        meeting_dms: texts
            .iter()
            .map(|t| StoredMeetingDm {
                meeting_id: 1,
                meeting_title: t.clone(),
            })
            .collect(),
        journal: None,
        dm_notice_servers: Vec::new(),
        toolkit: Vec::new(),
        shared_strategies: Vec::new(),
        moderation: Vec::new(),
        cw_posts: Vec::new(),
        not_counted_at_voice_meetings: false,
        counted_now_in_meetings: 0,
    }
}

proptest::proptest! {
    /// Whatever members wrote (a meeting's title, an answer, a zone's
    /// name), it renders as text: the page has exactly the markup it has
    /// with plain words in their place (a raw `<` from any input would
    /// add to the count).
    #[test]
    fn no_input_renders_markup(texts in proptest::collection::vec(".{0,40}", 1..4)) {
        let page = haven::web::my_data_page(&data_with(&texts), "token").into_string();
        let plain: Vec<String> = texts.iter().map(|_| "plain".to_owned()).collect();
        let reference = haven::web::my_data_page(&data_with(&plain), "token").into_string();
        let tags = |s: &str| s.matches('<').count();
        proptest::prop_assert_eq!(tags(&page), tags(&reference));
    }
}
