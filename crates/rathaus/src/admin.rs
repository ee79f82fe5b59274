//! `rathaus admin …`: what an installation's operator does from the shell, before any
//! admin can log in (the first admin of a tenant) or when nobody can.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use rathaus_core::actor::{Actor, Origin};
use rathaus_core::policy::Permission;
use rathaus_core::trust::TrustLevel;
use rathaus_core::{app_access, catalog, departments, identity, roles, staff, tenants};
use rathaus_store::Db;

/// A member of staff as given on the command line.
pub struct NewStaff {
    pub tenant: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    /// Keys of departments (`strassenverkehr`).
    pub departments: Vec<String>,
    /// Read the initial password from standard input instead of generating one.
    pub password_from_stdin: bool,
}

/// Creates the staff member and returns the initial password when it was generated
/// (to be handed over once; the second factor is set up at the first login).
pub async fn create_staff(db: &Db, new: NewStaff) -> Result<Option<String>> {
    let tenant = tenant_by_slug(db, &new.tenant).await?;
    if new.roles.is_empty() {
        bail!("give at least one --role");
    }
    let mut department_ids = Vec::new();
    for key in &new.departments {
        let department = departments::by_key(db.conn(), tenant.id, key)
            .await?
            .with_context(|| format!("there is no department '{key}' in {}", new.tenant))?;
        department_ids.push(department.id);
    }
    let (password, generated) = if new.password_from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (rathaus_core::passwords::generate_initial(), true)
    };
    staff::create_user(
        db,
        &Actor::system("cli"),
        &Origin::default(),
        tenant.id,
        staff::NewStaffUser {
            email: &new.email,
            name: &new.name,
            password: &password,
            roles: &new.roles,
            departments: &department_ids,
            initial_password: true,
        },
    )
    .await?;
    Ok(generated.then_some(password))
}

/// An app that acts for citizens, as given on the command line.
pub struct NewAppClient {
    pub tenant: String,
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
}

pub async fn create_app_client(db: &Db, new: NewAppClient) -> Result<()> {
    let tenant = tenant_by_slug(db, &new.tenant).await?;
    let scopes = app_access::parse_scopes(&new.scopes.join(" ")).with_context(|| {
        let known: Vec<&str> = app_access::Scope::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown scope; known are {}", known.join(", "))
    })?;
    let client = app_access::NewClient {
        client_id: &new.client_id,
        name: &new.name,
        redirect_uris: &new.redirect_uris,
        scopes: &scopes,
    };
    app_access::register(
        db,
        &Actor::system("cli"),
        &Origin::default(),
        tenant.id,
        client,
    )
    .await?;
    Ok(())
}

/// A role a tenant adds for itself, as given on the command line.
pub struct NewRole {
    pub tenant: String,
    pub key: String,
    pub name_de: String,
    pub name_en: String,
    pub permissions: Vec<String>,
}

pub async fn add_role(db: &Db, new: NewRole) -> Result<()> {
    let tenant = tenant_by_slug(db, &new.tenant).await?;
    let mut permissions = Vec::new();
    for key in &new.permissions {
        let permission = Permission::parse(key).with_context(|| {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            format!("unknown permission '{key}'; known: {}", known.join(", "))
        })?;
        permissions.push(permission);
    }
    let role = roles::NewRole {
        key: &new.key,
        name_de: &new.name_de,
        name_en: &new.name_en,
        permissions: &permissions,
    };
    let system = Actor::system("cli");
    roles::add(db, &system, &Origin::default(), tenant.id, role).await?;
    Ok(())
}

/// An OpenID Connect provider as given on the command line.
pub struct NewIdentityProvider {
    pub tenant: String,
    pub slug: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// `ACR=LEVEL`, e.g. `http://eidas.europa.eu/LoA/substantial=substanziell`.
    pub acr_levels: Vec<String>,
    /// `FIELD=CLAIM`, e.g. `given_name=urn:oid:2.5.4.42`.
    pub claims: Vec<String>,
    /// A provider for staff (the city's Keycloak / AD FS) instead of citizens.
    pub for_staff: bool,
    pub group_claim: Option<String>,
    /// `GROUP=ROLE`.
    pub group_roles: Vec<String>,
    /// `GROUP=DEPARTMENT`.
    pub group_departments: Vec<String>,
}

