//! The service catalog on both databases: import, what each tenant offers, browsing by
//! life situation and the full-text search with German word forms.

use rathaus_core::catalog::{self, CatalogCache, CatalogFile, Imported, Offered};
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

async fn offered(db: &rathaus_store::Db, tenant: uuid::Uuid) -> Offered {
    Offered::load(db.conn(), tenant).await.unwrap()
}

async fn search(db: &rathaus_store::Db, tenant: uuid::Uuid, query: &str) -> Vec<String> {
    let found = offered(db, tenant).await.search(query, 0, 10).services;
    found.into_iter().map(|s| s.key).collect()
}

/// A town's own wording of a service, set as its admins do.
async fn word(
    db: &rathaus_store::Db,
    tenant: uuid::Uuid,
    key: &str,
    enabled: bool,
    overrides: serde_json::Value,
) {
    let serde_json::Value::Object(overrides) = overrides else {
        panic!("overrides are an object");
    };
    catalog::set_offer(
        db,
        &Actor::system("test"),
        &Origin::default(),
        tenant,
        key,
        enabled,
        overrides,
    )
    .await
    .unwrap()
    .unwrap();
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
        let moving = offered(&db, a).await.in_life_situation("umzug");
        assert_eq!(
            keys(&moving),
            ["bewohnerparkausweis", "wohnsitz-anmelden"],
            "by name"
        );
        let moving_b = offered(&db, b).await.in_life_situation("umzug");
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

        // A tenant words a service its own way; a copy held in memory notices.
        let cache = CatalogCache::default();
        let held = cache.offered(conn, b).await.unwrap();
        let fees = serde_json::json!({"fees": "25,00 Euro je Jahr", "fee_cents": 2500});
        word(&db, b, "bewohnerparkausweis", true, fees).await;
        let in_b = cache.offered(conn, b).await.unwrap();
        assert!(
            in_b.version() > held.version(),
            "read again after the change"
        );
        let in_a = cache.offered(conn, a).await.unwrap();
        let fee = |o: &Offered| o.service("bewohnerparkausweis").unwrap().fee_cents;
        assert_eq!((fee(&in_b), fee(&in_a)), (Some(2500), Some(3000)));
        assert_eq!(fee(&held), Some(3000), "a copy in use stays as it was");
        assert!(in_b.service("kfz-zulassung").is_none());
        word(&db, b, "bewohnerparkausweis", false, serde_json::json!({})).await;
        let withdrawn = cache.offered(conn, b).await.unwrap();
        assert!(withdrawn.service("bewohnerparkausweis").is_none());
        assert!(withdrawn.search("Parkausweis", 0, 10).services.is_empty());

        // Importing again updates and keeps what tenants offer.
        let mut changed = file.clone();
        changed.services[2].name = "Fahrzeug zulassen (Neuzulassung)".into();
        catalog::import(&db, &changed).await.unwrap();
        let in_a = cache.offered(conn, a).await.unwrap();
        assert_eq!(
            keys(&in_a.search("Neuzulassung", 0, 10).services),
            ["kfz-zulassung"]
        );
        assert_eq!(in_a.in_life_situation("auto-verkehr").len(), 2);
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
        word(
            app.db(),
            tenant,
            "kfz-zulassung",
            false,
            serde_json::json!({}),
        )
        .await;
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
        // Many results come in pages of 20 with links to the others.
        let (_, first) = page("/suche?q=beantragen").await;
        let (_, second) = page("/suche?q=beantragen&seite=2").await;
        let results = |html: &str| -> Vec<String> {
            html.split("href=\"/leistungen/")
                .skip(1)
                .map(|rest| rest.split('"').next().unwrap().to_owned())
                .collect()
        };
        assert_eq!(results(&first).len(), 20, "20 on a page");
        assert!(
            first.contains("href=\"/suche?q=beantragen&#38;seite=2\""),
            "link to page 2"
        );
        assert!(second.contains("aria-current=\"page\">2<"), "page 2 marked");
        assert!(
            results(&second)
                .iter()
                .all(|key| !results(&first).contains(key)),
            "page 2 goes on where page 1 stopped"
        );
        let (status, beyond) = page("/suche?q=beantragen&seite=999").await;
        assert_eq!(status, 200, "a page beyond the last shows the last");
        assert!(!results(&beyond).is_empty());
        let (status, garbled) = page("/suche?q=beantragen&seite=zwei").await;
        assert_eq!(status, 200, "a page number that is none shows the first");
        assert_eq!(results(&garbled), results(&first));
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
        let mut seen = std::collections::HashSet::new();
        for situation in &situations {
            let services = offered(&db, tenant.id)
                .await
                .in_life_situation(&situation.key);
            assert!(!services.is_empty(), "{} has services", situation.key);
            seen.extend(services.into_iter().map(|s| s.key));
        }
        assert!(seen.len() >= 400, "{} services offered", seen.len());
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
            assert!(seen.contains(key), "{key} is found by browsing");
            let found: Vec<String> = offered(&db, tenant.id)
                .await
                .search(words, 0, 20)
                .services
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
