//! Passkeys as the second factor of staff, over HTTP on both databases. A small software
//! authenticator (P-256, "none" attestation, as the WebAuthn spec describes it) answers
//! the challenges; the browser test does the same with Chromium's virtual authenticator.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ciborium::Value;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use rathaus_core::demo::DEMO_STAFF;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, login, session, staff_cookie};

/// The demo tenant's registered host name: passkeys need a domain.
const HOST: &str = "musterstadt.localhost";

struct SoftAuthenticator {
    key: SigningKey,
    credential_id: Vec<u8>,
    counter: u32,
}

impl SoftAuthenticator {
    fn new() -> Self {
        Self {
            key: SigningKey::from_bytes(&random_32().into()).unwrap(),
            credential_id: random_32()[..16].to_vec(),
            counter: 0,
        }
    }

    fn client_data(kind: &str, options: &Json, origin: &str) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        serde_json::to_vec(&json!({
            "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false,
        }))
        .unwrap()
    }

    /// rpIdHash, flags (user present and verified, plus `extra`), signature counter.
    fn authenticator_data(&mut self, extra_flags: u8) -> Vec<u8> {
        self.counter += 1;
        let mut data = Sha256::digest(HOST.as_bytes()).to_vec();
        data.push(0x01 | 0x04 | extra_flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let int = |i: i64| Value::Integer(i.into());
        let key = Value::Map(vec![
            (int(1), int(2)),
            (int(3), int(-7)),
            (int(-1), int(1)),
            (int(-2), Value::Bytes(point.x().unwrap().to_vec())),
            (int(-3), Value::Bytes(point.y().unwrap().to_vec())),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&key, &mut out).unwrap();
        out
    }

    /// The answer to `navigator.credentials.create`.
    fn register(&mut self, options: &Json, origin: &str) -> Json {
        let client_data = Self::client_data("webauthn.create", options, origin);
        let mut auth_data = self.authenticator_data(0x40);
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let attestation = Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::into_writer(&attestation, &mut attestation_object).unwrap();
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": B64.encode(attestation_object),
                "clientDataJSON": B64.encode(client_data),
            },
            "extensions": {},
        })
    }

    /// The answer to `navigator.credentials.get`.
    fn sign(&mut self, options: &Json, origin: &str) -> Json {
        let client_data = Self::client_data("webauthn.get", options, origin);
        let auth_data = self.authenticator_data(0);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(auth_data),
                "clientDataJSON": B64.encode(client_data),
                "signature": B64.encode(signature.as_bytes()),
                "userHandle": null,
            },
            "extensions": {},
        })
    }
}

/// Unpredictable bytes for test keys: the random bits of two UUIDv7, hashed.
fn random_32() -> [u8; 32] {
    let seed = [uuid::Uuid::now_v7(), uuid::Uuid::now_v7()];
    Sha256::digest(format!("{seed:?}")).into()
}

fn origin(app: &TestApp) -> String {
    app.base.replace("127.0.0.1", HOST)
}

/// POSTs JSON as the browser script does, at the registered host name.
async fn post_json(app: &TestApp, cookie: &str, path: &str, body: &Json) -> (u16, Json) {
    let host = origin(app).trim_start_matches("http://").to_owned();
    let response = app
        .client
        .post(app.url(path))
        .header("host", host)
        .header("cookie", cookie)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    let mut body: Json = response.json().await.unwrap_or(Json::Null);
    if let Some(cookie) = cookie {
        body["_cookie"] = Json::String(cookie);
    }
    (status, body)
}

async fn add_passkey(app: &TestApp, cookie: &str, key: &mut SoftAuthenticator) -> (u16, Json) {
    let name = json!({ "name": "Laptop" });
    let (status, options) = post_json(
        app,
        cookie,
        "/verwaltung/sicherheit/passkeys/optionen",
        &name,
    )
    .await;
    assert_eq!(status, 200, "{options}");
    let credential = key.register(&options, &origin(app));
    let body = json!({ "name": "Laptop", "credential": credential });
    post_json(app, cookie, "/verwaltung/sicherheit/passkeys", &body).await
}

/// The password step: the pending session's cookie.
async fn pending(app: &TestApp, who: usize) -> String {
    let demo = &DEMO_STAFF[who];
    staff_cookie(&login(app, demo.email, demo.password).await)
}

async fn login_options(app: &TestApp, pending: &str) -> (u16, Json) {
    let path = "/verwaltung/anmelden/passkey/optionen";
    post_json(app, pending, path, &json!({})).await
}

