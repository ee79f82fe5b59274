//! The department inbox of a big town: the first page of a caseworker's views and of
//! the mailroom's list, and the full-text search, through `cases::inbox` as the web
//! calls it (count and page of 25).
//!
//! The first run fills the demo town with CASES cases (default 1,000,000) in
//! DEPARTMENTS departments (default 100) of one caseworker each, with names, addresses
//! and plates in their search text, states and dates spread as in a working town; a
//! later run on the same database measures again without generating.
//!
//! Usage: inbox DATABASE_URL [CASES] [DEPARTMENTS] [ROUNDS]

use std::time::Instant;

use chrono::{Duration, Utc};
use rathaus_core::actor::{Actor, ActorKind};
use rathaus_core::cases::{self, Listing, Order, View};
use rathaus_core::policy::Permission;
use rathaus_core::workflow;
use rathaus_forms::fill::{Address, Answer, Answers};
use rathaus_store::entities::{case, case_search, department, staff_user};
use rathaus_store::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use rathaus_store::{Backend, Db};
use uuid::Uuid;

const FIRST_NAMES: [&str; 40] = [
    "Erika", "Jonas", "Mia", "Leon", "Emma", "Paul", "Hannah", "Ben", "Sofia", "Finn", "Lena",
    "Elias", "Marie", "Noah", "Lea", "Luis", "Anna", "Felix", "Clara", "Emil", "Ida", "Karl",
    "Greta", "Theo", "Frieda", "Anton", "Mila", "Jakob", "Ella", "Oskar", "Lina", "Moritz", "Nele",
    "Henri", "Lotta", "Samuel", "Zoe", "David", "Amelie", "Levi",
];
const LAST_NAMES: [&str; 60] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
];
const STREETS: [&str; 20] = [
    "Heidestraße",
    "Lindenallee",
    "Hauptstraße",
    "Schulstraße",
    "Gartenweg",
    "Bahnhofstraße",
    "Kirchplatz",
    "Bergstraße",
    "Wiesenweg",
    "Am Markt",
    "Rosenstraße",
    "Mühlenweg",
    "Birkenweg",
    "Goethestraße",
    "Schillerstraße",
    "Ringstraße",
    "Talstraße",
    "Feldweg",
    "Waldstraße",
    "Brunnenstraße",
];
const SERVICES: [(&str, &str); 5] = [
    ("bewohnerparkausweis", "Bewohnerparkausweis beantragen"),
    ("meldebescheinigung", "Meldebescheinigung beantragen"),
    ("hundesteuer-anmeldung", "Hund anmelden"),
    ("sondernutzung", "Sondernutzungserlaubnis beantragen"),
    ("wohngeld", "Wohngeld beantragen"),
];
/// The alphabet of references: no 0/O, 1/I.
const CODE: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const PER_PAGE: u64 = 25;

/// A small deterministic generator, so that every run makes the same town.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn reference(i: u64) -> String {
    let mut code = String::from("MS-2026-");
    let mut rest = i;
    for _ in 0..5 {
        code.push(CODE[(rest % 32) as usize] as char);
        rest /= 32;
    }
    code
}

/// The applicant of case `i`.
fn applicant(i: u64) -> (&'static str, &'static str) {
    let mut dice = Dice(i.wrapping_mul(2654435761));
    (
        FIRST_NAMES[dice.next(40) as usize],
        LAST_NAMES[dice.next(60) as usize],
    )
}

struct Town {
    tenant_id: Uuid,
    /// Each department with its caseworker.
    departments: Vec<(Uuid, Uuid)>,
}

async fn departments(
    db: &Db,
    tenant_id: Uuid,
    count: usize,
) -> Result<Town, Box<dyn std::error::Error>> {
    let mut departments = Vec::new();
    for d in 0..count {
        let key = format!("bench-{d:03}");
        let existing = department::Entity::find()
            .filter(department::Column::TenantId.eq(tenant_id))
            .filter(department::Column::Key.eq(&key))
            .one(db.conn())
            .await?;
        let department_id = match existing {
            Some(found) => found.id,
            None => {
                let id = Uuid::now_v7();
                department::Entity::insert(department::ActiveModel {
                    id: Set(id),
                    tenant_id: Set(tenant_id),
                    key: Set(key.clone()),
                    name: Set(format!("Fachdienst {d}")),
                    created_at: Set(Utc::now()),
                })
                .exec(db.conn())
                .await?;
                id
            }
        };
        let email = format!("{key}@bench.example");
        let existing = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(&email))
            .one(db.conn())
            .await?;
        let caseworker = match existing {
            Some(found) => found.id,
            None => {
                let id = Uuid::now_v7();
                staff_user::Entity::insert(staff_user::ActiveModel {
                    id: Set(id),
                    tenant_id: Set(tenant_id),
                    email: Set(email),
                    name: Set(format!("Sachbearbeitung {d}")),
                    // Nobody logs in with it.
                    password_hash: Set("!".into()),
                    roles: Set("caseworker".into()),
                    disabled: Set(false),
                    created_at: Set(Utc::now()),
                    password_change_required: Set(false),
                })
                .exec(db.conn())
                .await?;
                id
            }
        };
        departments.push((department_id, caseworker));
    }
    Ok(Town {
        tenant_id,
        departments,
    })
}

