//! The service catalog on both databases: import, what each tenant offers, browsing by
//! life situation and the full-text search with German word forms.

use rathaus_core::catalog::{self, CatalogFile, Imported};
use rathaus_core::{Actor, Origin};

use crate::harness::TestDb;
use crate::on_both_backends;

pub(crate) const CATALOG: &str = r#"{
  "life_situations": [
    { "key": "umzug", "name_de": "Umzug", "name_en": "Moving house" },
    { "key": "auto-verkehr", "name_de": "Auto und Verkehr", "name_en": "Car and traffic" }
  ],
  "services": [
    { "key": "wohnsitz-anmelden", "leika": "99115001001000", "name": "Wohnsitz anmelden",
      "summary": "Nach einem Umzug melden Sie Ihre neue Wohnung innerhalb von zwei Wochen an.",
      "description": "Wer in eine Wohnung einzieht, muss sich bei der Meldebehörde anmelden.",
      "life_situations": ["umzug"], "appointment": true },
    { "key": "bewohnerparkausweis", "leika": "99035002001000", "name": "Bewohnerparkausweis beantragen",
      "summary": "Mit dem Bewohnerparkausweis parken Sie in Ihrer Bewohnerparkzone.",
      "description": "Den Ausweis erhalten Bewohnerinnen und Bewohner mit Hauptwohnsitz in der Zone.",
      "life_situations": ["auto-verkehr", "umzug"], "online": true, "form": "bewohnerparkausweis",
      "fees": "30,00 Euro je Jahr", "fee_cents": 3000, "keywords": ["Parkausweis", "Anwohnerparken"] },
    { "key": "kfz-zulassung", "name": "Fahrzeug zulassen",
      "summary": "Ein neues oder gebrauchtes Fahrzeug zulassen.",
      "description": "Für die Zulassung brauchen Sie die Zulassungsbescheinigungen und eine eVB-Nummer.",
      "life_situations": ["auto-verkehr"], "min_trust": "substanziell" }
  ]
}"#;

async fn tenant(db: &rathaus_store::Db, slug: &str) -> uuid::Uuid {
    let mut new = rathaus_core::demo::musterstadt();
    new.slug = slug.into();
    new.hosts = vec![format!("{slug}.localhost")];
    rathaus_core::tenants::create(db, &Actor::system("test"), &Origin::default(), new)
        .await
        .unwrap()
        .id
}

fn keys(services: &[catalog::Service]) -> Vec<&str> {
    services.iter().map(|s| s.key.as_str()).collect()
}

async fn search(db: &rathaus_store::Db, tenant: uuid::Uuid, query: &str) -> Vec<String> {
    let found = catalog::search(db.conn(), tenant, query, 10).await.unwrap();
    found.into_iter().map(|s| s.key).collect()
}

