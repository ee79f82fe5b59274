//! The `rathaus` binary as an operator uses it: exit codes and one-line messages.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use rathaus_store::blob::Bytes;
use rathaus_store::sea_orm::{ConnectionTrait, DbBackend, EntityTrait};
use rathaus_store::{Backend, BlobStore, Db};

use crate::harness::TestDb;
use crate::on_both_backends;

fn rathaus(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rathaus"));
    cmd.args(args)
        .env_remove("RATHAUS_DATABASE_URL")
        .env_remove("RATHAUS_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run rathaus")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The last line of stderr is the one message an operator reads.
fn one_line_error(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected failure, stdout: {}",
        stdout(output)
    );
    let text = stderr(output);
    let last = text.lines().last().unwrap_or("").to_owned();
    assert!(last.starts_with("rathaus: "), "{text}");
    last
}

#[test]
fn config_problems_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let out = rathaus(&["serve", "--config", missing.to_str().unwrap()], &[]);
    assert!(one_line_error(&out).contains("cannot read the configuration file"));

    let corrupt = dir.path().join("rathaus.toml");
    std::fs::write(&corrupt, "listen = 5\ndatabase_url = \"sqlite://x.db\"\n").unwrap();
    let out = rathaus(&["serve", "--config", corrupt.to_str().unwrap()], &[]);
    let line = one_line_error(&out);
    assert!(
        line.contains("is not valid") && line.contains("listen"),
        "{line}"
    );

    let out = rathaus(&["serve"], &[]);
    assert!(one_line_error(&out).contains("RATHAUS_DATABASE_URL"));

    let out = rathaus(
        &["serve"],
        &[("RATHAUS_DATABASE_URL", "postgres://nobody@127.0.0.1:1/x")],
    );
    assert!(one_line_error(&out).contains("cannot reach the database"));
}

on_both_backends!(serve_refuses_an_unmigrated_database, |backend| async move {
    let test_db = TestDb::new(backend).await;
    let url = test_db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        rathaus(
            &["serve"],
            &[
                ("RATHAUS_DATABASE_URL", &url),
                ("RATHAUS_LISTEN", "127.0.0.1:0"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(one_line_error(&out).contains("rathaus migrate"));

    let url = test_db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        rathaus(&["migrate"], &[("RATHAUS_DATABASE_URL", &url)])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("up to date"));
    test_db.drop_now().await;
});

on_both_backends!(audit_verify_exit_codes, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let url = test_db.url.clone();
    let verify = move || {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                rathaus(&["audit", "verify"], &[("RATHAUS_DATABASE_URL", &url)])
            })
            .await
            .unwrap()
        }
    };
    let out = verify().await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The demo seed writes one entry for the tenant, one per department and one per
    // staff member, one for the city's app and one for each of its two workflows.
    let seeded =
        4 + rathaus_core::demo::DEMO_DEPARTMENTS.len() + rathaus_core::demo::DEMO_STAFF.len();
    assert!(
        stdout(&out).contains(&format!("intact: {seeded} entries")),
        "{}",
        stdout(&out)
    );

    let drop_trigger = match db.conn().get_database_backend() {
        DbBackend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
        _ => "DROP TRIGGER audit_log_no_update",
    };
    db.conn().execute_unprepared(drop_trigger).await.unwrap();
    db.conn()
        .execute_unprepared("UPDATE audit_log SET actor_name = 'someone else'")
        .await
        .unwrap();
    let out = verify().await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("broken at entry 1"),
        "{}",
        stdout(&out)
    );
    test_db.drop_now().await;
});

