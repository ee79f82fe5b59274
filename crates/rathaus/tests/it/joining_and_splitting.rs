//! Splitting a case and joining one into another, on both databases. Splitting: the
//! traffic caseworker makes a second case of an application for the registry office,
//! with the same applicant, answers and search words; refused without department, title
//! or reason. Joining: an applicant sends the parking
//! permit twice; the caseworker joins the second into the first with a reason. The
//! second is closed as "Zusammengeführt" (the applicant reads that, not the reason),
//! both timelines name the other, the change is audited; a case joins neither itself,
//! nor one the caseworker may not see, nor a finished one, nor without a reason, nor
//! from a page that is out of date — with a clear message and nothing changed.

use rathaus_core::cases::{self, NewCase};
use rathaus_store::entities::{audit_entry, case};
use rathaus_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, MAILROOM, session};
use crate::submissions::{parking_permit, step};

async fn cases_in_order(app: &TestApp) -> Vec<case::Model> {
    case::Entity::find()
        .order_by_asc(case::Column::CreatedAt)
        .order_by_asc(case::Column::Id)
        .all(app.db().conn())
        .await
        .unwrap()
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> String {
    app.get_as(cookie, path).await.text().await.unwrap()
}

async fn send_permit(app: &TestApp, erika: &str) {
    let base = parking_permit(app, erika).await;
    step(app, erika, &format!("{base}/absenden"), &[]).await;
}

on_both_backends!(
    a_case_sent_twice_is_joined_into_the_first,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        send_permit(&app, &erika).await;
        send_permit(&app, &erika).await;
        send_permit(&app, &erika).await;
        let sent = cases_in_order(&app).await;
        let (first, second, third) = (&sent[0], &sent[1], &sent[2]);
        // A case of another department, which the traffic caseworker does not see.
        let tenant = first.tenant_id;
        let registry = rathaus_core::departments::by_key(app.db().conn(), tenant, "buergerbuero")
            .await
            .unwrap()
            .unwrap();
        let elsewhere = NewCase {
            tenant_id: tenant,
            reference: "MS-2026-ANDR2",
            submission_id: None,
            service_key: "meldebescheinigung",
            title: "Meldebescheinigung",
            department: Some(&registry),
            rule: None,
            team_id: None,
            due_at: None,
            citizen_id: None,
            organisation_id: None,
            applicant_name: "Jemand Anderes",
            answers: None,
        };
        cases::open(app.db().conn(), elsewhere).await.unwrap();

        let vera = session(&app, CASEWORKER).await;
        let case_page = |reference: &str| format!("/verwaltung/vorgaenge/{reference}");
        let join = |from: &str, version: &'static str, into: &str, why: &str| {
            let path = format!("/verwaltung/vorgaenge/{from}/zusammenfuehren");
            let fields = [("version", version), ("vorgang", into), ("grund", why)]
                .map(|(k, v)| (k, v.to_owned()));
            let app = &app;
            let vera = vera.clone();
            async move {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_as(&vera, &path, &fields).await
            }
        };
        let shown = page(&app, &vera, &case_page(&second.reference)).await;
        assert!(shown.contains("Mit einem anderen Vorgang zusammenführen"));
        let reason = "Der Antrag wurde doppelt gestellt.";
        for (into, why, message) in [
            (second.reference.as_str(), reason, "nicht mit sich selbst"),
            (
                "MS-2026-XXXXX",
                reason,
                "gibt es in Ihren Fachdiensten nicht",
            ),
            (
                "MS-2026-ANDR2",
                reason,
                "gibt es in Ihren Fachdiensten nicht",
            ),
            (
                first.reference.as_str(),
                " ",
                "Bitte geben Sie einen Grund an",
            ),
        ] {
            let refused = join(&second.reference, "1", into, why).await;
            assert_eq!(refused.status(), 422, "{into}");
            let text = refused.text().await.unwrap();
            assert!(text.contains(message), "{into}: {message}");
            assert!(
                text.contains(&format!("value=\"{into}\"")),
                "what was typed stays"
            );
        }
        assert_eq!(cases_in_order(&app).await[1].version, 1, "nothing changed");

        // Typed as read out: lower case.
        let joined = join(
            &second.reference,
            "1",
            &first.reference.to_lowercase(),
            reason,
        )
        .await;
        assert_eq!(joined.status(), 303);
        assert_eq!(
            joined.headers()["location"].to_str().unwrap(),
            case_page(&first.reference)
        );
        let now = cases_in_order(&app).await;
        assert_eq!(now[1].state, "zusammengefuehrt");
        assert_eq!(now[1].version, 2);
        assert_eq!(now[0].state, first.state, "the first goes on as it was");
        assert_eq!(
            now[0].version,
            first.version + 1,
            "pages of the first are outdated"
        );

        let first_page = page(&app, &vera, &case_page(&first.reference)).await;
        let from = format!("Hinzugeführt wurde: {} – {reason}", second.reference);
        assert!(first_page.contains(&from), "{first_page}");
        let second_page = page(&app, &vera, &case_page(&second.reference)).await;
        let into = format!("Zusammengeführt mit: {} – {reason}", first.reference);
        assert!(second_page.contains(&into));
        assert!(
            !second_page.contains("Mit einem anderen Vorgang zusammenführen"),
            "a closed case is not joined again"
        );
        let audited = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("case.joined"))
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].object_id, Some(second.id.to_string()));

        // The applicant reads the state and what it means, not the internal reason.
        let applicant_view = page(
            &app,
            &erika,
            &format!("/konto/antraege/{}", second.reference),
        )
        .await;
        assert!(applicant_view.contains("Zusammengeführt"));
        assert!(applicant_view.contains("zusammen mit einem anderen Vorgang"));
        assert!(!applicant_view.contains(reason));

        // Once joined, not again; not into a finished case; not from an old page.
        let again = join(&second.reference, "2", &third.reference, reason).await;
        let again = again.text().await.unwrap();
        assert!(again.contains("Dieser Vorgang ist schon entschieden oder geschlossen"));
        let into_finished = join(&third.reference, "1", &second.reference, reason).await;
        let into_finished = into_finished.text().await.unwrap();
        assert!(
            into_finished.contains("Der andere Vorgang ist schon entschieden oder geschlossen")
        );
        let stale = join(&first.reference, "1", &third.reference, reason).await;
        let location = stale.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.ends_with("?konflikt=1"),
            "a page from before the join is outdated"
        );
        assert_eq!(cases_in_order(&app).await[0].state, first.state);
        app.stop().await;
    }
);

