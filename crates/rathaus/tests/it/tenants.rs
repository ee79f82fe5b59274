use rathaus_core::tenants::settings::{self, CoatOfArms, Problem, Settings};
use rathaus_core::tenants::{self, NewTenant};
use rathaus_core::{Actor, CoreError, Origin};

use crate::harness::TestApp;
use crate::on_both_backends;

fn beispielhausen() -> NewTenant {
    NewTenant {
        slug: "beispielhausen".into(),
        name: "Gemeinde Beispielhausen".into(),
        reference_prefix: "BH".into(),
        hosts: vec!["www.beispielhausen.example".into()],
        logo_svg: Some("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".into()),
        primary_color: "#2d6a00".into(),
        contact_address: "Dorfstraße 2\n54321 Beispielhausen".into(),
        contact_phone: "+49 9999 1".into(),
        contact_email: "gemeinde@beispielhausen.example".into(),
        contact_hours: "Di 9–12 Uhr".into(),
        imprint: "Gemeinde Beispielhausen, Dorfstraße 2".into(),
        privacy: "Datenschutz der Gemeinde Beispielhausen".into(),
        accessibility: "Erklärung zur Barrierefreiheit der Gemeinde Beispielhausen".into(),
        bank_details: None,
    }
}

on_both_backends!(
    each_host_sees_only_its_own_municipality,
    |backend| async move {
        let app = TestApp::start(backend).await;
        tenants::create(
            app.db(),
            &Actor::system("test"),
            &Origin::default(),
            beispielhausen(),
        )
        .await
        .unwrap();
        app.server.tenants.reload().await.unwrap();

        let page = |host: &'static str, path: &'static str| {
            let app = &app;
            async move {
                let response = app
                    .client
                    .get(app.url(path))
                    .header("host", host)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let (status, body) = page("WWW.Beispielhausen.example:443", "/").await;
        assert_eq!(status, 200);
        assert!(body.contains("Gemeinde Beispielhausen"));
        assert!(
            !body.contains("Musterstadt"),
            "no trace of the other tenant"
        );
        let (_, imprint) = page("www.beispielhausen.example", "/impressum").await;
        assert!(imprint.contains("Dorfstraße 2"));
        let (_, css) = page("www.beispielhausen.example", "/tenant.css").await;
        assert!(css.contains("#2d6a00"));

        let (_, body) = page("musterstadt.localhost", "/").await;
        assert!(body.contains("Stadt Musterstadt"));
        assert!(!body.contains("Beispielhausen"));
        app.stop().await;
    }
);

on_both_backends!(
    unknown_hosts_get_a_clear_404_without_fallback,
    |backend| async move {
        let app = TestApp::start_with(backend, |c| c.fallback_tenant = None).await;
        let response = app
            .client
            .get(app.url("/"))
            .header("host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        assert!(response.text().await.unwrap().contains("keine Kommune"));
        let response = app
            .client
            .get(app.url("/"))
            .header("host", "musterstadt.localhost")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        app.stop().await;
    }
);

on_both_backends!(
    bad_tenant_data_is_refused_and_nothing_is_written,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let mut bad = beispielhausen();
        bad.primary_color = "green".into();
        let err = tenants::create(app.db(), &Actor::system("test"), &Origin::default(), bad)
            .await
            .unwrap_err();
        assert!(
            matches!(err, CoreError::Invalid(ref m) if m.contains("#rrggbb")),
            "{err}"
        );

        // A host that belongs to Musterstadt already: the whole creation is rolled back.
        let mut clash = beispielhausen();
        clash.hosts = vec!["new.example".into(), "musterstadt.localhost".into()];
        assert!(
            tenants::create(app.db(), &Actor::system("test"), &Origin::default(), clash)
                .await
                .is_err()
        );
        assert!(
            tenants::by_slug(app.db().conn(), "beispielhausen")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            rathaus_core::audit::verify(app.db())
                .await
                .unwrap()
                .broken
                .is_none()
        );
        app.stop().await;
    }
);

on_both_backends!(
    staff_never_reach_another_towns_objects_by_their_id,
    |backend| async move {
        use rathaus_store::entities::{routing_rule, staff_user};
        use rathaus_store::sea_orm::{ActiveValue::Set, EntityTrait};
        let app = TestApp::start(backend).await;
        let db = app.db();
        let (system, origin) = (Actor::system("test"), Origin::default());
        let mut elsewhere = rathaus_core::demo::musterstadt();
        elsewhere.slug = "anderstadt".into();
        elsewhere.name = "Stadt Anderstadt".into();
        elsewhere.hosts = vec!["anderstadt.localhost".into()];
        let other = tenants::create(db, &system, &origin, elsewhere)
            .await
            .unwrap();
        let roles = ["admin".to_owned()];
        let their_admin = rathaus_core::staff::create_user(
            db,
            &system,
            &origin,
            other.id,
            rathaus_core::staff::NewStaffUser {
                email: "admin@anderstadt.example",
                name: "Admin Anderstadt",
                password: "anderstadt-password-1",
                roles: &roles,
                departments: &[],
                initial_password: false,
            },
        )
        .await
        .unwrap();
        let rathaus_core::departments::Created::Created(their_department) =
            rathaus_core::departments::create(db, &system, &origin, other.id, "ordnung", "Ordnung")
                .await
                .unwrap()
        else {
            panic!("department")
        };
        let their_rule = uuid::Uuid::now_v7();
        routing_rule::Entity::insert(routing_rule::ActiveModel {
            id: Set(their_rule),
            tenant_id: Set(other.id),
            service_key: Set("bewohnerparkausweis".into()),
            position: Set(1),
            condition: Set(String::new()),
            department_id: Set(their_department),
            label: Set("Anderstadt".into()),
            created_at: Set(chrono::Utc::now()),
            team_id: Set(None),
        })
        .exec_without_returning(db.conn())
        .await
        .unwrap();

        // Musterstadt's admin, with every right in Musterstadt, tries Anderstadt's ids.
        let admin = crate::staff::session(&app, crate::staff::ADMIN).await;
        let person = format!("/verwaltung/personal/{their_admin}");
        assert_eq!(app.get_as(&admin, &person).await.status(), 404);
        for (path, form) in [
            (format!("{person}/sperre"), vec![("gesperrt", "ja")]),
            (format!("{person}/zweiter-faktor"), vec![]),
            (person.clone(), vec![("roles", "auditor")]),
            (
                format!("/verwaltung/zustaendigkeit/{their_rule}/loeschen"),
                vec![],
            ),
            (
                format!("/verwaltung/zustaendigkeit/{their_rule}/hoch"),
                vec![],
            ),
        ] {
            let answer = app.post_as(&admin, &path, &form).await;
            assert!(
                answer.status() == 404 || answer.status() == 303,
                "{path}: {}",
                answer.status()
            );
        }
        let untouched = staff_user::Entity::find_by_id(their_admin)
            .one(db.conn())
            .await
            .unwrap()
            .unwrap();
        assert!(!untouched.disabled);
        assert!(untouched.roles.contains("admin") && !untouched.roles.contains("auditor"));
        assert!(
            routing_rule::Entity::find_by_id(their_rule)
                .one(db.conn())
                .await
                .unwrap()
                .is_some(),
            "their rule stays"
        );
        let audit_of_theirs = format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE object_id = '{their_admin}' \
             AND action <> 'staff.create'"
        );
        assert_eq!(app.scalar(&audit_of_theirs).await.as_deref(), Some("0"));
        app.stop().await;
    }
);

on_both_backends!(
    a_towns_settings_are_checked_whole_and_changed_by_those_who_manage_it,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let town = tenants::create(
            app.db(),
            &Actor::system("test"),
            &Origin::default(),
            beispielhausen(),
        )
        .await
        .unwrap();
        let admin = crate::audit::staff(town.id, "admin");
        let caseworker = crate::audit::staff(town.id, "caseworker");
        let origin = Origin::default();
        let update = |settings: Settings, coat: CoatOfArms| {
            let (admin, caseworker, origin) = (&admin, &caseworker, &origin);
            let app = &app;
            async move {
                let by =
                    |actor| settings::update(app.db(), actor, origin, town.id, &settings, &coat);
                (by(caseworker).await, by(admin).await)
            }
        };
        let now = || async {
            tenants::by_id(app.db().conn(), town.id)
                .await
                .unwrap()
                .unwrap()
        };
        let mut wanted = Settings::of(&town);
        wanted.bank_details = "Gemeindekasse · IBAN DE02 1203 0000 0000 2020 51".into();
        wanted.contact_phone = "+49 9999 2".into();

        // One bad value refuses the whole change: the good ones are not written either.
        let mut mixed = wanted.clone();
        mixed.primary_color = "#ffe066".into();
        let (_, refused) = update(mixed, CoatOfArms::Replace("<svg this is not".into())).await;
        assert_eq!(
            refused.unwrap().unwrap_err(),
            vec![Problem::TooPale, Problem::CoatOfArmsUnreadable]
        );
        assert_eq!(now().await, town, "nothing was written");

        let (forbidden, done) = update(wanted.clone(), CoatOfArms::Remove).await;
        assert!(
            matches!(forbidden, Err(CoreError::Forbidden(_))),
            "{forbidden:?}"
        );
        done.unwrap().unwrap();
        let changed = now().await;
        assert_eq!(
            changed.bank_details.as_deref(),
            Some(wanted.bank_details.as_str())
        );
        assert_eq!(changed.contact_phone, "+49 9999 2");
        assert_eq!(changed.logo_svg, None);
        assert_eq!(changed.imprint, town.imprint, "what was not changed stays");
        let audited = app
            .scalar(
                "SELECT CAST(details AS TEXT) AS v FROM audit_log WHERE action = 'tenant.settings'",
            )
            .await
            .unwrap();
        let audited: serde_json::Value = serde_json::from_str(&audited).unwrap();
        assert_eq!(
            audited["changed"],
            serde_json::json!(["telefon", "bankverbindung", "wappen"])
        );

        // An empty account line removes the account from the letters.
        let mut without = Settings::of(&changed);
        without.bank_details = "  ".into();
        let (_, done) = update(without, CoatOfArms::Keep).await;
        done.unwrap().unwrap();
        assert_eq!(now().await.bank_details, None);
        app.stop().await;
    }
);

