//! Configuration: an optional TOML file, then environment variables (`RATHAUS_…`),
//! which win. Everything has a default except the database URL for `serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rathaus_core::mail::{Delivery, MailConfig};
use rathaus_core::secrets::Sealer;
use rathaus_store::blob::BlobConfig;
use rathaus_web::state::Payments;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub database_url: Option<String>,
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the SQLite database, blobs and backups live by default.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default)]
    pub blobs: Option<BlobConfig>,
    #[serde(default)]
    pub log_format: LogFormat,
    /// Run background jobs inside the server process as well.
    #[serde(default = "yes")]
    pub run_jobs: bool,
    /// Served over HTTPS (directly or by a proxy): HSTS and secure cookies.
    #[serde(default)]
    pub behind_tls: bool,
    /// Tenant for unknown host names (normally none: unknown hosts get a 404).
    pub fallback_tenant: Option<String>,
    /// Base URL for links in e-mails when a request's host is not one of the tenant's
    /// registered hosts (e.g. `https://rathaus.example.org`).
    pub public_url: Option<String>,
    /// Origins besides the request's own host that may post forms.
    #[serde(default)]
    pub trusted_origins: Vec<String>,
    /// Reverse proxies (addresses or networks, `10.0.0.0/8`) whose `X-Forwarded-For`
    /// names the client, for the audit log and the login limit per address.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    #[serde(default)]
    pub mail: MailSettings,
    /// Days a draft application is kept after its last change.
    #[serde(default = "default_draft_days")]
    pub draft_days: u32,
    /// 64 hex digits: the key that seals secrets stored in the database (identity
    /// providers' client secrets). Without it, `<data_dir>/secret.key` is used, made on
    /// the first start; several servers on one database need the same key.
    pub secret_key: Option<String>,
    /// Online payment of fees. Without a provider, fees are not paid online (services
    /// that want them paid first bill them instead).
    #[serde(default)]
    pub payments: PaymentSettings,
}

/// The payment service (XBezahldienste).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// `sandbox` (Rathaus' own test service, for the demo and tests) or
    /// `xbezahldienste` (a payment service at `url`).
    pub provider: Option<String>,
    /// The service's XBezahldienste base address, e.g.
    /// `https://epay.example/xbezahldienste/api/v1.0.0`.
    pub url: Option<String>,
    /// Who asks (originatorId) and for which authority (endPointId), as agreed with
    /// the service.
    pub originator_id: Option<String>,
    pub endpoint_id: Option<String>,
    /// HTTP Basic, or a bearer token: the standard leaves it to the service.
    pub username: Option<String>,
    pub password: Option<String>,
    pub bearer_token: Option<String>,
    /// Shared with the service: its notifications are signed with it (HMAC-SHA256).
    pub notification_secret: Option<String>,
}

/// Outgoing mail. Without `smtp_url`, mails are written as `.eml` files into
/// `<data_dir>/mail-outbox` (nothing is lost; fine for the demo, not for production).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://relay.example:25`, `smtps://user:password@relay.example` …
    pub smtp_url: Option<String>,
    /// Sender address, e.g. `Stadt Musterstadt <noreply@musterstadt.de>`.
    pub from: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("./data")
}

fn default_draft_days() -> u32 {
    rathaus_web::DEFAULT_DRAFT_DAYS
}

fn yes() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str("").expect("all fields have defaults")
    }
}

