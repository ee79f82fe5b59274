//! The staff area: login, audit log viewer, job queue — with their permission checks.

use std::time::Duration;

use rathaus_core::demo::DEMO_STAFF;
use rathaus_core::second_factor;
use rathaus_store::jobs::{self, JobState, NewJob};
use rathaus_store::sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::harness::TestApp;
use crate::on_both_backends;

/// Logs in through the form and returns the session cookie ("rathaus_staff=…").
pub(crate) async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/verwaltung/anmelden"))
        .form(&[
            ("email", email),
            ("password", password),
            ("weiter", "/verwaltung"),
        ])
        .send()
        .await
        .unwrap()
}

/// The cookie ("name=value") a response sets, after checking its attributes.
pub(crate) fn staff_cookie(response: &reqwest::Response) -> String {
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/verwaltung")
    );
    cookie.split(';').next().unwrap().to_owned()
}

async fn scalar_i64(app: &TestApp, sql: &str) -> i64 {
    let db = app.db().conn();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "v").unwrap()
}

/// Plays the authenticator app: the code for the earliest time step the server still
/// accepts (each step works once, so a second login in the same 30 s uses the next one).
pub(crate) async fn totp_code(app: &TestApp, email: &str, secret: &str) -> String {
    let sql = format!(
        "SELECT t.last_step AS v FROM staff_totp t JOIN staff_users u ON u.id = t.staff_id \
         WHERE u.email = '{email}'"
    );
    let last = scalar_i64(app, &sql).await;
    loop {
        let now_step = chrono::Utc::now().timestamp() / 30;
        let step = now_step.max(last + 1);
        if step <= now_step + 1 {
            return second_factor::code_at(secret, step * 30).unwrap();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

pub(crate) async fn submit_code(app: &TestApp, pending: &str, code: &str) -> reqwest::Response {
    let form = [("code", code), ("weiter", "/verwaltung")];
    app.post_as(pending, "/verwaltung/anmelden/code", &form)
        .await
}

/// Password, then the code from the app: the cookie of a full session.
pub(crate) async fn session(app: &TestApp, who: usize) -> String {
    let demo = &DEMO_STAFF[who];
    let response = login(app, demo.email, demo.password).await;
    assert_eq!(
        response.status(),
        303,
        "{} gives the right password",
        demo.email
    );
    assert_eq!(
        response.headers()["location"],
        "/verwaltung/anmelden/code?weiter=/verwaltung"
    );
    let pending = staff_cookie(&response);
    let code = totp_code(app, demo.email, demo.totp_secret).await;
    let done = submit_code(app, &pending, &code).await;
    assert_eq!(done.status(), 303, "{} gives the right code", demo.email);
    assert_eq!(done.headers()["location"], "/verwaltung");
    let full = staff_cookie(&done);
    assert_ne!(full, pending, "a new session id for the full login");
    full
}

pub(crate) const ADMIN: usize = 0;
const AUDITOR: usize = 1;
pub(crate) const CASEWORKER: usize = 2;
pub(crate) const MAILROOM: usize = 3;
pub(crate) const DEPARTMENT_LEAD: usize = 4;
pub(crate) const FINANCE: usize = 5;
/// The registry office's caseworker (Standesamt).
pub(crate) const REGISTRAR: usize = 6;

on_both_backends!(the_staff_area_needs_a_login, |backend| async move {
    let app = TestApp::start(backend).await;
    let response = app.get("/verwaltung/protokoll?aktion=x").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/verwaltung/anmelden?weiter=/verwaltung/protokoll%3Faktion%3Dx"
    );
    let forged = app
        .get_as("rathaus_staff=0123456789abcdef", "/verwaltung")
        .await;
    assert_eq!(forged.status(), 303, "an unknown token is no session");
    app.stop().await;
});

on_both_backends!(
    wrong_or_missing_credentials_are_explained,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let empty = login(&app, "", "").await;
        assert_eq!(empty.status(), 422);
        let body = empty.text().await.unwrap();
        assert!(
            body.contains("href=\"#email\"") && body.contains("href=\"#password\""),
            "error summary links to the fields"
        );
        assert!(body.contains("aria-invalid=\"true\""));

        let wrong = login(&app, DEMO_STAFF[ADMIN].email, "not the password").await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong.headers().get("set-cookie").is_none());
        let body = wrong.text().await.unwrap();
        assert!(body.contains("nicht richtig"));
        assert!(
            body.contains(&format!("value=\"{}\"", DEMO_STAFF[ADMIN].email)),
            "the e-mail is kept"
        );
        let unknown = login(&app, "nobody@musterstadt.example", "whatever-it-is").await;
        assert_eq!(
            unknown.status(),
            401,
            "same answer whether the account exists or not"
        );

        let cookie = session(&app, AUDITOR).await;
        let log = app
            .get_as(&cookie, "/verwaltung/protokoll?aktion=staff.login_failed")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            log.matches("<code>staff.login_failed</code>").count(),
            2,
            "both failed logins are in the audit log"
        );
        app.stop().await;
    }
);