/// Case `i` and its search text.
fn case_number(
    i: u64,
    town: &Town,
    now: chrono::DateTime<Utc>,
) -> (case::ActiveModel, case_search::ActiveModel) {
    let mut dice = Dice(i.wrapping_mul(0x9E3779B97F4A7C15) ^ 0x5DEECE66D);
    let (department_id, caseworker) =
        town.departments[(i % town.departments.len() as u64) as usize];
    let (first, last) = applicant(i);
    let (service_key, title) = SERVICES[dice.next(SERVICES.len() as u64) as usize];
    let created = now - Duration::minutes(dice.next(2 * 365 * 24 * 60) as i64);
    // Most cases older than four months are closed; a few are stuck.
    let open_percent = if now - created > Duration::days(120) {
        3
    } else {
        60
    };
    let (state, assignee) = if dice.next(100) >= open_percent {
        ("abgeschlossen", Some(caseworker))
    } else {
        // Of the open ones: a quarter new, the rest being worked on.
        match dice.next(60) {
            0..15 => (workflow::standard().initial.as_str(), None),
            15..25 => ("in_pruefung", Some(caseworker)),
            25..30 => ("unterlagen_nachgefordert", Some(caseworker)),
            _ => ("in_bearbeitung", Some(caseworker)),
        }
    };
    let updated = (created + Duration::minutes(dice.next(30 * 24 * 60) as i64)).min(now);
    let reference = reference(i);
    let name = format!("{first} {last}");
    let mut answers = Answers::default();
    answers
        .0
        .insert("vorname".into(), Answer::Text(first.into()));
    answers
        .0
        .insert("nachname".into(), Answer::Text(last.into()));
    answers.0.insert(
        "anschrift".into(),
        Answer::Address(Address {
            street: STREETS[dice.next(20) as usize].into(),
            house_number: (dice.next(120) + 1).to_string(),
            postcode: "42651".into(),
            city: "Musterstadt".into(),
        }),
    );
    answers.0.insert(
        "kennzeichen".into(),
        Answer::Text(format!(
            "MS-{} {}",
            (b'A' + dice.next(26) as u8) as char,
            dice.next(9000) + 1
        )),
    );
    let id = Uuid::now_v7();
    let text = cases::search::text_of(&reference, title, &name, Some(&answers));
    let case = case::ActiveModel {
        id: Set(id),
        tenant_id: Set(town.tenant_id),
        reference: Set(reference),
        submission_id: Set(None),
        service_key: Set(service_key.into()),
        title: Set(title.into()),
        department_id: Set(Some(department_id)),
        state: Set(state.into()),
        assignee_id: Set(assignee),
        citizen_id: Set(None),
        applicant_name: Set(name),
        version: Set(1),
        created_at: Set(created),
        updated_at: Set(updated),
        due_at: Set(Some(created + Duration::days(90))),
        organisation_id: Set(None),
        deadline_paused_at: Set(None),
        workflow_id: Set(None),
        phase: Set(workflow::standard().phase(state).as_str().into()),
        team_id: Set(None),
        closed_at: Set(
            workflow::Phase::is_finished(workflow::standard().phase(state).as_str())
                .then_some(updated),
        ),
        legal_hold: Set(None),
    };
    let search = case_search::ActiveModel {
        case_id: Set(id),
        tenant_id: Set(town.tenant_id),
        text: Set(text),
        ..Default::default()
    };
    (case, search)
}

async fn generate(
    db: &Db,
    town: &Town,
    from: u64,
    to: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    const BATCH: u64 = 1000;
    let now = Utc::now();
    let mut i = from;
    while i < to {
        let txn = db.conn().begin().await?;
        for _ in 0..10 {
            if i >= to {
                break;
            }
            let end = (i + BATCH).min(to);
            let (cases, texts): (Vec<_>, Vec<_>) =
                (i..end).map(|n| case_number(n, town, now)).unzip();
            case::Entity::insert_many(cases).exec(&txn).await?;
            case_search::Entity::insert_many(texts).exec(&txn).await?;
            i = end;
        }
        txn.commit().await?;
        if i.is_multiple_of(100_000) {
            eprintln!("  {i} cases");
        }
    }
    Ok(())
}