/// Starts `rathaus demo` and returns the process with the URL it printed.
fn start_demo(data: &Path, listen: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rathaus"))
        .args(["demo", "--listen", listen, "--data", data.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("demo prints its URL").unwrap();
    let url = first.split_whitespace().last().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[tokio::test]
async fn demo_starts_restarts_and_refuses_a_used_port() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut first, url) = start_demo(&data, "127.0.0.1:0");
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(body.contains("Stadt Musterstadt"));

    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let other = tempfile::tempdir().unwrap();
    let out = rathaus(
        &[
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data",
            other.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(one_line_error(&out).contains("already in use"));
    assert!(
        std::fs::read_dir(other.path()).unwrap().next().is_none(),
        "nothing was created"
    );

    first.kill().unwrap();
    first.wait().unwrap();
    // A second start reuses the seeded data.
    let (mut second, url) = start_demo(&data, "127.0.0.1:0");
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(body.contains("Stadt Musterstadt"));
    second.kill().unwrap();
    second.wait().unwrap();
}

#[test]
fn demo_with_an_unusable_data_directory_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = rathaus(
        &[
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--data",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(one_line_error(&out).contains("cannot create the data directory"));
}

#[tokio::test]
async fn backup_and_restore_round_trip() {
    let (test_db, db) = TestDb::migrated(Backend::Sqlite).await;
    rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let blob_dir = test_db.dir.path().join("blobs");
    let blob = BlobStore::local(&blob_dir)
        .unwrap()
        .put(Bytes::from_static(b"%PDF-1.7 Bescheid"))
        .await
        .unwrap();
    let backup_file = test_db.dir.path().join("backup.tar.gz");
    // The data folder's key (made here) goes with the backup: the database's sealed
    // secrets need it.
    test_db.config().sealer().unwrap();
    let key = std::fs::read(test_db.dir.path().join("secret.key")).unwrap();
    let env = [
        ("RATHAUS_DATABASE_URL", test_db.url.as_str()),
        ("RATHAUS_BLOB_DIR", blob_dir.to_str().unwrap()),
        ("RATHAUS_DATA_DIR", test_db.dir.path().to_str().unwrap()),
    ];
    // Online: the database stays open in this process while the backup runs.
    let out = rathaus(&["backup", "--to", backup_file.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 files"));

    let target = tempfile::tempdir().unwrap();
    let target_db = target.path().join("restored.db");
    let target_url = format!("sqlite://{}", target_db.display());
    let target_blobs = target.path().join("blobs");
    let env2 = [
        ("RATHAUS_DATABASE_URL", target_url.as_str()),
        ("RATHAUS_BLOB_DIR", target_blobs.to_str().unwrap()),
        ("RATHAUS_DATA_DIR", target.path().to_str().unwrap()),
    ];
    let out = rathaus(&["restore", "--from", backup_file.to_str().unwrap()], &env2);
    assert!(out.status.success(), "{}", stderr(&out));
    let restored_key = target.path().join("secret.key");
    assert_eq!(std::fs::read(&restored_key).unwrap(), key);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&restored_key)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "only its owner reads the key");

    let restored = Db::connect(&target_url).await.unwrap();
    restored.ensure_migrated().await.unwrap();
    assert!(
        rathaus_core::tenants::by_slug(restored.conn(), "musterstadt")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        rathaus_core::audit::verify(&restored)
            .await
            .unwrap()
            .broken
            .is_none()
    );
    let blobs = BlobStore::local(&target_blobs).unwrap();
    assert_eq!(
        blobs.get(&blob.sha256).await.unwrap(),
        Bytes::from_static(b"%PDF-1.7 Bescheid")
    );

    let out = rathaus(&["restore", "--from", backup_file.to_str().unwrap()], &env2);
    assert!(one_line_error(&out).contains("--force"));

    // A damaged backup replaces nothing.
    let damaged = target.path().join("damaged.tar.gz");
    std::fs::write(&damaged, b"not a backup").unwrap();
    let out = rathaus(
        &["restore", "--from", damaged.to_str().unwrap(), "--force"],
        &env2,
    );
    one_line_error(&out);
    assert!(
        rathaus_core::tenants::by_slug(restored.conn(), "musterstadt")
            .await
            .unwrap()
            .is_some()
    );
}

#[test]
fn backup_of_postgres_points_to_pg_dump() {
    let out = rathaus(
        &["backup", "--to", "/tmp/x.tar.gz"],
        &[("RATHAUS_DATABASE_URL", "postgres://x@127.0.0.1/y")],
    );
    assert!(one_line_error(&out).contains("pg_dump"));
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

on_both_backends!(
    serve_logs_json_serves_and_stops_gracefully,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        let (mut command, port) = crate::crash::serve(&test_db);
        let mut child = command
            .env_remove("RATHAUS_LOG_FORMAT")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
        let first: serde_json::Value =
            serde_json::from_str(&log.next().unwrap().unwrap()).expect("JSON log lines");
        assert!(
            first["level"].is_string() && first["timestamp"].is_string(),
            "{first}"
        );
        std::thread::spawn(move || for _ in log {});
        let url = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if reqwest::get(format!("{url}/readyz"))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                ready = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(ready, "serve becomes ready");
        assert!(
            reqwest::get(&url)
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("Stadt Musterstadt")
        );
        let status = tokio::task::spawn_blocking(move || terminate(&mut child))
            .await
            .unwrap();
        assert!(status.success(), "SIGTERM stops serve cleanly: {status:?}");
        test_db.drop_now().await;
    }
);

on_both_backends!(
    worker_runs_jobs_and_stops_on_sigterm,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let ids = rathaus_store::jobs::enqueue(
            db.conn(),
            vec![rathaus_store::jobs::NewJob::new(
                rathaus_core::jobs::CLEANUP,
                serde_json::json!({}),
            )],
        )
        .await
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rathaus"))
            .arg("worker")
            .env("RATHAUS_DATABASE_URL", &test_db.url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut done = false;
        for _ in 0..100 {
            let finished =
                rathaus_store::jobs::list(db.conn(), rathaus_store::jobs::JobState::Done, 10)
                    .await
                    .unwrap();
            if finished.iter().any(|j| j.id == ids[0]) {
                done = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(done, "the worker process ran the job");
        let status = tokio::task::spawn_blocking(move || terminate(&mut child))
            .await
            .unwrap();
        assert!(status.success(), "{status:?}");
        test_db.drop_now().await;
    }
);

/// A small tmpfs stands in for a full disk. Mounting needs root (as in CI); elsewhere
/// the test says it was skipped.
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(dir))
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.0.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_disk_on_first_start_is_one_line_and_can_be_retried() {
    let Some(disk) = TinyDisk::mount("128k") else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root); full-disk test not run");
        return;
    };
    let data = disk.0.path().join("data");
    let out = rathaus(
        &[
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data.to_str().unwrap(),
        ],
        &[],
    );
    let line = one_line_error(&out);
    assert!(line.contains("the disk is full"), "{line}");
    assert!(
        std::fs::read_dir(&data).unwrap().next().is_none(),
        "the failed first start left nothing behind"
    );

    disk.grow("64m");
    let (mut demo, url) = start_demo(&data, "127.0.0.1:0");
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(body.contains("Stadt Musterstadt"));
    demo.kill().unwrap();
    demo.wait().unwrap();
}

on_both_backends!(admin_creates_staff_from_the_shell, |backend| async move {
    use rathaus_core::login_guard::Attempt;
    let (test_db, db) = TestDb::migrated(backend).await;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let url = test_db.url.clone();
    let create = |extra: &'static [&'static str]| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut args = vec!["admin", "create-staff", "--name", "Nina Neu"];
                args.extend_from_slice(extra);
                rathaus(&args, &[("RATHAUS_DATABASE_URL", &url)])
            })
            .await
            .unwrap()
        }
    };
    let out = create(&[
        "--tenant",
        "musterstadt",
        "--email",
        "Nina.Neu@musterstadt.example",
        "--role",
        "caseworker",
        "--role",
        "mailroom",
        "--department",
        "strassenverkehr",
    ])
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let password = printed
        .split("(shown once): ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the initial password is printed")
        .to_owned();
    assert!(password.len() >= 20, "{password}");

    let origin = rathaus_core::actor::Origin::default();
    let login = rathaus_core::staff::login(
        &db,
        tenant.id,
        "nina.neu@musterstadt.example",
        &password,
        &origin,
    )
    .await
    .unwrap();
    let Attempt::Succeeded(login) = login else {
        panic!("the new member of staff can log in")
    };
    assert_eq!(login.actor.roles, ["caseworker", "mailroom"]);
    let traffic = rathaus_core::departments::by_key(db.conn(), tenant.id, "strassenverkehr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(login.actor.departments, [traffic.id]);
    assert!(
        !rathaus_core::second_factor::is_enrolled(db.conn(), login.actor.id.unwrap())
            .await
            .unwrap(),
        "the second factor is set up at the first login"
    );

    let again = create(&[
        "--tenant",
        "musterstadt",
        "--email",
        "nina.neu@musterstadt.example",
        "--role",
        "admin",
    ])
    .await;
    assert!(one_line_error(&again).contains("already a staff member"));
    let bad_role = create(&[
        "--tenant",
        "musterstadt",
        "--email",
        "x@musterstadt.example",
        "--role",
        "mayor",
    ])
    .await;
    assert!(one_line_error(&bad_role).contains("no role 'mayor'"));
    let bad_department = create(&[
        "--tenant",
        "musterstadt",
        "--email",
        "x@musterstadt.example",
        "--role",
        "caseworker",
        "--department",
        "atlantis",
    ])
    .await;
    assert!(one_line_error(&bad_department).contains("no department 'atlantis'"));
    let bad_tenant = create(&[
        "--tenant",
        "atlantis",
        "--email",
        "x@musterstadt.example",
        "--role",
        "admin",
    ])
    .await;
    assert!(one_line_error(&bad_tenant).contains("no tenant 'atlantis'"));
    test_db.drop_now().await;
});

