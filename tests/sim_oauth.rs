//! The fake Discord's OAuth2, checked as Discord checks it: a login with
//! PKCE goes through for the member the browser is logged in as, and every
//! way of getting it wrong (a code used twice, another verifier, another
//! redirect, a wrong secret, no PKCE, nobody logged in) is refused.

use base64::Engine;
use haven::sim::world::GUILD_ID;
use haven::sim::{Sim, World};
use serde_json::Value;
use sha2::Digest;

const REDIRECT: &str = "http://127.0.0.1:9/auth/callback";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorize_url(sim: &Sim, challenge: &str, extra: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth2/authorize", sim.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &sim.world().app_id.to_string())
        .append_pair("scope", "identify guilds")
        .append_pair("state", "s-123")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    format!("{url}{extra}")
}

/// Consents and returns the code Discord sends back (checking the state).
async fn code_for(sim: &Sim, verifier: &str) -> String {
    let http = client();
    let url = authorize_url(sim, &challenge(verifier), "");
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Authorize Haven") && page.contains("alice"),
        "{page}"
    );
    let back = http.post(&url).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let to = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    assert!(to.as_str().starts_with(REDIRECT), "{to}");
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "s-123");
    q["code"].clone()
}

async fn trade(
    sim: &Sim,
    code: &str,
    verifier: &str,
    redirect: &str,
    secret: &str,
) -> (u16, Value) {
    let app = sim.world().app_id.to_string();
    let r = client()
        .post(format!("{}/api/v10/oauth2/token", sim.base_url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
            ("client_id", &app),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_with_pkce_goes_through_and_every_mistake_is_refused() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let alice = sim.member("alice");
    let verifier = "a-verifier-of-at-least-forty-three-characters-long-0123";

    // Nobody logged in to Discord: no consent page.
    let nobody = client()
        .get(authorize_url(&sim, &challenge(verifier), ""))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 401);

    sim.log_in_as(Some(&alice));
    let secret = haven::sim::oauth::CLIENT_SECRET;
    let code = code_for(&sim, verifier).await;
    let (status, token) = trade(&sim, &code, verifier, REDIRECT, secret).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    let access = token["access_token"].as_str().unwrap().to_owned();

    // The token says who, and which servers.
    let get = |path: &str, token: &str| {
        client()
            .get(format!("{}/api/v10{path}", sim.base_url()))
            .bearer_auth(token)
            .send()
    };
    let me: Value = serde_json::from_slice(
        &get("/users/@me", &access)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(me["id"], alice.id.to_string());
    let guilds: Value = serde_json::from_slice(
        &get("/users/@me/guilds", &access)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        guilds
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"].as_str() == Some(&*GUILD_ID.to_string())
                && g["permissions"].is_string()),
        "{guilds}"
    );
    assert_eq!(
        get("/users/@me", "not-a-token").await.unwrap().status(),
        401
    );

    // A code is used once.
    let (status, again) = trade(&sim, &code, verifier, REDIRECT, secret).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Another verifier, another redirect: refused (and the code is spent).
    for (v, redirect) in [
        (
            "another-verifier-entirely-of-forty-three-chars-xx",
            REDIRECT,
        ),
        (verifier, "http://127.0.0.1:9/elsewhere"),
    ] {
        let code = code_for(&sim, verifier).await;
        let (status, e) = trade(&sim, &code, v, redirect, secret).await;
        assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
        let (status, _) = trade(&sim, &code, verifier, REDIRECT, secret).await;
        assert_eq!(status, 400, "spent by the failed try");
    }
    // A wrong client secret.
    let code = code_for(&sim, verifier).await;
    let (status, e) = trade(&sim, &code, verifier, REDIRECT, "guess").await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));

    // No PKCE, or a plain one: refused at the consent page.
    let plain = authorize_url(&sim, "x", "")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(client().get(plain).send().await.unwrap().status(), 400);
}