fn staff(tenant_id: Uuid, id: Uuid, department: Option<Uuid>) -> Actor {
    let mut actor = Actor::system("bench");
    actor.kind = ActorKind::Staff;
    actor.id = Some(id);
    actor.tenant_id = Some(tenant_id);
    match department {
        Some(department) => {
            actor.permissions = vec![Permission::HandleCases];
            actor.departments = vec![department];
        }
        None => actor.permissions = vec![Permission::HandleCases, Permission::RouteMail],
    }
    actor
}

fn percentile(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `rounds` listings made by `make(round)` and prints their p50 and p99 in ms.
async fn measure(
    db: &Db,
    town: &Town,
    name: &str,
    rounds: u64,
    make: impl Fn(u64) -> (Actor, View, Option<String>),
) -> Result<(), Box<dyn std::error::Error>> {
    let mut times = Vec::new();
    let mut found = 0u64;
    for round in 0..rounds {
        let (actor, view, search) = make(round);
        let listing = Listing {
            view,
            search: search.as_deref(),
            service: None,
            state: None,
            order: Order::Changed,
        };
        let started = Instant::now();
        let page = cases::inbox(db.conn(), &actor, town.tenant_id, listing, 0, PER_PAGE).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        found += page.total;
    }
    let p50 = percentile(&mut times, 0.5);
    let p99 = percentile(&mut times, 0.99);
    println!(
        "{{\"figure\": \"{name}\", \"p50_ms\": {p50:.2}, \"p99_ms\": {p99:.2}, \"mean_total\": {}}}",
        found / rounds
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: inbox DATABASE_URL [CASES] [DEPARTMENTS] [ROUNDS]")?;
    let total: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let department_count: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let rounds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(300);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await?;
    let town = departments(&db, tenant.id, department_count).await?;
    let have = case::Entity::find()
        .filter(case::Column::Reference.starts_with("MS-2026-"))
        .filter(case::Column::ServiceKey.is_in(SERVICES.map(|s| s.0)))
        .count(db.conn())
        .await?;
    if have < total {
        let started = Instant::now();
        generate(&db, &town, have, total).await?;
        // What the hourly housekeeping does for a town that grew; on PostgreSQL also
        // what autovacuum does soon after a bulk load (visibility map, GIN pending list).
        if db.backend() == Backend::Postgres {
            db.conn().execute_unprepared("VACUUM").await?;
        }
        db.refresh_statistics().await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{{\"generated\": {}, \"seconds\": {seconds:.0}, \"per_s\": {:.0}}}",
            total - have,
            (total - have) as f64 / seconds
        );
    }
    // Connections read the planner's statistics when they open; the server renews them
    // hourly, after its housekeeping refreshed the statistics.
    let db = Db::connect(&url).await?;
    let tenant_id = town.tenant_id;
    let pick = |round: u64| {
        let i = (round * 7919) % total;
        let (department, caseworker) =
            town.departments[(i % town.departments.len() as u64) as usize];
        (i, department, caseworker)
    };
    let caseworker = |round: u64| {
        let (_, department, caseworker) = pick(round);
        staff(tenant_id, caseworker, Some(department))
    };
    let mailroom = staff(tenant_id, Uuid::now_v7(), None);
    measure(&db, &town, "caseworker_new", rounds, |r| {
        (caseworker(r), View::New, None)
    })
    .await?;
    measure(&db, &town, "caseworker_mine", rounds, |r| {
        (caseworker(r), View::Mine, None)
    })
    .await?;
    measure(&db, &town, "caseworker_all", rounds, |r| {
        (caseworker(r), View::All, None)
    })
    .await?;
    measure(&db, &town, "caseworker_overdue", rounds, |r| {
        (caseworker(r), View::Overdue, None)
    })
    .await?;
    measure(&db, &town, "mailroom_all", rounds, |_| {
        (mailroom.clone(), View::All, None)
    })
    .await?;
    measure(&db, &town, "search_name_caseworker", rounds, |r| {
        let (i, _, _) = pick(r);
        let (first, last) = applicant(i);
        (caseworker(r), View::All, Some(format!("{first} {last}")))
    })
    .await?;
    measure(&db, &town, "search_reference_caseworker", rounds, |r| {
        let (i, _, _) = pick(r);
        (caseworker(r), View::All, Some(reference(i).to_lowercase()))
    })
    .await?;
    measure(&db, &town, "search_name_mailroom", rounds, |r| {
        let (i, _, _) = pick(r);
        let (first, last) = applicant(i);
        (mailroom.clone(), View::All, Some(format!("{last} {first}")))
    })
    .await?;
    // Thousands found: fewer rounds.
    measure(&db, &town, "search_street_mailroom", rounds / 10, |r| {
        (
            mailroom.clone(),
            View::All,
            Some(format!("{} 4", STREETS[(r % 20) as usize])),
        )
    })
    .await?;
    Ok(())
}
