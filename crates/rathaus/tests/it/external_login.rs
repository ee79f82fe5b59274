//! Login through a real OpenID Connect provider (npm `oidc-provider`): trust levels from
//! `acr`, identity data taken over, and the attacks: an unknown `acr`, a replayed or
//! forged `state`, an ID token altered on the way, a return link from another browser.

use rathaus_core::identity::{self, Audience, GroupMapping, NewProvider};
use rathaus_core::trust::TrustLevel;

use crate::accounts::{
    GOOD_PASSWORD, count_citizens, login, registered_and_confirmed, session_cookie, start,
};
use crate::harness::{OidcProvider, SmtpServer, TestApp};
use crate::on_both_backends;

pub(crate) const SLUG: &str = "test-eid";
/// The same provider configured as a BundID bridge with claims of its own.
const BRIDGE: &str = "test-bridge";

/// The test provider's `acr` values and the trust levels they stand for.
pub(crate) const EIDAS_LEVELS: &[(&str, TrustLevel)] = &[
    ("http://eidas.europa.eu/LoA/low", TrustLevel::Niedrig),
    (
        "http://eidas.europa.eu/LoA/substantial",
        TrustLevel::Substanziell,
    ),
    ("http://eidas.europa.eu/LoA/high", TrustLevel::Hoch),
];

/// The app with the provider configured for its tenant.
pub(crate) async fn setup(backend: rathaus_store::Backend) -> (TestApp, SmtpServer, OidcProvider) {
    let (app, smtp) = start(backend).await;
    let return_url = |slug| format!("{}/konto/anmelden/extern/{slug}/rueckkehr", app.base);
    let provider = OidcProvider::start(&format!("{},{}", return_url(SLUG), return_url(BRIDGE)));
    let tenant = rathaus_core::tenants::by_slug(app.db().conn(), rathaus_core::demo::DEMO_SLUG)
        .await
        .unwrap()
        .expect("the test app serves the demo tenant")
        .id;
    identity::add_provider(
        app.db(),
        &app.server.sealer,
        tenant,
        NewProvider {
            slug: SLUG,
            name: "Test-eID",
            issuer: &provider.issuer,
            client_id: "rathaus",
            client_secret: "rathaus-test-secret",
            scopes: &["email", "profile", "address"],
            acr_levels: EIDAS_LEVELS,
            claims: Default::default(),
            audience: Audience::Citizens,
            groups: GroupMapping::default(),
        },
    )
    .await
    .unwrap();
    (app, smtp, provider)
}

/// A browser-like client: keeps cookies, follows no redirects by itself.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn location(response: &reqwest::Response, base: &str) -> String {
    let to = response.headers()["location"].to_str().unwrap();
    if to.starts_with("http") {
        to.to_owned()
    } else {
        format!("{base}{to}")
    }
}

/// Goes from "log in with Test-eID" through the provider's login form (choosing
/// `person`) to the app's return URL; returns that URL (not yet opened).
async fn through_provider(
    client: &reqwest::Client,
    app: &TestApp,
    provider: &OidcProvider,
    person: &str,
) -> String {
    let start = format!("/konto/anmelden/extern/{SLUG}?weiter=/konto");
    through_provider_from(client, app, provider, &start, person).await
}

/// The same from any login start (`start`: the app's path that sends to the provider).
pub(crate) async fn through_provider_from(
    client: &reqwest::Client,
    app: &TestApp,
    provider: &OidcProvider,
    start: &str,
    person: &str,
) -> String {
    let start = client.get(app.url(start)).send().await.unwrap();
    assert_eq!(start.status(), 303);
    let mut url = location(&start, &app.base);
    assert!(url.starts_with(&provider.issuer), "{url}");
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("nonce="),
        "{url}"
    );
    loop {
        let response = client.get(&url).send().await.unwrap();
        if response.status() == 200 {
            let interaction = url.trim_end_matches('/').to_owned();
            let posted = client
                .post(format!("{interaction}/login"))
                .form(&[("person", person)])
                .send()
                .await
                .unwrap();
            assert_eq!(posted.status(), 303, "the provider accepts the login");
            url = location(&posted, &provider.issuer);
            continue;
        }
        assert!(
            response.status().is_redirection(),
            "{}: {}",
            url,
            response.status()
        );
        url = location(&response, &provider.issuer);
        if url.starts_with(&app.base) {
            return url;
        }
    }
}