on_both_backends!(admin_adds_roles_as_data, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let url = test_db.url.clone();
    let add = |extra: &'static [&'static str]| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut args = vec!["admin", "add-role", "--tenant", "musterstadt"];
                args.extend_from_slice(extra);
                rathaus(&args, &[("RATHAUS_DATABASE_URL", &url)])
            })
            .await
            .unwrap()
        }
    };
    const REGISTRY: &[&str] = &[
        "--key",
        "standesamt",
        "--name-de",
        "Standesamt",
        "--name-en",
        "Registry office",
        "--permission",
        "cases.handle",
        "--permission",
        "payments.view",
    ];
    let out = add(REGISTRY).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let roles = rathaus_core::roles::of_tenant(db.conn(), tenant.id)
        .await
        .unwrap();
    let keys: Vec<&str> = roles.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "admin",
            "mailroom",
            "caseworker",
            "department_lead",
            "finance",
            "auditor",
            "standesamt"
        ],
        "the built-in roles first, then the tenant's own"
    );
    let granted = rathaus_core::roles::permissions_of(db.conn(), tenant.id, &["standesamt".into()])
        .await
        .unwrap();
    use rathaus_core::policy::Permission;
    assert_eq!(granted, [Permission::HandleCases, Permission::ViewPayments]);

    assert!(one_line_error(&add(REGISTRY).await).contains("exists already"));
    let unknown = add(&[
        "--key",
        "x",
        "--name-de",
        "X",
        "--name-en",
        "X",
        "--permission",
        "everything",
    ])
    .await;
    assert!(one_line_error(&unknown).contains("unknown permission 'everything'"));
    let bad_key = add(&[
        "--key",
        "Chef!",
        "--name-de",
        "X",
        "--name-en",
        "X",
        "--permission",
        "audit.read",
    ])
    .await;
    assert!(one_line_error(&bad_key).contains("not a role key"));
    test_db.drop_now().await;
});

