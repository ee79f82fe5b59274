//! Reminders (Wiedervorlage) on both databases: staff set one with a day and a reason
//! (refused without a reason or with a day gone by), the inbox lists the case on its day
//! until it is done; asking for documents names the day to answer by in the message and
//! sets a reminder for it, from the workflow's days or a day the caseworker gives.

use chrono::{Duration, Utc};
use rathaus_core::time::local_day;
use rathaus_store::entities::{case, case_reminder, postbox_message};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, session};
use crate::submissions::sent_application;

fn day(offset_days: i64) -> String {
    (local_day(Utc::now()) + Duration::days(offset_days))
        .format("%d.%m.%Y")
        .to_string()
}

async fn reminders(app: &TestApp) -> Vec<case_reminder::Model> {
    case_reminder::Entity::find()
        .order_by_asc(case_reminder::Column::DueAt)
        .all(app.db().conn())
        .await
        .unwrap()
}

async fn listed_as_due(app: &TestApp, cookie: &str, reference: &str) -> bool {
    let page = app
        .get_as(cookie, "/verwaltung/vorgaenge?ansicht=wiedervorlage")
        .await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap().contains(reference)
}

async fn version(app: &TestApp) -> String {
    let all = case::Entity::find().all(app.db().conn()).await.unwrap();
    all[0].version.to_string()
}

