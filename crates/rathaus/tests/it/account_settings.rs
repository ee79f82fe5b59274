//! What a citizen does with an account after registering: recover a forgotten
//! password, keep a profile, change password and address, delete the account. Mails
//! go through a real SMTP server; links are followed from the received mails.

use rathaus_store::sea_orm::{ConnectionTrait, Statement};

use crate::accounts::{
    GOOD_PASSWORD, count_citizens, login, register, registered_and_confirmed, session_cookie, start,
};
use crate::harness::{TestApp, link_in};
use crate::on_both_backends;

const EMAIL: &str = "erika@example.org";
const NEW_PASSWORD: &str = "Sonnenblume Leuchtturm Kiesel";

async fn logged_in(app: &TestApp, email: &str, password: &str) -> String {
    let response = login(app, email, password, "/konto").await;
    assert_eq!(response.status(), 303, "{email} logs in");
    session_cookie(&response)
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    let db = app.db().conn();
    let sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE action = '{action}'");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

on_both_backends!(
    a_forgotten_password_is_reset_by_mail,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        registered_and_confirmed(&app, &smtp, EMAIL).await;
        let old_session = logged_in(&app, EMAIL, GOOD_PASSWORD).await;

        for address in ["nobody@example.org", "Erika@Example.org"] {
            let asked = app
                .post_as("", "/konto/passwort-vergessen", &[("email", address)])
                .await;
            assert_eq!(asked.status(), 303, "the same answer for {address}");
            assert_eq!(
                asked.headers()["location"],
                "/konto/passwort-vergessen/gesendet"
            );
        }
        let body = smtp.wait_for_mail(EMAIL, "/konto/passwort-neu/").await;
        let link = link_in(&body, &format!("{}/konto/passwort-neu/", app.base)).unwrap();
        assert_eq!(
            smtp.count_to("nobody@example.org"),
            0,
            "no mail to unknown addresses"
        );

        let path = link.strip_prefix(&app.base).unwrap().to_owned();
        assert_eq!(app.get_as("", &path).await.status(), 200);
        let weak = app.post_as("", &path, &[("password", "passwort123")]).await;
        assert_eq!(weak.status(), 422);
        assert!(weak.text().await.unwrap().contains("weit verbreitet"));
        let done = app.post_as("", &path, &[("password", NEW_PASSWORD)]).await;
        assert_eq!(
            done.status(),
            200,
            "a weak first try does not use up the link"
        );
        assert!(done.text().await.unwrap().contains("Passwort ist geändert"));

        assert_eq!(
            app.post_as("", &path, &[("password", NEW_PASSWORD)])
                .await
                .status(),
            410
        );
        assert_eq!(
            app.get_as("", &path).await.status(),
            410,
            "the link works once"
        );
        assert_eq!(
            app.get_as(&old_session, "/konto").await.status(),
            303,
            "sessions ended"
        );
        assert_eq!(
            login(&app, EMAIL, GOOD_PASSWORD, "/konto").await.status(),
            401
        );
        logged_in(&app, EMAIL, NEW_PASSWORD).await;
        smtp.wait_for_mail(EMAIL, "Passwort Ihres Kontos wurde soeben geändert")
            .await;
        assert_eq!(audited(&app, "citizen.password_reset").await, 1);
        app.stop().await;
    }
);

on_both_backends!(reset_links_cannot_flood_a_mailbox, |backend| async move {
    let (app, smtp) = start(backend).await;
    registered_and_confirmed(&app, &smtp, EMAIL).await;
    let before = smtp.count_to(EMAIL);
    for _ in 0..5 {
        app.post_as("", "/konto/passwort-vergessen", &[("email", EMAIL)])
            .await;
    }
    smtp.wait_for(before + 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.count_to(EMAIL), before + 3, "at most three open links");
    app.stop().await;
});

on_both_backends!(the_profile_is_checked_and_saved, |backend| async move {
    let (app, smtp) = start(backend).await;
    registered_and_confirmed(&app, &smtp, EMAIL).await;
    let cookie = logged_in(&app, EMAIL, GOOD_PASSWORD).await;
    let empty = app.get_as(&cookie, "/konto").await.text().await.unwrap();
    assert!(empty.contains("noch keine persönlichen Daten"));

    let mut form = vec![
        ("given_name", "Erika"),
        ("family_name", "Mustermann"),
        ("birth_date", "2999-01-01"),
        ("street", "Heidestraße"),
        ("house_number", "17"),
        ("postcode", "5106"),
        ("city", "Köln"),
        ("phone", "call me"),
        ("preferred_language", "de"),
    ];
    let refused = app.post_as(&cookie, "/konto/profil", &form).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    for field in ["birth_date", "postcode", "phone"] {
        assert!(
            body.contains(&format!("href=\"#{field}\"")),
            "{field} is explained"
        );
    }
    assert!(
        body.contains("value=\"Heidestraße\""),
        "what was typed is kept"
    );
    assert_eq!(
        app.scalar("SELECT street AS v FROM citizens").await,
        None,
        "nothing saved"
    );

    form[2].1 = "1964-08-12";
    form[5].1 = "51065";
    form[7].1 = "+49 221 123456";
    let saved = app.post_as(&cookie, "/konto/profil", &form).await;
    assert_eq!(saved.status(), 303);
    let overview = app.get_as(&cookie, "/konto").await.text().await.unwrap();
    assert!(overview.contains("Heidestraße") && overview.contains("51065"));
    assert_eq!(
        app.scalar("SELECT CAST(birth_date AS TEXT) AS v FROM citizens")
            .await
            .as_deref(),
        Some("1964-08-12")
    );
    assert_eq!(audited(&app, "citizen.profile_update").await, 1);
    app.stop().await;
});