on_both_backends!(
    an_application_for_two_departments_is_split,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        send_permit(&app, &erika).await;
        let original = cases_in_order(&app).await.remove(0);
        let vera = session(&app, CASEWORKER).await;
        let split = format!("/verwaltung/vorgaenge/{}/aufteilen", original.reference);
        let title = "Meldebescheinigung für den Nachweis";
        let reason = "Die Bescheinigung stellt das Bürgerbüro aus.";
        for (department, what, why, message) in [
            ("", title, reason, "Wählen Sie den Fachdienst"),
            (
                "buergerbuero",
                " ",
                reason,
                "worum es im neuen Vorgang geht",
            ),
            ("buergerbuero", title, "", "Bitte geben Sie einen Grund an"),
        ] {
            let fields = [("fachdienst", department), ("titel", what), ("grund", why)];
            let refused = app.post_as(&vera, &split, &fields).await;
            assert_eq!(refused.status(), 422, "{message}");
            assert!(refused.text().await.unwrap().contains(message), "{message}");
        }
        assert_eq!(cases_in_order(&app).await.len(), 1, "nothing made");

        let fields = [
            ("fachdienst", "buergerbuero"),
            ("titel", title),
            ("grund", reason),
        ];
        let made = app.post_as(&vera, &split, &fields).await;
        assert_eq!(made.status(), 303);
        let both = cases_in_order(&app).await;
        assert_eq!(both.len(), 2);
        let (kept, part) = (&both[0], &both[1]);
        assert_eq!(kept.state, original.state, "the original goes on");
        assert_ne!(part.reference, original.reference);
        assert_eq!(part.title, title);
        assert_eq!(
            part.submission_id, original.submission_id,
            "the same application"
        );
        assert_eq!(part.citizen_id, original.citizen_id);
        assert_eq!(part.due_at, original.due_at);
        let registry =
            rathaus_core::departments::by_key(app.db().conn(), kept.tenant_id, "buergerbuero")
                .await
                .unwrap()
                .unwrap();
        assert_eq!(part.department_id, Some(registry.id));

        let kept_page = page(
            &app,
            &vera,
            &format!("/verwaltung/vorgaenge/{}", kept.reference),
        )
        .await;
        let named = format!(
            "Aufgeteilt, neuer Vorgang: Bürgerbüro – {} – {reason}",
            part.reference
        );
        assert!(kept_page.contains(&named), "{kept_page}");
        // The new case is the registry office's: the traffic caseworker does not see it, the
        // mailroom does, with its origin and the application's words.
        let hidden = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{}", part.reference))
            .await;
        assert_eq!(hidden.status(), 404);
        let post = session(&app, MAILROOM).await;
        let part_page = page(
            &app,
            &post,
            &format!("/verwaltung/vorgaenge/{}", part.reference),
        )
        .await;
        assert!(part_page.contains(&format!("Aufgeteilt aus: {} – {reason}", kept.reference)));
        assert!(part_page.contains("SG-AB 123"), "what was sent is shown");
        let found = page(
            &app,
            &post,
            "/verwaltung/vorgaenge?ansicht=alle&q=sg-ab%20123",
        )
        .await;
        assert!(
            found.contains(&kept.reference) && found.contains(&part.reference),
            "{found}"
        );
        // The applicant finds both.
        let mine = page(&app, &erika, "/konto/antraege").await;
        assert!(mine.contains(&kept.reference) && mine.contains(&part.reference));
        // A closed case is not split (a page from before it closed).
        let mut closed: case::ActiveModel = part.clone().into();
        closed.state = Set("abgeschlossen".into());
        closed.phase = Set("closed".into());
        closed.update(app.db().conn()).await.unwrap();
        let closed_split = format!("/verwaltung/vorgaenge/{}/aufteilen", part.reference);
        let refused = app.post_as(&post, &closed_split, &fields).await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("schon entschieden oder geschlossen")
        );
        assert_eq!(cases_in_order(&app).await.len(), 2, "nothing made");
        let audited = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("case.split"))
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(audited.len(), 1);
        app.stop().await;
    }
);
