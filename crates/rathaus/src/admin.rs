//! `rathaus admin …`: what an installation's operator does from the shell, before any
//! admin can log in (the first admin of a tenant) or when nobody can.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use rathaus_core::actor::{Actor, Origin, Role};
use rathaus_core::{staff, tenants};
use rathaus_store::Db;

/// A member of staff as given on the command line.
pub struct NewStaff {
    pub tenant: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    /// Read the initial password from standard input instead of generating one.
    pub password_from_stdin: bool,
}

/// Creates the staff member and returns the initial password when it was generated
/// (to be handed over once; the second factor is set up at the first login).
pub async fn create_staff(db: &Db, new: NewStaff) -> Result<Option<String>> {
    let tenant = tenants::by_slug(db.conn(), &new.tenant)
        .await?
        .with_context(|| {
            format!(
                "there is no tenant '{}' (see the tenants table)",
                new.tenant
            )
        })?;
    let mut roles = Vec::new();
    for name in &new.roles {
        let known = ["admin", "auditor", "caseworker", "mailroom"];
        let role = Role::parse(name)
            .with_context(|| format!("unknown role '{name}'; known roles: {}", known.join(", ")))?;
        roles.push(role);
    }
    if roles.is_empty() {
        bail!("give at least one --role");
    }
    let (password, generated) = if new.password_from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (generated_password(), true)
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
            roles: &roles,
        },
    )
    .await?;
    Ok(generated.then_some(password))
}

/// Four groups of five characters that are easy to read out (no 0/O, 1/I/l).
fn generated_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..4)
        .map(|_| {
            (0..5)
                .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}
