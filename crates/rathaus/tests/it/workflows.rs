//! Workflows per service, on both databases. The demo's parking permit follows its own
//! workflow: a step of its own whose state the applicant reads in the workflow's words
//! and which sets a reminder, and no approval before the documents asked for have come
//! (the guard's message says so). A town installs a new version: running cases keep
//! theirs, new ones follow it; a definition with mistakes is refused with all of them.

use rathaus_core::actor::{Actor, Origin};
use rathaus_core::workflow::{self, installed};
use rathaus_store::entities::case_reminder;
use rathaus_store::sea_orm::EntityTrait;

use crate::accounts::start;
use crate::assistant::{PDF, citizen, send_with_file};
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, session};
use crate::submissions::sent_application;
use crate::teams::the_case;

/// Takes a step as `cookie` on the page's current version; returns the answer.
/// Takes a step on the case page with `fields` besides the case's current version.
pub async fn take_with(
    app: &TestApp,
    cookie: &str,
    reference: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let version = the_case(app, reference).await.version.to_string();
    let mut form = vec![("version", version.as_str())];
    form.extend_from_slice(fields);
    let path = format!("/verwaltung/vorgaenge/{reference}/schritt");
    app.post_as(cookie, &path, &form).await
}

async fn take(
    app: &TestApp,
    cookie: &str,
    reference: &str,
    step: &str,
    message: &str,
) -> reqwest::Response {
    // The zone is what a permit needs; other steps ignore it.
    let fields = [
        ("schritt", step),
        ("nachricht", message),
        ("zone", "B – Altstadt"),
    ];
    take_with(app, cookie, reference, &fields).await
}

/// Erika's parking permit application, approved by Vera with a zone: the permit is
/// issued into Erika's postbox. Returns Erika's and Vera's sessions and the reference.
pub async fn approved_permit(
    app: &TestApp,
    smtp: &crate::harness::SmtpServer,
) -> (String, String, String) {
    let erika = crate::assistant::citizen(app, smtp, "erika@example.org").await;
    let reference = crate::submissions::sent_application(app, &erika).await;
    let vera = crate::staff::session(app, crate::staff::CASEWORKER).await;
    claim_and_check(app, &vera, &reference).await;
    let fields = [
        ("schritt", "bewilligen"),
        ("nachricht", "Ihr Bewohnerparkausweis ist bewilligt."),
        ("zone", "B – Altstadt"),
    ];
    let approved = take_with(app, &vera, &reference, &fields).await;
    assert_eq!(approved.status(), 303);
    (erika, vera, reference)
}

/// The caseworker claims the new case and starts checking it.
pub async fn claim_and_check(app: &TestApp, cookie: &str, reference: &str) {
    let claim = format!("/verwaltung/vorgaenge/{reference}/uebernehmen");
    let claimed = app.post_as(cookie, &claim, &[("version", "1")]).await;
    assert_eq!(claimed.status(), 303);
    let checked = take_with(app, cookie, reference, &[("schritt", "pruefen")]).await;
    assert_eq!(checked.status(), 303);
}

