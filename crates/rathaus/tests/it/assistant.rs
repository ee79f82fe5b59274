//! The form assistant in the portal, on both databases: starting a draft from a
//! service, steps checked on the server with answers kept on mistakes, files checked by
//! content, the check-your-answers page, drafts that only their owner reaches and that
//! expire, anonymous use where allowed, and the eID step-up for services that need it.

use rathaus_core::drafts;
use rathaus_store::entities::{citizen, draft, draft_file};
use rathaus_store::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use crate::accounts::{GOOD_PASSWORD, login, registered_and_confirmed, session_cookie, start};
use crate::external_login::{SLUG, browser, location, setup, through_provider_from};
use crate::harness::{SmtpServer, TestApp};
use crate::on_both_backends;

pub(crate) const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A confirmed, logged-in citizen with a profile; returns the session cookie.
pub(crate) async fn citizen(app: &TestApp, smtp: &SmtpServer, email: &str) -> String {
    registered_and_confirmed(app, smtp, email).await;
    let account = citizen::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.email == email)
        .unwrap();
    let mut account = account.into_active_model();
    account.given_name = Set(Some("Erika".into()));
    account.family_name = Set(Some("Mustermann".into()));
    account.birth_date = Set(Some(chrono::NaiveDate::from_ymd_opt(1964, 8, 12).unwrap()));
    account.street = Set(Some("Heidestraße".into()));
    account.house_number = Set(Some("17".into()));
    account.postcode = Set(Some("42651".into()));
    account.city = Set(Some("Musterstadt".into()));
    account.update(app.db().conn()).await.unwrap();
    session_cookie(&login(app, email, GOOD_PASSWORD, "/konto").await)
}

async fn drafts_in_db(app: &TestApp) -> Vec<draft::Model> {
    draft::Entity::find().all(app.db().conn()).await.unwrap()
}

pub(crate) async fn files_in_db(app: &TestApp) -> Vec<draft_file::Model> {
    draft_file::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap()
}

/// Starts the assistant of `service`; returns the first step's path.
pub(crate) async fn begin(app: &TestApp, cookie: &str, service: &str) -> String {
    let started = app
        .post_as(cookie, &format!("/antrag/{service}"), &[])
        .await;
    assert_eq!(started.status(), 303, "{}", started.text().await.unwrap());
    let to = started.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/entwurf/"), "{to}");
    to
}

/// Sends a step with files (multipart, as a browser does when a page has file inputs).
pub(crate) async fn send_with_file(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    let (name, file_name, bytes) = file;
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned());
    form = form.part(name.to_owned(), part);
    app.client
        .post(app.url(path))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn main_of(page: &str) -> &str {
    page.split("<main").nth(1).unwrap_or(page)
}