on_both_backends!(
    admins_and_auditors_read_and_filter_the_audit_log,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let cookie = session(&app, AUDITOR).await;
        let page = app.get_as(&cookie, "/verwaltung/protokoll").await;
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        assert!(body.contains("staff.login") && body.contains("Paul Prüfer (auditor)"));
        assert!(body.contains("tenant.create"));

        let filtered = app
            .get_as(&cookie, "/verwaltung/protokoll?aktion=tenant")
            .await
            .text()
            .await
            .unwrap();
        assert!(filtered.contains("tenant.create") && !filtered.contains("staff.login<"));
        let by_person = app
            .get_as(&cookie, "/verwaltung/protokoll?person=Paul")
            .await
            .text()
            .await
            .unwrap();
        assert!(by_person.contains("audit.read"));
        let future = app
            .get_as(&cookie, "/verwaltung/protokoll?von=2999-01-01")
            .await
            .text()
            .await
            .unwrap();
        assert!(future.contains("Keine Einträge"));
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let window = app
            .get_as(
                &cookie,
                &format!("/verwaltung/protokoll?von={today}&bis={today}"),
            )
            .await;
        assert!(window.text().await.unwrap().contains("staff.login"));

        let bad = app
            .get_as(&cookie, "/verwaltung/protokoll?von=22.11.2026")
            .await;
        assert_eq!(bad.status(), 400);
        assert!(bad.text().await.unwrap().contains("JJJJ-MM-TT"));

        let admin = session(&app, ADMIN).await;
        assert_eq!(
            app.get_as(&admin, "/verwaltung/protokoll").await.status(),
            200
        );
        app.stop().await;
    }
);

on_both_backends!(
    caseworkers_see_neither_audit_log_nor_jobs,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let cookie = session(&app, CASEWORKER).await;
        let dashboard = app
            .get_as(&cookie, "/verwaltung")
            .await
            .text()
            .await
            .unwrap();
        assert!(dashboard.contains("Vera Verkehr"));
        assert!(
            !dashboard.contains("/verwaltung/protokoll"),
            "no link to what is not allowed"
        );
        for path in ["/verwaltung/protokoll", "/verwaltung/auftraege"] {
            let response = app.get_as(&cookie, path).await;
            assert_eq!(response.status(), 403, "{path}");
            assert!(response.text().await.unwrap().contains("Kein Zugriff"));
        }
        let auditor = session(&app, AUDITOR).await;
        assert_eq!(
            app.get_as(&auditor, "/verwaltung/auftraege").await.status(),
            403
        );
        app.stop().await;
    }
);

