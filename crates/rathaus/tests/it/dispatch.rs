//! How letters go out, on both databases. Sending an application brings a signed
//! receipt letter into the postbox by itself (once, however often its job runs); a
//! citizen who asked for letters by post gets them on paper, as does everyone for a
//! service that needs a paper original; and the town's own standard wording for a kind
//! of letter leads the letter, with its placeholders filled in.

use rathaus_store::entities::{issued_document, job, postbox_file, postbox_message};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::letters::{read_with, receipt_of};
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, session};
use crate::submissions::sent_application;
use crate::teams::the_case;
use crate::workflows::{claim_and_check, take_with};

const SERVICE_PAGE: &str = "/verwaltung/leistungen/bewohnerparkausweis";

/// The permit letter of the case, approved by Vera with a zone.
async fn approve(app: &TestApp, reference: &str) -> issued_document::Model {
    let vera = session(app, CASEWORKER).await;
    claim_and_check(app, &vera, reference).await;
    let fields = [
        ("schritt", "bewilligen"),
        ("nachricht", "Bitte beachten Sie die Hinweise zur Zone."),
        ("zone", "B – Altstadt"),
    ];
    assert_eq!(
        take_with(app, &vera, reference, &fields).await.status(),
        303
    );
    issued_document::Entity::find()
        .filter(issued_document::Column::Reference.eq(reference))
        .filter(issued_document::Column::Kind.eq("parking_permit"))
        .one(app.db().conn())
        .await
        .unwrap()
        .expect("the permit was issued")
}

async fn text_of(app: &TestApp, document: &issued_document::Model) -> String {
    let pdf = app.server.blobs.get(&document.sha256).await.unwrap();
    read_with("pdftotext", &[], &pdf)
}

on_both_backends!(
    a_sent_application_brings_a_signed_receipt_letter_into_the_postbox,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let receipt = receipt_of(&app, &reference).await;
        assert_eq!(receipt.channel, "postbox");
        let message = postbox_message::Entity::find_by_id(receipt.message_id.unwrap())
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert!(message.subject.starts_with("Eingangsbestätigung"));
        let attached = postbox_file::Entity::find()
            .filter(postbox_file::Column::MessageId.eq(message.id))
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(attached.len(), 1, "the letter joins the receipt message");
        assert_eq!(attached[0].sha256, receipt.sha256);
        let printed = text_of(&app, &receipt).await;
        for expected in [
            "Eingangsbestätigung",
            reference.as_str(),
            "bei uns eingegangen",
            "Straßenverkehr und Parken",
        ] {
            assert!(
                printed.contains(expected),
                "{expected} missing in\n{printed}"
            );
        }
        assert!(
            !printed.contains("Rechtsbehelfsbelehrung"),
            "a receipt decides nothing"
        );
        let verified = app.get(&format!("/verify/{}", receipt.code)).await;
        assert!(verified.text().await.unwrap().contains("Gültig"));

        // Its job run again (after a crash) issues nothing twice.
        let case = the_case(&app, &reference).await;
        let verify_page = app.url("/verify");
        rathaus_core::letters::receipts::queue(
            app.db().conn(),
            case.tenant_id,
            case.id,
            message.id,
            &verify_page,
        )
        .await
        .unwrap();
        let pending = || {
            job::Entity::find()
                .filter(job::Column::Kind.eq(rathaus_core::letters::receipts::ISSUE_RECEIPT))
                .filter(job::Column::State.ne("done"))
                .count(app.db().conn())
        };
        for _ in 0..200 {
            if pending().await.unwrap() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(pending().await.unwrap(), 0, "the job ran");
        let receipts = issued_document::Entity::find()
            .filter(issued_document::Column::Kind.eq("receipt"))
            .count(app.db().conn())
            .await
            .unwrap();
        assert_eq!(receipts, 1);
        app.stop().await;
    }
);

