//! Cases made by hand for requests by phone, in person or by letter, on both databases:
//! wrong input gets a clear message and makes nothing; a caseworker makes cases only for
//! her own departments, the mailroom for any; a case for a person with an account shows
//! up in their "Meine Anträge" with a confirmation in the postbox, the note stays
//! internal.

use rathaus_store::entities::{case, citizen};
use rathaus_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use crate::accounts::start;
use crate::assistant::citizen as confirmed_citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, MAILROOM, session};

const PAGE: &str = "/verwaltung/vorgaenge/neu";

async fn cases(app: &TestApp) -> Vec<case::Model> {
    case::Entity::find().all(app.db().conn()).await.unwrap()
}

fn request<'a>(department: &'a str, name: &'a str, email: &'a str) -> [(&'a str, &'a str); 6] {
    [
        ("leistung", "bewohnerparkausweis"),
        ("kanal", "telefon"),
        ("name", name),
        ("email", email),
        ("fachdienst", department),
        ("notiz", "Ruft wegen eines Zweitwagens an, Nachweis folgt."),
    ]
}

on_both_backends!(
    staff_take_down_requests_made_by_phone,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = confirmed_citizen(&app, &smtp, "erika@example.org").await;
        let vera = session(&app, CASEWORKER).await;
        let form = app.get_as(&vera, PAGE).await;
        assert_eq!(form.status(), 200);
        assert!(form.text().await.unwrap().contains("Vorgang anlegen"));
        let admin = session(&app, ADMIN).await;
        assert_eq!(
            app.get_as(&admin, PAGE).await.status(),
            403,
            "no case work, no cases"
        );

        for (fields, message) in [
            (request("", " ", ""), "Geben Sie den Namen"),
            (
                request("", "Erika Mustermann", "niemand@example.org"),
                "kein bestätigtes Konto",
            ),
            (
                request("ordnung", "Erika Mustermann", ""),
                "nur für Ihre eigenen Fachdienste",
            ),
        ] {
            let refused = app.post_as(&vera, PAGE, &fields).await;
            assert_eq!(refused.status(), 422, "{message}");
            assert!(refused.text().await.unwrap().contains(message), "{message}");
        }
        let mut no_service = request("", "Erika Mustermann", "");
        no_service[0].1 = "gibt-es-nicht";
        let refused = app.post_as(&vera, PAGE, &no_service).await;
        assert_eq!(refused.status(), 422);
        assert!(cases(&app).await.is_empty(), "nothing made");

        // For Erika, who has an account: the catalog's department, her account, a deadline.
        let made = app
            .post_as(
                &vera,
                PAGE,
                &request("", "Erika Mustermann", "Erika@Example.org"),
            )
            .await;
        assert_eq!(made.status(), 303);
        let location = made.headers()["location"].to_str().unwrap().to_owned();
        let made = cases(&app).await;
        assert_eq!(made.len(), 1);
        let case = &made[0];
        assert_eq!(
            location,
            format!("/verwaltung/vorgaenge/{}", case.reference)
        );
        let erika_account = citizen::Entity::find()
            .filter(citizen::Column::Email.eq("erika@example.org"))
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.citizen_id, Some(erika_account.id));
        assert!(case.due_at.is_some(), "the service's deadline");
        assert_eq!(case.applicant_name, "Erika Mustermann");
        let page = app.get_as(&vera, &location).await.text().await.unwrap();
        assert!(
            page.contains("Von Hand angelegt: Telefon"),
            "how it came in"
        );
        assert!(page.contains("Interne Notiz: Ruft wegen eines Zweitwagens an"));
        assert!(page.contains("Straßenverkehr und Parken"));

        let mine = app
            .get_as(&erika, "/konto/antraege")
            .await
            .text()
            .await
            .unwrap();
        assert!(mine.contains(&case.reference), "in her applications");
        let hers = app
            .get_as(&erika, &format!("/konto/antraege/{}", case.reference))
            .await
            .text()
            .await
            .unwrap();
        assert!(hers.contains("Ihr Anliegen ist aufgenommen"));
        assert!(!hers.contains("Zweitwagens"), "the note stays internal");
        smtp.wait_for_mail("erika@example.org", "liegt eine neue Nachricht")
            .await;

        // The mailroom makes cases for any department, also without an account.
        let post = session(&app, MAILROOM).await;
        let at_counter = app
            .post_as(&post, PAGE, &request("ordnung", "Max Muster", ""))
            .await;
        assert_eq!(at_counter.status(), 303);
        let made = cases(&app).await;
        assert_eq!(made.len(), 2);
        assert!(
            made.iter()
                .any(|c| c.applicant_name == "Max Muster" && c.citizen_id.is_none())
        );

        // The inbox filters by service and state and sorts by arrival or deadline.
        let erikas = made
            .iter()
            .find(|c| c.applicant_name == "Erika Mustermann")
            .unwrap();
        let maxs = made
            .iter()
            .find(|c| c.applicant_name == "Max Muster")
            .unwrap();
        let mut sooner = maxs.clone().into_active_model();
        sooner.due_at = Set(Some(chrono::Utc::now() + chrono::Duration::days(2)));
        sooner.update(app.db().conn()).await.unwrap();
        let inbox = "/verwaltung/vorgaenge?ansicht=alle&";
        let mut listed = Vec::new();
        for query in [
            "sortierung=eingang",
            "sortierung=frist",
            "leistung=bewohnerparkausweis&status=eingegangen",
            "status=bewilligt",
        ] {
            let page = app.get_as(&post, &format!("{inbox}{query}")).await;
            assert_eq!(page.status(), 200);
            listed.push(page.text().await.unwrap());
        }
        let first_of = |page: &str| match (page.find(&erikas.reference), page.find(&maxs.reference))
        {
            (Some(e), Some(m)) if e < m => "erika",
            (Some(_), Some(_)) => "max",
            _ => "not both",
        };
        assert_eq!(first_of(&listed[0]), "erika", "oldest first");
        assert_eq!(first_of(&listed[1]), "max", "nearest deadline first");
        assert_ne!(first_of(&listed[2]), "not both", "both listed");
        let decided = &listed[3];
        assert!(!decided.contains(&erikas.reference) && !decided.contains(&maxs.reference));
        assert!(
            decided
                .split("ansicht=neu")
                .nth(1)
                .is_some_and(|rest| rest[..40].contains("status=bewilligt")),
            "the tabs keep the filter"
        );
        assert_eq!(
            app.scalar(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'case.opened_by_hand'"
            )
            .await
            .as_deref(),
            Some("2")
        );
        app.stop().await;
    }
);