on_both_backends!(
    a_citizen_applies_for_a_parking_permit_up_to_the_check_page,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;

        // From the service page to the start page and the first step.
        let service = app
            .get("/leistungen/bewohnerparkausweis")
            .await
            .text()
            .await
            .unwrap();
        assert!(service.contains("href=\"/antrag/bewohnerparkausweis\""));
        let start_page = app.get_as(&erika, "/antrag/bewohnerparkausweis").await;
        let start_page = start_page.text().await.unwrap();
        assert!(start_page.contains("Antrag starten") && start_page.contains("Ihr Fahrzeug"));
        let first = begin(&app, &erika, "bewohnerparkausweis").await;
        assert!(first.ends_with("/schritt/person"), "{first}");
        let base = first.trim_end_matches("/schritt/person").to_owned();
        let page = app.get_as(&erika, &first).await.text().await.unwrap();
        assert!(page.contains("Schritt 1 von 3"));
        assert!(
            page.contains("value=\"Erika\""),
            "prefilled from the profile"
        );
        assert!(page.contains("value=\"12.08.1964\"") && page.contains("value=\"Heidestraße\""));

        // Mistakes: the page comes back with a linked summary and what was typed; what
        // could be read is saved.
        let wrong = app
            .post_as(
                &erika,
                &first,
                &[
                    ("vorname", "Erika"),
                    ("nachname", ""),
                    ("geburtsdatum", "31.02.1964"),
                    ("anschrift.strasse", "Heidestraße"),
                    ("anschrift.hausnummer", "17"),
                    ("anschrift.plz", "4265"),
                    ("anschrift.ort", "Musterstadt"),
                ],
            )
            .await;
        assert_eq!(wrong.status(), 422);
        let wrong = wrong.text().await.unwrap();
        assert!(wrong.contains("<title>Fehler:"), "the title says so too");
        for expected in [
            "href=\"#f-nachname\">Geben Sie „Nachname“ an.",
            "href=\"#f-geburtsdatum\">„Geburtsdatum“ muss ein gültiges Datum sein",
            "href=\"#f-anschrift-plz\">„Anschrift“: Eine Postleitzahl hat fünf Ziffern",
            "href=\"#f-hauptwohnsitz-0\">Wählen Sie bei „Ist diese Adresse Ihr Hauptwohnsitz?“",
        ] {
            assert!(wrong.contains(expected), "{expected}\n{}", main_of(&wrong));
        }
        assert!(wrong.contains("value=\"31.02.1964\"") && wrong.contains("value=\"4265\""));
        let saved = &drafts_in_db(&app).await[0];
        assert!(saved.answers.contains("Erika"), "{}", saved.answers);

        let person = [
            ("vorname", "Erika"),
            ("nachname", "Mustermann"),
            ("geburtsdatum", "12.08.1964"),
            ("anschrift.strasse", "Heidestraße"),
            ("anschrift.hausnummer", "17"),
            ("anschrift.plz", "42651"),
            ("anschrift.ort", "Musterstadt"),
            ("hauptwohnsitz", "ja"),
        ];
        let next = app.post_as(&erika, &first, &person).await;
        assert_eq!(next.status(), 303);
        let vehicle = format!("{base}/schritt/fahrzeug");
        assert_eq!(next.headers()["location"], vehicle.as_str());

        // A company car needs proof; a program renamed to .pdf is not taken.
        let fields = [("kennzeichen", "sg-ab 123"), ("halter", "firma")];
        let fake = send_with_file(
            &app,
            &erika,
            &vehicle,
            &fields,
            (
                "nachweis_nutzung",
                "nachweis.pdf",
                b"MZ\x90\0this is a program",
            ),
        )
        .await;
        assert_eq!(fake.status(), 422);
        let fake = fake.text().await.unwrap();
        assert!(
            fake.contains("Die Datei „nachweis.pdf“ kann bei „Nachweis der dauerhaften Nutzung“ nicht angenommen werden. Erlaubt sind: PDF, JPEG, PNG."),
            "{}",
            main_of(&fake)
        );
        assert!(files_in_db(&app).await.is_empty(), "nothing stored");
        let proof = send_with_file(
            &app,
            &erika,
            &vehicle,
            &fields,
            ("nachweis_nutzung", "C:\\Dokumente\\Bescheinigung.pdf", PDF),
        )
        .await;
        assert_eq!(
            proof.status(),
            303,
            "{}",
            main_of(&proof.text().await.unwrap())
        );
        let files = files_in_db(&app).await;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].media_type, "application/pdf");
        assert_eq!(files[0].file_name, "Bescheinigung.pdf");
        assert_eq!(
            app.server
                .blobs
                .get(&files[0].sha256)
                .await
                .unwrap()
                .as_ref(),
            PDF
        );

        let validity = format!("{base}/schritt/laufzeit");
        let unticked = app.post_as(&erika, &validity, &[("jahre", "2")]).await;
        assert_eq!(unticked.status(), 422);
        let done = app
            .post_as(&erika, &validity, &[("jahre", "2"), ("einwilligung", "ja")])
            .await;
        assert_eq!(
            done.headers()["location"],
            format!("{base}/pruefen").as_str()
        );

        // Check your answers: every answer in words, a change link per answer, the fee.
        let check = app.get_as(&erika, &format!("{base}/pruefen")).await;
        let check = check.text().await.unwrap();
        for expected in [
            "SG-AB 123",
            "Auf meinen Arbeitgeber (Firmenwagen)",
            "Bescheinigung.pdf",
            "Heidestraße 17, 42651 Musterstadt",
            "12.08.1964",
            "60,00 Euro",
            "schritt/fahrzeug?pruefen=1#f-kennzeichen",
        ] {
            assert!(check.contains(expected), "{expected}\n{}", main_of(&check));
        }
        assert!(!check.contains("noch nicht vollständig"));

        // Changing an answer from there goes back there; the proof is no longer asked.
        let change = app
            .post_as(
                &erika,
                &vehicle,
                &[
                    ("kennzeichen", "SG-AB 123"),
                    ("halter", "selbst"),
                    ("pruefen", "1"),
                ],
            )
            .await;
        assert_eq!(
            change.headers()["location"],
            format!("{base}/pruefen").as_str()
        );
        let check = app.get_as(&erika, &format!("{base}/pruefen")).await;
        let check = check.text().await.unwrap();
        assert!(check.contains("Auf mich") && !check.contains("Bescheinigung.pdf"));
        let summary = app.get_as(&erika, &format!("{base}/zusammenfassung")).await;
        let summary = summary.text().await.unwrap();
        assert!(summary.contains("Zusammenfassung Ihrer Angaben") && summary.contains("SG-AB 123"));
        assert!(
            !summary.contains("pruefen=1"),
            "no change links when printed"
        );

        // Only Erika reaches her draft.
        let max = citizen(&app, &smtp, "max@example.org").await;
        for path in [format!("{base}/pruefen"), vehicle.clone()] {
            assert_eq!(app.get_as(&max, &path).await.status(), 404);
            assert_eq!(app.get(&path).await.status(), 404);
        }
        let tampered = app.post_as(&max, &vehicle, &[("halter", "firma")]).await;
        assert_eq!(tampered.status(), 404);

        // Her drafts list, and discarding.
        let list = app
            .get_as(&erika, "/konto/entwuerfe")
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains("Bewohnerparkausweis"));
        let proof_sha = files_in_db(&app).await.first().map(|f| f.sha256.clone());
        let gone = app.post_as(&erika, &format!("{base}/verwerfen"), &[]).await;
        assert_eq!(gone.headers()["location"], "/konto/entwuerfe?verworfen=1");
        assert!(drafts_in_db(&app).await.is_empty());
        assert!(
            files_in_db(&app).await.is_empty(),
            "file links went with it"
        );
        let proof_sha = proof_sha.expect("the proof was uploaded");
        let kept = app.server.blobs.exists(&proof_sha).await.unwrap();
        assert!(!kept, "a file nothing refers to is deleted");
        assert_eq!(
            app.scalar(
                "SELECT action AS v FROM audit_log WHERE action LIKE 'draft.%' ORDER BY seq DESC"
            )
            .await
            .as_deref(),
            Some("draft.discarded")
        );
        app.stop().await;
    }
);

