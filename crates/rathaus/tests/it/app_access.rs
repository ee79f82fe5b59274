//! The city's app acting for a citizen, on both databases: OAuth 2 authorization code
//! flow with PKCE against the real server (consent page, code, token endpoint, refresh
//! rotation, revocation), then the citizen's applications, status and postbox through
//! the JSON API with the token, including documents sent from the app. Bad requests and
//! stolen or replayed codes and tokens are refused with the answers RFC 6749, 6750 and
//! 7009 prescribe.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rathaus_store::entities::{app_code, app_grant, app_token, postbox_file, postbox_message};
use rathaus_store::sea_orm::sea_query::Expr;
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::accounts::{GOOD_PASSWORD, start};
use crate::assistant::{PDF, citizen};
use crate::harness::TestApp;
use crate::submissions::sent_application;
use crate::{on_both_backends, staff};

const APP: &str = "musterstadt-app";
const REDIRECT: &str = "http://127.0.0.1:61234/oauth";

/// A PKCE pair: the verifier the app keeps and the challenge it shows.
fn pkce(seed: &str) -> (String, String) {
    let verifier = format!("{seed}-{}", "v".repeat(50));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_query(challenge: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", REDIRECT),
        ("scope", "applications postbox"),
        ("state", "xyz-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{n}={}", urlencode(v)))
        .collect();
    format!("/oauth/authorize?{}", query.join("&"))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The consent form's fields as the page carries them, plus the decision.
async fn consent(app: &TestApp, cookie: &str, query: &str, decision: &str) -> reqwest::Response {
    let page = app.get_as(cookie, query).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Musterstadt-App möchte auf Ihr Konto zugreifen"),
        "{html}"
    );
    let mut fields: Vec<(String, String)> = html
        .split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let attr = |name: &str| {
                let start = input.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + input[start..].find('"').unwrap();
                input[start..end]
                    .replace("&amp;", "&")
                    .replace("&#x2F;", "/")
            };
            (attr("name"), attr("value"))
        })
        .collect();
    fields.push(("entscheidung".into(), decision.into()));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    app.post_as(cookie, "/oauth/authorize", &form).await
}

/// The citizen allows the app; returns the code.
async fn code_for(app: &TestApp, cookie: &str, challenge: &str) -> String {
    let allowed = consent(app, cookie, &authorize_query(challenge, &[]), "erlauben").await;
    assert_eq!(allowed.status(), 303);
    let back = query_of(&location(&allowed));
    assert_eq!(back["state"], "xyz-123");
    assert_eq!(back["iss"], app.base, "RFC 9207: the issuer is named");
    back["code"].clone()
}