on_both_backends!(
    identity_data_confirmed_by_a_provider_cannot_be_edited,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        registered_and_confirmed(&app, &smtp, EMAIL).await;
        let cookie = logged_in(&app, EMAIL, GOOD_PASSWORD).await;
        let db = app.db().conn();
        // What an eID login stores (the login itself is tested with the OpenID provider).
        db.execute_unprepared(
            "UPDATE citizens SET given_name = 'Erika', family_name = 'Mustermann', \
         identity_verified_by = 'BundID'",
        )
        .await
        .unwrap();
        let form = [
            ("given_name", "Mallory"),
            ("family_name", "Mustermann"),
            ("phone", "0221 999"),
            ("preferred_language", "en"),
        ];
        assert_eq!(
            app.post_as(&cookie, "/konto/profil", &form).await.status(),
            303
        );
        assert_eq!(
            app.scalar("SELECT given_name AS v FROM citizens")
                .await
                .as_deref(),
            Some("Erika"),
            "the confirmed name stays"
        );
        assert_eq!(
            app.scalar("SELECT phone AS v FROM citizens")
                .await
                .as_deref(),
            Some("0221 999"),
            "other fields are saved"
        );
        let page = app
            .get_as(&cookie, "/konto/profil")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("readonly") && page.contains("BundID"));
        app.stop().await;
    }
);

on_both_backends!(
    changing_the_password_ends_other_sessions,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        registered_and_confirmed(&app, &smtp, EMAIL).await;
        let here = logged_in(&app, EMAIL, GOOD_PASSWORD).await;
        let elsewhere = logged_in(&app, EMAIL, GOOD_PASSWORD).await;

        let wrong = app
            .post_as(
                &here,
                "/konto/passwort",
                &[
                    ("current_password", "not it at all"),
                    ("password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(wrong.status(), 422);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("href=\"#current_password\"")
        );
        let weak = app
            .post_as(
                &here,
                "/konto/passwort",
                &[("current_password", GOOD_PASSWORD), ("password", "kurz")],
            )
            .await;
        assert_eq!(weak.status(), 422);
        assert_eq!(
            login(&app, EMAIL, GOOD_PASSWORD, "/konto").await.status(),
            303,
            "unchanged"
        );

        let changed = app
            .post_as(
                &here,
                "/konto/passwort",
                &[
                    ("current_password", GOOD_PASSWORD),
                    ("password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(changed.status(), 303);
        let renewed = session_cookie(&changed);
        assert_ne!(renewed, here, "a new session id after the change");
        assert_eq!(app.get_as(&renewed, "/konto").await.status(), 200);
        assert_eq!(app.get_as(&here, "/konto").await.status(), 303);
        assert_eq!(app.get_as(&elsewhere, "/konto").await.status(), 303);
        logged_in(&app, EMAIL, NEW_PASSWORD).await;
        smtp.wait_for_mail(EMAIL, "Passwort Ihres Kontos wurde soeben geändert")
            .await;
        app.stop().await;
    }
);

on_both_backends!(a_new_address_counts_once_confirmed, |backend| async move {
    let (app, smtp) = start(backend).await;
    registered_and_confirmed(&app, &smtp, EMAIL).await;
    registered_and_confirmed(&app, &smtp, "taken@example.org").await;
    let cookie = logged_in(&app, EMAIL, GOOD_PASSWORD).await;
    let change = |email: &'static str, password: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.post_as(
                &cookie,
                "/konto/email",
                &[("email", email), ("current_password", password)],
            )
            .await
        }
    };
    assert_eq!(change("no-address", GOOD_PASSWORD).await.status(), 422);
    assert_eq!(
        change("new@example.org", "not the password").await.status(),
        422
    );

    // A taken address gets the same answer; its owner is told, nothing changes.
    assert_eq!(
        change("taken@example.org", GOOD_PASSWORD).await.status(),
        303
    );
    smtp.wait_for_mail("taken@example.org", "bereits ein Konto")
        .await;

    let sent = change("New@Example.org", GOOD_PASSWORD).await;
    assert_eq!(sent.headers()["location"], "/konto/email/gesendet");
    let body = smtp
        .wait_for_mail("new@example.org", "/konto/email-bestaetigen/")
        .await;
    assert_eq!(
        login(&app, EMAIL, GOOD_PASSWORD, "/konto").await.status(),
        303,
        "old address until confirmed"
    );
    let link = link_in(&body, &format!("{}/konto/email-bestaetigen/", app.base)).unwrap();
    let confirmed = app.client.get(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        410,
        "once"
    );

    smtp.wait_for_mail(EMAIL, "new@example.org").await;
    assert_eq!(
        login(&app, EMAIL, GOOD_PASSWORD, "/konto").await.status(),
        401
    );
    logged_in(&app, "new@example.org", GOOD_PASSWORD).await;
    assert_eq!(audited(&app, "citizen.email_change").await, 1);
    app.stop().await;
});