async fn passkey_login(app: &TestApp, pending: &str, credential: Json) -> (u16, Json) {
    let body = json!({ "weiter": "/verwaltung/protokoll", "credential": credential });
    post_json(app, pending, "/verwaltung/anmelden/passkey", &body).await
}

async fn audit_count(app: &TestApp, action: &str, details: &str) -> i64 {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = '{action}' \
         AND CAST(details AS TEXT) LIKE '%{details}%'"
    );
    app.scalar(&sql).await.unwrap().parse().unwrap()
}

on_both_backends!(
    a_passkey_is_added_and_completes_the_login,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        let mut key = SoftAuthenticator::new();

        let (status, answer) = add_passkey(&app, &admin, &mut key).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["weiter"],
            "/verwaltung/sicherheit?erledigt=passkey-hinzugefuegt"
        );
        assert_eq!(audit_count(&app, "staff.passkey_added", "Laptop").await, 1);
        // The same authenticator is excluded from a second registration.
        let name = json!({ "name": "again" });
        let (_, options) = post_json(
            &app,
            &admin,
            "/verwaltung/sicherheit/passkeys/optionen",
            &name,
        )
        .await;
        let excluded = options["publicKey"]["excludeCredentials"][0]["id"].as_str();
        assert_eq!(excluded, Some(B64.encode(&key.credential_id).as_str()));

        // Password, then the passkey: a full session, a new session id, the way back.
        let first = pending(&app, ADMIN).await;
        let (status, options) = login_options(&app, &first).await;
        assert_eq!(status, 200, "{options}");
        let allowed = options["publicKey"]["allowCredentials"][0]["id"].as_str();
        assert_eq!(allowed, Some(B64.encode(&key.credential_id).as_str()));
        let answer = key.sign(&options, &origin(&app));
        let (status, body) = passkey_login(&app, &first, answer.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["weiter"], "/verwaltung/protokoll");
        let full = body["_cookie"].as_str().unwrap().to_owned();
        assert_ne!(full, first);
        assert_eq!(app.get_as(&full, "/verwaltung").await.status(), 200);
        assert_eq!(
            app.get_as(&first, "/verwaltung/anmelden/code")
                .await
                .status(),
            303,
            "the pending session is over"
        );
        assert_eq!(audit_count(&app, "staff.login", "passkey").await, 1);

        // The same answer again, in a new pending session with its own challenge.
        let second = pending(&app, ADMIN).await;
        let (status, _) = login_options(&app, &second).await;
        assert_eq!(status, 200);
        let (status, body) = passkey_login(&app, &second, answer).await;
        assert_eq!(status, 401, "a replayed answer is refused: {body}");
        assert!(body["fehler"].as_str().unwrap().contains("nicht geprüft"));

        // A different key under the same credential id (a forged authenticator).
        let (_, options) = login_options(&app, &second).await;
        let mut forger = SoftAuthenticator::new();
        forger.credential_id = key.credential_id.clone();
        forger.counter = 100;
        let forged = forger.sign(&options, &origin(&app));
        assert_eq!(passkey_login(&app, &second, forged).await.0, 401);

        // An answer signed for another site (phishing proxy) is refused.
        let (_, options) = login_options(&app, &second).await;
        let phished = key.sign(&options, "http://musterstadt.example.evil");
        assert_eq!(passkey_login(&app, &second, phished).await.0, 401);

        // Without a challenge first, nothing is accepted; the real key still works.
        let stale = key.sign(&options, &origin(&app));
        assert_eq!(passkey_login(&app, &second, stale).await.0, 401);
        let (_, options) = login_options(&app, &second).await;
        let good = key.sign(&options, &origin(&app));
        assert_eq!(passkey_login(&app, &second, good).await.0, 200);
        app.stop().await;
    }
);