on_both_backends!(admin_registers_an_app_client, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let url = test_db.url.clone();
    let register = |extra: &'static [&'static str]| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut args = vec!["admin", "create-app-client", "--tenant", "musterstadt"];
                args.extend_from_slice(extra);
                rathaus(&args, &[("RATHAUS_DATABASE_URL", &url)])
            })
            .await
            .unwrap()
        }
    };
    const APP: &[&str] = &[
        "--client-id",
        "kita-app",
        "--name",
        "Kita-App",
        "--redirect-uri",
        "de.musterstadt.kita:/oauth",
        "--scope",
        "applications",
    ];
    let out = register(APP).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let app = rathaus_core::app_access::by_client_id(db.conn(), tenant.id, "kita-app")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.name, "Kita-App");
    assert_eq!(app.redirect_uris, ["de.musterstadt.kita:/oauth"]);
    assert_eq!(app.scopes, [rathaus_core::app_access::Scope::Applications]);

    assert!(one_line_error(&register(APP).await).contains("kita-app exists"));
    let plain_http = register(&[
        "--client-id",
        "x",
        "--name",
        "X",
        "--redirect-uri",
        "http://app.example/oauth",
    ])
    .await;
    assert!(one_line_error(&plain_http).contains("redirect URI http://app.example/oauth"));
    let unknown_scope = register(&[
        "--client-id",
        "y",
        "--name",
        "Y",
        "--redirect-uri",
        "https://app.example/oauth",
        "--scope",
        "everything",
    ])
    .await;
    assert!(one_line_error(&unknown_scope).contains("unknown scope"));
    let registered = rathaus_store::entities::app_client::Entity::find()
        .all(db.conn())
        .await
        .unwrap();
    assert_eq!(
        registered.len(),
        2,
        "the demo's app and the Kita-App, nothing half"
    );
    test_db.drop_now().await;
});