/// How an `A=B` entry is split: at the last `=` where A may hold one (an `acr` URI), at
/// the first where B may (a claim name).
type Split = for<'s> fn(&'s str) -> Option<(&'s str, &'s str)>;
const AT_LAST: Split = |entry| entry.rsplit_once('=');
const AT_FIRST: Split = |entry| entry.split_once('=');

/// `A=B` pairs from the command line.
fn pairs<'a>(entries: &'a [String], what: &str, split: Split) -> Result<Vec<(&'a str, &'a str)>> {
    entries
        .iter()
        .map(|entry| split(entry).with_context(|| format!("'{entry}' is not {what}")))
        .collect()
}

/// Adds a provider; the client secret is read from standard input (never an argument,
/// which other users of the machine could see in the process list).
pub async fn add_identity_provider(
    db: &Db,
    sealer: &rathaus_core::secrets::Sealer,
    new: NewIdentityProvider,
) -> Result<()> {
    let tenant = tenant_by_slug(db, &new.tenant).await?;
    let mut levels = Vec::new();
    for (acr, level) in pairs(&new.acr_levels, "ACR=LEVEL", AT_LAST)? {
        let level = TrustLevel::parse(level).with_context(|| {
            format!("unknown trust level '{level}'; known: basis, niedrig, substanziell, hoch")
        })?;
        levels.push((acr, level));
    }
    let claims = identity::ClaimMapping::from_pairs(&pairs(&new.claims, "FIELD=CLAIM", AT_FIRST)?)?;
    let group_roles = pairs(&new.group_roles, "GROUP=ROLE", AT_LAST)?;
    let group_departments = pairs(&new.group_departments, "GROUP=DEPARTMENT", AT_LAST)?;
    let maps_groups = !group_roles.is_empty() || !group_departments.is_empty();
    if maps_groups && !new.for_staff {
        bail!("--group-role and --group-department are for staff providers (--staff)");
    }
    if levels.is_empty() {
        bail!("give at least one --acr ACR=LEVEL: logins with an unmapped acr are refused");
    }
    let mut secret = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut secret)
        .context("cannot read the client secret from standard input")?;
    let secret = secret.trim();
    if secret.is_empty() {
        bail!("give the client secret on standard input");
    }
    let scopes: Vec<&str> = new.scopes.iter().map(String::as_str).collect();
    identity::add_provider(
        db,
        sealer,
        tenant.id,
        identity::NewProvider {
            slug: &new.slug,
            name: &new.name,
            issuer: &new.issuer,
            client_id: &new.client_id,
            client_secret: secret,
            scopes: &scopes,
            acr_levels: &levels,
            claims,
            audience: if new.for_staff {
                identity::Audience::Staff
            } else {
                identity::Audience::Citizens
            },
            groups: identity::GroupMapping {
                claim: new.group_claim.as_deref().unwrap_or("groups"),
                roles: &group_roles,
                departments: &group_departments,
            },
        },
    )
    .await?;
    Ok(())
}

/// Imports a catalog file; with `enable_for`, that tenant offers its services.
pub async fn import_catalog(
    db: &Db,
    path: &std::path::Path,
    enable_for: Option<&str>,
) -> Result<(catalog::Imported, Option<usize>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: catalog::CatalogFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a catalog file", path.display()))?;
    let tenant = match enable_for {
        Some(slug) => Some(tenant_by_slug(db, slug).await?),
        None => None,
    };
    let imported = catalog::import(db, &file).await?;
    let enabled = match tenant {
        Some(tenant) => {
            let keys: Vec<String> = file.services.iter().map(|s| s.key.clone()).collect();
            Some(catalog::enable(db, tenant.id, Some(&keys)).await?)
        }
        None => None,
    };
    Ok((imported, enabled))
}