async fn token(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let answer = app
        .client
        .post(app.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    assert_eq!(answer.headers()["cache-control"], "no-store");
    (status, answer.json().await.unwrap())
}

async fn exchange(app: &TestApp, code: &str, verifier: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", APP),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// Tokens for the citizen behind `cookie`, through the whole flow.
pub(crate) async fn tokens(app: &TestApp, cookie: &str, seed: &str) -> Value {
    let (verifier, challenge) = pkce(seed);
    let code = code_for(app, cookie, &challenge).await;
    let (status, tokens) = exchange(app, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

pub(crate) async fn api(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let answer = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn send(
    app: &TestApp,
    token: &str,
    reference: &str,
    form: reqwest::multipart::Form,
) -> (u16, Value) {
    let path = format!("/api/v1/me/applications/{reference}/messages");
    let answer = app
        .client
        .post(app.url(&path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

async fn messages_in_db(app: &TestApp) -> (usize, usize) {
    let messages = postbox_message::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap();
    let files = postbox_file::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap();
    (messages.len(), files.len())
}

on_both_backends!(
    the_app_follows_the_application_and_sends_the_missing_document,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;

        // The server describes itself to the app's OAuth library.
        let (_, meta) = api(&app, "", "/.well-known/oauth-authorization-server").await;
        assert_eq!(meta["issuer"], app.base);
        assert_eq!(meta["token_endpoint"], format!("{}/oauth/token", app.base));
        assert_eq!(
            meta["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );

        // Not logged in: the login comes first and leads back to the request.
        let (_, challenge) = pkce("erika");
        let query = authorize_query(&challenge, &[]);
        let anonymous = app.get(&query).await;
        assert_eq!(anonymous.status(), 303);
        assert!(location(&anonymous).starts_with("/konto/anmelden?weiter=/oauth/authorize%3F"));

        // The consent page names the app, the account and what it may do, and lets its
        // answer go to the app (browsers hold a form's redirect to `form-action`).
        let page = app.get_as(&erika, &query).await;
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            policy.contains("form-action 'self' http://127.0.0.1:61234;"),
            "{policy}"
        );
        let page = page.text().await.unwrap();
        for expected in [
            "erika@example.org",
            "Ihre Anträge mit Stand und Verlauf sehen",
            "Unterlagen senden",
        ] {
            assert!(page.contains(expected), "{expected}");
        }

        let issued = tokens(&app, &erika, "erika").await;
        assert_eq!(issued["token_type"], "Bearer");
        assert_eq!(issued["expires_in"], 3600);
        assert_eq!(issued["scope"], "applications postbox");
        let access = issued["access_token"].as_str().unwrap();

        // The applications, as in "Meine Anträge".
        let (status, list) = api(&app, access, "/api/v1/me/applications").await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["count"], 1);
        assert_eq!(list["applications"][0]["reference"], reference.as_str());
        assert_eq!(list["applications"][0]["status"], "Eingegangen");
        let one = format!("/api/v1/me/applications/{reference}");
        let (_, detail) = api(&app, access, &one).await;
        assert_eq!(detail["state"], "eingegangen");
        assert_eq!(detail["can_reply"], true);
        assert_eq!(detail["files"][0]["name"], "Bescheinigung.pdf");
        assert!(
            detail["answers"].to_string().contains("SG-AB 123"),
            "{detail}"
        );

        // The caseworker asks for a document; the app sees the status and the message.
        let vera = staff::session(&app, staff::CASEWORKER).await;
        let version = app
            .scalar(&format!(
                "SELECT CAST(version AS TEXT) AS v FROM cases WHERE reference = '{reference}'"
            ))
            .await
            .unwrap();
        let ask = [
            ("version", version.as_str()),
            ("schritt", "nachfordern"),
            ("nachricht", "Bitte senden Sie uns den Fahrzeugschein."),
        ];
        let case_step = format!("/verwaltung/vorgaenge/{reference}/schritt");
        assert_eq!(app.post_as(&vera, &case_step, &ask).await.status(), 303);
        let (_, list) = api(&app, access, "/api/v1/me/applications").await;
        assert_eq!(list["applications"][0]["state"], "unterlagen_nachgefordert");
        // The receipt and the request.
        assert_eq!(list["applications"][0]["unread_messages"], 2);
        let (status, messages) = api(&app, access, &format!("{one}/messages")).await;
        assert_eq!(status, 200);
        let last = messages["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["direction"], "to_applicant");
        let body = last["body"].as_str().unwrap();
        assert!(
            body.starts_with("Bitte senden Sie uns den Fahrzeugschein."),
            "{body}"
        );
        assert!(body.contains("Bitte antworten Sie bis zum"), "{body}");
        let (_, list) = api(&app, access, "/api/v1/me/applications").await;
        assert_eq!(list["applications"][0]["unread_messages"], 0, "read now");

        // A refused file refuses the whole message, and nothing is stored.
        let before = messages_in_db(&app).await;
        let bad = reqwest::multipart::Form::new()
            .text("text", "Anbei")
            .part(
                "files",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("schein.pdf"),
            )
            .part(
                "files",
                reqwest::multipart::Part::bytes(b"MZ\x90\x00 not a scan".to_vec())
                    .file_name("virus.pdf"),
            );
        let (status, problem) = send(&app, access, &reference, bad).await;
        assert_eq!(status, 422, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("virus.pdf"),
            "{problem}"
        );
        let empty = reqwest::multipart::Form::new().text("text", "  ");
        assert_eq!(send(&app, access, &reference, empty).await.0, 422);
        assert_eq!(messages_in_db(&app).await, before);

        // The document from the app lands in the case, as from the portal.
        let good = reqwest::multipart::Form::new()
            .text("text", "Anbei der Fahrzeugschein.")
            .part(
                "files",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("fahrzeugschein.pdf"),
            );
        let (status, sent) = send(&app, access, &reference, good).await;
        assert_eq!(status, 201, "{sent}");
        assert!(sent["id"].is_string());
        let case_page = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(case_page.contains("Anbei der Fahrzeugschein."));
        assert!(case_page.contains("fahrzeugschein.pdf"));
        let (_, messages) = api(&app, access, &format!("{one}/messages")).await;
        let last = messages["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["direction"], "from_applicant");
        assert_eq!(last["files"][0]["name"], "fahrzeugschein.pdf");

        // Someone else's application does not exist for this app, and cookies open nothing.
        let anna = citizen(&app, &smtp, "anna@example.org").await;
        let annas = tokens(&app, &anna, "anna").await;
        let annas = annas["access_token"].as_str().unwrap();
        assert_eq!(api(&app, annas, &one).await.0, 404);
        assert_eq!(api(&app, annas, &format!("{one}/messages")).await.0, 404);
        let (_, theirs) = api(&app, annas, "/api/v1/me/applications").await;
        assert_eq!(theirs["count"], 0);
        let with_cookie = app.get_as(&erika, "/api/v1/me/applications").await;
        assert_eq!(with_cookie.status(), 401);
        assert_eq!(with_cookie.headers()["www-authenticate"], "Bearer");
        let (status, _) = api(&app, "not-a-token", "/api/v1/me/applications").await;
        assert_eq!(status, 401);

        app.stop().await;
    }
);

on_both_backends!(
    codes_and_tokens_are_refused_when_stolen_replayed_or_misused,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;

        // Requests that cannot go back to the app are explained, never redirected.
        let (verifier, challenge) = pkce("erika");
        for wrong in [
            authorize_query(&challenge, &[("client_id", "unknown-app")]),
            authorize_query(
                &challenge,
                &[("redirect_uri", "https://evil.example/oauth")],
            ),
            authorize_query(
                &challenge,
                &[("redirect_uri", "http://localhost:61234/oauth")],
            ),
            authorize_query(&challenge, &[("redirect_uri", "")]),
        ] {
            let answer = app.get_as(&erika, &wrong).await;
            assert_eq!(answer.status(), 400, "{wrong}");
            assert!(answer.headers().get("location").is_none());
            assert!(
                answer
                    .text()
                    .await
                    .unwrap()
                    .contains("nicht weitergeleitet")
            );
        }
        // Everything else goes back to the app with the error.
        for (extra, error) in [
            (("code_challenge_method", "plain"), "invalid_request"),
            (("code_challenge_method", ""), "invalid_request"),
            (("code_challenge", "short"), "invalid_request"),
            (("response_type", "token"), "unsupported_response_type"),
            (("scope", "applications admin"), "invalid_scope"),
        ] {
            let answer = app
                .get_as(&erika, &authorize_query(&challenge, &[extra]))
                .await;
            assert_eq!(answer.status(), 303, "{extra:?}");
            let back = query_of(&location(&answer));
            assert_eq!(back["error"], error, "{extra:?}");
            assert_eq!(back["state"], "xyz-123");
        }
        // Saying no tells the app so, and creates nothing.
        let denied = consent(&app, &erika, &authorize_query(&challenge, &[]), "ablehnen").await;
        assert_eq!(query_of(&location(&denied))["error"], "access_denied");
        let grants = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM app_grants";
        assert_eq!(app.scalar(grants).await.as_deref(), Some("0"));
        // A consent form from elsewhere is refused (the CSRF check on every form).
        let forged = app
            .client
            .post(app.url("/oauth/authorize"))
            .header("cookie", &erika)
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .form(&[("entscheidung", "erlauben")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);

        // A code is bound to its verifier, redirect URI and client.
        let code = code_for(&app, &erika, &challenge).await;
        let (status, error) = exchange(&app, &code, &pkce("thief").0).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (status, error) = token(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", APP),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:61234/other"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (status, error) = token(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "unknown-app"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, error["error"].as_str()),
            (401, Some("invalid_client"))
        );
        let (status, error) = token(&app, &[("grant_type", "password"), ("client_id", APP)]).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("unsupported_grant_type"))
        );

        // The right one works once; used again, what it gave is revoked.
        let (status, first) = exchange(&app, &code, &verifier).await;
        assert_eq!(status, 200, "{first}");
        let access = first["access_token"].as_str().unwrap();
        assert_eq!(api(&app, access, "/api/v1/me/applications").await.0, 200);
        // Someone who saw the used code (a browser history) cannot end the access.
        let (status, _) = exchange(&app, &code, &pkce("onlooker").0).await;
        assert_eq!(status, 400);
        assert_eq!(api(&app, access, "/api/v1/me/applications").await.0, 200);
        let (status, error) = exchange(&app, &code, &verifier).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        assert_eq!(api(&app, access, "/api/v1/me/applications").await.0, 401);
        let reused = "SELECT action AS v FROM audit_log WHERE action = 'app.code_reused'";
        assert_eq!(app.scalar(reused).await.as_deref(), Some("app.code_reused"));

        // An expired code is refused.
        let (verifier, challenge) = pkce("late");
        let code = code_for(&app, &erika, &challenge).await;
        app_code::Entity::update_many()
            .col_expr(
                app_code::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .exec(app.db().conn())
            .await
            .unwrap();
        let (status, error) = exchange(&app, &code, &verifier).await;
        assert_eq!(
            (status, error["error_description"].as_str()),
            (400, Some("code expired"))
        );

        app.stop().await;
    }
);

on_both_backends!(
    refresh_tokens_rotate_and_the_citizen_can_end_an_apps_access,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let first = tokens(&app, &erika, "phone").await;

        // Each refresh gives a new pair; the old refresh token is spent.
        let (status, second) = refresh(&app, first["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{second}");
        assert_ne!(second["refresh_token"], first["refresh_token"]);
        let access = second["access_token"].as_str().unwrap();
        assert_eq!(api(&app, access, "/api/v1/me/applications").await.0, 200);
        // The spent one again: someone copied it, so the whole grant ends.
        let (status, error) = refresh(&app, first["refresh_token"].as_str().unwrap()).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        assert_eq!(api(&app, access, "/api/v1/me/applications").await.0, 401);
        let (status, _) = refresh(&app, second["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 400, "the newer refresh token went with the grant");

        // An app granted less gets less.
        let (verifier, challenge) = pkce("narrow");
        let narrow = authorize_query(&challenge, &[("scope", "applications")]);
        let allowed = consent(&app, &erika, &narrow, "erlauben").await;
        let code = query_of(&location(&allowed))["code"].clone();
        let (_, narrow) = exchange(&app, &code, &verifier).await;
        assert_eq!(narrow["scope"], "applications");
        let narrow = narrow["access_token"].as_str().unwrap();
        let reference = sent_application(&app, &erika).await;
        let messages = format!("/api/v1/me/applications/{reference}/messages");
        let refused = app
            .client
            .get(app.url(&messages))
            .bearer_auth(narrow)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        assert!(
            refused.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("insufficient_scope")
        );
        assert_eq!(api(&app, narrow, "/api/v1/me/applications").await.0, 200);

        // RFC 7009: the app logs out; the access token stops working.
        let laptop = tokens(&app, &erika, "laptop").await;
        let laptop_access = laptop["access_token"].as_str().unwrap();
        let revoked = app
            .client
            .post(app.url("/oauth/revoke"))
            .form(&[("token", laptop_access), ("client_id", APP)])
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 200);
        assert_eq!(
            api(&app, laptop_access, "/api/v1/me/applications").await.0,
            401
        );
        let (status, _) = refresh(&app, laptop["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200, "revoking an access token leaves the grant");

        // The account page lists the apps; ending one stops its tokens at once.
        let listed = app
            .get_as(&erika, "/konto/apps")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            listed
                .matches("<h2 class=\"kern-heading-medium\" id=\"app-")
                .count(),
            2,
            "{listed}"
        );
        let grant = listed
            .split("action=\"/konto/apps/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let anna = citizen(&app, &smtp, "anna@example.org").await;
        let path = format!("/konto/apps/{grant}/entziehen");
        assert_eq!(
            app.post_as(&anna, &path, &[]).await.status(),
            404,
            "not hers"
        );
        let ended = app.post_as(&erika, &path, &[]).await;
        assert_eq!(location(&ended), "/konto/apps?entzogen=1");
        let listed = app
            .get_as(&erika, "/konto/apps?entzogen=1")
            .await
            .text()
            .await
            .unwrap();
        assert!(listed.contains("Der Zugriff der App ist beendet."));
        assert_eq!(listed.matches("id=\"app-").count(), 1);
        let revokes =
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'app.revoke'";
        assert_eq!(app.scalar(revokes).await.as_deref(), Some("1"));

        // Logging out everywhere ends every app's access too.
        let phone = tokens(&app, &erika, "phone2").await;
        let phone_access = phone["access_token"].as_str().unwrap();
        assert_eq!(
            api(&app, phone_access, "/api/v1/me/applications").await.0,
            200
        );
        let out = app
            .post_as(&erika, "/konto/abmelden", &[("ueberall", "1")])
            .await;
        assert_eq!(out.status(), 303);
        assert_eq!(
            api(&app, phone_access, "/api/v1/me/applications").await.0,
            401
        );
        let (status, _) = refresh(&app, phone["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 400);

        app.stop().await;
    }
);

on_both_backends!(
    an_apps_access_stays_in_its_town_and_ends_with_time_and_the_password,
    |backend| async move {
        use rathaus_core::actor::{Actor, Origin};
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;

        // Another town on the same installation, with an app of the same client id.
        let mut elsewhere = rathaus_core::demo::musterstadt();
        elsewhere.slug = "anderstadt".into();
        elsewhere.name = "Stadt Anderstadt".into();
        elsewhere.hosts = vec!["anderstadt.localhost".into()];
        let system = Actor::system("test");
        let other = rathaus_core::tenants::create(app.db(), &system, &Origin::default(), elsewhere)
            .await
            .unwrap();
        let redirect = [REDIRECT.to_owned()];
        let twin = rathaus_core::app_access::NewClient {
            client_id: APP,
            name: "Anderstadt-App",
            redirect_uris: &redirect,
            scopes: &[],
        };
        rathaus_core::app_access::register(app.db(), &system, &Origin::default(), other.id, twin)
            .await
            .unwrap();
        app.server.tenants.reload().await.unwrap();

        let issued = tokens(&app, &erika, "erika").await;
        let access = issued["access_token"].as_str().unwrap();
        let in_the_other_town = |path: &str| {
            app.client
                .get(app.url(path))
                .header("host", "anderstadt.localhost")
                .bearer_auth(access)
        };
        let refused = in_the_other_town("/api/v1/me/applications")
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            401,
            "a token of Musterstadt opens nothing in Anderstadt"
        );
        let (verifier, challenge) = pkce("travel");
        let code = code_for(&app, &erika, &challenge).await;
        let other_town_token = |form: Vec<(&'static str, String)>| {
            app.client
                .post(app.url("/oauth/token"))
                .header("host", "anderstadt.localhost")
                .form(&form)
                .send()
        };
        let answer = other_town_token(vec![
            ("grant_type", "authorization_code".into()),
            ("client_id", APP.into()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.into()),
            ("code_verifier", verifier.clone()),
        ])
        .await
        .unwrap();
        assert_eq!(answer.status(), 400);
        let answer = other_town_token(vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", APP.into()),
            (
                "refresh_token",
                issued["refresh_token"].as_str().unwrap().into(),
            ),
        ])
        .await
        .unwrap();
        assert_eq!(answer.status(), 400);
        // At home the code still works: the refusals spent nothing.
        assert_eq!(exchange(&app, &code, &verifier).await.0, 200);

        // What answers a token is not cached; a hostile state is only ever text.
        let own = app
            .client
            .get(app.url("/api/v1/me/applications"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(own.headers()["cache-control"], "no-store");
        let (_, challenge) = pkce("state");
        let hostile = authorize_query(&challenge, &[("state", "\"><script>alert(1)</script>")]);
        let page = app.get_as(&erika, &hostile).await.text().await.unwrap();
        assert!(!page.contains("<script>alert(1)"), "escaped");
        assert!(
            page.contains("value=\"&#34;&#62;&#60;script&#62;alert(1)"),
            "as text"
        );

        // An access token lasts an hour.
        app_token::Entity::update_many()
            .col_expr(
                app_token::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .filter(app_token::Column::Kind.eq("access"))
            .exec(app.db().conn())
            .await
            .unwrap();
        let expired = app
            .client
            .get(app.url("/api/v1/me/applications"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(expired.status(), 401);
        assert_eq!(
            expired.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\""
        );
        let (status, fresh) = refresh(&app, issued["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{fresh}");
        let fresh_access = fresh["access_token"].as_str().unwrap();
        assert_eq!(
            api(&app, fresh_access, "/api/v1/me/applications").await.0,
            200
        );

        // Housekeeping removes what is dead and keeps what lives.
        let dead = tokens(&app, &erika, "dead").await;
        app_grant::Entity::update_many()
            .col_expr(
                app_grant::Column::CreatedAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::days(40)),
            )
            .exec(app.db().conn())
            .await
            .unwrap();
        app_token::Entity::update_many()
            .col_expr(
                app_token::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .filter(app_token::Column::TokenHash.is_in(
                ["access_token", "refresh_token"].map(|k| hex_sha256(dead[k].as_str().unwrap())),
            ))
            .exec(app.db().conn())
            .await
            .unwrap();
        let grants_before = app_grant::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap()
            .len();
        let purged = rathaus_core::app_access::purge_expired(app.db().conn())
            .await
            .unwrap();
        assert!(purged >= 3, "two tokens and a grant ({purged})");
        let grants_after = app_grant::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap()
            .len();
        assert!(grants_after < grants_before);
        assert_eq!(
            api(&app, fresh_access, "/api/v1/me/applications").await.0,
            200,
            "the live one stays"
        );

        // A new password ends every app's access.
        let changed = app
            .post_as(
                &erika,
                "/konto/passwort",
                &[
                    ("current_password", GOOD_PASSWORD),
                    ("password", "Neues Passwort Mond Stern"),
                ],
            )
            .await;
        assert_eq!(changed.status(), 303, "{}", changed.text().await.unwrap());
        assert_eq!(
            api(&app, fresh_access, "/api/v1/me/applications").await.0,
            401
        );
        let (status, _) = refresh(&app, fresh["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 400);

        app.stop().await;
    }
);

on_both_backends!(
    a_closed_application_takes_no_more_messages,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let issued = tokens(&app, &erika, "erika").await;
        let access = issued["access_token"].as_str().unwrap();
        let tenant = rathaus_core::tenants::by_slug(app.db().conn(), rathaus_core::demo::DEMO_SLUG)
            .await
            .unwrap()
            .unwrap()
            .id;
        let open_before = rathaus_core::cases::by_reference(app.db().conn(), tenant, &reference)
            .await
            .unwrap()
            .unwrap();
        rathaus_store::entities::case::Entity::update_many()
            .col_expr(
                rathaus_store::entities::case::Column::State,
                Expr::value("abgeschlossen"),
            )
            .col_expr(
                rathaus_store::entities::case::Column::Phase,
                Expr::value("closed"),
            )
            .exec(app.db().conn())
            .await
            .unwrap();
        let (_, detail) = api(
            &app,
            access,
            &format!("/api/v1/me/applications/{reference}"),
        )
        .await;
        assert_eq!(detail["can_reply"], false);
        let before = messages_in_db(&app).await;
        let late = reqwest::multipart::Form::new().text("text", "Noch eine Frage");
        let (status, problem) = send(&app, access, &reference, late).await;
        assert_eq!(status, 409, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("abgeschlossen")
        );
        let portal = app
            .post_as(
                &erika,
                &format!("/konto/antraege/{reference}/nachricht"),
                &[("nachricht", "Frage")],
            )
            .await;
        assert_eq!(portal.status(), 409);
        // Closed while the message was on its way (a page read before): refused too.
        let raced = rathaus_core::postbox::reply_from_applicant(
            app.db(),
            &app.server.blobs,
            &open_before,
            "Erika",
            "Noch etwas",
            Vec::new(),
        )
        .await;
        assert!(matches!(
            raced,
            Err(rathaus_core::error::CoreError::Conflict(_))
        ));
        assert_eq!(messages_in_db(&app).await, before);
        app.stop().await;
    }
);

fn hex_sha256(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