/// Runs `rathaus` with `input` on standard input.
fn rathaus_with_input(args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rathaus"));
    cmd.args(args)
        .env_remove("RATHAUS_DATABASE_URL")
        .env_remove("RATHAUS_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run rathaus");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

on_both_backends!(admin_adds_an_identity_provider, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let url = test_db.url.clone();
    // The key that seals the client secret: the data folder's, made by the first run.
    let data_dir = test_db.config().data_dir.to_string_lossy().into_owned();
    let data = data_dir.clone();
    let add = move |issuer: &'static str, acr: &'static str, secret: &'static str| {
        let (url, data) = (url.clone(), data.clone());
        tokio::task::spawn_blocking(move || {
            let args = [
                "admin",
                "add-identity-provider",
                "--tenant",
                "musterstadt",
                "--slug",
                "bundid",
                "--name",
                "BundID",
                "--issuer",
                issuer,
                "--client-id",
                "musterstadt-portal",
                "--scope",
                "email",
                "--scope",
                "profile",
                "--acr",
                acr,
            ];
            let env = [
                ("RATHAUS_DATABASE_URL", url.as_str()),
                ("RATHAUS_DATA_DIR", &data),
            ];
            rathaus_with_input(&args, &env, secret)
        })
    };
    let http = add("http://id.example.org", "urn:loa:high=hoch", "s3cret\n")
        .await
        .unwrap();
    assert!(one_line_error(&http).contains("must be an https:// URL"));
    let level = add(
        "https://id.example.org",
        "urn:loa:high=sehr-hoch",
        "s3cret\n",
    )
    .await
    .unwrap();
    assert!(one_line_error(&level).contains("unknown trust level 'sehr-hoch'"));
    let no_secret = add("https://id.example.org", "urn:loa:high=hoch", "")
        .await
        .unwrap();
    assert!(one_line_error(&no_secret).contains("client secret"));

    let ok = add("https://id.example.org/", "urn:loa:high=hoch", "s3cret\n")
        .await
        .unwrap();
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("/konto/anmelden/extern/bundid/rueckkehr"));
    use rathaus_core::identity::Audience;
    let providers = rathaus_core::identity::for_tenant(db.conn(), tenant.id, Audience::Citizens)
        .await
        .unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0].issuer, "https://id.example.org");
    // Sealed in the database, opened with the key in the data folder, for this row only.
    let stored = &providers[0].client_secret;
    assert!(
        stored.starts_with("sealed:v1:") && !stored.contains("s3cret"),
        "{stored}"
    );
    let sealer = test_db.config().sealer().unwrap();
    let owner = format!("identity_provider:{}", providers[0].id);
    assert_eq!(sealer.open(stored, &owner).as_deref(), Some("s3cret"));
    assert_eq!(sealer.open(stored, "identity_provider:other"), None);
    assert!(std::path::Path::new(&data_dir).join("secret.key").exists());
    assert_eq!(providers[0].scopes, "email profile");

    // The city's own directory for staff: groups map to roles and departments that exist.
    let url = test_db.url.clone();
    let data = data_dir.clone();
    let add_staff = move |mapping: &'static [&'static str]| {
        let (url, data) = (url.clone(), data.clone());
        tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "admin",
                "add-identity-provider",
                "--tenant",
                "musterstadt",
                "--slug",
                "keycloak",
                "--name",
                "Stadt-Login",
                "--issuer",
                "https://login.musterstadt.example",
                "--client-id",
                "rathaus",
                "--acr",
                "mfa=substanziell",
                "--staff",
            ];
            args.extend_from_slice(mapping);
            let env = [
                ("RATHAUS_DATABASE_URL", url.as_str()),
                ("RATHAUS_DATA_DIR", &data),
            ];
            rathaus_with_input(&args, &env, "s3cret\n")
        })
    };
    let unmapped = add_staff(&[]).await.unwrap();
    assert!(one_line_error(&unmapped).contains("at least one group"));
    let unknown_role = add_staff(&["--group-role", "rathaus-chef=mayor"])
        .await
        .unwrap();
    assert!(one_line_error(&unknown_role).contains("no role 'mayor'"));
    let unknown_department = add_staff(&[
        "--group-role",
        "a=admin",
        "--group-department",
        "a=atlantis",
    ])
    .await
    .unwrap();
    assert!(one_line_error(&unknown_department).contains("no department 'atlantis'"));
    let staff = add_staff(&[
        "--group-role",
        "rathaus-admins=admin",
        "--group-role",
        "rathaus-verkehr=caseworker",
        "--group-department",
        "rathaus-verkehr=strassenverkehr",
    ])
    .await
    .unwrap();
    assert!(staff.status.success(), "{}", stderr(&staff));
    assert!(stdout(&staff).contains("/verwaltung/anmelden/extern/keycloak/rueckkehr"));
    let staff_providers = rathaus_core::identity::for_tenant(db.conn(), tenant.id, Audience::Staff)
        .await
        .unwrap();
    assert_eq!(staff_providers.len(), 1);
    let groups = vec!["rathaus-verkehr".to_owned()];
    let (roles, departments) =
        rathaus_core::identity::granted_by_groups(&staff_providers[0], &groups);
    assert_eq!(
        (roles, departments),
        (
            vec!["caseworker".to_owned()],
            vec!["strassenverkehr".to_owned()]
        )
    );
    test_db.drop_now().await;
});