on_both_backends!(
    an_admin_sets_the_letterhead_on_the_town_page_and_sees_it_in_a_sample_letter,
    |backend| async move {
        use crate::staff::{ADMIN, CASEWORKER, session};
        let app = TestApp::start(backend).await;
        let admin = session(&app, ADMIN).await;
        let page = app.get_as(&admin, "/verwaltung/stadt").await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("IBAN DE89 3704 0044 0532 0130 00"), "{page}");
        assert!(page.contains("enctype=\"multipart/form-data\""));
        let caseworker = session(&app, CASEWORKER).await;
        assert_eq!(
            app.get_as(&caseworker, "/verwaltung/stadt").await.status(),
            403
        );
        assert_eq!(
            app.get_as(&caseworker, "/verwaltung/stadt/probebrief.pdf")
                .await
                .status(),
            403
        );

        let demo = rathaus_core::demo::musterstadt();
        let send = |changes: &[(&str, &str)], coat_of_arms: Option<&[u8]>| {
            let mut form = reqwest::multipart::Form::new()
                .text("anschrift", demo.contact_address.replace('\n', "\r\n"))
                .text("telefon", demo.contact_phone.clone())
                .text("email", demo.contact_email.clone())
                .text("sprechzeiten", demo.contact_hours.clone())
                .text("farbe", demo.primary_color.clone())
                .text("bankverbindung", demo.bank_details.clone().unwrap())
                .text("impressum", demo.imprint.clone())
                .text("datenschutz", demo.privacy.clone())
                .text("barrierefreiheit", demo.accessibility.clone());
            for (name, value) in changes {
                form = form.text(name.to_string(), value.to_string());
            }
            if let Some(bytes) = coat_of_arms {
                let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("wappen.svg");
                form = form.part("wappen", part);
            }
            app.client
                .post(app.url("/verwaltung/stadt"))
                .header("cookie", &admin)
                .multipart(form)
                .send()
        };
        let stored = || async {
            rathaus_core::tenants::by_slug(app.db().conn(), "musterstadt")
                .await
                .unwrap()
                .unwrap()
        };
        let before = stored().await;

        // A pale colour, a missing phone and a picture that is no SVG: all named at once,
        // nothing written.
        let refused = send(
            &[
                ("farbe", "#ffe066"),
                ("telefon", " "),
                ("bankverbindung", "Neue Kasse"),
            ],
            Some(b"\x89PNG\r\n\x1a\n not svg"),
        )
        .await
        .unwrap();
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.unwrap();
        for said in [
            "Die Farbe ist zu hell",
            "Bitte geben Sie „Telefon“ an.",
            "nicht als SVG-Grafik lesen",
            "href=\"#farbe\"",
            "value=\"Neue Kasse\"",
        ] {
            assert!(refused.contains(said), "{said}: {refused}");
        }
        assert_eq!(stored().await, before, "nothing was written");

        let shield = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 12"><path d="M0 0h10v6c0 3-2 5-5 6C2 11 0 9 0 6z" fill="#7a1f1f"/></svg>"##;
        let bank = "Stadtkasse Musterstadt · IBAN DE02 1203 0000 0000 2020 51 · BIC BYLADEM1001";
        let saved = send(
            &[
                ("bankverbindung", bank),
                ("farbe", "#7A1F1F"),
                ("telefon", "+49 1234 5678-99"),
            ],
            Some(shield.as_bytes()),
        )
        .await
        .unwrap();
        assert_eq!(saved.status(), 303);
        let after = stored().await;
        assert_eq!(after.bank_details.as_deref(), Some(bank));
        assert_eq!(after.primary_color, "#7a1f1f");
        assert_eq!(
            after.contact_address, demo.contact_address,
            "line ends are LF"
        );
        assert_eq!(after.logo_svg.as_deref(), Some(shield));
        assert_eq!(
            app.scalar(
                "SELECT CAST(details AS TEXT) AS v FROM audit_log WHERE action = 'tenant.settings'"
            )
            .await
            .map(|d| serde_json::from_str::<serde_json::Value>(&d).unwrap()["changed"].clone()),
            Some(serde_json::json!([
                "telefon",
                "farbe",
                "bankverbindung",
                "wappen"
            ]))
        );
        // The portal shows it at once: colour, coat of arms, phone in the footer.
        let css = app.get("/tenant.css").await.text().await.unwrap();
        assert!(css.contains("#7a1f1f"), "{css}");
        assert_eq!(app.get("/logo.svg").await.text().await.unwrap(), shield);
        assert!(
            app.get("/")
                .await
                .text()
                .await
                .unwrap()
                .contains("+49 1234 5678-99")
        );

        let sample = app.get_as(&admin, "/verwaltung/stadt/probebrief.pdf").await;
        assert_eq!(sample.status(), 200);
        assert_eq!(sample.headers()["content-type"], "application/pdf");
        let pdf = sample.bytes().await.unwrap();
        let words = crate::letters::read_with("pdftotext", &[], &pdf);
        assert!(
            words.contains("IBAN DE02 1203 0000 0000 2020 51"),
            "{words}"
        );
        assert!(words.contains("+49 1234 5678-99"), "{words}");
        assert!(words.contains("Rathausplatz 1"), "{words}");

        // Removing the coat of arms: the portal has none to show.
        let removed = send(&[("wappen_entfernen", "1"), ("bankverbindung", bank)], None)
            .await
            .unwrap();
        assert_eq!(removed.status(), 303);
        assert_eq!(stored().await.logo_svg, None);
        assert_eq!(app.get("/logo.svg").await.status(), 404);
        app.stop().await;
    }
);
