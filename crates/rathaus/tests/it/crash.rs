//! A server killed while applications are being sent, on both databases: the real
//! binary serves, twenty applications are sent at once, and SIGKILL ends the process
//! while they are under way. Afterwards every application is either wholly there
//! (submission, case, search text, receipt of the audit log) or not at all (its draft
//! still there, to be sent again) — never a reference without data — and once the
//! server is back, sending the rest works and what was sent stays sent.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rathaus_store::entities::{case, case_search, draft, submission};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use rathaus_store::{Backend, Db};

use crate::harness::TestDb;
use crate::on_both_backends;

const APPLICATIONS: usize = 20;

/// `rathaus serve` of the demo town on a free port of 127.0.0.1, with the test's
/// database and data folder.
pub(crate) fn serve(test_db: &TestDb) -> (Command, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rathaus"));
    command
        .arg("serve")
        .env("RATHAUS_DATABASE_URL", &test_db.url)
        .env("RATHAUS_LISTEN", format!("127.0.0.1:{port}"))
        .env("RATHAUS_FALLBACK_TENANT", "musterstadt")
        .env("RATHAUS_DATA_DIR", test_db.dir.path())
        .stdout(Stdio::null());
    (command, port)
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn start(test_db: &TestDb) -> Self {
        let (mut command, port) = serve(test_db);
        let mut child = command
            // For the link in the confirmation.
            .env("RATHAUS_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if reqwest::get(format!("{url}/readyz"))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Self { child, url };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("rathaus serve did not become ready");
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts a form and returns where it sends the browser.
async fn post(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> String {
    let sent = client
        .post(url)
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303, "{url}");
    sent.headers()["location"].to_str().unwrap().to_owned()
}

/// A library card application filled in up to the check page by an anonymous
/// browser; returns its cookie and the draft's base address.
async fn filled_in(client: &reqwest::Client, server: &Server, n: usize) -> (String, String) {
    let started = client
        .post(format!("{}/antrag/bibliotheksausweis", server.url))
        .send()
        .await
        .unwrap();
    let cookie = started.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let first = started.headers()["location"].to_str().unwrap().to_owned();
    let base = first.trim_end_matches("/schritt/person").to_owned();
    let name = format!("Leser{n}");
    let steps: [&[(&str, &str)]; 4] = [
        &[
            ("vorname", "Paula"),
            ("nachname", &name),
            ("geburtsdatum", "01.02.1990"),
            ("anschrift.strasse", "Am Markt"),
            ("anschrift.hausnummer", "1"),
            ("anschrift.plz", "42651"),
            ("anschrift.ort", "Musterstadt"),
            ("email", "paula@example.org"),
        ],
        &[
            ("ausweisart", "jahresausweis"),
            ("abholung", "zentralbibliothek"),
        ],
        &[("erinnerung", "nein"), ("newsletter", "nein")],
        &[
            ("benutzungsordnung", "ja"),
            ("datenschutz", "ja"),
            ("versicherung", "ja"),
        ],
    ];
    let mut next = first;
    for fields in steps {
        next = post(client, &format!("{}{next}", server.url), &cookie, fields).await;
    }
    assert_eq!(next, format!("{base}/pruefen"));
    (cookie, base)
}

/// Every application is whole or absent: a submission has its case with the same
/// reference and its search text, a case from an application has its submission, and
/// each draft is either still there or sent. Returns how many were sent.
async fn whole_or_absent(db: &Db, drafts: &[String]) -> usize {
    let conn = db.conn();
    let submissions = submission::Entity::find().all(conn).await.unwrap();
    for sent in &submissions {
        let cases = case::Entity::find()
            .filter(case::Column::SubmissionId.eq(sent.id))
            .all(conn)
            .await
            .unwrap();
        assert_eq!(cases.len(), 1, "{} has one case", sent.reference);
        assert_eq!(cases[0].reference, sent.reference);
        let text = case_search::Entity::find()
            .filter(case_search::Column::CaseId.eq(cases[0].id))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(text, 1, "{} can be found", sent.reference);
    }
    let cases = case::Entity::find().count(conn).await.unwrap();
    assert_eq!(
        cases as usize,
        submissions.len(),
        "no case without its application"
    );
    for id in drafts {
        let id: uuid::Uuid = id.parse().unwrap();
        let kept = draft::Entity::find_by_id(id).count(conn).await.unwrap();
        let sent = submissions
            .iter()
            .filter(|s| s.idempotency_key == id.to_string())
            .count();
        assert_eq!(
            kept + sent as u64,
            1,
            "draft {id} is either kept or sent, once"
        );
    }
    let chain = rathaus_core::audit::verify(db).await.unwrap();
    assert_eq!(chain.broken, None, "the audit chain holds");
    submissions.len()
}

on_both_backends!(
    a_server_killed_while_sending_loses_nothing_half,
    |backend: Backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        let client = client();
        let server = Server::start(&test_db).await;
        let mut filled = Vec::new();
        for n in 0..APPLICATIONS {
            filled.push(filled_in(&client, &server, n).await);
        }
        let drafts: Vec<String> = filled
            .iter()
            .map(|(_, base)| base.rsplit('/').next().unwrap().to_owned())
            .collect();

        // All at once; the process dies as soon as the first is through.
        let (first_done, mut first_signal) = tokio::sync::mpsc::channel::<()>(APPLICATIONS);
        let sends: Vec<_> = filled
            .iter()
            .map(|(cookie, base)| {
                let client = client.clone();
                let url = format!("{}{base}/absenden", server.url);
                let cookie = cookie.clone();
                let first_done = first_done.clone();
                tokio::spawn(async move {
                    let sent = client.post(url).header("cookie", cookie).send().await;
                    if sent.is_ok_and(|s| s.status() == 303) {
                        let _ = first_done.send(()).await;
                    }
                })
            })
            .collect();
        // None when no send got through: the count below then says so.
        drop(first_done);
        first_signal.recv().await;
        server.kill();
        for send in sends {
            send.await.unwrap();
        }
        let sent_before = whole_or_absent(&db, &drafts).await;
        assert!(
            sent_before >= 1,
            "at least the first was sent before the kill"
        );

        // Back up: the rest are sent now; what was sent gives its status link again.
        let server = Server::start(&test_db).await;
        for (cookie, base) in &filled {
            let url = format!("{}{base}/absenden", server.url);
            let link = post(&client, &url, cookie, &[]).await;
            assert!(link.starts_with("/antragsstatus/MS-"), "{link}");
        }
        assert_eq!(whole_or_absent(&db, &drafts).await, APPLICATIONS);
        server.kill();
        drop(db);
        test_db.drop_now().await;
    }
);
