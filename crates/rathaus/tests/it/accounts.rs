//! Citizen accounts: register, confirm by the link from a really sent mail, log in
//! and out — and the attacks the issue names.

use rathaus_store::sea_orm::{ConnectionTrait, Statement};

use crate::harness::{SmtpServer, TestApp, link_in, mail_body};
use crate::on_both_backends;

pub(crate) const GOOD_PASSWORD: &str = "Laterne Fahrrad Wolke";

pub(crate) async fn start(backend: rathaus_store::Backend) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::start_with(backend, move |c| c.mail.smtp_url = Some(url)).await;
    (app, smtp)
}

pub(crate) async fn register(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/konto/registrieren"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/konto/anmelden"))
        .form(&[("email", email), ("password", password), ("weiter", next)])
        .send()
        .await
        .unwrap()
}

pub(crate) fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

pub(crate) async fn count_citizens(app: &TestApp) -> i64 {
    let db = app.db().conn();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM citizens",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Registers and follows the confirmation link from the mail; returns nothing but
/// leaves a confirmed account.
pub(crate) async fn registered_and_confirmed(app: &TestApp, smtp: &SmtpServer, email: &str) {
    let response = register(app, email, GOOD_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let body = smtp.wait_for_mail(email, "/konto/bestaetigen/").await;
    let link = link_in(&body, &app.base).expect("the link points to this town hall");
    let confirmed = app.client.get(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
}

on_both_backends!(register_confirm_login_logout, |backend| async move {
    let (app, smtp) = start(backend).await;
    let response = register(&app, "Erika.Mustermann@Example.org", GOOD_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/konto/registrieren/gesendet"
    );
    let sent_page = app
        .get("/konto/registrieren/gesendet")
        .await
        .text()
        .await
        .unwrap();
    assert!(sent_page.contains("E-Mail-Postfach"));

    // Not confirmed yet: the right password is not enough.
    let early = login(
        &app,
        "erika.mustermann@example.org",
        GOOD_PASSWORD,
        "/konto",
    )
    .await;
    assert_eq!(early.status(), 403);
    assert!(
        early
            .text()
            .await
            .unwrap()
            .contains("bestätigen Sie zuerst")
    );

    let mails = smtp.wait_for(1).await;
    assert!(mails[0].contains("To: erika.mustermann@example.org"));
    let body = mail_body(&mails[0]);
    let link = link_in(&body, &format!("{}/konto/bestaetigen/", app.base))
        .expect("confirmation link in the mail");
    let confirmed = app.client.get(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert!(
        confirmed
            .text()
            .await
            .unwrap()
            .contains("E-Mail-Adresse bestätigt")
    );
    let reused = app.client.get(&link).send().await.unwrap();
    assert_eq!(reused.status(), 410, "a link works once");
    assert_eq!(app.get("/konto/bestaetigen/0000").await.status(), 410);

    let wrong = login(
        &app,
        "erika.mustermann@example.org",
        "Laterne Fahrrad Regen",
        "/konto",
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let ok = login(
        &app,
        "erika.mustermann@example.org",
        GOOD_PASSWORD,
        "/konto",
    )
    .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/konto");
    let cookie = session_cookie(&ok);
    let overview = app
        .client
        .get(app.url("/konto"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(overview.status(), 200);
    assert!(
        overview
            .text()
            .await
            .unwrap()
            .contains("erika.mustermann@example.org")
    );

    let out = app
        .client
        .post(app.url("/konto/abmelden"))
        .header("cookie", &cookie)
        .form(&[("abmelden", "1")]) // as the browser sends the button
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = app
        .client
        .get(app.url("/konto"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303, "the session is gone");
    assert!(
        after.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/konto/anmelden")
    );
    app.stop().await;
});

on_both_backends!(
    registration_does_not_reveal_existing_accounts,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        registered_and_confirmed(&app, &smtp, "erika@example.org").await;
        let again = register(&app, "erika@example.org", "Ganz anderes Passwort").await;
        assert_eq!(again.status(), 303);
        assert_eq!(
            again.headers()["location"],
            "/konto/registrieren/gesendet",
            "same answer as for a new address"
        );
        let mails = smtp.wait_for(2).await;
        let notice = mails
            .iter()
            .map(|m| mail_body(m))
            .find(|b| b.contains("bereits ein Konto"))
            .expect("notice to the owner");
        assert!(
            !notice.contains("/konto/bestaetigen/"),
            "no confirmation link for a known address"
        );
        assert_eq!(count_citizens(&app).await, 1);
        let old_password = login(&app, "erika@example.org", GOOD_PASSWORD, "/konto").await;
        assert_eq!(
            old_password.status(),
            303,
            "the existing account is unchanged"
        );
        app.stop().await;
    }
);

on_both_backends!(
    weak_passwords_and_bad_addresses_are_explained,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let common = register(&app, "erika@example.org", "passwort123").await;
        assert_eq!(common.status(), 422);
        let body = common.text().await.unwrap();
        assert!(body.contains("weit verbreitet") && body.contains("href=\"#password\""));
        let short = register(&app, "erika@example.org", "kurz")
            .await
            .text()
            .await
            .unwrap();
        assert!(short.contains("mindestens 10 Zeichen"));
        let bad = register(&app, "erika-at-example.org", GOOD_PASSWORD).await;
        assert_eq!(bad.status(), 422);
        let body = bad.text().await.unwrap();
        assert!(
            body.contains("name@beispiel.de") && body.contains("value=\"erika-at-example.org\"")
        );
        assert_eq!(count_citizens(&app).await, 0, "nothing was written");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(smtp.messages().is_empty(), "and nothing was sent");
        app.stop().await;
    }
);

on_both_backends!(links_never_use_a_forged_host, |backend| async move {
    let (app, smtp) = start(backend).await;
    let response = app
        .client
        .post(app.url("/konto/registrieren"))
        .header("host", "evil.example")
        .form(&[("email", "erika@example.org"), ("password", GOOD_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let body = mail_body(&smtp.wait_for(1).await[0]);
    assert!(!body.contains("evil.example"), "{body}");
    assert!(link_in(&body, &format!("{}/konto/bestaetigen/", app.base)).is_some());
    app.stop().await;
});

on_both_backends!(
    login_redirects_only_locally_and_renews_the_session,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        registered_and_confirmed(&app, &smtp, "erika@example.org").await;
        let evil = login(&app, "erika@example.org", GOOD_PASSWORD, "//evil.example/").await;
        assert_eq!(evil.headers()["location"], "/konto");
        let planted =
            "rathaus_konto=1111111111111111111111111111111111111111111111111111111111111111";
        let fresh = app
            .client
            .post(app.url("/konto/anmelden"))
            .header("cookie", planted)
            .form(&[("email", "erika@example.org"), ("password", GOOD_PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = session_cookie(&fresh);
        assert_ne!(cookie, planted, "a planted session id is never adopted");
        let with_planted = app
            .client
            .get(app.url("/konto"))
            .header("cookie", planted)
            .send()
            .await
            .unwrap();
        assert_eq!(with_planted.status(), 303);

        // Log out everywhere ends the other session too.
        let other =
            session_cookie(&login(&app, "erika@example.org", GOOD_PASSWORD, "/konto").await);
        let out = app
            .client
            .post(app.url("/konto/abmelden"))
            .header("cookie", &cookie)
            .form(&[("ueberall", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let elsewhere = app
            .client
            .get(app.url("/konto"))
            .header("cookie", &other)
            .send()
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), 303);
        app.stop().await;
    }
);

/// Moves the time of every row's `column` in `table` back (or forward) by `minutes`.
async fn shift(app: &TestApp, table: &str, column: &str, minutes: i64) {
    use rathaus_store::sea_orm::sea_query::{Expr, Query};
    let when = chrono::Utc::now() + chrono::Duration::minutes(minutes);
    let update = Query::update()
        .table(rathaus_store::sea_orm::sea_query::Alias::new(table))
        .value(
            rathaus_store::sea_orm::sea_query::Alias::new(column),
            Expr::value(when),
        )
        .to_owned();
    let db = app.db().conn();
    db.execute_raw(db.get_database_backend().build(&update))
        .await
        .unwrap();
}

on_both_backends!(
    sessions_end_when_idle_or_too_old_and_links_when_expired,
    |backend| async move {
        let (app, smtp) = start(backend).await;

        // A confirmation link a day old opens nothing; the account stays unconfirmed.
        register(&app, "spaet@example.org", GOOD_PASSWORD).await;
        let body = smtp
            .wait_for_mail("spaet@example.org", "/konto/bestaetigen/")
            .await;
        let link = link_in(&body, &app.base).unwrap();
        shift(&app, "citizen_tokens", "expires_at", -1).await;
        let late = app.client.get(&link).send().await.unwrap();
        assert_eq!(late.status(), 410);
        assert!(late.text().await.unwrap().contains("abgelaufen"));
        let refused = login(&app, "spaet@example.org", GOOD_PASSWORD, "/konto").await;
        assert_eq!(refused.status(), 403, "still unconfirmed");

        // A reset link past its time neither shows the form nor takes a password.
        registered_and_confirmed(&app, &smtp, "erika@example.org").await;
        app.client
            .post(app.url("/konto/passwort-vergessen"))
            .form(&[("email", "erika@example.org")])
            .send()
            .await
            .unwrap();
        let body = smtp
            .wait_for_mail("erika@example.org", "/konto/passwort-neu/")
            .await;
        let link = link_in(&body, &format!("{}/konto/passwort-neu/", app.base)).unwrap();
        shift(&app, "citizen_tokens", "expires_at", -1).await;
        let form = app
            .client
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("Dieser Link funktioniert nicht (mehr)"));
        let taken = app
            .client
            .post(&link)
            .form(&[("password", "Ganz neues Passwort Mond")])
            .send()
            .await
            .unwrap();
        assert_ne!(taken.status(), 303);
        let old = login(&app, "erika@example.org", GOOD_PASSWORD, "/konto").await;
        assert_eq!(old.status(), 303, "the old password still holds");

        // Idle for more than 30 minutes: logged out.
        let cookie = session_cookie(&old);
        assert_eq!(app.get_as(&cookie, "/konto").await.status(), 200);
        shift(&app, "sessions", "last_seen_at", -31).await;
        let idle = app.get_as(&cookie, "/konto").await;
        assert_eq!(idle.status(), 303);
        assert!(
            idle.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/konto/anmelden")
        );

        // Active all along, but past the absolute end (4 hours): logged out too.
        let fresh = login(&app, "erika@example.org", GOOD_PASSWORD, "/konto").await;
        let cookie = session_cookie(&fresh);
        shift(&app, "sessions", "last_seen_at", 0).await;
        shift(&app, "sessions", "expires_at", -1).await;
        assert_eq!(app.get_as(&cookie, "/konto").await.status(), 303);

        // Staff: the same after 30 idle minutes.
        let vera = crate::staff::session(&app, crate::staff::CASEWORKER).await;
        assert_eq!(
            app.get_as(&vera, "/verwaltung/vorgaenge").await.status(),
            200
        );
        shift(&app, "sessions", "last_seen_at", -31).await;
        let idle = app.get_as(&vera, "/verwaltung/vorgaenge").await;
        assert_eq!(idle.status(), 303);
        assert!(
            idle.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/verwaltung/anmelden")
        );

        app.stop().await;
    }
);

async fn login_from(
    app: &TestApp,
    forwarded: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/konto/anmelden"))
        .header("x-forwarded-for", forwarded)
        .form(&[
            ("email", email),
            ("password", password),
            ("weiter", "/konto"),
        ])
        .send()
        .await
        .unwrap()
}

async fn failed_login_addresses(app: &TestApp) -> Vec<String> {
    use rathaus_store::entities::audit_entry;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.contains("login_failed"))
        .all(app.db().conn())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.ip)
        .collect()
}

on_both_backends!(
    behind_a_trusted_proxy_the_clients_address_counts,
    |backend| async move {
        let smtp = SmtpServer::start().await;
        let url = smtp.url();
        let app = TestApp::start_with(backend, move |c| {
            c.mail.smtp_url = Some(url);
            c.trusted_proxies = vec!["127.0.0.1".into()];
        })
        .await;
        registered_and_confirmed(&app, &smtp, "erika@example.org").await;

        // One address guesses many accounts: after the limit it is locked, for every
        // account; another client behind the same proxy is not.
        for n in 0..rathaus_core::login_guard::IP_LIMIT {
            let email = format!("rate{n}@example.org");
            let guess = login_from(&app, "203.0.113.7", &email, "falsch").await;
            assert_eq!(guess.status(), 401, "attempt {n}");
        }
        let locked = login_from(&app, "203.0.113.7", "erika@example.org", GOOD_PASSWORD).await;
        assert_eq!(locked.status(), 429);
        assert!(
            locked
                .text()
                .await
                .unwrap()
                .contains("Zu viele Fehlversuche")
        );
        let other = login_from(&app, "198.51.100.2", "erika@example.org", GOOD_PASSWORD).await;
        assert_eq!(other.status(), 303, "another client behind the proxy");
        let logged = failed_login_addresses(&app).await;
        assert!(!logged.is_empty());
        assert!(logged.iter().all(|ip| ip == "203.0.113.7"), "{logged:?}");
        // The log has each kind: failures, the refusal while locked, the login.
        for (action, ip) in [
            ("citizen.login_failed", "203.0.113.7"),
            ("citizen.login_locked", "203.0.113.7"),
            ("citizen.login", "198.51.100.2"),
        ] {
            let sql = format!(
                "SELECT ip AS v FROM audit_log WHERE action = '{action}' ORDER BY seq DESC LIMIT 1"
            );
            assert_eq!(app.scalar(&sql).await.as_deref(), Some(ip), "{action}");
        }
        app.stop().await;
    }
);

on_both_backends!(
    a_forwarded_address_from_anyone_else_is_ignored,
    |backend| async move {
        let (app, _smtp) = start(backend).await;
        let guess = login_from(&app, "203.0.113.7", "niemand@example.org", "falsch").await;
        assert_eq!(guess.status(), 401);
        assert_eq!(failed_login_addresses(&app).await, ["127.0.0.1"]);
        app.stop().await;
    }
);

on_both_backends!(
    behind_tls_the_session_cookie_is_host_bound_and_secure,
    |backend| async move {
        let smtp = SmtpServer::start().await;
        let url = smtp.url();
        let app = TestApp::start_with(backend, move |c| {
            c.mail.smtp_url = Some(url);
            c.behind_tls = true;
        })
        .await;
        registered_and_confirmed(&app, &smtp, "erika@example.org").await;
        let logged_in = login(&app, "erika@example.org", GOOD_PASSWORD, "/konto").await;
        assert_eq!(logged_in.status(), 303);
        let set = logged_in.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        for part in [
            "__Host-rathaus_konto=",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
        ] {
            assert!(set.contains(part), "{part} in {set}");
        }
        assert!(!set.contains("Domain"), "{set}");
        let cookie = set.split(';').next().unwrap();
        assert_eq!(app.get_as(cookie, "/konto").await.status(), 200);
        // The same token under the name without the prefix opens nothing.
        let unprefixed = cookie.trim_start_matches("__Host-");
        assert_eq!(app.get_as(unprefixed, "/konto").await.status(), 303);
        let page = app.get("/").await;
        assert!(page.headers().contains_key("strict-transport-security"));
        app.stop().await;
    }
);