on_both_backends!(
    admins_see_dead_jobs_and_requeue_them,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let tenant = rathaus_core::tenants::by_slug(app.db().conn(), "musterstadt")
            .await
            .unwrap()
            .unwrap();
        let ids = jobs::enqueue(
            app.db().conn(),
            vec![
                NewJob::new("connector.export", json!({}))
                    .for_tenant(tenant.id)
                    .max_attempts(1),
            ],
        )
        .await
        .unwrap();
        // The in-process worker has no handler for it: one try, then dead.
        for _ in 0..100 {
            if jobs::count_in_state(app.db().conn(), JobState::Dead)
                .await
                .unwrap()
                == 1
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let cookie = session(&app, ADMIN).await;
        let page = app
            .get_as(&cookie, "/verwaltung/auftraege")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("connector.export") && page.contains("no handler for job kind"),
            "{page}"
        );
        assert!(page.contains(&format!("/verwaltung/auftraege/{}/erneut", ids[0])));

        let requeue = app
            .client
            .post(app.url(&format!("/verwaltung/auftraege/{}/erneut", ids[0])))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(requeue.status(), 303);
        assert_eq!(
            requeue.headers()["location"],
            "/verwaltung/auftraege?erneut=1"
        );
        let log = app
            .get_as(&cookie, "/verwaltung/protokoll?aktion=job.requeue")
            .await
            .text()
            .await
            .unwrap();
        assert!(log.contains(&ids[0].to_string()), "the requeue is audited");
        let again = app
            .client
            .post(app.url(&format!(
                "/verwaltung/auftraege/{}/erneut",
                uuid::Uuid::now_v7()
            )))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 404, "unknown jobs cannot be requeued");
        app.stop().await;
    }
);

on_both_backends!(
    logout_ends_the_session_everywhere_it_was_used,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let cookie = session(&app, ADMIN).await;
        assert_eq!(app.get_as(&cookie, "/verwaltung").await.status(), 200);
        let out = app
            .client
            .post(app.url("/verwaltung/abmelden"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        assert!(
            out.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(
            app.get_as(&cookie, "/verwaltung").await.status(),
            303,
            "the old cookie no longer works"
        );
        app.stop().await;
    }
);

on_both_backends!(
    a_session_is_valid_only_in_its_own_tenant,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let mut other = rathaus_core::demo::musterstadt();
        other.slug = "nachbarort".into();
        other.name = "Gemeinde Nachbarort".into();
        other.hosts = vec!["nachbarort.example".into()];
        rathaus_core::tenants::create(
            app.db(),
            &rathaus_core::Actor::system("test"),
            &Default::default(),
            other,
        )
        .await
        .unwrap();
        app.server.tenants.reload().await.unwrap();
        let cookie = session(&app, ADMIN).await;
        let elsewhere = app
            .client
            .get(app.url("/verwaltung"))
            .header("host", "nachbarort.example")
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(
            elsewhere.status(),
            303,
            "Musterstadt's admin is a stranger in Nachbarort"
        );
        app.stop().await;
    }
);

on_both_backends!(
    an_account_is_locked_after_five_failures_even_for_the_right_password,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let (email, password) = (DEMO_STAFF[ADMIN].email, DEMO_STAFF[ADMIN].password);
        for _ in 0..rathaus_core::login_guard::ACCOUNT_LIMIT {
            assert_eq!(login(&app, email, "a wrong guess").await.status(), 401);
        }
        let locked = login(&app, email, password).await;
        assert_eq!(locked.status(), 429);
        assert!(locked.headers().get("set-cookie").is_none());
        let body = locked.text().await.unwrap();
        assert!(body.contains("Zu viele Fehlversuche"), "{body}");

        // Other accounts from the same address are not affected below the IP limit.
        let cookie = session(&app, AUDITOR).await;
        let log = app
            .get_as(&cookie, "/verwaltung/protokoll?aktion=staff.login_locked")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(log.matches("<code>staff.login_locked</code>").count(), 1);
        app.stop().await;
    }
);