on_both_backends!(
    passkeys_are_refused_where_they_cannot_work,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        // At 127.0.0.1 (not a registered host name) there is no passkey, and the page
        // says where they work.
        let page = app.get_as(&admin, "/verwaltung/sicherheit").await;
        assert_eq!(page.status(), 200);
        let text = page.text().await.unwrap();
        assert!(text.contains(HOST) && !text.contains("data-passkey-register"));
        let options = app
            .client
            .post(app.url("/verwaltung/sicherheit/passkeys/optionen"))
            .header("cookie", &admin)
            .json(&json!({ "name": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(options.status(), 400);

        // A name is required before the authenticator is asked.
        let (status, body) = post_json(
            &app,
            &admin,
            "/verwaltung/sicherheit/passkeys/optionen",
            &json!({ "name": "  " }),
        )
        .await;
        assert_eq!(status, 422);
        assert!(body["fehler"].as_str().unwrap().contains("Bezeichnung"));

        // Without passkeys, the login step offers none.
        let first = pending(&app, CASEWORKER).await;
        assert_eq!(login_options(&app, &first).await.0, 404);

        // A registration answer without its challenge, or garbage, adds nothing.
        let mut key = SoftAuthenticator::new();
        let fake_options = json!({ "publicKey": { "challenge": B64.encode([7u8; 32]) } });
        let credential = key.register(&fake_options, &origin(&app));
        let body = json!({ "name": "Laptop", "credential": credential });
        let (status, _) = post_json(&app, &admin, "/verwaltung/sicherheit/passkeys", &body).await;
        assert_eq!(status, 422);
        let garbage = json!({ "name": "Laptop", "credential": { "id": 1 } });
        let (status, _) =
            post_json(&app, &admin, "/verwaltung/sicherheit/passkeys", &garbage).await;
        assert_eq!(status, 422);
        assert_eq!(audit_count(&app, "staff.passkey_added", "").await, 0);

        // Someone else's passkey cannot be removed; one's own can.
        assert_eq!(add_passkey(&app, &admin, &mut key).await.0, 200);
        let name = app.scalar("SELECT name AS v FROM staff_passkeys").await;
        assert_eq!(name.as_deref(), Some("Laptop"));
        let page = app.get_as(&admin, "/verwaltung/sicherheit").await;
        let text = page.text().await.unwrap();
        let action = text
            .split("action=\"/verwaltung/sicherheit/passkeys/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let path = format!("/verwaltung/sicherheit/passkeys/{action}");
        let caseworker = session(&app, CASEWORKER).await;
        assert_eq!(app.post_as(&caseworker, &path, &[]).await.status(), 404);
        let removed = app.post_as(&admin, &path, &[]).await;
        assert_eq!(removed.status(), 303);
        assert_eq!(
            app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM staff_passkeys")
                .await
                .as_deref(),
            Some("0")
        );
        assert_eq!(audit_count(&app, "staff.passkey_removed", "").await, 1);
        app.stop().await;
    }
);

on_both_backends!(
    wrong_passkey_answers_count_as_failed_logins,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        let mut key = SoftAuthenticator::new();
        assert_eq!(add_passkey(&app, &admin, &mut key).await.0, 200);
        let first = pending(&app, ADMIN).await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let (_, options) = login_options(&app, &first).await;
            let wrong = key.sign(&options, "http://elsewhere.localhost");
            statuses.push(passkey_login(&app, &first, wrong).await.0);
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
        // Locked: even the right answer waits.
        let (_, options) = login_options(&app, &first).await;
        let right = key.sign(&options, &origin(&app));
        assert_eq!(passkey_login(&app, &first, right).await.0, 429);
        app.stop().await;
    }
);

on_both_backends!(
    new_recovery_codes_replace_the_old_ones,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        let renew = "/verwaltung/sicherheit/wiederherstellungscodes";
        let codes_on = |page: String| -> Vec<String> {
            page.split("<li><code>")
                .skip(1)
                .filter_map(|rest| rest.split("</code>").next())
                .map(str::to_owned)
                .collect()
        };
        let first = codes_on(app.post_as(&admin, renew, &[]).await.text().await.unwrap());
        assert_eq!(first.len(), 10);
        let second = codes_on(app.post_as(&admin, renew, &[]).await.text().await.unwrap());
        assert_eq!(second.len(), 10);
        assert!(first.iter().all(|c| !second.contains(c)));
        let page = app.get_as(&admin, "/verwaltung/sicherheit").await;
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("Wiederherstellungscodes: 10")
        );

        // An old code no longer opens the login; a new one does, once.
        let old = pending(&app, ADMIN).await;
        let refused = crate::staff::submit_code(&app, &old, &first[0]).await;
        assert_eq!(refused.status(), 401);
        let done = crate::staff::submit_code(&app, &old, &second[0]).await;
        assert_eq!(done.status(), 303);
        let again = pending(&app, ADMIN).await;
        let reused = crate::staff::submit_code(&app, &again, &second[0]).await;
        assert_eq!(reused.status(), 401);
        let renewed = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log \
                       WHERE action = 'staff.recovery_codes_renewed'";
        assert_eq!(app.scalar(renewed).await.as_deref(), Some("2"));
        app.stop().await;
    }
);