on_both_backends!(
    reminders_bring_a_case_back_on_its_day,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let vera = session(&app, CASEWORKER).await;
        let path = format!("/verwaltung/vorgaenge/{reference}/wiedervorlage");

        // Without a reason, on a day gone by, or not a day: refused, what was typed kept.
        for (form, message) in [
            (
                [
                    ("wiedervorlage", day(0)),
                    ("wiedervorlage_grund", " ".into()),
                ],
                "Schreiben Sie, was bei der Wiedervorlage zu tun ist.",
            ),
            (
                [
                    ("wiedervorlage", day(-1)),
                    ("wiedervorlage_grund", "Prüfen".into()),
                ],
                "Frist",
            ),
            (
                [
                    ("wiedervorlage", "morgen".into()),
                    ("wiedervorlage_grund", "Prüfen".into()),
                ],
                "zum Beispiel 24.12.2026",
            ),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let refused = app.post_as(&vera, &path, &form).await;
            assert_eq!(refused.status(), 422);
            let page = refused.text().await.unwrap();
            assert!(page.contains(message), "{message}");
            assert!(page.contains(form[0].1), "typed day kept");
        }
        assert!(reminders(&app).await.is_empty());
        assert!(!listed_as_due(&app, &vera, &reference).await);

        // One for next week does not bring it back today; one for today does.
        let later = [
            ("wiedervorlage", day(7)),
            ("wiedervorlage_grund", "Halterauskunft da?".into()),
        ];
        let later: Vec<(&str, &str)> = later.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(app.post_as(&vera, &path, &later).await.status(), 303);
        assert!(!listed_as_due(&app, &vera, &reference).await);
        let today = [
            ("wiedervorlage", day(0)),
            ("wiedervorlage_grund", "Rückruf Frau Mustermann".into()),
        ];
        let today: Vec<(&str, &str)> = today.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(app.post_as(&vera, &path, &today).await.status(), 303);
        assert!(listed_as_due(&app, &vera, &reference).await);
        let case_page = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(case_page.contains("Rückruf Frau Mustermann"));
        assert!(case_page.contains("fällig"));
        assert!(
            case_page.contains("Wiedervorlage eingetragen"),
            "in the timeline"
        );

        // Done: the case leaves the view; a second click changes nothing.
        let due_one = reminders(&app).await[0].id;
        let done = format!("{path}/{due_one}/erledigt");
        assert_eq!(app.post_as(&vera, &done, &[]).await.status(), 303);
        assert!(!listed_as_due(&app, &vera, &reference).await);
        assert_eq!(app.post_as(&vera, &done, &[]).await.status(), 303);
        let done_rows: Vec<_> = reminders(&app)
            .await
            .into_iter()
            .filter(|r| r.done_at.is_some())
            .collect();
        assert_eq!(done_rows.len(), 1);
        assert_eq!(done_rows[0].done_by.as_deref(), Some("Vera Verkehr"));
        let audited = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log \
                       WHERE action IN ('case.reminder_set', 'case.reminder_done')";
        assert_eq!(app.scalar(audited).await.as_deref(), Some("3"));
        // Internal: the applicant's timeline says nothing of it.
        let own = app
            .get_as(&erika, &format!("/konto/antraege/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!own.contains("Wiedervorlage") && !own.contains("Rückruf"));

        app.stop().await;
    }
);

on_both_backends!(
    asking_for_documents_names_the_day_to_answer_by_and_sets_a_reminder,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let vera = session(&app, CASEWORKER).await;
        let path = format!("/verwaltung/vorgaenge/{reference}/schritt");
        let page = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Leer lassen für 14 Tage ab heute"),
            "the workflow's days"
        );

        // A day that is not ahead, or not a day: nothing happens.
        let messages_before = postbox_message::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap()
            .len();
        for (typed, message) in [
            (day(0), "nach dem heutigen Tag"),
            ("bald".to_owned(), "zum Beispiel 24.12.2026"),
        ] {
            let v = version(&app).await;
            let ask = [
                ("version", v.as_str()),
                ("schritt", "nachfordern"),
                ("nachricht", "Bitte senden Sie uns den Fahrzeugschein."),
                ("antwort_bis", typed.as_str()),
            ];
            let refused = app.post_as(&vera, &path, &ask).await;
            assert_eq!(refused.status(), 422);
            assert!(refused.text().await.unwrap().contains(message), "{message}");
        }
        let state = "SELECT state AS v FROM cases";
        assert_eq!(app.scalar(state).await.as_deref(), Some("eingegangen"));
        assert!(reminders(&app).await.is_empty());
        let messages = postbox_message::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(messages.len(), messages_before);

        // Without a day: the workflow's 14 days, in the message and as a reminder.
        let v = version(&app).await;
        let ask = [
            ("version", v.as_str()),
            ("schritt", "nachfordern"),
            ("nachricht", "Bitte senden Sie uns den Fahrzeugschein."),
            ("antwort_bis", ""),
        ];
        assert_eq!(app.post_as(&vera, &path, &ask).await.status(), 303);
        let asked = postbox_message::Entity::find()
            .filter(postbox_message::Column::Direction.eq("to_applicant"))
            .order_by_desc(postbox_message::Column::SentAt)
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            asked.body,
            format!(
                "Bitte senden Sie uns den Fahrzeugschein.\n\nBitte antworten Sie bis zum {}.",
                day(14)
            )
        );
        let set = reminders(&app).await;
        assert_eq!(set.len(), 1);
        assert_eq!(
            local_day(set[0].due_at).format("%d.%m.%Y").to_string(),
            day(14)
        );
        assert_eq!(set[0].set_by, "System");

        // The applicant answers; the caseworker asks again with a day of her own.
        let reply = format!("/konto/antraege/{reference}/nachricht");
        let answered = app
            .post_as(&erika, &reply, &[("nachricht", "Kommt per Post.")])
            .await;
        assert_eq!(answered.status(), 303);
        let v = version(&app).await;
        let resume = [("version", v.as_str()), ("schritt", "bearbeiten")];
        assert_eq!(app.post_as(&vera, &path, &resume).await.status(), 303);
        let v = version(&app).await;
        let again = [
            ("version", v.as_str()),
            ("schritt", "nachfordern"),
            ("nachricht", "Die Post ist nicht angekommen."),
            ("antwort_bis", &day(3)),
        ];
        assert_eq!(app.post_as(&vera, &path, &again).await.status(), 303);
        let days: Vec<String> = reminders(&app)
            .await
            .iter()
            .map(|r| local_day(r.due_at).format("%d.%m.%Y").to_string())
            .collect();
        assert_eq!(days, [day(3), day(14)]);
        let own = app
            .get_as(&erika, &format!("/konto/antraege/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(own.contains(&format!("Bitte antworten Sie bis zum {}.", day(3))));

        app.stop().await;
    }
);
