//! The inbox search over the cases' search text, on both databases (SQLite's trigram
//! FTS5 index, PostgreSQL's pg_trgm index): every word somewhere, in any order and case,
//! short words too; the reference as read out; letters filed later; only the cases the
//! searcher may see, of their own town; characters of the query languages taken
//! literally; and cases that existed before the index are found as well.

use chrono::Utc;
use rathaus_core::actor::{Actor, Origin};
use rathaus_core::cases::{self, Listing, NewCase, Order, View};
use rathaus_core::demo::musterstadt;
use rathaus_forms::fill::{Address, Answer, Answers};
use rathaus_store::Db;
use rathaus_store::entities::{case, submission, tenant};
use rathaus_store::migrations::Migrator;
use rathaus_store::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use rathaus_store::sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::audit::staff;
use crate::harness::TestDb;
use crate::on_both_backends;

fn answers(name: &str, street: &str, plate: &str, upload: Uuid) -> Answers {
    let mut answers = Answers::default();
    answers.0.insert("name".into(), Answer::Text(name.into()));
    answers.0.insert(
        "anschrift".into(),
        Answer::Address(Address {
            street: street.into(),
            house_number: "7".into(),
            postcode: "42651".into(),
            city: "Musterstadt".into(),
        }),
    );
    answers
        .0
        .insert("kennzeichen".into(), Answer::Text(plate.into()));
    answers
        .0
        .insert("nachweis".into(), Answer::Several(vec![upload.to_string()]));
    answers
}

async fn department(
    db: &Db,
    tenant: Uuid,
    key: &str,
) -> rathaus_store::entities::department::Model {
    rathaus_core::departments::by_key(db.conn(), tenant, key)
        .await
        .unwrap()
        .unwrap()
}

async fn open(
    db: &Db,
    tenant: Uuid,
    reference: &str,
    department: &rathaus_store::entities::department::Model,
    applicant: &str,
    answers: &Answers,
) {
    let new = NewCase {
        tenant_id: tenant,
        reference,
        submission_id: None,
        service_key: "bewohnerparkausweis",
        title: "Bewohnerparkausweis",
        department: Some(department),
        rule: None,
        team_id: None,
        due_at: None,
        citizen_id: None,
        organisation_id: None,
        applicant_name: applicant,
        answers: Some(answers),
    };
    cases::open(db.conn(), new).await.unwrap();
}

/// The references `actor` finds with `words`, sorted.
async fn found(db: &Db, actor: &Actor, tenant: Uuid, words: &str) -> Vec<String> {
    let listing = Listing {
        view: View::All,
        search: Some(words),
        service: None,
        state: None,
        order: Order::Changed,
    };
    let page = cases::inbox(db.conn(), actor, tenant, listing, 0, 50)
        .await
        .unwrap();
    let mut references: Vec<String> = page.cases.into_iter().map(|c| c.reference).collect();
    references.sort();
    assert_eq!(page.total as usize, references.len());
    references
}