on_both_backends!(
    an_eid_login_opens_an_account_with_confirmed_data,
    |backend| async move {
        let (app, _smtp, provider) = setup(backend).await;
        let page = app.get("/konto/anmelden").await.text().await.unwrap();
        assert!(page.contains("Mit Test-eID anmelden"));

        let client = browser();
        let back = through_provider(&client, &app, &provider, "erika").await;
        let done = client.get(&back).send().await.unwrap();
        assert_eq!(
            done.status(),
            303,
            "{}",
            done.text().await.unwrap_or_default()
        );
        assert_eq!(done.headers()["location"], "/konto");
        let cookie = session_cookie(&done);
        let overview = app.get_as(&cookie, "/konto").await.text().await.unwrap();
        assert!(overview.contains("erika.eid@example.org") && overview.contains("Heidestraße"));
        assert!(overview.contains("durch Test-eID bestätigt"));
        assert_eq!(
            app.scalar("SELECT trust_level AS v FROM sessions")
                .await
                .as_deref(),
            Some("substanziell")
        );
        assert_eq!(
            app.scalar("SELECT house_number AS v FROM citizens")
                .await
                .as_deref(),
            Some("17")
        );

        // Again: the same account, not a second one.
        let client = browser();
        let back = through_provider(&client, &app, &provider, "erika").await;
        assert_eq!(client.get(&back).send().await.unwrap().status(), 303);
        assert_eq!(count_citizens(&app).await, 1);
        app.stop().await;
    }
);

on_both_backends!(
    a_bridge_with_claims_of_its_own_is_read_through_its_mapping,
    |backend| async move {
        let (app, _smtp, provider) = setup(backend).await;
        let tenant = rathaus_core::tenants::by_slug(app.db().conn(), rathaus_core::demo::DEMO_SLUG)
            .await
            .unwrap()
            .unwrap()
            .id;
        let claims = identity::ClaimMapping::from_pairs(&[
            ("trust", "trustLevel"),
            ("given_name", "urn:oid:2.5.4.42"),
            ("family_name", "urn:oid:2.5.4.4"),
            ("birth_date", "geburtsdatum"),
            ("street", "postanschrift.strasse"),
            ("house_number", "postanschrift.hausnummer"),
            ("postcode", "postanschrift.plz"),
            ("city", "postanschrift.ort"),
        ])
        .unwrap();
        identity::add_provider(
            app.db(),
            &app.server.sealer,
            tenant,
            NewProvider {
                slug: BRIDGE,
                name: "Test-Brücke",
                issuer: &provider.issuer,
                client_id: "rathaus",
                client_secret: "rathaus-test-secret",
                scopes: &["email", "bundid"],
                acr_levels: &[
                    ("STORK-QAA-Level-3", TrustLevel::Substanziell),
                    ("STORK-QAA-Level-4", TrustLevel::Hoch),
                ],
                claims,
                audience: Audience::Citizens,
                groups: GroupMapping::default(),
            },
        )
        .await
        .unwrap();
        let start = format!("/konto/anmelden/extern/{BRIDGE}?weiter=/konto");

        // Bernd's `acr` is "low", which this provider does not even map: his trust
        // level is the mapped claim's.
        let client = browser();
        let back = through_provider_from(&client, &app, &provider, &start, "bernd").await;
        let done = client.get(&back).send().await.unwrap();
        assert_eq!(done.status(), 303);
        assert_eq!(
            app.scalar("SELECT trust_level AS v FROM sessions")
                .await
                .as_deref(),
            Some("hoch")
        );
        let row = |column: &str| {
            let sql =
                format!("SELECT {column} AS v FROM citizens WHERE email = 'bernd@example.org'");
            let app = &app;
            async move { app.scalar(&sql).await.unwrap_or_default() }
        };
        assert_eq!(row("given_name").await, "Bernd");
        assert_eq!(row("family_name").await, "Brückner");
        assert_eq!(row("street").await, "Lindenweg");
        assert_eq!(row("house_number").await, "5b");
        assert_eq!(row("postcode").await, "42651");
        assert_eq!(row("city").await, "Solingen");
        let overview = app
            .get_as(&session_cookie(&done), "/konto")
            .await
            .text()
            .await
            .unwrap();
        assert!(overview.contains("1971-02-03"), "the birth date taken over");
        assert!(overview.contains("durch Test-Brücke bestätigt"));

        // Bianca's level in the mapped claim is one nobody configured: refused, however
        // good her `acr`.
        let client = browser();
        let back = through_provider_from(&client, &app, &provider, &start, "bianca").await;
        let refused = client.get(&back).send().await.unwrap();
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("Vertrauensniveau"));
        assert_eq!(count_citizens(&app).await, 1, "only Bernd");
        app.stop().await;
    }
);