/// A form definition from a file: JSON as written, or XDatenfelder XML imported (with
/// the notes of what was not taken over).
pub fn read_form(path: &std::path::Path) -> Result<(rathaus_forms::definition::Form, Vec<String>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let lines = |mistakes: Vec<rathaus_forms::definition::Mistake>| {
        let all: Vec<String> = mistakes.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{} cannot be used:\n{}", path.display(), all.join("\n"))
    };
    if text.trim_start().starts_with('<') {
        let imported = rathaus_forms::xdatenfelder::import(&text).map_err(lines)?;
        Ok((imported.form, imported.notes))
    } else {
        Ok((
            rathaus_forms::definition::load(&text).map_err(lines)?,
            Vec::new(),
        ))
    }
}

/// Installs a definition for a tenant and, if asked, uses it for one of its services.
pub async fn install_form(
    db: &Db,
    slug: &str,
    form: &rathaus_forms::definition::Form,
    path: &std::path::Path,
    service: Option<&str>,
) -> Result<i32> {
    let tenant = tenant_by_slug(db, slug).await?;
    let actor = Actor::system("cli");
    let origin = Origin::default();
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let version =
        rathaus_core::forms::install(db, &actor, &origin, tenant.id, form, &source).await?;
    if let Some(key) = service {
        let offer = catalog::offer(db.conn(), tenant.id, key)
            .await?
            .with_context(|| format!("the catalog has no service '{key}'"))?;
        let mut overrides = offer.overrides;
        overrides.insert("form".into(), form.definition.id.clone().into());
        overrides.insert("online".into(), true.into());
        catalog::set_offer(db, &actor, &origin, tenant.id, key, true, overrides)
            .await?
            .map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))?;
    }
    Ok(version)
}

async fn tenant_by_slug(db: &Db, slug: &str) -> Result<tenants::Tenant> {
    tenants::by_slug(db.conn(), slug)
        .await?
        .with_context(|| format!("there is no tenant '{slug}' (see the tenants table)"))
}

/// A workflow definition from a file, or every mistake in it.
pub fn read_workflow(
    path: &std::path::Path,
) -> Result<std::result::Result<rathaus_core::workflow::Workflow, Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(rathaus_core::workflow::read_own(&text))
}

/// Installs a workflow for a service of the tenant (audited as the system).
pub async fn install_workflow(
    db: &Db,
    tenant: &str,
    service: &str,
    workflow: &rathaus_core::workflow::Workflow,
) -> Result<()> {
    let tenant = tenant_by_slug(db, tenant).await?;
    let system = rathaus_core::actor::Actor::system("cli");
    let origin = rathaus_core::actor::Origin::default();
    let installed = rathaus_core::workflow::installed::install(
        db, &system, &origin, tenant.id, service, workflow,
    )
    .await?;
    if let Err(mistakes) = installed {
        bail!("the workflow cannot be used:\n{}", mistakes.join("\n"));
    }
    Ok(())
}

/// Retires the tenant's signing key and starts a new one (audited); what the old key
/// signed stays verifiable. Returns the new key.
pub async fn rotate_signing_key(
    db: &Db,
    sealer: &rathaus_core::secrets::Sealer,
    tenant: &str,
) -> Result<rathaus_core::letters::signing::Key> {
    let tenant = tenant_by_slug(db, tenant).await?;
    let actor = rathaus_core::actor::Actor {
        tenant_id: Some(tenant.id),
        ..rathaus_core::actor::Actor::system("cli")
    };
    let txn = db.begin_write().await?;
    let key = rathaus_core::letters::signing::rotate(&txn, sealer, tenant.id).await?;
    let event = rathaus_core::audit::Event::new("signing_key.rotate", "signing_key")
        .object(key.id)
        .details(serde_json::json!({ "public_key": key.public_key }));
    rathaus_core::audit::record(&txn, &actor, &Default::default(), event).await?;
    txn.commit().await?;
    Ok(key)
}

/// The workflow new cases of the service follow in the tenant.
pub async fn current_workflow(
    db: &Db,
    tenant: &str,
    service: &str,
) -> Result<std::sync::Arc<rathaus_core::workflow::Workflow>> {
    let tenant = tenant_by_slug(db, tenant).await?;
    let (_, workflow) =
        rathaus_core::workflow::installed::for_new_case(db.conn(), tenant.id, service).await?;
    Ok(workflow)
}
