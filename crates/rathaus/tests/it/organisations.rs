//! Organisations: create, invite by a really sent mail link, accept with the invited
//! account only, act for the organisation, change roles, remove and leave — and who may
//! do and see what.

use crate::accounts::{GOOD_PASSWORD, login, registered_and_confirmed, session_cookie, start};
use crate::harness::{SmtpServer, TestApp, link_in, mail_body};
use crate::on_both_backends;

async fn logged_in(app: &TestApp, email: &str) -> String {
    session_cookie(&login(app, email, GOOD_PASSWORD, "/konto").await)
}

async fn citizen_id(app: &TestApp, email: &str) -> uuid::Uuid {
    use rathaus_store::entities::citizen;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let found = citizen::Entity::find().filter(citizen::Column::Email.eq(email));
    found.one(app.db().conn()).await.unwrap().unwrap().id
}

/// Creates "Bäckerei Korn GmbH" as `cookie`'s account; returns its page path.
async fn create(app: &TestApp, cookie: &str) -> String {
    let created = app
        .post_as(
            cookie,
            "/konto/organisationen",
            &[("name", "Bäckerei Korn GmbH")],
        )
        .await;
    assert_eq!(created.status(), 303);
    created.headers()["location"].to_str().unwrap().to_owned()
}

on_both_backends!(
    a_business_invites_members_who_act_for_it,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        for email in [
            "anna@korn.example",
            "ben@korn.example",
            "mallory@example.org",
        ] {
            registered_and_confirmed(&app, &smtp, email).await;
        }
        let anna = logged_in(&app, "anna@korn.example").await;
        let empty = app
            .post_as(&anna, "/konto/organisationen", &[("name", " ")])
            .await;
        assert_eq!(empty.status(), 422);
        assert!(empty.text().await.unwrap().contains("href=\"#name\""));
        let page = create(&app, &anna).await;
        let id = page.rsplit('/').next().unwrap().to_owned();
        let shown = app.get_as(&anna, &page).await.text().await.unwrap();
        assert!(shown.contains("Bäckerei Korn GmbH") && shown.contains("Administration"));

        // Strangers see nothing and cannot invite.
        let mallory = logged_in(&app, "mallory@example.org").await;
        assert_eq!(app.get_as(&mallory, &page).await.status(), 403);
        let forged = app
            .post_as(
                &mallory,
                &format!("{page}/einladen"),
                &[("email", "mallory@example.org")],
            )
            .await;
        assert_eq!(forged.status(), 403);

        let invited = app
            .post_as(
                &anna,
                &format!("{page}/einladen"),
                &[("email", "Ben@Korn.example")],
            )
            .await;
        assert_eq!(invited.status(), 303);
        let body = smtp
            .wait_for_mail("ben@korn.example", "/konto/organisationen/einladung/")
            .await;
        let link = link_in(
            &body,
            &format!("{}/konto/organisationen/einladung/", app.base),
        )
        .unwrap();
        let path = link.strip_prefix(&app.base).unwrap().to_owned();

        // The link works only for the invited address, and only once.
        let wrong = app.post_as(&mallory, &path, &[]).await;
        assert_eq!(wrong.status(), 410);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("andere E-Mail-Adresse")
        );
        let ben = logged_in(&app, "ben@korn.example").await;
        assert_eq!(app.get_as(&ben, &path).await.status(), 200);
        let joined = app.post_as(&ben, &path, &[]).await;
        assert_eq!(joined.headers()["location"].to_str().unwrap(), page);
        assert_eq!(app.post_as(&ben, &path, &[]).await.status(), 410);

        // Ben acts for the business; a member cannot remove others.
        let act = app
            .post_as(&ben, "/konto/handeln-fuer", &[("organisation", &id)])
            .await;
        assert_eq!(act.status(), 303);
        // Acting for someone else renews the session's id: the old token is worthless.
        let old_ben = ben;
        let ben = session_cookie(&act);
        assert_ne!(ben, old_ben);
        assert_eq!(app.get_as(&old_ben, "/konto").await.status(), 303);
        let overview = app.get_as(&ben, "/konto").await.text().await.unwrap();
        assert!(overview.contains("Sie handeln gerade für: Bäckerei Korn GmbH"));
        let not_for_mallory = app
            .post_as(&mallory, "/konto/handeln-fuer", &[("organisation", &id)])
            .await;
        assert_eq!(not_for_mallory.status(), 403);
        let anna_id = citizen_id(&app, "anna@korn.example").await;
        let ben_id = citizen_id(&app, "ben@korn.example").await;
        let remove_anna = app
            .post_as(&ben, &format!("{page}/mitglieder/{anna_id}/entfernen"), &[])
            .await;
        assert_eq!(remove_anna.status(), 403);

        // The last admin cannot leave; Anna removes Ben, whose session stops acting for it.
        let last_admin = app
            .post_as(
                &anna,
                &format!("{page}/mitglieder/{anna_id}/entfernen"),
                &[],
            )
            .await;
        assert_eq!(last_admin.status(), 400);
        let removed = app
            .post_as(&anna, &format!("{page}/mitglieder/{ben_id}/entfernen"), &[])
            .await;
        assert_eq!(removed.status(), 303);
        assert_eq!(app.get_as(&ben, &page).await.status(), 403);
        let overview = app.get_as(&ben, "/konto").await.text().await.unwrap();
        assert!(!overview.contains("Sie handeln gerade für"));
        for action in [
            "organisation.create",
            "organisation.invite",
            "organisation.join",
            "organisation.remove_member",
        ] {
            let sql = format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = '{action}'"
            );
            assert_eq!(
                app.scalar(&sql).await.as_deref(),
                Some("1"),
                "{action} is audited"
            );
        }
        app.stop().await;
    }
);