on_both_backends!(
    the_catalog_is_imported_browsed_and_searched,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let file: CatalogFile = serde_json::from_str(CATALOG).unwrap();
        let imported = catalog::import(&db, &file).await.unwrap();
        assert_eq!(
            imported,
            Imported {
                life_situations: 2,
                services: 3
            }
        );
        let a = tenant(&db, "a-stadt").await;
        let b = tenant(&db, "b-stadt").await;
        assert_eq!(catalog::enable(&db, a, None).await.unwrap(), 3);
        let parking = ["bewohnerparkausweis".to_owned()];
        assert_eq!(catalog::enable(&db, b, Some(&parking)).await.unwrap(), 1);
        let conn = db.conn();

        let situations = catalog::life_situations(conn).await.unwrap();
        assert_eq!(situations[0].name_de, "Umzug");
        let moving = catalog::in_life_situation(conn, a, "umzug").await.unwrap();
        assert_eq!(
            keys(&moving),
            ["bewohnerparkausweis", "wohnsitz-anmelden"],
            "by name"
        );
        let moving_b = catalog::in_life_situation(conn, b, "umzug").await.unwrap();
        assert_eq!(
            keys(&moving_b),
            ["bewohnerparkausweis"],
            "only what B offers"
        );

        // German word forms, word beginnings, several words, keywords.
        assert_eq!(search(&db, a, "Umzügen").await, ["wohnsitz-anmelden"]);
        assert_eq!(
            search(&db, a, "parkausweise").await,
            ["bewohnerparkausweis"]
        );
        assert_eq!(search(&db, a, "Zulass").await, ["kfz-zulassung"]);
        assert_eq!(search(&db, a, "Fahrzeug zulassen").await, ["kfz-zulassung"]);
        assert_eq!(search(&db, a, "Hund").await, Vec::<String>::new());
        assert_eq!(search(&db, a, "  ?!  ").await, Vec::<String>::new());
        assert_eq!(
            search(&db, a, "\"; DROP TABLE services; --").await,
            Vec::<String>::new()
        );
        assert_eq!(
            search(&db, b, "Zulassung").await,
            Vec::<String>::new(),
            "B does not offer it"
        );

        // A tenant words a service its own way.
        use rathaus_store::entities::tenant_service;
        use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        tenant_service::Entity::update_many()
            .col_expr(
                tenant_service::Column::Overrides,
                Expr::value(r#"{"fees": "25,00 Euro je Jahr", "fee_cents": 2500}"#),
            )
            .filter(tenant_service::Column::TenantId.eq(b))
            .exec(conn)
            .await
            .unwrap();
        let in_b = catalog::service(conn, b, "bewohnerparkausweis")
            .await
            .unwrap()
            .unwrap();
        let in_a = catalog::service(conn, a, "bewohnerparkausweis")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((in_b.fee_cents, in_a.fee_cents), (Some(2500), Some(3000)));
        assert!(
            catalog::service(conn, b, "kfz-zulassung")
                .await
                .unwrap()
                .is_none()
        );

        // Importing again updates and keeps what tenants offer.
        let mut changed = file.clone();
        changed.services[2].name = "Fahrzeug zulassen (Neuzulassung)".into();
        catalog::import(&db, &changed).await.unwrap();
        assert_eq!(search(&db, a, "Neuzulassung").await, ["kfz-zulassung"]);
        assert_eq!(
            catalog::in_life_situation(conn, a, "auto-verkehr")
                .await
                .unwrap()
                .len(),
            2
        );
        test_db.drop_now().await;
    }
);

on_both_backends!(
    a_catalog_with_mistakes_is_refused_whole,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let broken = CATALOG.replace("99115001001000", "9911").replace(
            "[\"auto-verkehr\"], \"min_trust\": \"substanziell\"",
            "[\"haustiere\"], \"min_trust\": \"sehr hoch\"",
        );
        let file: CatalogFile = serde_json::from_str(&broken).unwrap();
        let error = catalog::import(&db, &file).await.unwrap_err().to_string();
        assert!(
            error.contains("LeiKa key '9911' is not 14 digits"),
            "{error}"
        );
        assert!(
            error.contains("unknown life situation 'haustiere'"),
            "{error}"
        );
        assert!(error.contains("min_trust 'sehr hoch'"), "{error}");
        assert!(
            catalog::life_situations(db.conn())
                .await
                .unwrap()
                .is_empty(),
            "nothing written"
        );
        let typo = CATALOG.replace("\"summary\"", "\"sumary\"");
        assert!(
            serde_json::from_str::<CatalogFile>(&typo).is_err(),
            "unknown fields are refused"
        );
        test_db.drop_now().await;
    }
);