on_both_backends!(
    letters_go_by_post_where_the_citizen_or_the_service_asks_for_it,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;

        // Erika asks for paper in her profile; a choice that is none is refused.
        let profile = |delivery| vec![("preferred_language", "de"), ("delivery", delivery)];
        let refused = app.post_as(&erika, "/konto/profil", &profile("fax")).await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Wählen Sie, ob Sie Schreiben digital oder per Post")
        );
        let saved = app
            .post_as(&erika, "/konto/profil", &profile("paper"))
            .await;
        assert_eq!(saved.status(), 303);
        let overview = app.get_as(&erika, "/konto").await.text().await.unwrap();
        assert!(overview.contains("Per Post"), "{overview}");
        let reference = sent_application(&app, &erika).await;
        let receipt = receipt_of(&app, &reference).await;
        assert_eq!(
            (receipt.channel.as_str(), receipt.message_id),
            ("paper", None)
        );
        let permit = approve(&app, &reference).await;
        assert_eq!(permit.channel, "paper");
        assert!(permit.dispatched_at.is_none(), "waits for the print batch");

        // The town says the permit needs a paper original: Max, who keeps the postbox,
        // gets it on paper too. A delivery that is none is refused.
        let admin = session(&app, ADMIN).await;
        let wrong = [("angeboten", "1"), ("delivery", "brieftaube")];
        let wrong = app.post_as(&admin, SERVICE_PAGE, &wrong).await;
        assert_eq!(wrong.status(), 422);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("Wählen Sie eine Zustellung aus der Liste")
        );
        let paper = [("angeboten", "1"), ("delivery", "paper")];
        assert_eq!(
            app.post_as(&admin, SERVICE_PAGE, &paper).await.status(),
            303
        );
        let max = citizen(&app, &smtp, "max@example.org").await;
        let second = sent_application(&app, &max).await;
        assert_eq!(
            receipt_of(&app, &second).await.channel,
            "postbox",
            "only the original goes by post; the receipt reaches him at once"
        );
        assert_eq!(approve(&app, &second).await.channel, "paper");

        // Back to the postbox for both of them: Max's next letters come digitally.
        let digital = [("angeboten", "1"), ("delivery", "")];
        assert_eq!(
            app.post_as(&admin, SERVICE_PAGE, &digital).await.status(),
            303
        );
        let third = sent_application(&app, &max).await;
        assert_eq!(receipt_of(&app, &third).await.channel, "postbox");
        app.stop().await;
    }
);

on_both_backends!(
    the_towns_standard_wording_leads_its_letters,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let admin = session(&app, ADMIN).await;
        let form = app.get_as(&admin, SERVICE_PAGE).await.text().await.unwrap();
        assert!(
            form.contains("Standardtext: Bewohnerparkausweis") && form.contains("geben wir statt"),
            "the built-in wording is shown as what counts when left empty"
        );
        let wording = "Ihr Ausweis zum Aktenzeichen {reference} ist fertig, {name}.";
        let own = [("angeboten", "1"), ("letter_text_parking_permit", wording)];
        assert_eq!(app.post_as(&admin, SERVICE_PAGE, &own).await.status(), 303);
        let form = app.get_as(&admin, SERVICE_PAGE).await.text().await.unwrap();
        assert!(
            form.contains("Ihr Ausweis zum Aktenzeichen {reference}"),
            "kept"
        );

        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let permit = approve(&app, &reference).await;
        let printed = text_of(&app, &permit).await.replace('\n', " ");
        let filled =
            format!("Ihr Ausweis zum Aktenzeichen {reference} ist fertig, Erika Mustermann.");
        assert!(printed.contains(&filled), "{printed}");
        assert!(
            !printed.contains("geben wir statt"),
            "the town's words replace the built-in ones"
        );
        assert!(
            printed.contains("Bitte beachten Sie die Hinweise zur Zone."),
            "the caseworker's text follows"
        );
        // Kinds the town did not word keep the built-in text.
        let receipt = receipt_of(&app, &reference).await;
        assert!(
            text_of(&app, &receipt)
                .await
                .contains("bei uns eingegangen")
        );
        app.stop().await;
    }
);