on_both_backends!(
    a_weak_login_does_not_confirm_identity_data,
    |backend| async move {
        let (app, _smtp, provider) = setup(backend).await;
        let client = browser();
        let back = through_provider(&client, &app, &provider, "max").await;
        let done = client.get(&back).send().await.unwrap();
        assert_eq!(
            done.status(),
            303,
            "{}",
            done.text()
                .await
                .unwrap_or_default()
                .split("<main")
                .nth(1)
                .unwrap_or("")
        );
        assert_eq!(
            app.scalar("SELECT trust_level AS v FROM sessions")
                .await
                .as_deref(),
            Some("niedrig")
        );
        assert_eq!(
            app.scalar("SELECT given_name AS v FROM citizens")
                .await
                .as_deref(),
            Some("Max")
        );
        assert_eq!(
            app.scalar("SELECT identity_verified_by AS v FROM citizens")
                .await,
            None
        );
        app.stop().await;
    }
);

on_both_backends!(
    unknown_levels_replays_forged_state_and_altered_tokens_are_refused,
    |backend| async move {
        let (app, _smtp, provider) = setup(backend).await;
        let mallory = browser();
        let unknown = through_provider(&mallory, &app, &provider, "mallory").await;
        let refused = mallory.get(&unknown).send().await.unwrap();
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("Vertrauensniveau"));

        let eve = browser();
        let altered = through_provider(&eve, &app, &provider, "eve").await;
        let refused = eve.get(&altered).send().await.unwrap();
        assert_eq!(
            refused.status(),
            400,
            "a token whose signature does not match is refused"
        );
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("ließ sich nicht bestätigen")
        );
        assert_eq!(count_citizens(&app).await, 0, "nobody got in");
        // The control: a token signed anew with the provider's key, unchanged, is good.
        let rita = browser();
        let back = through_provider(&rita, &app, &provider, "rita").await;
        assert_eq!(rita.get(&back).send().await.unwrap().status(), 303);
        assert_eq!(count_citizens(&app).await, 1);
        // Each check of the ID token on its own: a foreign key, no signature, and a
        // token the provider really signed, but for another login, issuer or client.
        for person in ["trudy", "oscar", "nora", "ian", "audrey"] {
            let client = browser();
            let back = through_provider(&client, &app, &provider, person).await;
            let refused = client.get(&back).send().await.unwrap();
            assert_eq!(refused.status(), 400, "{person}");
            assert!(
                refused
                    .text()
                    .await
                    .unwrap()
                    .contains("ließ sich nicht bestätigen"),
                "{person}"
            );
            assert!(
                client
                    .get(app.url("/konto"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .is_redirection()
            );
        }
        assert_eq!(count_citizens(&app).await, 1, "only Rita got in");

        // Login CSRF: the attacker's own return link, opened in the victim's browser, does
        // not log the victim into the attacker's account.
        let attacker = browser();
        let planted = through_provider(&attacker, &app, &provider, "erika").await;
        let victim = browser().get(&planted).send().await.unwrap();
        assert_eq!(victim.status(), 400);
        assert!(victim.text().await.unwrap().contains("anderen Browser"));
        assert_eq!(count_citizens(&app).await, 1, "still only Rita");

        let hanna = browser();
        let good = through_provider(&hanna, &app, &provider, "hanna").await;
        assert_eq!(hanna.get(&good).send().await.unwrap().status(), 303);
        let replay = hanna.get(&good).send().await.unwrap();
        assert_eq!(replay.status(), 400, "a state works once");
        assert!(replay.text().await.unwrap().contains("abgelaufen"));
        let forged = app
            .get(&format!(
                "/konto/anmelden/extern/{SLUG}/rueckkehr?code=abc&state=made-up"
            ))
            .await;
        assert_eq!(forged.status(), 400);
        let cancelled = app
            .get(&format!(
                "/konto/anmelden/extern/{SLUG}/rueckkehr?error=access_denied&state=x"
            ))
            .await;
        assert!(cancelled.text().await.unwrap().contains("abgebrochen"));
        assert_eq!(count_citizens(&app).await, 2, "Rita and Hanna");
        app.stop().await;
    }
);