on_both_backends!(words_find_the_cases_one_may_see, |backend| async move {
    let (_test_db, db) = TestDb::migrated(backend).await;
    let (town, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let traffic = department(&db, town.id, "strassenverkehr").await;
    let registry = department(&db, town.id, "buergerbuero").await;
    let upload = Uuid::now_v7();
    open(
        &db,
        town.id,
        "MS-2026-AAAA2",
        &traffic,
        "Erika Müller",
        &answers("Erika Müller", "Heidestraße", "SG-AB 123", upload),
    )
    .await;
    open(
        &db,
        town.id,
        "MS-2026-BBBB3",
        &traffic,
        "Jonas Weber",
        &answers("Jonas Weber", "Lindenallee", "SG-XY 9", Uuid::now_v7()),
    )
    .await;
    open(
        &db,
        town.id,
        "MS-2026-CCCC4",
        &registry,
        "Li Wu",
        &answers("Li Wu", "Heidestraße", "SG-QQ 50% \"x\"", Uuid::now_v7()),
    )
    .await;

    // Another town's case with the same words is never found here.
    let mut elsewhere = rathaus_core::demo::musterstadt();
    elsewhere.slug = "anderstadt".into();
    elsewhere.reference_prefix = "AS".into();
    elsewhere.hosts = vec!["anderstadt.localhost".into()];
    let other =
        rathaus_core::tenants::create(&db, &Actor::system("test"), &Origin::default(), elsewhere)
            .await
            .unwrap();
    let other_dept = rathaus_core::departments::create(
        &db,
        &Actor::system("test"),
        &Origin::default(),
        other.id,
        "verkehr",
        "Verkehr",
    )
    .await
    .unwrap();
    assert!(matches!(
        other_dept,
        rathaus_core::departments::Created::Created(_)
    ));
    let other_traffic = department(&db, other.id, "verkehr").await;
    open(
        &db,
        other.id,
        "AS-2026-DDDD5",
        &other_traffic,
        "Erika Müller",
        &answers("Erika Müller", "Heidestraße", "AS-AB 1", Uuid::now_v7()),
    )
    .await;

    let mailroom = staff(town.id, "mailroom");
    // Parts of words, any order, any case; umlauts too.
    assert_eq!(
        found(&db, &mailroom, town.id, "heidestr").await,
        ["MS-2026-AAAA2", "MS-2026-CCCC4"]
    );
    assert_eq!(
        found(&db, &mailroom, town.id, "MÜLLER heide").await,
        ["MS-2026-AAAA2"]
    );
    assert_eq!(
        found(&db, &mailroom, town.id, "heide müller").await,
        ["MS-2026-AAAA2"]
    );
    assert!(
        found(&db, &mailroom, town.id, "müller linden")
            .await
            .is_empty(),
        "every word must be there"
    );
    // Address, plate and title are searched; short words as well.
    assert_eq!(
        found(&db, &mailroom, town.id, "42651 lindenallee 7").await,
        ["MS-2026-BBBB3"]
    );
    assert_eq!(
        found(&db, &mailroom, town.id, "sg-xy").await,
        ["MS-2026-BBBB3"]
    );
    assert_eq!(
        found(&db, &mailroom, town.id, "wu").await,
        ["MS-2026-CCCC4"]
    );
    assert_eq!(found(&db, &mailroom, town.id, "parkausweis").await.len(), 3);
    // The ids of uploads are not search words.
    assert!(
        found(&db, &mailroom, town.id, &upload.to_string())
            .await
            .is_empty()
    );
    // The reference, also as read out on the phone.
    assert_eq!(
        found(&db, &mailroom, town.id, "ms 2026 bbbb3").await,
        ["MS-2026-BBBB3"]
    );
    assert_eq!(
        found(&db, &mailroom, town.id, "ms-2026-aaaa2").await,
        ["MS-2026-AAAA2"]
    );
    // Wildcards and quotes of LIKE and FTS5 are plain characters.
    assert_eq!(
        found(&db, &mailroom, town.id, "50%").await,
        ["MS-2026-CCCC4"]
    );
    assert_eq!(found(&db, &mailroom, town.id, "%").await, ["MS-2026-CCCC4"]);
    assert!(found(&db, &mailroom, town.id, "_").await.is_empty());
    assert_eq!(
        found(&db, &mailroom, town.id, "\"x\"").await,
        ["MS-2026-CCCC4"]
    );
    assert!(
        found(&db, &mailroom, town.id, "weber\" OR \"müller")
            .await
            .is_empty()
    );
    assert!(
        found(&db, &mailroom, town.id, "NEAR(müller heide)")
            .await
            .is_empty()
    );
    // A query of thousands of words is cut to its first ten, not an error.
    let endless: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
    assert!(
        found(&db, &mailroom, town.id, &endless.join(" "))
            .await
            .is_empty()
    );
    let heide_first = format!("heide {}", "x ".repeat(3000));
    assert_eq!(
        found(&db, &mailroom, town.id, &heide_first).await,
        ["MS-2026-CCCC4"]
    );

    // A caseworker of the traffic department finds only its cases.
    let mut vera = staff(town.id, "caseworker");
    vera.departments = vec![traffic.id];
    assert_eq!(
        found(&db, &vera, town.id, "heidestraße").await,
        ["MS-2026-AAAA2"]
    );
    assert!(found(&db, &vera, town.id, "MS-2026-CCCC4").await.is_empty());
});

on_both_backends!(
    cases_from_before_the_index_are_found,
    |backend| async move {
        let test_db = TestDb::new(backend).await;
        let db = Db::connect(&test_db.url).await.unwrap();
        // The schema as it was before the search text had its own table.
        Migrator::up(db.conn(), Some(22)).await.unwrap();
        // A town as it was then: only the columns of that schema (the demo and
        // `tenants::create` of today need today's).
        let then = musterstadt();
        let town_id = Uuid::now_v7();
        tenant::Entity::insert(tenant::ActiveModel {
            id: Set(town_id),
            slug: Set(then.slug),
            name: Set(then.name),
            reference_prefix: Set(then.reference_prefix),
            logo_svg: Set(then.logo_svg),
            primary_color: Set(then.primary_color),
            contact_address: Set(then.contact_address),
            contact_phone: Set(then.contact_phone),
            contact_email: Set(then.contact_email),
            contact_hours: Set(then.contact_hours),
            imprint: Set(then.imprint),
            privacy: Set(then.privacy),
            accessibility: Set(then.accessibility),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(db.conn())
        .await
        .unwrap();
        let now = Utc::now();
        let submission_id = Uuid::now_v7();
        submission::ActiveModel {
            id: Set(submission_id),
            tenant_id: Set(town_id),
            reference: Set("MS-2026-OLD22".into()),
            service_key: Set("bewohnerparkausweis".into()),
            service_name: Set("Bewohnerparkausweis".into()),
            form_sha256: Set("0".repeat(64)),
            answers: Set(r#"{"kennzeichen": {"Text": "SG-ALT 42"}}"#.into()),
            citizen_id: Set(None),
            organisation_id: Set(None),
            applicant_name: Set("Berta Altbestand".into()),
            trust_level: Set("basis".into()),
            idempotency_key: Set(Uuid::now_v7().to_string()),
            status_secret_hash: Set(None),
            fee_cents: Set(None),
            submitted_at: Set(now),
        }
        .insert(db.conn())
        .await
        .unwrap();
        case::Entity::insert(case::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(town_id),
            reference: Set("MS-2026-OLD22".into()),
            submission_id: Set(Some(submission_id)),
            service_key: Set("bewohnerparkausweis".into()),
            title: Set("Bewohnerparkausweis".into()),
            department_id: Set(None),
            state: Set("eingegangen".into()),
            assignee_id: Set(None),
            citizen_id: Set(None),
            applicant_name: Set("Berta Altbestand".into()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            due_at: Set(None),
            organisation_id: Set(None),
            ..Default::default()
        })
        .exec(db.conn())
        .await
        .unwrap();
        db.migrate().await.unwrap();

        let mailroom = staff(town_id, "mailroom");
        assert_eq!(
            found(&db, &mailroom, town_id, "altbestand").await,
            ["MS-2026-OLD22"]
        );
        assert_eq!(
            found(&db, &mailroom, town_id, "sg-alt").await,
            ["MS-2026-OLD22"]
        );
        // Migration 28 gave it the phase of its state: new, as the inbox's view says.
        let old = case::Entity::find().one(db.conn()).await.unwrap().unwrap();
        assert_eq!((old.phase.as_str(), old.workflow_id), ("new", None));
    }
);