on_both_backends!(
    repeating_groups_grow_and_shrink_without_javascript,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let first = begin(&app, &erika, "roentgeneinrichtung-anzeigen").await;
        let step = first.replace("/schritt/betreiber", "/schritt/verantwortliche");
        let page = app.get_as(&erika, &step).await.text().await.unwrap();
        assert!(page.contains("name=\"ssb.0.name\"") && !page.contains("name=\"ssb.1.name\""));
        let added = app
            .post_as(
                &erika,
                &step,
                &[
                    ("ssb.0.name", "Dr. Anna Röntgen"),
                    ("aktion", "hinzufuegen:ssb"),
                ],
            )
            .await;
        assert_eq!(added.status(), 200, "adding is not a mistake");
        let added = added.text().await.unwrap();
        assert!(
            added.contains("value=\"Dr. Anna Röntgen\"") && added.contains("name=\"ssb.1.name\"")
        );
        // Enter in a field presses the first submit button: "continue", never "remove".
        let form = &added[added.find("<form method=\"post\"").unwrap()..];
        let first_button = &form[form.find("<button").unwrap()..];
        assert!(
            first_button.starts_with("<button type=\"submit\" class=\"rathaus-default-submit\"")
        );
        assert!(!added.contains("kern-alert--danger"));
        let removed = app
            .post_as(
                &erika,
                &step,
                &[
                    ("ssb.0.name", "Dr. Anna Röntgen"),
                    ("ssb.1.name", "Bernd Strahl"),
                    ("aktion", "entfernen:ssb.0"),
                ],
            )
            .await;
        let removed = removed.text().await.unwrap();
        assert!(removed.contains("value=\"Bernd Strahl\"") && !removed.contains("Anna Röntgen"));
        assert!(
            removed.contains("name=\"ssb.0.name\" data-kind=\"text\" value=\"Bernd Strahl\""),
            "renumbered"
        );
        app.stop().await;
    }
);

