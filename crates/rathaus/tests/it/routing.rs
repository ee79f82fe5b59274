//! Routing rules of the mailroom, on both databases: an admin writes rules as data (a
//! condition on the answers and a department), a wrong condition is refused with the
//! reason and nothing stored, the trial says which department would get an application,
//! a real application goes where the first holding rule says and its timeline names the
//! rule, and reordering and deleting rules change where the same application would go.

use rathaus_store::entities::{case, case_event, routing_rule};
use rathaus_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, session};
use crate::submissions::{parking_permit, step};

const PAGE: &str = "/verwaltung/zustaendigkeit";

async fn rules(app: &TestApp) -> Vec<routing_rule::Model> {
    routing_rule::Entity::find()
        .order_by_asc(routing_rule::Column::Position)
        .all(app.db().conn())
        .await
        .unwrap()
}

async fn add(
    app: &TestApp,
    admin: &str,
    label: &str,
    condition: &str,
    department: &str,
) -> reqwest::Response {
    let fields = [
        ("leistung", "bewohnerparkausweis"),
        ("bezeichnung", label),
        ("bedingung", condition),
        ("fachdienst", department),
    ];
    app.post_as(admin, PAGE, &fields).await
}

async fn trial(app: &TestApp, admin: &str, query: &str) -> String {
    let page = app.get_as(admin, &format!("{PAGE}/probe?{query}")).await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

on_both_backends!(
    routing_rules_decide_the_department_and_can_be_tried_first,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        // The admin also sorts the mail: trials by reference need a case one may see.
        let admin_row = rathaus_store::entities::staff_user::Entity::find()
            .filter(
                rathaus_store::entities::staff_user::Column::Email
                    .eq(rathaus_core::demo::DEMO_STAFF[ADMIN].email),
            )
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        let mut both = admin_row.into_active_model();
        both.roles = rathaus_store::sea_orm::Set("admin,mailroom".to_owned());
        both.update(app.db().conn()).await.unwrap();
        let admin = session(&app, ADMIN).await;
        let caseworker = session(&app, CASEWORKER).await;
        assert_eq!(app.get_as(&caseworker, PAGE).await.status(), 403);
        let empty = app.get_as(&admin, PAGE).await.text().await.unwrap();
        assert!(empty.contains("Es gibt noch keine Regeln"), "{empty}");

        // Wrong input: a clear message, nothing stored.
        let unknown_field = add(
            &app,
            &admin,
            "Bezirk",
            "anschrift.bezirk == \"Süd\"",
            "ordnung",
        )
        .await;
        assert_eq!(unknown_field.status(), 422);
        let text = unknown_field.text().await.unwrap();
        assert!(
            text.contains("Die Bedingung passt nicht zum Formular"),
            "{text}"
        );
        assert!(text.contains("anschrift.bezirk"), "{text}");
        let no_label = add(&app, &admin, " ", "", "ordnung").await;
        assert_eq!(no_label.status(), 422);
        assert!(
            no_label
                .text()
                .await
                .unwrap()
                .contains("Geben Sie eine Bezeichnung ein")
        );
        let no_department = add(&app, &admin, "Süd", "", "gibt-es-nicht").await;
        assert_eq!(no_department.status(), 422);
        assert!(
            no_department
                .text()
                .await
                .unwrap()
                .contains("Wählen Sie einen Fachdienst")
        );
        let caseworker_adds = add(&app, &caseworker, "Süd", "", "ordnung").await;
        assert_eq!(caseworker_adds.status(), 403);
        assert!(rules(&app).await.is_empty());

        // Two rules: postcodes 4265x to the Ordnungsamt, every other to the Bürgerbüro.
        let south = add(
            &app,
            &admin,
            "Bezirk Süd",
            "starts_with(anschrift.plz, \"4265\") and hauptwohnsitz",
            "ordnung",
        )
        .await;
        assert_eq!(south.status(), 303);
        let rest = add(&app, &admin, "Alle anderen", "", "buergerbuero").await;
        assert_eq!(rest.status(), 303);
        let listed = app.get_as(&admin, PAGE).await.text().await.unwrap();
        assert!(
            listed.contains("Bezirk Süd") && listed.contains("Ordnungsamt"),
            "{listed}"
        );
        assert!(listed.contains("jeder Antrag"), "{listed}");

        // The trial asks for the fields the rules read and answers without changing anything.
        let form = trial(&app, &admin, "leistung=bewohnerparkausweis").await;
        assert!(form.contains("name=\"feld.anschrift.plz\""), "{form}");
        assert!(form.contains("name=\"feld.hauptwohnsitz\""), "{form}");
        let south_answer = trial(
            &app,
            &admin,
            "leistung=bewohnerparkausweis&pruefen=1&feld.anschrift.plz=42651&feld.hauptwohnsitz=ja",
        )
        .await;
        assert!(
            south_answer.contains("Ordnungsamt – nach der Regel „Bezirk Süd“"),
            "{south_answer}"
        );
        let north_answer = trial(
            &app,
            &admin,
            "leistung=bewohnerparkausweis&pruefen=1&feld.anschrift.plz=42719&feld.hauptwohnsitz=ja",
        )
        .await;
        assert!(
            north_answer.contains("Bürgerbüro – nach der Regel „Alle anderen“"),
            "{north_answer}"
        );
        let unfit = trial(
            &app,
            &admin,
            "leistung=bewohnerparkausweis&pruefen=1&feld.hauptwohnsitz=vielleicht",
        )
        .await;
        assert!(
            unfit.contains("Dieser Wert passt nicht zum Feld"),
            "{unfit}"
        );
        assert!(
            !unfit.contains("Ergebnis"),
            "no result from answers that do not fit"
        );

        // A real application goes where the first holding rule says; the timeline says why.
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        let confirmation = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
        let reference = confirmation
            .trim_start_matches("/konto/antraege/")
            .trim_end_matches("?gesendet=1")
            .to_owned();
        let conn = app.db().conn();
        let case = case::Entity::find()
            .filter(case::Column::Reference.eq(&reference))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        let ordnung = rathaus_core::departments::by_key(conn, case.tenant_id, "ordnung")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.department_id, Some(ordnung.id));
        let routed = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(case.id))
            .filter(case_event::Column::Kind.eq("routed"))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert!(routed.details.contains("Bezirk Süd"), "{}", routed.details);

        // The same application tried by its reference, before and after reordering.
        let by_reference = trial(&app, &admin, &format!("aktenzeichen={reference}")).await;
        assert!(
            by_reference.contains("Ordnungsamt – nach der Regel „Bezirk Süd“"),
            "{by_reference}"
        );
        let second = rules(&app).await[1].id;
        let raised = app
            .post_as(&admin, &format!("{PAGE}/{second}/hoch"), &[])
            .await;
        assert_eq!(raised.status(), 303);
        assert_eq!(rules(&app).await[0].label, "Alle anderen");
        let by_reference = trial(
            &app,
            &admin,
            &format!("aktenzeichen={}", reference.to_lowercase()),
        )
        .await;
        assert!(
            by_reference.contains("Bürgerbüro – nach der Regel „Alle anderen“"),
            "{by_reference}"
        );
        for rule in rules(&app).await {
            let removed = app
                .post_as(&admin, &format!("{PAGE}/{}/loeschen", rule.id), &[])
                .await;
            assert_eq!(removed.status(), 303);
        }
        assert!(rules(&app).await.is_empty());
        let by_reference = trial(&app, &admin, &format!("aktenzeichen={reference}")).await;
        assert!(
            by_reference.contains("Straßenverkehr und Parken – keine Regel trifft zu"),
            "{by_reference}"
        );
        let unknown = trial(&app, &admin, "aktenzeichen=MS-2026-XXXXX").await;
        assert!(
            unknown.contains("keinen online gestellten Antrag"),
            "{unknown}"
        );
        assert_eq!(
            app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action LIKE 'routing_rule.%'").await.as_deref(),
            Some("5"),
            "two added, one raised, two removed"
        );
        assert_eq!(
            app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'case.routing_tried'")
                .await
                .as_deref(),
            Some("3"),
            "every trial with an application is in the audit log"
        );
        // The case stays where it was routed: rules decide on arrival only.
        let case = case::Entity::find_by_id(case.id)
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.department_id, Some(ordnung.id));
        app.stop().await;
    }
);
