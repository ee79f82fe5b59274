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