on_both_backends!(
    anonymous_visitors_fill_in_only_where_allowed_and_only_their_own,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        // The parking permit needs an account: the start page says so, nothing starts.
        let page = app
            .get("/antrag/bewohnerparkausweis")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Anmeldung erforderlich") && !page.contains("Antrag starten"));
        let refused = app.post_as("", "/antrag/bewohnerparkausweis", &[]).await;
        assert_eq!(refused.headers()["location"], "/antrag/bewohnerparkausweis");
        assert!(drafts_in_db(&app).await.is_empty());

        // The library card can be applied for without an account; the browser's token
        // is the key to the draft.
        let started = app.post_as("", "/antrag/bibliotheksausweis", &[]).await;
        assert_eq!(started.status(), 303);
        let set = started.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let token = set.split(';').next().unwrap().to_owned();
        let first = started.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(app.get_as(&token, &first).await.status(), 200);
        assert_eq!(app.get(&first).await.status(), 404);
        let stranger =
            "rathaus_entwurf=0000000000000000000000000000000000000000000000000000000000000000";
        assert_eq!(app.get_as(stranger, &first).await.status(), 404);
        let stored = &drafts_in_db(&app).await[0];
        assert!(stored.citizen_id.is_none() && stored.browser_hash.is_some());

        // Logging in halfway through: the draft comes along into the account.
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let both = format!("{erika}; {token}");
        let list = app
            .get_as(&both, "/konto/entwuerfe")
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains("Bibliotheksausweis"), "{}", main_of(&list));
        let adopted = &drafts_in_db(&app).await[0];
        assert!(adopted.citizen_id.is_some() && adopted.browser_hash.is_none());
        assert_eq!(app.get_as(&erika, &first).await.status(), 200);
        assert_eq!(
            app.get_as(&token, &first).await.status(),
            404,
            "no longer the browser's"
        );
        app.stop().await;
    }
);

on_both_backends!(
    drafts_expire_and_are_deleted_by_the_cleanup,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let first = begin(&app, &erika, "bewohnerparkausweis").await;
        let stored = drafts_in_db(&app).await.remove(0);
        let kept = stored.expires_at - stored.updated_at;
        assert_eq!(kept.num_days(), 30, "the default keeping time");
        let mut expired = stored.into_active_model();
        expired.expires_at = Set(chrono::Utc::now() - chrono::Duration::minutes(1));
        expired.update(app.db().conn()).await.unwrap();
        assert_eq!(app.get_as(&erika, &first).await.status(), 404, "expired");
        let blobs = &app.server.blobs;
        rathaus_core::jobs::Cleanup::new(
            blobs.clone(),
            app.server.sealer.clone(),
            rathaus_letters::Renderer::new(),
        )
        .run_now(app.db())
        .await
        .unwrap();
        assert!(drafts_in_db(&app).await.is_empty());
        assert_eq!(drafts::purge_expired(app.db(), blobs).await.unwrap(), 0);
        app.stop().await;
    }
);