on_both_backends!(deleting_the_account_erases_it, |backend| async move {
    let (app, smtp) = start(backend).await;
    registered_and_confirmed(&app, &smtp, EMAIL).await;
    let cookie = logged_in(&app, EMAIL, GOOD_PASSWORD).await;
    let unsure = app
        .post_as(
            &cookie,
            "/konto/loeschen",
            &[("current_password", GOOD_PASSWORD)],
        )
        .await;
    assert_eq!(unsure.status(), 422);
    let wrong = app
        .post_as(
            &cookie,
            "/konto/loeschen",
            &[("sure", "1"), ("current_password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(count_citizens(&app).await, 1, "nothing deleted yet");

    let deleted = app
        .post_as(
            &cookie,
            "/konto/loeschen",
            &[("sure", "1"), ("current_password", GOOD_PASSWORD)],
        )
        .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(deleted.headers()["location"], "/konto/geloescht");
    assert_eq!(count_citizens(&app).await, 0);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM sessions")
            .await
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM citizen_tokens")
            .await
            .as_deref(),
        Some("0")
    );
    assert_eq!(app.get_as(&cookie, "/konto").await.status(), 303);
    smtp.wait_for_mail(EMAIL, "auf Ihren Wunsch gelöscht").await;
    assert_eq!(
        audited(&app, "citizen.delete").await,
        1,
        "the audit log keeps the record"
    );
    let verification = rathaus_core::audit::verify(app.db()).await.unwrap();
    assert!(verification.broken.is_none(), "and stays intact");

    // The address is free again.
    assert_eq!(register(&app, EMAIL, GOOD_PASSWORD).await.status(), 303);
    assert_eq!(count_citizens(&app).await, 1);
    app.stop().await;
});

on_both_backends!(
    a_deleted_account_leaves_its_applications_and_takes_its_drafts_and_apps,
    |backend| async move {
        use rathaus_store::entities::{app_grant, case, draft, submission};
        use rathaus_store::sea_orm::EntityTrait;
        let (app, smtp) = start(backend).await;
        let erika = crate::assistant::citizen(&app, &smtp, EMAIL).await;
        let reference = crate::submissions::sent_application(&app, &erika).await;
        crate::submissions::parking_permit(&app, &erika).await;
        let issued = crate::app_access::tokens(&app, &erika, "phone").await;
        let access = issued["access_token"].as_str().unwrap().to_owned();
        let conn = app.db().conn();
        assert_eq!(draft::Entity::find().all(conn).await.unwrap().len(), 1);

        let deleted = app
            .post_as(
                &erika,
                "/konto/loeschen",
                &[("sure", "1"), ("current_password", GOOD_PASSWORD)],
            )
            .await;
        assert_eq!(deleted.status(), 303);
        assert_eq!(count_citizens(&app).await, 0);

        // What the law keeps stays, without the account: the application and its case.
        let cases = case::Entity::find().all(conn).await.unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].reference, reference);
        assert_eq!(cases[0].applicant_name, "Erika Mustermann");
        assert_eq!(cases[0].citizen_id, None);
        let submissions = submission::Entity::find().all(conn).await.unwrap();
        assert_eq!(submissions.len(), 1);
        assert_eq!(submissions[0].citizen_id, None);
        let vera = crate::staff::session(&app, crate::staff::CASEWORKER).await;
        let case_page = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{reference}"))
            .await;
        assert_eq!(case_page.status(), 200, "the department goes on with it");

        // The rest goes with the account: the unsent draft and the app's access.
        assert!(draft::Entity::find().all(conn).await.unwrap().is_empty());
        assert!(
            app_grant::Entity::find()
                .all(conn)
                .await
                .unwrap()
                .is_empty()
        );
        let (status, _) = crate::app_access::api(&app, &access, "/api/v1/me/applications").await;
        assert_eq!(status, 401);
        app.stop().await;
    }
);
