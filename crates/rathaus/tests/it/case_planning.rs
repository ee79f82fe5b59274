//! Deadlines, the inbox views by deadline and state, and internal notes, on both
//! databases: a case gets its service's deadline on arrival, is listed as overdue once it
//! has passed, gets a new deadline only with a date ahead and a reason, is listed as
//! waiting while documents are asked for; notes stay internal and are audited without
//! their text; department leads assign a case to a colleague of its department.

use chrono::{Duration, Utc};
use rathaus_core::time::{end_of_day, local_day};
use rathaus_store::entities::{case, staff_user};
use rathaus_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, DEPARTMENT_LEAD, session};
use crate::submissions::{parking_permit, step};

async fn the_case(app: &TestApp) -> case::Model {
    let mut all = case::Entity::find().all(app.db().conn()).await.unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

async fn staff_id(app: &TestApp, email: &str) -> String {
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(app.db().conn())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn inbox(app: &TestApp, cookie: &str, view: &str) -> String {
    let page = app
        .get_as(cookie, &format!("/verwaltung/vorgaenge?ansicht={view}"))
        .await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

on_both_backends!(deadlines_views_and_internal_notes, |backend| async move {
    let (app, smtp) = start(backend).await;
    let erika = citizen(&app, &smtp, "erika@example.org").await;
    let base = parking_permit(&app, &erika).await;
    let confirmation = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
    let arrived = the_case(&app).await;
    let reference = arrived.reference.clone();
    // The catalog gives the parking permit 14 days.
    let due = arrived.due_at.expect("a deadline from the catalog");
    assert_eq!(
        local_day(due),
        local_day(arrived.created_at) + Duration::days(14)
    );

    let vera = session(&app, CASEWORKER).await;
    let case_path = format!("/verwaltung/vorgaenge/{reference}");
    let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
    let shown = local_day(due).format("%d.%m.%Y").to_string();
    assert!(page.contains(&shown), "the deadline is shown");
    assert!(
        !inbox(&app, &vera, "ueberfaellig")
            .await
            .contains(&reference)
    );

    // Time passes: the deadline is yesterday.
    let mut late = arrived.clone().into_active_model();
    late.due_at = Set(Some(Utc::now() - Duration::days(1)));
    late.update(app.db().conn()).await.unwrap();
    let overdue = inbox(&app, &vera, "ueberfaellig").await;
    assert!(
        overdue.contains(&reference) && overdue.contains("überfällig"),
        "{overdue}"
    );
    assert!(!inbox(&app, &vera, "wartend").await.contains(&reference));

    // A new deadline: a date ahead and a reason, else a clear message and no change.
    let deadline = format!("{case_path}/frist");
    let ahead = (local_day(Utc::now()) + Duration::days(30))
        .format("%d.%m.%Y")
        .to_string();
    let yesterday = (local_day(Utc::now()) - Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    for (fields, message) in [
        (
            [
                ("version", "1"),
                ("frist", "bald"),
                ("frist_grund", "Gutachten"),
            ],
            "als Datum",
        ),
        (
            [
                ("version", "1"),
                ("frist", yesterday.as_str()),
                ("frist_grund", "Gutachten"),
            ],
            "nicht in der Vergangenheit",
        ),
        (
            [
                ("version", "1"),
                ("frist", ahead.as_str()),
                ("frist_grund", " "),
            ],
            "warum sich die Frist ändert",
        ),
    ] {
        let refused = app.post_as(&vera, &deadline, &fields).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(the_case(&app).await.version, 1, "nothing changed");
    let set = [
        ("version", "1"),
        ("frist", ahead.as_str()),
        ("frist_grund", "Das Gutachten der Polizei steht aus."),
    ];
    let moved = app.post_as(&vera, &deadline, &set).await;
    assert_eq!(moved.status(), 303);
    let stale = app.post_as(&vera, &deadline, &set).await;
    assert!(
        stale.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("?konflikt=1"),
        "a page from before the change is outdated"
    );
    let changed = the_case(&app).await;
    assert_eq!(changed.version, 2);
    assert_eq!(
        local_day(changed.due_at.unwrap())
            .format("%d.%m.%Y")
            .to_string(),
        ahead
    );
    assert!(
        !inbox(&app, &vera, "ueberfaellig")
            .await
            .contains(&reference)
    );
    let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "Frist geändert: {ahead} – Das Gutachten der Polizei steht aus."
        )),
        "the timeline says when and why"
    );

    // Internal notes: not empty, not endless, never seen by the applicant.
    let note = format!("{case_path}/notiz");
    let empty = app.post_as(&vera, &note, &[("notiz", "  ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("Schreiben Sie eine Notiz")
    );
    let endless = "x".repeat(5001);
    let long = app
        .post_as(&vera, &note, &[("notiz", endless.as_str())])
        .await;
    assert_eq!(long.status(), 422);
    let text = "Halterin telefonisch erreicht, Nachweis kommt per Post.";
    let noted = app.post_as(&vera, &note, &[("notiz", text)]).await;
    assert_eq!(noted.status(), 303);
    assert_eq!(the_case(&app).await.version, 2, "a note outdates no page");
    let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
    assert!(page.contains(&format!("Interne Notiz: {text}")));
    let applicant = app
        .get_as(&erika, &confirmation)
        .await
        .text()
        .await
        .unwrap();
    assert!(!applicant.contains(text) && !applicant.contains("Frist geändert"));
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'case.note'")
            .await
            .as_deref(),
        Some("1")
    );
    assert_eq!(
            app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE CAST(details AS TEXT) LIKE '%telefonisch%'")
                .await
                .as_deref(),
            Some("0"),
            "the audit log says that a note was written, not what"
        );

    // A department lead assigns the case to a colleague of its department.
    let assign = format!("{case_path}/zuweisen");
    let vera_id = staff_id(&app, "verkehr@musterstadt.example").await;
    let post_id = staff_id(&app, "post@musterstadt.example").await;
    let by_vera = app
        .post_as(
            &vera,
            &assign,
            &[("version", "2"), ("an", vera_id.as_str())],
        )
        .await;
    assert_eq!(by_vera.status(), 403, "caseworkers do not assign");
    assert!(!page.contains("/zuweisen"), "nor are they offered to");
    let lena = session(&app, DEPARTMENT_LEAD).await;
    let lead_page = app.get_as(&lena, &case_path).await.text().await.unwrap();
    assert!(lead_page.contains(&format!(
        "<option value=\"{vera_id}\">Vera Verkehr</option>"
    )));
    assert!(
        !lead_page.contains(&post_id),
        "the mailroom is not of the department"
    );
    for stranger in [post_id.as_str(), "kein-mensch"] {
        let refused = app
            .post_as(&lena, &assign, &[("version", "2"), ("an", stranger)])
            .await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Wählen Sie eine Person aus dem Fachdienst")
        );
    }
    let assigned = app
        .post_as(
            &lena,
            &assign,
            &[("version", "2"), ("an", vera_id.as_str())],
        )
        .await;
    assert_eq!(assigned.status(), 303);
    assert_eq!(
        the_case(&app).await.assignee_id.map(|id| id.to_string()),
        Some(vera_id.clone())
    );
    assert!(inbox(&app, &vera, "meine").await.contains(&reference));
    let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
    assert!(
        page.contains("Zugewiesen: Vera Verkehr – Lena Leitung"),
        "who assigned whom"
    );

    // Documents asked for: the case waits for the applicant.
    let ask = [
        ("version", "3"),
        ("schritt", "nachfordern"),
        ("nachricht", "Bitte senden Sie uns den Fahrzeugschein."),
    ];
    let asked = app
        .post_as(&vera, &format!("{case_path}/schritt"), &ask)
        .await;
    assert_eq!(asked.status(), 303);
    assert!(inbox(&app, &vera, "wartend").await.contains(&reference));

    // While it waits, the deadline rests: not overdue even when its day has passed.
    let waiting = the_case(&app).await;
    let since = waiting.deadline_paused_at.expect("the deadline rests");
    let mut rested = waiting.clone().into_active_model();
    // Three days ago it started waiting, and the deadline was yesterday.
    rested.deadline_paused_at = Set(Some(since - Duration::days(3)));
    rested.due_at = Set(Some(Utc::now() - Duration::days(1)));
    rested.update(app.db().conn()).await.unwrap();
    assert!(
        !inbox(&app, &vera, "ueberfaellig")
            .await
            .contains(&reference)
    );
    let resting = inbox(&app, &vera, "wartend").await;
    assert!(resting.contains("Frist ruht"), "{resting}");
    let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
    assert!(page.contains("die Frist ruht seit"));

    // The documents came: work goes on and the deadline is later by the time it rested.
    let resume = [("version", "4"), ("schritt", "bearbeiten")];
    let resumed = app
        .post_as(&vera, &format!("{case_path}/schritt"), &resume)
        .await;
    assert_eq!(resumed.status(), 303);
    let going = the_case(&app).await;
    assert_eq!(going.deadline_paused_at, None);
    // Later by the whole days it rested, ending at midnight still.
    let rested = local_day(Utc::now()) - local_day(since - Duration::days(3));
    let yesterday = local_day(Utc::now() - Duration::days(1));
    assert_eq!(going.due_at, Some(end_of_day(yesterday + rested)));
    let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
    assert!(page.contains("Frist läuft weiter, verlängert um die Wartezeit"));
    app.stop().await;
});
