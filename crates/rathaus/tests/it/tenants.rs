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
    a_towns_bank_account_is_one_line_set_by_those_who_manage_it,
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
        let line = "Gemeindekasse · IBAN DE02 1203 0000 0000 2020 51";
        let refused =
            tenants::set_bank_details(app.db(), &caseworker, &origin, town.id, Some(line))
                .await
                .unwrap_err();
        assert!(matches!(refused, CoreError::Forbidden(_)), "{refused}");
        let two_lines = tenants::set_bank_details(
            app.db(),
            &admin,
            &origin,
            town.id,
            Some("Gemeindekasse\nIBAN"),
        )
        .await
        .unwrap_err();
        assert!(matches!(two_lines, CoreError::Invalid(_)), "{two_lines}");
        let bank = || async {
            tenants::by_id(app.db().conn(), town.id)
                .await
                .unwrap()
                .unwrap()
                .bank_details
        };
        assert_eq!(bank().await, None, "nothing was written");
        tenants::set_bank_details(app.db(), &admin, &origin, town.id, Some(line))
            .await
            .unwrap();
        assert_eq!(bank().await.as_deref(), Some(line));
        tenants::set_bank_details(app.db(), &admin, &origin, town.id, Some("  "))
            .await
            .unwrap();
        assert_eq!(bank().await, None, "an empty line removes it");
        app.stop().await;
    }
);