on_both_backends!(
    a_service_for_substantial_logins_asks_for_the_eid_and_keeps_verified_data,
    |backend| async move {
        let (app, smtp, provider) = setup(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        // A password login is not enough for the Jobcenter: log in with the eID.
        let page = app
            .get_as(&erika, "/antrag/jobcenter-nachweise-einreichen")
            .await;
        let page = page.text().await.unwrap();
        assert!(
            page.contains("höherem Vertrauensniveau"),
            "{}",
            main_of(&page)
        );
        let step_up =
            format!("/konto/anmelden/extern/{SLUG}?weiter=/antrag/jobcenter-nachweise-einreichen");
        assert!(
            page.contains(&format!("href=\"{step_up}\"")),
            "{}",
            main_of(&page)
        );
        let refused = app
            .post_as(&erika, "/antrag/jobcenter-nachweise-einreichen", &[])
            .await;
        assert_eq!(
            refused.headers()["location"],
            "/antrag/jobcenter-nachweise-einreichen"
        );
        assert!(drafts_in_db(&app).await.is_empty());

        let client = browser();
        let back = through_provider_from(&client, &app, &provider, &step_up, "erika").await;
        let landed = client.get(&back).send().await.unwrap();
        assert_eq!(
            location(&landed, &app.base),
            app.url("/antrag/jobcenter-nachweise-einreichen")
        );
        let started = client
            .post(app.url("/antrag/jobcenter-nachweise-einreichen"))
            .header("origin", &app.base)
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 303);
        let first = location(&started, &app.base);
        let page = client
            .get(&first)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Name and birth date come from the eID: shown, not editable, and not changed
        // by a forged post.
        assert!(page.contains("durch Ihre Online-Ausweisfunktion bestätigt"));
        assert!(page.contains("name=\"vorname\" data-kind=\"text\" value=\"Erika\""));
        let forged = client
            .post(&first)
            .header("origin", &app.base)
            .form(&[
                ("vorname", "Mallory"),
                ("nachname", "Mustermann"),
                ("geburtsdatum", "01.01.1990"),
                ("bg_nummer", "12345BG0012345"),
                ("email", "erika@example.org"),
            ])
            .send()
            .await
            .unwrap();
        assert!(forged.status() == 303 || forged.status() == 422);
        let answers = &drafts_in_db(&app).await[0].answers;
        assert!(
            answers.contains("\"Erika\"") && !answers.contains("Mallory"),
            "{answers}"
        );
        app.stop().await;
    }
);

on_both_backends!(
    every_xdatenfelder_sample_imports_installs_and_renders,
    |backend| async move {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/xdatenfelder");
        if !dir.is_dir() {
            eprintln!("SKIPPED: {} is absent", dir.display());
            return;
        }
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let tenant = rathaus_core::tenants::by_slug(app.db().conn(), rathaus_core::demo::DEMO_SLUG)
            .await
            .unwrap()
            .unwrap()
            .id;
        let admin = rathaus_core::Actor::system("test");
        let origin = rathaus_core::Origin::default();
        let samples = [
            "v2/minimal.xml",
            "v2/simple.xml",
            "v2/label.xml",
            "v2/select.xml",
            "v2/rule.xml",
            "v2/data-field-rule.xml",
            "v2/data-group-rule.xml",
            "v3/simple.xml",
            "v3/input.xml",
        ];
        for name in samples {
            let xml = std::fs::read_to_string(dir.join(name)).unwrap();
            let imported = rathaus_forms::xdatenfelder::import(&xml).unwrap();
            let form = imported.form;
            let version =
                rathaus_core::forms::install(app.db(), &admin, &origin, tenant, &form, name)
                    .await
                    .unwrap();
            assert!(version >= 1);
            let mut overrides = serde_json::Map::new();
            overrides.insert("form".into(), form.definition.id.clone().into());
            rathaus_core::catalog::set_offer(
                app.db(),
                &admin,
                &origin,
                tenant,
                "visum-verlaengern",
                true,
                overrides,
            )
            .await
            .unwrap()
            .unwrap();
            let first = begin(&app, &erika, "visum-verlaengern").await;
            let page = app.get_as(&erika, &first).await;
            assert_eq!(page.status(), 200, "{name}");
            let page = page.text().await.unwrap();
            let title = form.definition.steps[0].title.get("de");
            assert!(page.contains(title), "{name}: {title}\n{}", main_of(&page));
        }
        // The installed definition took precedence, and the latest installation counts.
        let api = app
            .get("/api/v1/services/visum-verlaengern/form")
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(api["form"]["id"], "g60000000088");
        app.stop().await;
    }
);