on_both_backends!(
    catalogs_are_imported_and_exported_as_files,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("katalog.json");
        std::fs::write(
        &good,
        r#"{ "life_situations": [{ "key": "haustiere", "name_de": "Haustiere", "name_en": "Pets" }],
             "services": [{ "key": "katzenkastration-nachweisen", "name": "Kastration einer Freigängerkatze nachweisen",
               "summary": "Weisen Sie nach, dass Ihre Freigängerkatze kastriert und gekennzeichnet ist.",
               "description": "Nach der Katzenschutzverordnung müssen Freigängerkatzen kastriert sein.",
               "life_situations": ["haustiere"], "online": true }] }"#,
    )
    .unwrap();
        let broken = dir.path().join("kaputt.json");
        std::fs::write(&broken, r#"{ "services": [{ "key": "X", "name": "", "summary": "", "description": "", "life_situations": ["mond"] }] }"#).unwrap();
        let url = test_db.url.clone();
        let run = move |args: Vec<String>| {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                rathaus(&args, &[("RATHAUS_DATABASE_URL", &url)])
            })
        };
        let path = |p: &std::path::Path| p.display().to_string();
        let args = |rest: &[&str]| rest.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

        let out = run(args(&[
            "catalog",
            "import",
            &path(&good),
            "--enable-for",
            "musterstadt",
        ]))
        .await
        .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("Imported 1 life situations and 1 services; 1 newly offered")
        );
        let found = rathaus_core::catalog::Offered::load(db.conn(), tenant.id)
            .await
            .unwrap()
            .search("Freigängerkatzen", 0, 5)
            .services;
        assert!(found.iter().any(|s| s.key == "katzenkastration-nachweisen"));

        let refused = run(args(&["catalog", "import", &path(&broken)]))
            .await
            .unwrap();
        let line = one_line_error(&refused);
        assert!(
            line.contains("'X': not a key") && line.contains("unknown life situation 'mond'"),
            "{line}"
        );
        let not_json = run(args(&["catalog", "import", &path(dir.path())]))
            .await
            .unwrap();
        assert!(one_line_error(&not_json).contains("cannot read"));

        let exported = run(args(&["catalog", "export"])).await.unwrap();
        assert!(exported.status.success(), "{}", stderr(&exported));
        let file: rathaus_core::catalog::CatalogFile =
            serde_json::from_slice(&exported.stdout).unwrap();
        let demo = rathaus_core::demo::demo_catalog().unwrap();
        assert_eq!(
            file.services.len(),
            demo.services.len() + 1,
            "the demo's and the new one"
        );
        assert!(
            file.services
                .iter()
                .any(|s| s.key == "katzenkastration-nachweisen")
        );
        assert!(file.life_situations.iter().any(|l| l.key == "haustiere"));
        test_db.drop_now().await;
    }
);