on_both_backends!(
    an_address_guessing_many_accounts_is_locked,
    |backend| async move {
        use rathaus_core::actor::Origin;
        use rathaus_core::login_guard::{self, IP_LIMIT, Verdict};
        let (test_db, db) = crate::harness::TestDb::migrated(backend).await;
        let tenant = uuid::Uuid::now_v7();
        let guesser = Origin {
            ip: Some("203.0.113.9".into()),
            user_agent: None,
        };
        let neighbour = Origin {
            ip: Some("203.0.113.10".into()),
            user_agent: None,
        };
        for n in 0..IP_LIMIT {
            let account = format!("citizen:victim{n}@example.org");
            login_guard::record_failure(&db, tenant, &account, &guesser)
                .await
                .unwrap();
        }
        let fresh = "citizen:someone-new@example.org";
        match login_guard::check(&db, tenant, fresh, &guesser)
            .await
            .unwrap()
        {
            Verdict::Locked { until } => assert!(until > chrono::Utc::now()),
            Verdict::Allowed(_) => panic!("the guessing address must be locked"),
        }
        assert!(matches!(
            login_guard::check(&db, tenant, fresh, &neighbour)
                .await
                .unwrap(),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            login_guard::check(
                &db,
                tenant,
                fresh,
                &Origin {
                    ip: None,
                    user_agent: None
                }
            )
            .await
            .unwrap(),
            Verdict::Allowed(_)
        ));
        test_db.drop_now().await;
    }
);

on_both_backends!(
    the_password_alone_opens_nothing_and_codes_work_once,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let demo = &DEMO_STAFF[AUDITOR];
        let response = login(&app, demo.email, demo.password).await;
        let pending = staff_cookie(&response);
        for path in ["/verwaltung", "/verwaltung/protokoll"] {
            let page = app.get_as(&pending, path).await;
            assert_eq!(page.status(), 303, "{path} needs the second factor");
        }
        let form = app.get_as(&pending, "/verwaltung/anmelden/code").await;
        assert_eq!(form.status(), 200);
        assert!(
            form.text()
                .await
                .unwrap()
                .contains("autocomplete=\"one-time-code\"")
        );

        let wrong = submit_code(&app, &pending, "000000").await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong.headers().get("set-cookie").is_none());
        assert!(wrong.text().await.unwrap().contains("nicht richtig"));

        let code = totp_code(&app, demo.email, demo.totp_secret).await;
        let full = staff_cookie(&submit_code(&app, &pending, &code).await);
        assert_eq!(app.get_as(&full, "/verwaltung").await.status(), 200);
        assert_eq!(
            app.get_as(&pending, "/verwaltung/anmelden/code")
                .await
                .status(),
            303,
            "the pending session is gone"
        );

        // The same code again, in a new login: refused (a code works once).
        let again = staff_cookie(&login(&app, demo.email, demo.password).await);
        assert_eq!(submit_code(&app, &again, &code).await.status(), 401);
        let log = app
            .get_as(&full, "/verwaltung/protokoll?aktion=staff.login")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(log.matches("<code>staff.login_password</code>").count(), 2);
        assert_eq!(log.matches("<code>staff.login_failed</code>").count(), 2);
        app.stop().await;
    }
);