on_both_backends!(
    citizens_browse_and_search_the_catalog,
    |backend| async move {
        use crate::harness::TestApp;
        // The test app serves the demo town with its whole catalog.
        let app = TestApp::start(backend).await;
        let tenant = rathaus_core::tenants::by_slug(app.db().conn(), "musterstadt")
            .await
            .unwrap()
            .unwrap()
            .id;
        // Musterstadt does not offer vehicle registration (another office does, say).
        use rathaus_store::entities::tenant_service;
        use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        tenant_service::Entity::update_many()
            .col_expr(tenant_service::Column::Enabled, Expr::value(false))
            .filter(tenant_service::Column::TenantId.eq(tenant))
            .filter(tenant_service::Column::ServiceKey.eq("kfz-zulassung"))
            .exec(app.db().conn())
            .await
            .unwrap();
        let page = |path: &'static str| {
            let app = &app;
            async move {
                let response = app.get(path).await;
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };

        let (status, home) = page("/").await;
        assert_eq!(status, 200);
        assert!(home.contains("href=\"/lebenslagen/umzug\"") && home.contains("Auto und Verkehr"));
        assert!(home.contains("role=\"search\""));

        let (_, moving) = page("/lebenslagen/umzug").await;
        assert!(moving.contains("Wohnsitz anmelden"));
        let (_, traffic) = page("/lebenslagen/auto-verkehr").await;
        assert!(traffic.contains("Bewohnerparkausweis"));
        assert!(
            !traffic.contains("/leistungen/kfz-zulassung\""),
            "not offered here"
        );

        let (status, parking) = page("/leistungen/bewohnerparkausweis").await;
        assert_eq!(status, 200);
        assert!(parking.contains("30,00 Euro je Jahr") && parking.contains("online beantragen"));
        let (_, naturalisation) = page("/leistungen/einbuergerung-beantragen").await;
        assert!(naturalisation.contains("Vertrauensniveau „substanziell“"));
        assert_eq!(
            page("/leistungen/kfz-zulassung").await.0,
            404,
            "not offered"
        );
        assert_eq!(page("/leistungen/gibt-es-nicht").await.0, 404);
        assert_eq!(page("/lebenslagen/mond").await.0, 404);

        let (_, found) = page("/suche?q=Wohnsitz+Umz%C3%BCgen").await;
        assert!(found.contains("gefunden") && found.contains("/leistungen/wohnsitz-anmelden"));
        // A typo: the closest word of the catalog is searched instead, and said so.
        let (_, typo) = page("/suche?q=Bewohnerparkausweiss").await;
        assert!(
            typo.contains("Ergebnisse für „bewohnerparkausweis“"),
            "typo corrected"
        );
        assert!(typo.contains("/leistungen/bewohnerparkausweis\""));
        let (_, none) = page("/suche?q=Raumfahrtbeh%C3%B6rde").await;
        assert!(none.contains("keine Leistung gefunden"));
        let (_, hidden) = page("/suche?q=Neuzulassung").await;
        assert!(
            !hidden.contains("/leistungen/kfz-zulassung\""),
            "not offered, not found"
        );
        let (status, empty) = page("/suche").await;
        assert_eq!(status, 200);
        assert!(!empty.contains("gefunden"));
        let english = app
            .client
            .get(app.url("/suche?q=Parkausweis"))
            .header("cookie", "lang=en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(english.contains("services found") || english.contains("1 service found"));
        app.stop().await;
    }
);

/// The services with an online assistant (issue 4), by key, and a word people search
/// them with.
const ASSISTANTS: [(&str, &str); 14] = [
    ("einbuergerung-beantragen", "Einbürgerung"),
    ("verpflichtungserklaerung", "Verpflichtungserklärung"),
    (
        "beschaeftigungserlaubnis-geduldete",
        "Beschäftigungserlaubnis",
    ),
    ("kfz-ausserbetriebsetzung", "Außerbetriebsetzung"),
    ("kfz-zulassung", "Neuzulassung"),
    ("bewohnerparkausweis", "Parkausweis"),
    ("personenstandsurkunde-bestellen", "Geburtsurkunde"),
    ("geburt-anzeigen", "Geburt"),
    ("eheschliessung-anmelden", "Eheschließung"),
    ("gewerbeanmeldung", "Gewerbe anmelden"),
    ("bibliotheksausweis", "Bibliotheksausweis"),
    ("jobcenter-nachweise-einreichen", "Jobcenter"),
    ("bauantrag-vereinfachtes-verfahren", "Bauantrag"),
    ("roentgeneinrichtung-anzeigen", "Röntgeneinrichtung"),
];

on_both_backends!(
    the_demo_town_offers_its_catalog_by_life_situation_and_search,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        let conn = db.conn();
        let situations = catalog::life_situations(conn).await.unwrap();
        assert!(
            situations.len() >= 15,
            "{} life situations",
            situations.len()
        );
        let mut offered = std::collections::HashSet::new();
        for situation in &situations {
            let services = catalog::in_life_situation(conn, tenant.id, &situation.key)
                .await
                .unwrap();
            assert!(!services.is_empty(), "{} has services", situation.key);
            offered.extend(services.into_iter().map(|s| s.key));
        }
        assert!(offered.len() >= 400, "{} services offered", offered.len());
        let departments: Vec<&str> = rathaus_core::demo::DEMO_DEPARTMENTS
            .iter()
            .map(|(key, _)| *key)
            .collect();
        for service in rathaus_core::demo::demo_catalog().unwrap().services {
            if let Some(department) = &service.department {
                assert!(
                    departments.contains(&department.as_str()),
                    "{}: {department}",
                    service.key
                );
            }
        }
        for (key, words) in ASSISTANTS {
            assert!(offered.contains(key), "{key} is found by browsing");
            let found: Vec<String> = catalog::search(conn, tenant.id, words, 20)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.key)
                .collect();
            assert!(
                found.iter().any(|k| k == key),
                "{key} is found by searching '{words}': {found:?}"
            );
        }
        test_db.drop_now().await;
    }
);