/// The invitation links mailed to `email` so far.
fn invitation_links(app: &TestApp, smtp: &SmtpServer, email: &str) -> Vec<String> {
    let prefix = format!("{}/konto/organisationen/einladung/", app.base);
    smtp.messages()
        .iter()
        .filter(|raw| raw.contains(&format!("To: {email}")))
        .filter_map(|raw| link_in(&mail_body(raw), &prefix))
        .collect()
}

/// `admin` invites `email` with `form`; its owner (`cookie`) follows the new link.
async fn invite_and_join(
    app: &TestApp,
    smtp: &SmtpServer,
    (page, admin): (&str, &str),
    (email, cookie): (&str, &str),
    form: &[(&str, &str)],
) {
    let before = invitation_links(app, smtp, email);
    let invited = app.post_as(admin, &format!("{page}/einladen"), form).await;
    assert_eq!(invited.status(), 303);
    for _ in 0..200 {
        let new = invitation_links(app, smtp, email)
            .into_iter()
            .find(|link| !before.contains(link));
        if let Some(link) = new {
            let path = link.strip_prefix(&app.base).unwrap();
            assert_eq!(app.post_as(cookie, path, &[]).await.status(), 303);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no new invitation for {email}");
}

on_both_backends!(
    an_account_that_alone_runs_an_organisation_hands_it_over_first,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        for email in ["anna@korn.example", "ben@korn.example"] {
            registered_and_confirmed(&app, &smtp, email).await;
        }
        let anna = logged_in(&app, "anna@korn.example").await;
        let ben = logged_in(&app, "ben@korn.example").await;
        let page = create(&app, &anna).await;
        let member = [("email", "ben@korn.example")];
        let ben_person = ("ben@korn.example", ben.as_str());
        invite_and_join(&app, &smtp, (&page, &anna), ben_person, &member).await;

        let delete = [("sure", "1"), ("current_password", GOOD_PASSWORD)];
        let blocked = app.post_as(&anna, "/konto/loeschen", &delete).await;
        assert_eq!(blocked.status(), 409);
        assert!(
            blocked
                .text()
                .await
                .unwrap()
                .contains("einzige Administration")
        );

        let as_admin = [("email", "ben@korn.example"), ("role", "admin")];
        invite_and_join(&app, &smtp, (&page, &anna), ben_person, &as_admin).await;
        assert_eq!(
            app.post_as(&anna, "/konto/loeschen", &delete)
                .await
                .status(),
            303
        );
        let still = app.get_as(&ben, &page).await.text().await.unwrap();
        assert!(still.contains("Bäckerei Korn GmbH") && !still.contains("anna@korn.example"));

        // Ben alone: his organisations go with his account.
        assert_eq!(
            app.post_as(&ben, "/konto/loeschen", &delete).await.status(),
            303
        );
        let left = app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM organisations")
            .await;
        assert_eq!(left.as_deref(), Some("0"));
        app.stop().await;
    }
);

on_both_backends!(
    an_application_made_for_the_organisation_is_seen_by_its_members,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        // Anna applies with her profile (the assistant prefills it), Ben is a member,
        // Otto is not.
        let anna = crate::assistant::citizen(&app, &smtp, "anna@korn.example").await;
        let ben = crate::assistant::citizen(&app, &smtp, "ben@korn.example").await;
        let otto = crate::assistant::citizen(&app, &smtp, "otto@example.org").await;
        let page = create(&app, &anna).await;
        let id = page.rsplit('/').next().unwrap().to_owned();
        let ben_person = ("ben@korn.example", ben.as_str());
        invite_and_join(
            &app,
            &smtp,
            (&page, &anna),
            ben_person,
            &[("email", "ben@korn.example")],
        )
        .await;
        let act = app
            .post_as(&anna, "/konto/handeln-fuer", &[("organisation", &id)])
            .await;
        assert_eq!(act.status(), 303);
        let anna = session_cookie(&act);

        let base = crate::submissions::parking_permit(&app, &anna).await;
        let check = app
            .get_as(&anna, &format!("{base}/pruefen"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            check.contains("Sie stellen diesen Antrag für Bäckerei Korn GmbH"),
            "said before sending"
        );
        let sent = crate::submissions::step(&app, &anna, &format!("{base}/absenden"), &[]).await;
        let own = sent.trim_end_matches("?gesendet=1").to_owned();
        let reference = own.trim_start_matches("/konto/antraege/").to_owned();
        let case = rathaus_core::cases::by_reference(
            app.db().conn(),
            citizen_tenant(&app, "anna@korn.example").await,
            &reference,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            case.organisation_id.map(|o| o.to_string()),
            Some(id.clone())
        );
        assert_eq!(
            case.citizen_id,
            Some(citizen_id(&app, "anna@korn.example").await)
        );
        assert!(
            case.applicant_name.starts_with("Bäckerei Korn GmbH ("),
            "{}",
            case.applicant_name
        );

        // Ben sees it in his applications, opens it with its messages and its copy.
        let list = app
            .get_as(&ben, "/konto/antraege")
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains(&reference), "listed for the member");
        let opened = app.get_as(&ben, &own).await;
        assert_eq!(opened.status(), 200);
        assert!(opened.text().await.unwrap().contains("Eingangsbestätigung"));
        assert_eq!(
            app.get_as(&ben, &format!("{own}/kopie.pdf")).await.status(),
            200
        );
        // Otto does not.
        assert!(
            !app.get_as(&otto, "/konto/antraege")
                .await
                .text()
                .await
                .unwrap()
                .contains(&reference)
        );
        assert_eq!(app.get_as(&otto, &own).await.status(), 404);
        assert_eq!(
            app.get_as(&otto, &format!("{own}/kopie.pdf"))
                .await
                .status(),
            404
        );

        // Anna's own applications (not for the business) stay hers alone.
        let alone = app
            .post_as(&anna, "/konto/handeln-fuer", &[("organisation", "")])
            .await;
        assert_eq!(alone.status(), 303);
        let anna = session_cookie(&alone);
        let base = crate::submissions::parking_permit(&app, &anna).await;
        let sent = crate::submissions::step(&app, &anna, &format!("{base}/absenden"), &[]).await;
        let private = sent.trim_end_matches("?gesendet=1").to_owned();
        assert_eq!(app.get_as(&anna, &private).await.status(), 200);
        assert_eq!(
            app.get_as(&ben, &private).await.status(),
            404,
            "not the business's"
        );

        // Clara joins as a submitter: she acts for the business, but sees only what she
        // sent herself.
        let clara = crate::assistant::citizen(&app, &smtp, "clara@korn.example").await;
        let as_submitter = [("email", "clara@korn.example"), ("role", "submitter")];
        let clara_person = ("clara@korn.example", clara.as_str());
        invite_and_join(&app, &smtp, (&page, &anna), clara_person, &as_submitter).await;
        let act = app
            .post_as(&clara, "/konto/handeln-fuer", &[("organisation", &id)])
            .await;
        assert_eq!(act.status(), 303, "a submitter acts for the business");
        let clara = session_cookie(&act);
        let base = crate::submissions::parking_permit(&app, &clara).await;
        let sent = crate::submissions::step(&app, &clara, &format!("{base}/absenden"), &[]).await;
        let hers = sent.trim_end_matches("?gesendet=1").to_owned();
        assert_eq!(app.get_as(&clara, &hers).await.status(), 200);
        assert_eq!(
            app.get_as(&clara, &own).await.status(),
            404,
            "Anna's application for the business is not Clara's to see"
        );
        let her_list = app
            .get_as(&clara, "/konto/antraege")
            .await
            .text()
            .await
            .unwrap();
        assert!(!her_list.contains(&reference));
        assert_eq!(
            app.get_as(&ben, &hers).await.status(),
            200,
            "members see all of the business's applications"
        );

        // Anna makes Ben a submitter too: the business's other applications are gone
        // for him.
        let ben_id = citizen_id(&app, "ben@korn.example").await;
        let anna_id = citizen_id(&app, "anna@korn.example").await;
        let role_of = |who| format!("{page}/mitglieder/{who}/rolle");
        let changed = app
            .post_as(&anna, &role_of(ben_id), &[("role", "submitter")])
            .await;
        assert_eq!(changed.status(), 303);
        assert_eq!(app.get_as(&ben, &own).await.status(), 404);
        assert_eq!(app.get_as(&ben, &hers).await.status(), 404);
        let shown = app.get_as(&anna, &page).await.text().await.unwrap();
        assert!(shown.contains("Antragstellung"), "the new role is shown");
        assert!(
            app.scalar(
                "SELECT action AS v FROM audit_log WHERE action = 'organisation.change_role'"
            )
            .await
            .is_some()
        );

        // Only admins change roles, only to roles that exist, and the last admin keeps
        // hers.
        let by_member = app
            .post_as(&clara, &role_of(ben_id), &[("role", "admin")])
            .await;
        assert_eq!(by_member.status(), 403);
        let unknown = app
            .post_as(&anna, &role_of(ben_id), &[("role", "chef")])
            .await;
        assert_eq!(unknown.status(), 400);
        let last_admin = app
            .post_as(&anna, &role_of(anna_id), &[("role", "member")])
            .await;
        assert_eq!(last_admin.status(), 400);
        let roles = app
            .scalar("SELECT role AS v FROM organisation_members ORDER BY role LIMIT 1")
            .await;
        assert_eq!(roles.as_deref(), Some("admin"), "Anna is still admin");
        app.stop().await;
    }
);

async fn citizen_tenant(app: &TestApp, email: &str) -> uuid::Uuid {
    use rathaus_store::entities::citizen;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let found = citizen::Entity::find().filter(citizen::Column::Email.eq(email));
    found.one(app.db().conn()).await.unwrap().unwrap().tenant_id
}