on_both_backends!(
    first_login_sets_up_the_app_and_recovery_codes_replace_it_once,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let demo = &DEMO_STAFF[CASEWORKER];
        // A member of staff without a second factor yet, as after `create-staff`.
        let db = app.db().conn();
        db.execute_unprepared(
            "DELETE FROM staff_totp WHERE staff_id IN \
             (SELECT id FROM staff_users WHERE email = 'verkehr@musterstadt.example')",
        )
        .await
        .unwrap();
        let pending = staff_cookie(&login(&app, demo.email, demo.password).await);
        let page = app
            .get_as(&pending, "/verwaltung/anmelden/code")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("<svg") && page.contains("Zweiten Faktor einrichten"));
        let secret = secret_on(&page);
        let reloaded = app
            .get_as(&pending, "/verwaltung/anmelden/code")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            reloaded.contains(&secret[..4]),
            "a reload shows the same secret"
        );

        let wrong = submit_code(&app, &pending, "123456").await;
        assert_eq!(wrong.status(), 401);
        assert!(
            wrong.text().await.unwrap().contains("<svg"),
            "still enrolling"
        );

        let code = totp_code(&app, demo.email, &secret).await;
        let enrolled = submit_code(&app, &pending, &code).await;
        assert_eq!(enrolled.status(), 200);
        let full = staff_cookie(&enrolled);
        let body = enrolled.text().await.unwrap();
        let codes: Vec<String> = body
            .split("<li><code>")
            .skip(1)
            .map(|c| c.split("</code>").next().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        assert_eq!(app.get_as(&full, "/verwaltung").await.status(), 200);

        // Phone lost: a recovery code replaces the app once.
        let pending = staff_cookie(&login(&app, demo.email, demo.password).await);
        let recovered = submit_code(&app, &pending, &codes[3].to_lowercase()).await;
        assert_eq!(recovered.status(), 303);
        let pending = staff_cookie(&login(&app, demo.email, demo.password).await);
        assert_eq!(submit_code(&app, &pending, &codes[3]).await.status(), 401);
        let log = app.get_as(&staff_cookie(&recovered), "/verwaltung").await;
        assert_eq!(log.status(), 200);
        app.stop().await;
    }
);