on_both_backends!(
    an_existing_account_is_linked_only_by_its_owner,
    |backend| async move {
        let (app, smtp, provider) = setup(backend).await;
        registered_and_confirmed(&app, &smtp, "erika.eid@example.org").await;
        let client = browser();
        let back = through_provider(&client, &app, &provider, "erika").await;
        let refused = client.get(&back).send().await.unwrap();
        assert_eq!(refused.status(), 400, "no takeover by e-mail address");
        assert!(refused.text().await.unwrap().contains("schon ein Konto"));

        // The owner logs in with the password, then with the eID: both are linked.
        let owner = browser();
        let local = owner
            .post(app.url("/konto/anmelden"))
            .form(&[
                ("email", "erika.eid@example.org"),
                ("password", GOOD_PASSWORD),
                ("weiter", "/konto"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(local.status(), 303);
        let by_password = session_cookie(&local);
        let back = through_provider(&owner, &app, &provider, "erika").await;
        assert_eq!(owner.get(&back).send().await.unwrap().status(), 303);
        assert_eq!(count_citizens(&app).await, 1);
        // The eID login replaced the session it started from (a new id, the old gone).
        assert_eq!(app.get_as(&by_password, "/konto").await.status(), 303);
        assert_eq!(
            owner.get(app.url("/konto")).send().await.unwrap().status(),
            200
        );
        let client = browser();
        let later = through_provider(&client, &app, &provider, "erika").await;
        assert_eq!(
            client.get(&later).send().await.unwrap().status(),
            303,
            "now the eID alone logs in"
        );
        assert_eq!(
            login(&app, "erika.eid@example.org", GOOD_PASSWORD, "/konto")
                .await
                .status(),
            303
        );
        app.stop().await;
    }
);

on_both_backends!(
    an_eid_only_account_confirms_changes_by_a_recent_login,
    |backend| async move {
        use rathaus_store::entities::session;
        use rathaus_store::sea_orm::{EntityTrait, sea_query::Expr};
        let (app, _smtp, provider) = setup(backend).await;
        let client = browser();
        let back = through_provider(&client, &app, &provider, "erika").await;
        let cookie = session_cookie(&client.get(&back).send().await.unwrap());
        let form = app
            .get_as(&cookie, "/konto/loeschen")
            .await
            .text()
            .await
            .unwrap();
        assert!(form.contains("kein Passwort") && !form.contains("current_password"));

        // A login an hour ago is not enough.
        let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
        session::Entity::update_many()
            .col_expr(session::Column::CreatedAt, Expr::value(an_hour_ago))
            .exec(app.db().conn())
            .await
            .unwrap();
        let stale = app
            .post_as(&cookie, "/konto/passwort", &[("password", GOOD_PASSWORD)])
            .await;
        assert_eq!(stale.status(), 422);
        assert!(stale.text().await.unwrap().contains("erneut an"));

        // Fresh from the provider: a first password can be set, then the account deleted.
        let client = browser();
        let back = through_provider(&client, &app, &provider, "erika").await;
        let fresh = session_cookie(&client.get(&back).send().await.unwrap());
        let set = app
            .post_as(&fresh, "/konto/passwort", &[("password", GOOD_PASSWORD)])
            .await;
        assert_eq!(set.status(), 303);
        assert_eq!(
            login(&app, "erika.eid@example.org", GOOD_PASSWORD, "/konto")
                .await
                .status(),
            303
        );
        let renewed = session_cookie(&set);
        let deleted = app
            .post_as(
                &renewed,
                "/konto/loeschen",
                &[("sure", "1"), ("current_password", GOOD_PASSWORD)],
            )
            .await;
        assert_eq!(deleted.status(), 303);
        assert_eq!(count_citizens(&app).await, 0);
        app.stop().await;
    }
);

on_both_backends!(
    client_secrets_are_sealed_in_the_database_and_need_the_installations_key,
    |backend| async move {
        use rathaus_store::entities::identity_provider;
        use rathaus_store::sea_orm::{EntityTrait, sea_query::Expr};
        let (app, _smtp, _provider) = setup(backend).await;
        let stored = identity_provider::Entity::find()
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert!(stored.client_secret.starts_with("sealed:v1:"));
        assert!(!stored.client_secret.contains("rathaus-test-secret"));

        // A row from before sealing is sealed when a server starts on the database.
        identity_provider::Entity::update_many()
            .col_expr(
                identity_provider::Column::ClientSecret,
                Expr::value("rathaus-test-secret"),
            )
            .exec(app.db().conn())
            .await
            .unwrap();
        let mut config = app.test_db.config();
        let listener = rathaus::server::bind(config.listen).await.unwrap();
        config.public_url = Some(format!("http://{}", listener.local_addr().unwrap()));
        let second = rathaus::server::start(listener, app.db().clone(), &config)
            .await
            .unwrap();
        let resealed = identity_provider::Entity::find()
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert!(resealed.client_secret.starts_with("sealed:v1:"));
        let owner = format!("identity_provider:{}", resealed.id);
        assert_eq!(
            app.server
                .sealer
                .open(&resealed.client_secret, &owner)
                .as_deref(),
            Some("rathaus-test-secret")
        );
        // The login still starts: the secret opens with the installation's key.
        let start = format!("http://{}/konto/anmelden/extern/{SLUG}", second.addr);
        let to_provider = browser().get(&start).send().await.unwrap();
        assert_eq!(to_provider.status(), 303);
        second.stop().await;

        // A server with another key cannot use it, and says why instead of logging in.
        let mut other_key = app.test_db.config();
        other_key.secret_key = Some(rathaus_core::secrets::Sealer::new_key());
        let listener = rathaus::server::bind(other_key.listen).await.unwrap();
        other_key.public_url = Some(format!("http://{}", listener.local_addr().unwrap()));
        let third = rathaus::server::start(listener, app.db().clone(), &other_key)
            .await
            .unwrap();
        let start = format!("http://{}/konto/anmelden/extern/{SLUG}", third.addr);
        let refused = browser().get(&start).send().await.unwrap();
        assert_eq!(refused.status(), 400);
        third.stop().await;
        app.stop().await;
    }
);
