//! Test infrastructure: fresh databases on both backends and a real server on a free
//! port. PostgreSQL is expected at 127.0.0.1:5432 (override with RATHAUS_TEST_PG_URL,
//! an URL to a database the tests may create databases from); `.ci/run` starts it.

use std::time::{SystemTime, UNIX_EPOCH};

use rathaus::config::Config;
use rathaus::server::{self, RunningServer};
use rathaus_store::sea_orm::{ConnectionTrait, Database};
use rathaus_store::{Backend, Db};
use tempfile::TempDir;

/// Runs the test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(rathaus_store::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(rathaus_store::Backend::Postgres).await;
            }
        }
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("RATHAUS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database that disappears with the test (PostgreSQL databases left
/// by crashed tests are dropped after an hour by later runs).
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("rathaus.db").display()),
                dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let admin = Database::connect(pg_admin_url()).await.expect(
                    "PostgreSQL for tests is not reachable: start it or set RATHAUS_TEST_PG_URL",
                );
                drop_stale_databases(&admin).await;
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let name = format!("rathaus_t_{now}_{}", uuid::Uuid::now_v7().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&pg_admin_url()).unwrap();
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub async fn migrated(backend: Backend) -> (Self, Db) {
        let test_db = Self::new(backend).await;
        let db = Db::connect(&test_db.url).await.expect("connect");
        db.migrate().await.expect("migrate");
        (test_db, db)
    }

    pub fn config(&self) -> Config {
        Config {
            database_url: Some(self.url.clone()),
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: self.dir.path().to_owned(),
            fallback_tenant: Some(rathaus_core::demo::DEMO_SLUG.into()),
            ..Config::default()
        }
    }

    pub async fn drop_now(self) {
        if let Some(name) = &self.pg_name
            && let Ok(admin) = Database::connect(pg_admin_url()).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

async fn drop_stale_databases(admin: &rathaus_store::sea_orm::DatabaseConnection) {
    let rows = admin
        .query_all_raw(rathaus_store::sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'rathaus_t_%'",
        ))
        .await
        .unwrap_or_default();
    let hour_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created: u64 = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX);
        if created < hour_ago {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// The real server with the demo tenant, on a free port.
pub struct TestApp {
    pub server: RunningServer,
    pub base: String,
    pub client: reqwest::Client,
    pub test_db: TestDb,
}

impl TestApp {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let (test_db, db) = TestDb::migrated(backend).await;
        rathaus_core::demo::ensure_seeded(&db)
            .await
            .expect("seed demo tenant");
        let mut config = test_db.config();
        config.log_format = rathaus::config::LogFormat::Text;
        adjust(&mut config);
        let listener = server::bind(config.listen).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        config
            .public_url
            .get_or_insert_with(|| format!("http://{addr}"));
        let server = server::start(listener, db, &config)
            .await
            .expect("start server");
        let base = format!("http://{}", server.addr);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            server,
            base,
            client,
            test_db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET with a session cookie ("name=value").
    pub async fn get_as(&self, cookie: &str, path: &str) -> reqwest::Response {
        let request = self.client.get(self.url(path)).header("cookie", cookie);
        request.send().await.unwrap()
    }

    /// POST a form with a session cookie.
    pub async fn post_as(
        &self,
        cookie: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let request = self.client.post(self.url(path)).header("cookie", cookie);
        request.form(form).send().await.unwrap()
    }

    pub fn db(&self) -> &Db {
        &self.server.db
    }

    /// The text column `v` of the first row of a query, if any.
    pub async fn scalar(&self, sql: &str) -> Option<String> {
        use rathaus_store::sea_orm::{ConnectionTrait, Statement};
        let db = self.db().conn();
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()?;
        row.try_get::<Option<String>>("", "v").unwrap()
    }

    pub async fn stop(self) {
        self.server.stop().await;
        self.test_db.drop_now().await;
    }
}

/// A real SMTP server (aiosmtpd, from PyPI) on a free port that stores what it receives
/// in a Maildir. `scripts/test-services.sh` installs it.
pub struct SmtpServer {
    pub port: u16,
    maildir: TempDir,
    child: std::process::Child,
}

impl SmtpServer {
    pub async fn start() -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            // The Maildir must not exist yet: Python creates it with tmp/, new/ and cur/.
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (install with: pip install aiosmtpd)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    port,
                    maildir,
                    child,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port} (is it installed? pip install aiosmtpd)");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.path().join("mail").join(sub)).ok())
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
            .collect()
    }

    /// Waits until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} mail(s), got {}", self.messages().len());
    }
}

impl SmtpServer {
    /// Waits for a mail to `to` whose body contains `needle`; returns the decoded body.
    pub async fn wait_for_mail(&self, to: &str, needle: &str) -> String {
        for _ in 0..200 {
            let found = self.messages().into_iter().find_map(|raw| {
                let addressed = raw.contains(&format!("To: {to}"));
                let body = mail_body(&raw);
                (addressed && body.contains(needle)).then_some(body)
            });
            if let Some(body) = found {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} containing {needle:?}");
    }

    /// How many mails went to `to` so far.
    pub fn count_to(&self, to: &str) -> usize {
        let header = format!("To: {to}");
        self.messages()
            .iter()
            .filter(|m| m.contains(&header))
            .count()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The decoded text body of a received mail (7bit, quoted-printable or base64).
pub fn mail_body(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let encoding = headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    match encoding.as_str() {
        "base64" => {
            use base64::Engine;
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                if bytes[i] == b'='
                    && let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8(out).unwrap()
        }
        _ => body.to_owned(),
    }
}

/// The first URL in a text that starts with `prefix`.
pub fn link_in(text: &str, prefix: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .map(str::to_owned)
}

/// A real OpenID Connect provider (npm `oidc-provider`, `tests/browser/oidc-provider.mjs`)
/// on a free port, with the test people erika, max, hanna, eve and mallory.
pub struct OidcProvider {
    pub issuer: String,
    child: std::process::Child,
}

impl OidcProvider {
    /// `redirect_uri`: where the provider may send people back (the app's return URL).
    pub fn start(redirect_uri: &str) -> Self {
        use std::io::BufRead;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/browser/oidc-provider.mjs"
        );
        let mut child = std::process::Command::new("node")
            .arg(script)
            .env("PORT", port.to_string())
            .env("CLIENT_ID", "rathaus")
            .env("CLIENT_SECRET", "rathaus-test-secret")
            .env("REDIRECT_URIS", redirect_uri)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node runs (scripts/test-services.sh installs the OpenID provider)");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next().and_then(Result::ok).unwrap_or_default();
        let issuer = ready
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the OpenID provider did not start: {ready:?}"))
            .to_owned();
        std::thread::spawn(move || for _ in lines {});
        Self { issuer, child }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