async fn staff_id(app: &TestApp, email: &str) -> String {
    use rathaus_store::entities::staff_user;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(app.db().conn())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// The TOTP key the enrolment page shows (for typing into the app).
fn secret_on(page: &str) -> String {
    page.split("<code id=\"totp-secret\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the enrolment page shows the key")
        .split_whitespace()
        .collect()
}

/// Logs in with the password only and returns what the second step shows.
async fn second_step_page(app: &TestApp, email: &str, password: &str) -> String {
    let response = login(app, email, password).await;
    assert_eq!(response.status(), 303, "{email} gives the right password");
    let pending = staff_cookie(&response);
    app.get_as(&pending, "/verwaltung/anmelden/code")
        .await
        .text()
        .await
        .unwrap()
}

on_both_backends!(admins_create_lock_and_reset_staff, |backend| async move {
    let app = TestApp::start(backend).await;
    let admin = session(&app, ADMIN).await;
    let list = app
        .get_as(&admin, "/verwaltung/personal")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Vera Verkehr") && list.contains("eingerichtet"));

    let incomplete = app
        .post_as(
            &admin,
            "/verwaltung/personal/neu",
            &[("name", ""), ("email", "nina")],
        )
        .await;
    assert_eq!(incomplete.status(), 422);
    let body = incomplete.text().await.unwrap();
    for field in ["name", "email", "rollen"] {
        assert!(
            body.contains(&format!("href=\"#{field}\"")),
            "{field} is explained"
        );
    }
    // Roles and departments come from the tenant's data; a role the form did not offer
    // is dropped.
    let tenant = rathaus_core::tenants::by_slug(app.db().conn(), "musterstadt")
        .await
        .unwrap()
        .unwrap();
    let traffic = rathaus_core::departments::by_key(app.db().conn(), tenant.id, "strassenverkehr")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let form = [
        ("name", "Nina Neu"),
        ("email", "Nina.Neu@musterstadt.example"),
        ("rollen", "caseworker"),
        ("rollen", "department_lead"),
        ("rollen", "superuser"),
        ("fachdienste", traffic.as_str()),
    ];
    let created = app.post_as(&admin, "/verwaltung/personal/neu", &form).await;
    assert_eq!(created.status(), 200);
    let list = app.get_as(&admin, "/verwaltung/personal").await;
    let list = list.text().await.unwrap();
    let nina_row = list
        .split("Nina Neu")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        nina_row.contains("Sachbearbeitung, Fachdienstleitung")
            && nina_row.contains("Straßenverkehr und Parken")
            && !nina_row.contains("superuser"),
        "{nina_row}"
    );
    let body = created.text().await.unwrap();
    let password = body
        .split("<code id=\"initial-password\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap()
        .to_owned();
    // Nina's first login: password, set up the app, then her own password.
    let nina = "nina.neu@musterstadt.example";
    let pending = staff_cookie(&login(&app, nina, &password).await);
    let first = app
        .get_as(&pending, "/verwaltung/anmelden/code")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        first.contains("Zweiten Faktor einrichten"),
        "set up at the first login"
    );
    let code = totp_code(&app, nina, &secret_on(&first)).await;
    let nina_session = staff_cookie(&submit_code(&app, &pending, &code).await);
    let held = app.get_as(&nina_session, "/verwaltung").await;
    assert_eq!(
        held.headers()["location"],
        "/verwaltung/passwort",
        "the initial password must go"
    );
    let short = [
        ("current_password", password.as_str()),
        ("password", "Kurz genug"),
    ];
    let refused = app
        .post_as(&nina_session, "/verwaltung/passwort", &short)
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("mindestens 12 Zeichen")
    );
    let own = [
        ("current_password", password.as_str()),
        ("password", "Ninas eigener langer Satz"),
    ];
    let changed = app
        .post_as(&nina_session, "/verwaltung/passwort", &own)
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(
        app.get_as(&staff_cookie(&changed), "/verwaltung")
            .await
            .status(),
        200
    );
    assert_eq!(
        login(&app, nina, &password).await.status(),
        401,
        "the initial one is gone"
    );
    let again = app.post_as(&admin, "/verwaltung/personal/neu", &form).await;
    assert_eq!(again.status(), 422);
    assert!(again.text().await.unwrap().contains("schon ein Konto"));

    // Vera lost her phone and her recovery codes.
    let vera = staff_id(&app, DEMO_STAFF[CASEWORKER].email).await;
    let vera_session = session(&app, CASEWORKER).await;
    let reset = app
        .post_as(
            &admin,
            &format!("/verwaltung/personal/{vera}/zweiter-faktor"),
            &[],
        )
        .await;
    assert_eq!(
        reset.headers()["location"],
        "/verwaltung/personal?erledigt=faktor"
    );
    assert_eq!(
        app.get_as(&vera_session, "/verwaltung").await.status(),
        303,
        "her sessions ended"
    );
    let demo = &DEMO_STAFF[CASEWORKER];
    let page = second_step_page(&app, demo.email, demo.password).await;
    assert!(page.contains("Zweiten Faktor einrichten"));

    let lock_path = format!("/verwaltung/personal/{vera}/sperre");
    let lock = app.post_as(&admin, &lock_path, &[("gesperrt", "ja")]).await;
    assert_eq!(lock.status(), 303);
    assert_eq!(
        login(&app, demo.email, demo.password).await.status(),
        401,
        "locked"
    );
    app.post_as(&admin, &lock_path, &[("gesperrt", "nein")])
        .await;
    assert_eq!(
        login(&app, demo.email, demo.password).await.status(),
        303,
        "unlocked"
    );

    let me = staff_id(&app, DEMO_STAFF[ADMIN].email).await;
    let my_lock = format!("/verwaltung/personal/{me}/sperre");
    let self_lock = app.post_as(&admin, &my_lock, &[("gesperrt", "ja")]).await;
    assert_eq!(self_lock.status(), 400, "no admin locks themselves out");
    assert_eq!(app.get_as(&admin, "/verwaltung").await.status(), 200);

    let log = app
        .get_as(&admin, "/verwaltung/protokoll?aktion=staff.")
        .await
        .text()
        .await
        .unwrap();
    for action in [
        "staff.create",
        "staff.second_factor_reset",
        "staff.lock",
        "staff.unlock",
    ] {
        assert!(
            log.contains(&format!("<code>{action}</code>")),
            "{action} is audited"
        );
    }
    app.stop().await;
});