#[test]
fn form_definitions_are_checked_from_the_shell() {
    let good = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../rathaus-forms/forms/bewohnerparkausweis.json"
    );
    let ok = rathaus(&["forms", "check", good], &[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("bewohnerparkausweis (version 1), 3 steps — in order"));

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("kaputt.json");
    let text = std::fs::read_to_string(good)
        .unwrap()
        .replace("\"id\": \"nachname\"", "\"id\": \"vorname\"")
        .replace("euro(60), euro(30)", "euro(60), 30");
    std::fs::write(&broken, text).unwrap();
    let refused = rathaus(&["forms", "check", good, broken.to_str().unwrap()], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let printed = stdout(&refused);
    assert!(
        printed.contains("steps[0] person / vorname: the id 'vorname' is used twice"),
        "{printed}"
    );
    assert!(
        printed.contains("computed gebuehr: at 0: if: wrong arguments"),
        "{printed}"
    );

    let schema = rathaus(&["forms", "schema"], &[]);
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert_eq!(schema["title"], "Definition");
}

#[test]
fn xdatenfelder_schemas_are_converted_from_the_shell() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/xdatenfelder");
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return;
    }
    let good = dir.join("v2/simple.xml");
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("t1234.json");
    let converted = rathaus(
        &[
            "forms",
            "import-xdf",
            good.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ],
        &[],
    );
    assert!(converted.status.success(), "{}", stderr(&converted));
    assert!(
        stderr(&converted).contains("Regel R60000037"),
        "the rule is named"
    );
    let checked = rathaus(&["forms", "check", target.to_str().unwrap()], &[]);
    assert!(stdout(&checked).contains("t1234 (version 1), 1 steps — in order"));

    let broken = dir.join("v3/missing-id-node.xml");
    let refused = rathaus(&["forms", "import-xdf", broken.to_str().unwrap()], &[]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("<identifikation> has no <id>"),
        "{}",
        stderr(&refused)
    );
}

on_both_backends!(
    workflows_are_checked_shown_and_installed,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        let url = test_db.url.clone();
        let run = move |args: Vec<String>| {
            let url = url.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    rathaus(&args, &[("RATHAUS_DATABASE_URL", &url)])
                })
                .await
                .unwrap()
            }
        };
        let words = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let place = [
            "--tenant",
            "musterstadt",
            "--service",
            "bewohnerparkausweis",
        ];
        let shown = run(words(&[&["workflows", "show"][..], &place].concat())).await;
        assert!(shown.status.success(), "{}", stderr(&shown));
        let current: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
        assert_eq!(current["id"], "bewohnerparkausweis", "the demo's own");

        // A copy with a step of its own but no label: every mistake, exit 2, nothing stored.
        let dir = tempfile::tempdir().unwrap();
        let mut own = current.clone();
        own["id"] = "bewohnerparkausweis-3".into();
        own["transitions"][0]["key"] = "sichten".into();
        own["transitions"][0]["reminder_in_days"] = 0.into();
        let file = dir.path().join("ablauf.json");
        std::fs::write(&file, own.to_string()).unwrap();
        let file = file.to_str().unwrap().to_owned();
        let checked = run(words(&["workflows", "check", &file])).await;
        assert_eq!(checked.status.code(), Some(2));
        let said = stdout(&checked);
        assert!(said.contains("days must be at least 1"), "{said}");
        assert!(
            said.contains("transition 'sichten' needs a label"),
            "{said}"
        );
        let refused = run(words(
            &[&["workflows", "install", &file][..], &place].concat(),
        ))
        .await;
        assert!(!refused.status.success());

        // Fixed, it is installed, and shown as what new cases follow.
        own["transitions"][0]["reminder_in_days"] = 2.into();
        own["transitions"][0]["label"] = serde_json::json!({ "de": "Sichten" });
        std::fs::write(&file, own.to_string()).unwrap();
        let checked = run(words(&["workflows", "check", &file])).await;
        assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
        let installed = run(words(
            &[&["workflows", "install", &file][..], &place].concat(),
        ))
        .await;
        assert!(installed.status.success(), "{}", stderr(&installed));
        let shown = run(words(&[&["workflows", "show"][..], &place].concat())).await;
        let now: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
        assert_eq!(now["id"], "bewohnerparkausweis-3");
        assert_eq!(now["transitions"][0]["label"]["de"], "Sichten");
        test_db.drop_now().await;
    }
);
