//! `rathaus`: the one binary of the digital town hall.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use rathaus::config::{Config, LogFormat, MailSettings, PaymentSettings};
use rathaus::{admin, archive, backup, server};
use rathaus_core::audit;
use rathaus_core::demo;
use rathaus_store::Db;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "rathaus",
    version,
    about = "Rathaus – das digitale Rathaus / the digital town hall"
)]
struct Cli {
    /// Configuration file (TOML); RATHAUS_* environment variables override it.
    #[arg(long, global = true, env = "RATHAUS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a complete demo town hall (Musterstadt) on SQLite; nothing to configure.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        /// Another database instead of `<data>/rathaus.db`, e.g. an empty PostgreSQL
        /// database (`postgres://user@host/name`) to try the demo on it.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Start the server (production).
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Run background jobs only.
    Worker,
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The e-file's evidence: verify the archive, seal past days, export or check one
    /// document's evidence record.
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
    /// Write a consistent backup of the SQLite database and the files.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Administration from the shell (e.g. the first admin of a tenant).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Form definitions: check them while writing, or get their JSON Schema for an editor.
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
    /// Workflows per service: check a definition, install it for a service of a town,
    /// or show the one a service follows.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCommand,
    },
    /// The service catalog as JSON files, to share between cities.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Restore a backup made with `rathaus backup` (Rathaus must not run).
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum FormsCommand {
    /// Check definition files; every mistake is listed with its place (exit 2 if any).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of form definitions.
    Schema,
    /// Convert a FIM XDatenfelder schema (version 2 or 3) into a form definition;
    /// what cannot be taken over is listed on standard error.
    ImportXdf {
        file: PathBuf,
        /// Write the definition here instead of to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Install a form definition (JSON, or XDatenfelder XML) for a tenant; it replaces
    /// the built-in one with the same id there.
    Install {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        /// Use it for this service of the tenant's catalog.
        #[arg(long)]
        service: Option<String>,
    },
}

#[derive(Subcommand)]
enum WorkflowsCommand {
    /// Check workflow definitions; every mistake is listed (exit 2 if any).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Install a workflow for a service of a tenant: new cases of the service follow
    /// it, running cases keep theirs.
    Install {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        service: String,
    },
    /// Print the workflow new cases of a service follow (JSON), to start one's own.
    Show {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        service: String,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Add or update life situations and services from a catalog file (JSON); a file
    /// with a mistake is refused whole.
    Import {
        file: PathBuf,
        /// Also offer the file's services in this tenant (slug).
        #[arg(long)]
        enable_for: Option<String>,
    },
    /// Write the whole catalog as JSON to standard output.
    Export,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add a member of staff; prints a generated initial password once. The second
    /// factor is set up at the first login.
    CreateStaff {
        /// The tenant's short name (slug), e.g. `musterstadt`.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// A role of the tenant (built in: admin, mailroom, caseworker, department_lead,
        /// finance, auditor); repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A department's key (e.g. `strassenverkehr`); repeat for several.
        #[arg(long = "department")]
        departments: Vec<String>,
        /// Read the initial password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Retire the tenant's key that signs letters and evidence and start a new one;
    /// what the old key signed stays verifiable.
    RotateSigningKey {
        #[arg(long)]
        tenant: String,
    },
    /// Add a role to a tenant: a name and the permissions it grants (roles are data;
    /// permissions are what the code checks).
    AddRole {
        #[arg(long)]
        tenant: String,
        /// Short name, lower-case letters, digits and `_` (e.g. `registry_office`).
        #[arg(long)]
        key: String,
        #[arg(long)]
        name_de: String,
        #[arg(long)]
        name_en: String,
        /// A permission key (audit.read, jobs.manage, tenant.manage, staff.manage,
        /// mail.route, cases.handle, cases.assign, payments.view, payments.refund); repeat for
        /// several.
        #[arg(long = "permission", required = true)]
        permissions: Vec<String>,
    },
    /// Register an app that may act for citizens who allow it (OAuth 2 public client,
    /// authorization code flow with PKCE), e.g. the city's own app.
    CreateAppClient {
        #[arg(long)]
        tenant: String,
        /// What the app sends as `client_id`.
        #[arg(long)]
        client_id: String,
        /// Shown to the citizen on the consent page, e.g. "Musterstadt-App".
        #[arg(long)]
        name: String,
        /// Where the browser returns with the code: HTTPS, http://127.0.0.1/… (any port),
        /// or the app's own scheme (de.stadt.app:/oauth); repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// applications, postbox; repeat for several (all if none is given).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Add an OpenID Connect provider citizens can log in with (BundID, a state
    /// account, a Keycloak bridge). The client secret is read from standard input.
    AddIdentityProvider {
        #[arg(long)]
        tenant: String,
        /// Short name used in URLs; the return URL to register at the provider is
        /// `<public URL>/konto/anmelden/extern/<slug>/rueckkehr`.
        #[arg(long)]
        slug: String,
        /// Shown on the login button, e.g. "BundID".
        #[arg(long)]
        name: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Besides openid; repeat, e.g. --scope email --scope profile --scope address.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// ACR=LEVEL (basis, niedrig, substanziell, hoch); repeat for each level. For
        /// staff, a login at substanziell or above counts as both factors.
        #[arg(long = "acr", required = true)]
        acr_levels: Vec<String>,
        /// FIELD=CLAIM where the provider does not use the standard OpenID claim; repeat.
        /// Fields: trust (instead of acr; then --acr maps this claim's values), email,
        /// email_verified, given_name, family_name, birth_date, street, house_number,
        /// postcode, city. A dotted name reaches into an object (person.birthdate).
        #[arg(long = "claim")]
        claims: Vec<String>,
        /// For staff (the city's own Keycloak or AD FS) instead of citizens; the return
        /// URL is then `<public URL>/verwaltung/anmelden/extern/<slug>/rueckkehr`.
        #[arg(long)]
        staff: bool,
        /// Staff: the claim that lists the person's groups (default `groups`).
        #[arg(long)]
        group_claim: Option<String>,
        /// Staff: GROUP=ROLE; repeat. People in none of these groups get no access.
        #[arg(long = "group-role")]
        group_roles: Vec<String>,
        /// Staff: GROUP=DEPARTMENT (department key); repeat.
        #[arg(long = "group-department")]
        group_departments: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ArchiveCommand {
    /// Check every stored document and every sealed day; exit code 0 when intact, 2
    /// when anything changed.
    Verify,
    /// Seal the days before today now (the housekeeping does it every morning).
    Seal,
    /// Write the evidence record (JSON, RFC 4998 structure) of a document version.
    Evidence {
        /// The document's id (shown in the e-file).
        document: Uuid,
        /// The version; the latest without it.
        #[arg(long)]
        version: Option<i32>,
    },
    /// Check an evidence record against a file, without any database.
    Check { record: PathBuf, file: PathBuf },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exit code 0 when intact.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rathaus: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // One line: what went wrong and what to do. For a full disk the chain of
            // low-level causes only repeats itself; the outermost context says enough.
            match full_disk_hint(&e) {
                Some(hint) => eprintln!("rathaus: {e} — {hint}"),
                None => eprintln!("rathaus: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Demo {
            listen,
            data,
            database_url,
        } => demo_command(listen, &data, database_url).await,
        Command::Serve => {
            let config = Config::load(cli.config.as_deref())?;
            init_logging(config.log_format);
            let listener = server::bind(config.listen).await?;
            let db = server::open_database(&config).await?;
            let running = server::start(listener, db, &config).await?;
            tracing::info!(addr = %running.addr, "Rathaus is serving");
            running.run_until_signal().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = Config::load(cli.config.as_deref())?;
            init_logging(LogFormat::Text);
            let db = Db::connect(config.database_url()?).await?;
            let applied = db.migrate().await?;
            println!("{applied} migration(s) applied; the schema is up to date.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => {
            let config = Config::load(cli.config.as_deref())?;
            init_logging(config.log_format);
            let db = server::open_database(&config).await?;
            server::run_worker(db, &config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Forms {
            command: FormsCommand::Check { files },
        } => check_files(&files, |text| {
            rathaus_forms::definition::load(text).map(|form| {
                format!(
                    "{} (version {}), {} steps",
                    form.definition.id,
                    form.definition.version,
                    form.definition.steps.len()
                )
            })
        }),
        Command::Forms {
            command: FormsCommand::ImportXdf { file, out },
        } => {
            let (form, notes) = admin::read_form(&file)?;
            for note in notes {
                eprintln!("{note}");
            }
            let json = serde_json::to_string_pretty(&form.definition)? + "\n";
            match out {
                Some(path) => std::fs::write(&path, json)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Forms {
            command:
                FormsCommand::Install {
                    file,
                    tenant,
                    service,
                },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let (form, notes) = admin::read_form(&file)?;
            for note in notes {
                eprintln!("{note}");
            }
            let version =
                admin::install_form(&db, &tenant, &form, &file, service.as_deref()).await?;
            println!(
                "Installed {} (version {version}) for {tenant}{}.",
                form.definition.id,
                service.map_or(String::new(), |s| format!(", used by {s}"))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflows {
            command: WorkflowsCommand::Check { files },
        } => check_files(&files, |text| {
            rathaus_core::workflow::read_own(text).map(|workflow| {
                format!(
                    "{}, {} states, {} steps",
                    workflow.id,
                    workflow.states.len(),
                    workflow.transitions.len()
                )
            })
        }),
        Command::Workflows {
            command:
                WorkflowsCommand::Install {
                    file,
                    tenant,
                    service,
                },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let workflow = match admin::read_workflow(&file)? {
                Ok(workflow) => workflow,
                Err(mistakes) => bail!(
                    "{} cannot be used:\n{}",
                    file.display(),
                    mistakes.join("\n")
                ),
            };
            admin::install_workflow(&db, &tenant, &service, &workflow).await?;
            println!(
                "Installed the workflow {} for {service} in {tenant}: new cases follow it.",
                workflow.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflows {
            command: WorkflowsCommand::Show { tenant, service },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let workflow = admin::current_workflow(&db, &tenant, &service).await?;
            println!("{}", serde_json::to_string_pretty(&*workflow)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Forms {
            command: FormsCommand::Schema,
        } => {
            let schema = rathaus_forms::definition::json_schema();
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog {
            command: CatalogCommand::Import { file, enable_for },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let (imported, enabled) =
                admin::import_catalog(&db, &file, enable_for.as_deref()).await?;
            println!(
                "Imported {} life situations and {} services{}.",
                imported.life_situations,
                imported.services,
                enabled.map_or(String::new(), |n| format!("; {n} newly offered"))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog {
            command: CatalogCommand::Export,
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let file = rathaus_core::catalog::export(db.conn()).await?;
            println!("{}", serde_json::to_string_pretty(&file)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let result = audit::verify(&db).await?;
            match result.broken {
                None => {
                    println!(
                        "Audit-Log intakt / audit log intact: {} entries checked.",
                        result.entries
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    println!(
                        "Audit-Log verletzt / audit log broken at entry {}: {} ({} entries before it are intact)",
                        b.seq, b.reason, result.entries
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Admin {
            command:
                AdminCommand::CreateStaff {
                    tenant,
                    email,
                    name,
                    roles,
                    departments,
                    password_stdin,
                },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let new = admin::NewStaff {
                tenant,
                email: email.clone(),
                name,
                roles,
                departments,
                password_from_stdin: password_stdin,
            };
            match admin::create_staff(&db, new).await? {
                Some(password) => println!(
                    "Created {email}. Initial password (shown once): {password}\n\
                     The second factor is set up at the first login."
                ),
                None => {
                    println!("Created {email}. The second factor is set up at the first login.")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::CreateAppClient {
                    tenant,
                    client_id,
                    name,
                    redirect_uris,
                    scopes,
                },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let new = admin::NewAppClient {
                tenant,
                client_id: client_id.clone(),
                name,
                redirect_uris,
                scopes,
            };
            admin::create_app_client(&db, new).await?;
            println!("Registered the app {client_id}.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command: AdminCommand::RotateSigningKey { tenant },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let key = admin::rotate_signing_key(&db, &config.sealer()?, &tenant).await?;
            println!(
                "New signing key {} (public key {}); the old one is retired and still verifies what it signed.",
                key.id, key.public_key
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::AddRole {
                    tenant,
                    key,
                    name_de,
                    name_en,
                    permissions,
                },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let new = admin::NewRole {
                tenant,
                key: key.clone(),
                name_de,
                name_en,
                permissions,
            };
            admin::add_role(&db, new).await?;
            println!("Added the role {key}.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::AddIdentityProvider {
                    tenant,
                    slug,
                    name,
                    issuer,
                    client_id,
                    scopes,
                    acr_levels,
                    claims,
                    staff,
                    group_claim,
                    group_roles,
                    group_departments,
                },
        } => {
            let config = Config::load(cli.config.as_deref())?;
            let db = server::open_database(&config).await?;
            let new = admin::NewIdentityProvider {
                tenant,
                slug: slug.clone(),
                name,
                issuer,
                client_id,
                scopes,
                acr_levels,
                claims,
                for_staff: staff,
                group_claim,
                group_roles,
                group_departments,
            };
            admin::add_identity_provider(&db, &config.sealer()?, new).await?;
            let area = if staff { "verwaltung" } else { "konto" };
            println!(
                "Added the identity provider '{slug}'. Register this return URL there: \
                 <public URL>/{area}/anmelden/extern/{slug}/rueckkehr"
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Archive { command } => {
            let config = || Config::load(cli.config.as_deref());
            match command {
                // A third party's check: no configuration, no database.
                ArchiveCommand::Check { record, file } => archive::check(&record, &file),
                ArchiveCommand::Verify => archive::verify(&config()?).await,
                ArchiveCommand::Seal => archive::seal(&config()?).await,
                ArchiveCommand::Evidence { document, version } => {
                    archive::record(&config()?, document, version).await
                }
            }
        }
        Command::Backup { to } => {
            let config = Config::load(cli.config.as_deref())?;
            let blobs = backup::backup(&config, &to).await?;
            println!(
                "Backup written to {} (database and {blobs} files).",
                to.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { from, force } => {
            let config = Config::load(cli.config.as_deref())?;
            let blobs = backup::restore(&config, &from, force).await?;
            println!("Restored {} (database and {blobs} files).", from.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Creates (on first start) and runs the demo town hall.
async fn demo_command(
    listen: SocketAddr,
    data: &Path,
    database_url: Option<String>,
) -> Result<ExitCode> {
    init_logging(LogFormat::Text);
    // Take the port first: a second demo on a used port must not touch the data.
    let listener = server::bind(listen).await?;
    std::fs::create_dir_all(data).with_context(|| {
        format!(
            "cannot create the data directory {}: check the path and its permissions",
            data.display()
        )
    })?;
    let db_file = data.join("rathaus.db");
    // Only the demo's own SQLite file is removed again when the first start fails.
    let first_start = database_url.is_none() && !db_file.exists();
    let public_url = format!("http://{}", listener.local_addr()?);
    let config = Config {
        database_url: Some(
            database_url.unwrap_or_else(|| format!("sqlite://{}", db_file.display())),
        ),
        listen,
        public_url: Some(public_url),
        data_dir: data.to_owned(),
        fallback_tenant: Some(demo::DEMO_SLUG.into()),
        log_format: LogFormat::Text,
        mail: MailSettings {
            smtp_url: None,
            from: Some("Stadt Musterstadt <buergerservice@musterstadt.example>".into()),
        },
        // Fees are paid with the sandbox payment service: nothing leaves the machine.
        payments: PaymentSettings {
            provider: Some("sandbox".into()),
            ..PaymentSettings::default()
        },
        ..Config::default()
    };
    let db = match prepare_demo_database(&config).await {
        Ok(db) => db,
        Err(e) if first_start => {
            // Leave nothing half-initialised: the next start begins from scratch.
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db_file.display()));
            }
            return Err(e.context(
                "the first start failed and was rolled back; fix the cause and start again",
            ));
        }
        Err(e) => return Err(e),
    };
    let running = server::start(listener, db, &config).await?;
    let url = format!("http://{}/", running.addr);
    println!("Rathaus-Demo „Stadt Musterstadt“ läuft / is running: {url}");
    println!("Daten / data: {}", data.display());
    println!("Verwaltung / staff area: {url}verwaltung");
    for staff in demo::DEMO_STAFF {
        println!(
            "  {} ({}): {} / {} — TOTP: {}",
            staff.name, staff.role, staff.email, staff.password, staff.totp_secret
        );
    }
    println!(
        "  Zweiter Faktor / second factor: Authenticator-App oder `oathtool --totp -b <TOTP>`"
    );
    // Passkeys need a domain; browsers resolve *.localhost to this machine.
    println!(
        "  Passkeys: http://musterstadt.localhost:{}/verwaltung/sicherheit",
        running.addr.port()
    );
    println!("Beenden mit Strg+C / stop with Ctrl+C");
    running.run_until_signal().await;
    Ok(ExitCode::SUCCESS)
}

async fn prepare_demo_database(config: &Config) -> Result<Db> {
    let db = Db::connect(config.database_url()?).await?;
    db.migrate().await?;
    let (tenant, created) = demo::ensure_seeded(&db).await?;
    if created {
        tracing::info!(tenant = %tenant.name, "demo town hall created");
    }
    Ok(db)
}

/// A full disk shows up as an I/O error or as SQLite's SQLITE_FULL; both deserve the
/// same advice.
fn full_disk_hint(error: &anyhow::Error) -> Option<&'static str> {
    let full = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
            || cause.to_string().contains("database or disk is full")
    });
    full.then_some(
        "the disk is full: free some space and run the command again (nothing was half-written)",
    )
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RATHAUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}

/// Checks definition files with `read` (a summary, or every mistake): each file's
/// summary or mistakes are printed with its name; exit 2 if any has a mistake.
fn check_files<M: std::fmt::Display>(
    files: &[PathBuf],
    read: impl Fn(&str) -> std::result::Result<String, Vec<M>>,
) -> Result<ExitCode> {
    let mut all_good = true;
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        match read(&text) {
            Ok(summary) => println!("{}: {summary} — in order", file.display()),
            Err(mistakes) => {
                all_good = false;
                for mistake in mistakes {
                    println!("{}: {mistake}", file.display());
                }
            }
        }
    }
    Ok(if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