impl Config {
    /// Reads the file (if given) and applies the environment on top.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!(
                        "cannot read the configuration file {}: check the path given with --config",
                        path.display()
                    )
                })?;
                toml::from_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "the configuration file {} is not valid: {}",
                        path.display(),
                        e.to_string().replace('\n', " ")
                    )
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|key| std::env::var(key).ok())?;
        Ok(config)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(url) = var("RATHAUS_DATABASE_URL") {
            self.database_url = Some(url);
        }
        if let Some(listen) = var("RATHAUS_LISTEN") {
            self.listen = listen.parse().with_context(|| {
                format!("RATHAUS_LISTEN='{listen}' is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(dir) = var("RATHAUS_DATA_DIR") {
            self.data_dir = dir.into();
        }
        if let Some(format) = var("RATHAUS_LOG_FORMAT") {
            self.log_format = match format.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                other => bail!("RATHAUS_LOG_FORMAT='{other}' must be json or text"),
            };
        }
        if let Some(v) = var("RATHAUS_DRAFT_DAYS") {
            self.draft_days = v.parse().ok().filter(|days| *days > 0).with_context(|| {
                format!("RATHAUS_DRAFT_DAYS='{v}' must be a number of days (1 or more)")
            })?;
        }
        if let Some(v) = var("RATHAUS_RUN_JOBS") {
            self.run_jobs = parse_bool("RATHAUS_RUN_JOBS", &v)?;
        }
        if let Some(v) = var("RATHAUS_BEHIND_TLS") {
            self.behind_tls = parse_bool("RATHAUS_BEHIND_TLS", &v)?;
        }
        if let Some(v) = var("RATHAUS_FALLBACK_TENANT") {
            self.fallback_tenant = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = var("RATHAUS_PUBLIC_URL") {
            self.public_url = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = var("RATHAUS_TRUSTED_ORIGINS") {
            self.trusted_origins = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Into::into)
                .collect();
        }
        if let Some(v) = var("RATHAUS_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Into::into)
                .collect();
        }
        if let Some(key) = var("RATHAUS_SECRET_KEY") {
            self.secret_key = Some(key).filter(|s| !s.is_empty());
        }
        if let Some(url) = var("RATHAUS_SMTP_URL") {
            self.mail.smtp_url = Some(url).filter(|s| !s.is_empty());
        }
        if let Some(from) = var("RATHAUS_MAIL_FROM") {
            self.mail.from = Some(from);
        }
        let payments = &mut self.payments;
        for (name, field) in [
            ("RATHAUS_PAYMENT_PROVIDER", &mut payments.provider),
            ("RATHAUS_PAYMENT_URL", &mut payments.url),
            ("RATHAUS_PAYMENT_ORIGINATOR_ID", &mut payments.originator_id),
            ("RATHAUS_PAYMENT_ENDPOINT_ID", &mut payments.endpoint_id),
            ("RATHAUS_PAYMENT_USERNAME", &mut payments.username),
            ("RATHAUS_PAYMENT_PASSWORD", &mut payments.password),
            ("RATHAUS_PAYMENT_BEARER_TOKEN", &mut payments.bearer_token),
            (
                "RATHAUS_PAYMENT_NOTIFICATION_SECRET",
                &mut payments.notification_secret,
            ),
        ] {
            if let Some(v) = var(name) {
                *field = Some(v).filter(|s| !s.is_empty());
            }
        }
        if let Some(bucket) = var("RATHAUS_S3_BUCKET") {
            self.blobs = Some(BlobConfig::S3 {
                bucket,
                endpoint: var("RATHAUS_S3_ENDPOINT"),
                region: var("RATHAUS_S3_REGION"),
                access_key_id: var("RATHAUS_S3_ACCESS_KEY_ID"),
                secret_access_key: var("RATHAUS_S3_SECRET_ACCESS_KEY"),
                allow_http: var("RATHAUS_S3_ALLOW_HTTP")
                    .map(|v| parse_bool("RATHAUS_S3_ALLOW_HTTP", &v))
                    .transpose()?
                    .unwrap_or(false),
            });
        } else if let Some(path) = var("RATHAUS_BLOB_DIR") {
            self.blobs = Some(BlobConfig::Local { path: path.into() });
        }
        Ok(())
    }

    pub fn database_url(&self) -> Result<&str> {
        self.database_url.as_deref().context(
            "no database configured: set database_url in the configuration file or RATHAUS_DATABASE_URL \
             (sqlite://./data/rathaus.db or postgres://user@host/rathaus)",
        )
    }

    pub fn mail_config(&self) -> MailConfig {
        MailConfig {
            delivery: match &self.mail.smtp_url {
                Some(url) => Delivery::Smtp { url: url.clone() },
                None => Delivery::Folder {
                    path: self.data_dir.join("mail-outbox"),
                },
            },
            from: self
                .mail
                .from
                .clone()
                .unwrap_or_else(|| "Rathaus <noreply@localhost>".into()),
        }
    }

    /// The payment service as the web layer uses it; `public_url` is where this
    /// server is reached (the sandbox answers there).
    pub fn payments(&self, public_url: Option<&str>) -> Result<Option<Payments>> {
        use rathaus_core::payments::{Provider, xbezahldienste};
        let settings = &self.payments;
        let Some(kind) = settings.provider.as_deref() else {
            return Ok(None);
        };
        let sandbox = match kind {
            "sandbox" => true,
            "xbezahldienste" => false,
            other => bail!("payments.provider = '{other}' must be sandbox or xbezahldienste"),
        };
        let url = if sandbox {
            let base = public_url.context("the sandbox payment service needs public_url")?;
            format!(
                "{}{}",
                base.trim_end_matches('/'),
                rathaus_web::PAYMENT_SANDBOX_API
            )
        } else {
            settings
                .url
                .clone()
                .context("payments.url: the payment service's address is needed")?
        };
        let auth = match (
            &settings.username,
            &settings.password,
            &settings.bearer_token,
        ) {
            (_, _, Some(token)) => xbezahldienste::Auth::Bearer(token.clone()),
            (Some(username), Some(password), None) => xbezahldienste::Auth::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            _ => xbezahldienste::Auth::None,
        };
        let client = xbezahldienste::Client::new(
            &url,
            settings.originator_id.as_deref().unwrap_or("rathaus"),
            settings.endpoint_id.as_deref().unwrap_or("rathaus"),
            auth,
        );
        // Without a shared secret (the sandbox, or a service that sends none), a secret
        // of this process: the sandbox signs with it, anyone else is refused.
        let notification_secret = match &settings.notification_secret {
            Some(secret) => secret.clone().into_bytes(),
            None => Sealer::new_key().into_bytes(),
        };
        Ok(Some(Payments {
            provider: Provider {
                name: kind.to_owned(),
                client,
            },
            notification_secret,
            sandbox,
        }))
    }

    /// The trusted proxies as networks; a single address is a network of one.
    pub fn proxy_networks(&self) -> Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .with_context(|| {
                        format!(
                            "trusted_proxies: '{entry}' is not an address or network (10.0.0.0/8)"
                        )
                    })
            })
            .collect()
    }

    /// The sealer of stored secrets: the configured key, else the data folder's
    /// `secret.key` (made, readable by its owner only, when there is none yet).
    pub fn sealer(&self) -> Result<Sealer> {
        let hex_key = match self.key_file() {
            Some(path) => self.read_or_make_key(&path)?,
            None => self.secret_key.clone().unwrap_or_default(),
        };
        Sealer::from_hex(&hex_key).map_err(|why| anyhow::anyhow!("secret_key: {why}"))
    }

    /// The data folder's key file, where it holds the key in use (no `secret_key`).
    pub fn key_file(&self) -> Option<PathBuf> {
        self.secret_key
            .is_none()
            .then(|| self.data_dir.join("secret.key"))
    }

    fn read_or_make_key(&self, path: &Path) -> Result<String> {
        if let Ok(key) = std::fs::read_to_string(path) {
            return Ok(key);
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        let key = Sealer::new_key();
        match owner_only().create_new(true).open(path) {
            Ok(mut created) => {
                std::io::Write::write_all(&mut created, key.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                tracing::info!(path = %path.display(), "made a new secret key");
                Ok(key)
            }
            // Another process made it just now: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok(std::fs::read_to_string(path)?)
            }
            Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }

    pub fn blob_config(&self) -> BlobConfig {
        self.blobs.clone().unwrap_or_else(|| BlobConfig::Local {
            path: self.data_dir.join("blobs"),
        })
    }
}

/// Options for writing a file only its owner may read (keys).
pub(crate) fn owner_only() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn parse_bool(name: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => bail!("{name}='{other}' must be true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file() {
        let mut config: Config =
            toml::from_str("database_url = \"sqlite://a.db\"\nlisten = \"127.0.0.1:9000\"\n")
                .unwrap();
        config
            .apply_env(|k| match k {
                "RATHAUS_DATABASE_URL" => Some("postgres://x@localhost/y".into()),
                "RATHAUS_RUN_JOBS" => Some("false".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            config.database_url.as_deref(),
            Some("postgres://x@localhost/y")
        );
        assert_eq!(config.listen.port(), 9000);
        assert!(!config.run_jobs);
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::default()
            .apply_env(|k| (k == "RATHAUS_LISTEN").then(|| "nonsense".into()))
            .unwrap_err();
        assert!(err.to_string().contains("RATHAUS_LISTEN='nonsense'"));
        let err = toml::from_str::<Config>("databse_url = 1").unwrap_err();
        assert!(err.to_string().contains("databse_url"));
    }
}