on_both_backends!(admins_add_departments, |backend| async move {
    let app = TestApp::start(backend).await;
    let admin = session(&app, ADMIN).await;
    let page = app.get_as(&admin, "/verwaltung/fachdienste").await;
    let page = page.text().await.unwrap();
    assert!(page.contains("Straßenverkehr und Parken") && page.contains("strassenverkehr"));

    let attempts = [
        (("Stadtarchiv", "Stadtarchiv!"), "Kleinbuchstaben"),
        (("", "stadtarchiv"), "Bezeichnung des Fachdienstes"),
        (("Verkehr 2", "strassenverkehr"), "schon vergeben"),
    ];
    for ((name, key), message) in attempts {
        let form = [("name", name), ("key", key)];
        let refused = app.post_as(&admin, "/verwaltung/fachdienste", &form).await;
        assert_eq!(refused.status(), 422, "{name}/{key}");
        let body = refused.text().await.unwrap();
        assert!(
            body.contains(message) && body.contains("id=\"fehler\""),
            "{message}"
        );
    }
    let form = [("name", "Stadtarchiv"), ("key", "stadtarchiv")];
    let created = app.post_as(&admin, "/verwaltung/fachdienste", &form).await;
    assert_eq!(created.status(), 303);
    let page = app
        .get_as(&admin, "/verwaltung/fachdienste?erledigt=angelegt")
        .await;
    let page = page.text().await.unwrap();
    assert!(page.contains("Stadtarchiv") && page.contains("wurde angelegt"));
    let count = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log \
                 WHERE action = 'department.create'";
    let demo_and_new = rathaus_core::demo::DEMO_DEPARTMENTS.len() + 1;
    assert_eq!(app.scalar(count).await, Some(demo_and_new.to_string()));
    app.stop().await;
});

on_both_backends!(admins_change_roles_and_departments, |backend| async move {
    let app = TestApp::start(backend).await;
    let admin = session(&app, ADMIN).await;
    let vera = session(&app, CASEWORKER).await;
    assert_eq!(
        app.get_as(&vera, "/verwaltung/protokoll").await.status(),
        403
    );
    let vera_id = staff_id(&app, DEMO_STAFF[CASEWORKER].email).await;
    let path = format!("/verwaltung/personal/{vera_id}");
    let form = app.get_as(&admin, &path).await.text().await.unwrap();
    assert!(
        form.contains("value=\"caseworker\" checked"),
        "current roles ticked"
    );

    let none = app.post_as(&admin, &path, &[("rollen", "nothing")]).await;
    assert_eq!(none.status(), 422, "at least one role the tenant has");
    let citizens_office = rathaus_core::departments::by_key(
        app.db().conn(),
        rathaus_core::tenants::by_slug(app.db().conn(), "musterstadt")
            .await
            .unwrap()
            .unwrap()
            .id,
        "buergerbuero",
    )
    .await
    .unwrap()
    .unwrap()
    .id
    .to_string();
    let change = [
        ("rollen", "auditor"),
        ("fachdienste", citizens_office.as_str()),
    ];
    let saved = app.post_as(&admin, &path, &change).await;
    assert_eq!(saved.status(), 303);
    // The privilege changed: Vera's session is over; her next login has the new rights.
    assert_eq!(app.get_as(&vera, "/verwaltung").await.status(), 303);
    let vera = session(&app, CASEWORKER).await;
    assert_eq!(
        app.get_as(&vera, "/verwaltung/protokoll").await.status(),
        200
    );
    let list = app
        .get_as(&admin, "/verwaltung/personal")
        .await
        .text()
        .await
        .unwrap();
    let row = list
        .split("Vera Verkehr")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        row.contains("Prüfung und Datenschutz") && row.contains("Bürgerbüro"),
        "{row}"
    );
    let changed = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log \
                   WHERE action = 'staff.roles_changed'";
    assert_eq!(app.scalar(changed).await.as_deref(), Some("1"));

    // Nobody changes their own roles.
    let admin_id = staff_id(&app, DEMO_STAFF[ADMIN].email).await;
    let own = format!("/verwaltung/personal/{admin_id}");
    let refused = app.post_as(&admin, &own, &[("rollen", "caseworker")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("andere Person"));
    app.stop().await;
});
