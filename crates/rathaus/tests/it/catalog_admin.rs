//! The town hall's own catalog in the staff area, on both databases: offering a service
//! with its own fee and wording, refusing a wrong amount without changing anything,
//! withdrawing a service, and installing a form from an XDatenfelder schema.

use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, session};

async fn fee_in_api(app: &TestApp) -> serde_json::Value {
    let service = app.get("/api/v1/services/bewohnerparkausweis").await;
    service.json::<serde_json::Value>().await.unwrap()["fee_cents"].clone()
}

on_both_backends!(
    an_admin_words_and_prices_a_service_for_the_town,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        let list = app
            .get_as(&admin, "/verwaltung/leistungen?q=parkausweis")
            .await;
        assert_eq!(list.status(), 200);
        let list = list.text().await.unwrap();
        assert!(list.contains("/verwaltung/leistungen/bewohnerparkausweis"));
        let page = "/verwaltung/leistungen/bewohnerparkausweis";
        let form = app.get_as(&admin, page).await.text().await.unwrap();
        assert!(
            form.contains("Im Katalog: 30,00"),
            "the catalog's fee is shown"
        );

        let wrong = app
            .post_as(&admin, page, &[("angeboten", "1"), ("fee_cents", "viel")])
            .await;
        assert_eq!(wrong.status(), 422);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("Geben Sie die Gebühr als Betrag")
        );
        assert_eq!(fee_in_api(&app).await, 3000, "nothing changed");

        let saved = app
            .post_as(
                &admin,
                page,
                &[
                    ("angeboten", "1"),
                    ("fees", "45,00 Euro je Jahr"),
                    ("fee_cents", "45,00"),
                    ("min_trust", ""),
                ],
            )
            .await;
        assert_eq!(saved.status(), 303);
        assert_eq!(fee_in_api(&app).await, 4500);
        let public = app
            .get("/leistungen/bewohnerparkausweis")
            .await
            .text()
            .await
            .unwrap();
        assert!(public.contains("45,00 Euro je Jahr"));
        assert_eq!(
            app.scalar("SELECT action AS v FROM audit_log ORDER BY seq DESC")
                .await
                .as_deref(),
            Some("catalog.offer_changed")
        );

        // Withdrawn: no longer on the portal.
        let withdrawn = app.post_as(&admin, page, &[("fees", "")]).await;
        assert_eq!(withdrawn.status(), 303);
        assert_eq!(
            app.get("/leistungen/bewohnerparkausweis").await.status(),
            404
        );

        // Only admins.
        let caseworker = session(&app, CASEWORKER).await;
        assert_eq!(app.get_as(&caseworker, page).await.status(), 403);
        app.stop().await;
    }
);

on_both_backends!(
    an_admin_installs_a_form_from_an_xdatenfelder_schema,
    |backend| async move {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/xdatenfelder");
        if !dir.is_dir() {
            eprintln!("SKIPPED: {} is absent", dir.display());
            return;
        }
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        let upload = |name: &str, bytes: Vec<u8>| {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
            let form = reqwest::multipart::Form::new().part("datei", part);
            app.client
                .post(app.url("/verwaltung/formulare"))
                .header("cookie", &admin)
                .multipart(form)
        };
        let xml = std::fs::read(dir.join("v2/simple.xml")).unwrap();
        let done = upload("simple.xml", xml).send().await.unwrap();
        assert_eq!(done.status(), 200);
        let done = done.text().await.unwrap();
        assert!(
            done.contains("„t1234“ ist als Version 1 installiert"),
            "{done}"
        );
        assert!(
            done.contains("R60000037"),
            "what was not taken over is shown"
        );

        let broken = std::fs::read(dir.join("v3/empty-id-node.xml")).unwrap();
        let refused = upload("kaputt.xml", broken).send().await.unwrap();
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.unwrap();
        assert!(
            refused.contains("is empty") && refused.contains("id"),
            "{refused}"
        );
        let installed = app
            .get_as(&admin, "/verwaltung/formulare")
            .await
            .text()
            .await
            .unwrap();
        assert!(installed.contains("<code>t1234</code>") && !installed.contains("kaputt.xml"));
        app.stop().await;
    }
);