on_both_backends!(
    the_parking_permit_follows_its_own_workflow,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let opened = the_case(&app, &reference).await;
        assert!(opened.workflow_id.is_some(), "the service's own workflow");
        assert_eq!(opened.phase, "new");
        let vera = session(&app, CASEWORKER).await;
        let case_path = format!("/verwaltung/vorgaenge/{reference}");
        claim_and_check(&app, &vera, &reference).await;

        // Its own step, offered in its own words; the applicant reads its own state.
        let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        assert!(page.contains("Fahrzeugdaten prüfen lassen"));
        let own_step = take(&app, &vera, &reference, "halterdaten_pruefen", "").await;
        assert_eq!(own_step.status(), 303);
        let mine = format!("/konto/antraege/{reference}");
        let seen = app.get_as(&erika, &mine).await.text().await.unwrap();
        assert!(seen.contains("Fahrzeugdaten werden geprüft"));
        assert!(
            seen.contains("mit dem Fahrzeugregister ab"),
            "its explanation"
        );
        let reminders = case_reminder::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        let today = rathaus_core::time::local_day(chrono::Utc::now());
        assert_eq!(reminders.len(), 1, "the step sets a reminder");
        assert_eq!(
            rathaus_core::time::local_day(reminders[0].due_at),
            today + chrono::Duration::days(5)
        );
        let inbox = app
            .get_as(
                &vera,
                "/verwaltung/vorgaenge?ansicht=alle&status=halterdaten_in_pruefung",
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(
            inbox.contains(&reference),
            "filtered by the workflow's state"
        );

        // Documents asked for: no approval before they come.
        let asked = take(
            &app,
            &vera,
            &reference,
            "nachfordern",
            "Bitte den Fahrzeugschein.",
        );
        assert_eq!(asked.await.status(), 303);
        assert_eq!(the_case(&app, &reference).await.phase, "waiting");
        let waiting = app
            .get_as(&vera, "/verwaltung/vorgaenge?ansicht=wartend")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            waiting.contains(&reference),
            "listed as waiting by its phase"
        );
        assert_eq!(
            take(&app, &vera, &reference, "bearbeiten", "")
                .await
                .status(),
            303
        );
        let too_early = take(&app, &vera, &reference, "bewilligen", "Bewilligt.").await;
        assert_eq!(too_early.status(), 422);
        assert!(
            too_early
                .text()
                .await
                .unwrap()
                .contains("nachgeforderten Unterlagen sind noch nicht eingegangen")
        );
        assert_eq!(the_case(&app, &reference).await.state, "in_bearbeitung");
        // A message without a file is not the document either.
        let reply = format!("{mine}/nachricht");
        let words = app
            .post_as(&erika, &reply, &[("nachricht", "Kommt morgen.")])
            .await;
        assert_eq!(words.status(), 303);
        let still = take(&app, &vera, &reference, "bewilligen", "Bewilligt.").await;
        assert_eq!(still.status(), 422);
        let with_file = send_with_file(
            &app,
            &erika,
            &reply,
            &[("nachricht", "Anbei der Fahrzeugschein.")],
            ("dateien", "fahrzeugschein.pdf", PDF),
        )
        .await;
        assert_eq!(with_file.status(), 303);
        let approved = take(&app, &vera, &reference, "bewilligen", "Bewilligt.").await;
        assert_eq!(approved.status(), 303);
        let decided = the_case(&app, &reference).await;
        assert_eq!(
            (decided.state.as_str(), decided.phase.as_str()),
            ("bewilligt", "decided")
        );
        app.stop().await;
    }
);

on_both_backends!(
    a_new_version_applies_to_new_cases_and_bad_ones_are_refused,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let before = sent_application(&app, &erika).await;
        let tenant = the_case(&app, &before).await.tenant_id;
        let (system, origin) = (Actor::system("test"), Origin::default());
        let service = "bewohnerparkausweis";

        // Every mistake at once, and nothing stored.
        let mut broken = rathaus_core::demo::parking_permit_workflow();
        broken.initial = "gibt_es_nicht".into();
        broken.states.push(workflow::State {
            key: "eigener_stand".into(),
            waiting_for_applicant: false,
            decided: false,
            closed: false,
            label: Default::default(),
            explanation: Default::default(),
        });
        broken.transitions[0].reminder_in_days = Some(0);
        let refused = installed::install(app.db(), &system, &origin, tenant, service, &broken)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(
            refused,
            [
                "initial state 'gibt_es_nicht' is not a state",
                "transition 'pruefen': days must be at least 1",
                "state 'eigener_stand' needs a label in German (\"de\")",
            ]
        );
        let unknown_service = installed::install(
            app.db(),
            &system,
            &origin,
            tenant,
            "gibt-es-nicht",
            &rathaus_core::demo::parking_permit_workflow(),
        )
        .await
        .unwrap()
        .unwrap_err();
        assert_eq!(
            unknown_service,
            ["there is no service 'gibt-es-nicht' in the catalog"]
        );
        assert!(
            workflow::read_own(
                r#"{"id": "x", "initial": "a", "states": [], "transitions": [], "extra": 1}"#
            )
            .unwrap_err()[0]
                .contains("unknown field `extra`")
        );

        // A version where even the first check needs someone handling the case.
        let mut stricter = rathaus_core::demo::parking_permit_workflow();
        stricter.id = "bewohnerparkausweis-2".into();
        let check = stricter
            .transitions
            .iter_mut()
            .find(|t| t.key == "pruefen")
            .unwrap();
        check.guards = vec![workflow::Guard::Assigned];
        let id = installed::install(app.db(), &system, &origin, tenant, service, &stricter)
            .await
            .unwrap()
            .unwrap();
        let after = sent_application(&app, &erika).await;
        assert_ne!(
            the_case(&app, &before).await.workflow_id,
            Some(id),
            "kept its own"
        );
        assert_eq!(the_case(&app, &after).await.workflow_id, Some(id));
        let vera = session(&app, CASEWORKER).await;
        let unclaimed = take(&app, &vera, &after, "pruefen", "").await;
        assert_eq!(unclaimed.status(), 422);
        assert!(
            unclaimed
                .text()
                .await
                .unwrap()
                .contains("erst gehen, wer den Vorgang übernommen hat")
        );
        assert_eq!(
            take(&app, &vera, &before, "pruefen", "").await.status(),
            303,
            "the older case follows the older version"
        );
        assert!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'workflow.install'")
                .await
                .is_some()
        );
        app.stop().await;
    }
);
