//! The demo town hall: the fictitious "Musterstadt", created on the first start of
//! `rathaus demo`. Each step is its own transaction; `rathaus demo` removes the database
//! of a failed first start, so it leaves nothing behind and can simply be repeated.

use rathaus_store::Db;

use crate::actor::{Actor, Origin};
use crate::catalog::{self, CatalogFile};
use crate::departments::{self, Created};
use crate::error::Result;
use crate::staff;
use crate::tenants::{self, NewTenant, Tenant};

pub const DEMO_SLUG: &str = "musterstadt";

/// Creates Musterstadt unless it exists; returns it either way.
pub async fn ensure_seeded(db: &Db) -> Result<(Tenant, bool)> {
    if let Some(existing) = tenants::by_slug(db.conn(), DEMO_SLUG).await? {
        return Ok((existing, false));
    }
    let tenant = tenants::create(
        db,
        &Actor::system("demo"),
        &Origin::default(),
        musterstadt(),
    )
    .await?;
    seed_departments(db, &tenant).await?;
    seed_staff(db, &tenant).await?;
    seed_catalog(db, &tenant).await?;
    seed_app(db, &tenant).await?;
    seed_workflows(db, &tenant).await?;
    Ok((tenant, true))
}

/// The residential parking permit has a workflow of its own: a check of the vehicle
/// details with a reminder, and no approval before requested documents have come.
pub fn parking_permit_workflow() -> crate::workflow::Workflow {
    crate::workflow::read_own(include_str!("../workflows/bewohnerparkausweis.json"))
        .expect("the demo's parking permit workflow is sound (tested)")
}

/// The civil-status certificate is looked up in the register and issued as an Urkunde,
/// which the catalog has posted as a paper original.
pub fn certificate_workflow() -> crate::workflow::Workflow {
    crate::workflow::read_own(include_str!("../workflows/personenstandsurkunde.json"))
        .expect("the demo's certificate workflow is sound (tested)")
}

async fn seed_workflows(db: &Db, tenant: &Tenant) -> Result<()> {
    let system = Actor::system("demo");
    let own = [
        ("bewohnerparkausweis", parking_permit_workflow()),
        ("personenstandsurkunde-bestellen", certificate_workflow()),
    ];
    for (service, workflow) in own {
        crate::workflow::installed::install(
            db,
            &system,
            &Origin::default(),
            tenant.id,
            service,
            &workflow,
        )
        .await?
        .map_err(|mistakes| crate::error::CoreError::Invalid(mistakes.join("; ")))?;
    }
    Ok(())
}

/// The city's app, as a public client: on the phone it comes back through its own
/// scheme; on a desktop (and in the browser test) through a loopback port.
pub const DEMO_APP: &str = "musterstadt-app";

async fn seed_app(db: &Db, tenant: &Tenant) -> Result<()> {
    let redirect_uris = [
        "de.musterstadt.app:/oauth".to_owned(),
        "http://127.0.0.1/oauth".to_owned(),
    ];
    let app = crate::app_access::NewClient {
        client_id: DEMO_APP,
        name: "Musterstadt-App",
        redirect_uris: &redirect_uris,
        scopes: &[],
    };
    let system = Actor::system("demo");
    crate::app_access::register(db, &system, &Origin::default(), tenant.id, app).await?;
    Ok(())
}

pub fn musterstadt() -> NewTenant {
    NewTenant {
        slug: DEMO_SLUG.into(),
        name: "Stadt Musterstadt".into(),
        reference_prefix: "MS".into(),
        hosts: vec!["musterstadt.localhost".into()],
        logo_svg: Some(COAT_OF_ARMS.into()),
        primary_color: "#004b87".into(),
        contact_address: "Rathausplatz 1\n12345 Musterstadt".into(),
        contact_phone: "+49 1234 5678-0".into(),
        contact_email: "buergerservice@musterstadt.example".into(),
        contact_hours: "Mo–Mi 8:00–16:00 Uhr\nDo 8:00–18:00 Uhr\nFr 8:00–12:00 Uhr".into(),
        imprint: IMPRINT.into(),
        privacy: PRIVACY.into(),
        accessibility: ACCESSIBILITY.into(),
        // The IBAN printed as the example in descriptions of the standard: a demo must
        // not name a town's real account.
        bank_details: Some("Stadtkasse Musterstadt · IBAN DE89 3704 0044 0532 0130 00".into()),
    }
}

/// A plain shield with a tower: Musterstadt's (invented) arms.
const COAT_OF_ARMS: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 120" role="img" aria-label="Wappen der Stadt Musterstadt"><path d="M5 5h90v55c0 30-20 48-45 55C25 108 5 90 5 60z" fill="#004b87" stroke="#00284a" stroke-width="3"/><path d="M30 95V50h8v-8h8v8h8v-8h8v8h8v45z" fill="#f2c500"/><rect x="44" y="72" width="12" height="23" rx="6" fill="#004b87"/></svg>"##;

const IMPRINT: &str = "Stadt Musterstadt\nRathausplatz 1\n12345 Musterstadt

Die Stadt Musterstadt ist eine Körperschaft des öffentlichen Rechts. Sie wird vertreten durch die Bürgermeisterin Erika Mustermann.

Telefon: +49 1234 5678-0\nE-Mail: buergerservice@musterstadt.example

Umsatzsteuer-Identifikationsnummer gemäß § 27a Umsatzsteuergesetz: DE000000000

Inhaltlich verantwortlich: Stadt Musterstadt, Hauptamt, Rathausplatz 1, 12345 Musterstadt.

Dies ist eine Demonstrationsinstallation von Rathaus. Musterstadt ist erfunden; Angaben und Anträge haben keine rechtliche Wirkung.";

const PRIVACY: &str = "Verantwortlich für die Verarbeitung personenbezogener Daten in diesem Portal ist die Stadt Musterstadt, Rathausplatz 1, 12345 Musterstadt. Unsere Datenschutzbeauftragte erreichen Sie unter datenschutz@musterstadt.example.

Wir verarbeiten Ihre Daten, um die von Ihnen beantragten Verwaltungsleistungen zu erbringen (Art. 6 Abs. 1 Buchst. c und e DSGVO in Verbindung mit dem jeweiligen Fachgesetz und dem Onlinezugangsgesetz).

Dieses Portal lädt keine Inhalte von fremden Servern: Schriften, Stylesheets und Bilder liefern wir selbst aus. Es setzt nur technisch notwendige Cookies, zum Beispiel für die gewählte Sprache und für die Anmeldung.

Jeder Zugriff von Mitarbeitenden auf Ihre Anträge wird protokolliert. Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung und Beschwerde bei der Aufsichtsbehörde für den Datenschutz.";

const ACCESSIBILITY: &str = "Die Stadt Musterstadt ist bemüht, dieses Portal im Einklang mit der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) barrierefrei zugänglich zu machen.

Stand der Vereinbarkeit: Dieses Portal ist mit den Anforderungen der BITV 2.0 und der WCAG 2.1 auf Stufe AA vereinbar. Alle Seiten funktionieren ohne JavaScript und lassen sich vollständig mit der Tastatur bedienen. Jede Seite wird automatisiert mit axe-core geprüft.

Diese Erklärung wurde am 22. November 2026 auf Grundlage einer Selbstbewertung erstellt.

Feedback und Kontakt: Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen? Schreiben Sie uns an barrierefreiheit@musterstadt.example oder rufen Sie uns an unter +49 1234 5678-0.

Schlichtungsverfahren: Wenn auch nach Ihrem Feedback keine zufriedenstellende Lösung gefunden wurde, können Sie sich an die Schlichtungsstelle nach § 16 Behindertengleichstellungsgesetz wenden.";

/// A demo staff login, printed when the demo starts. Demo only: the password and the
/// TOTP secret are published, so that anyone can try the staff area (with any
/// authenticator app, or `oathtool --totp -b SECRET`).
pub struct DemoStaff {
    pub email: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    /// Key of the role (table `roles`).
    pub role: &'static str,
    /// Keys of the departments the person works in.
    pub departments: &'static [&'static str],
    /// Base32 TOTP secret of the second factor.
    pub totp_secret: &'static str,
}

pub const DEMO_STAFF: [DemoStaff; 7] = [
    DemoStaff {
        email: "admin@musterstadt.example",
        password: "Demo-Admin-2026",
        name: "Anna Admin",
        role: "admin",
        departments: &[],
        totp_secret: "DEMOADMINMUSTERSTADTZWEIFAKTORAA",
    },
    DemoStaff {
        email: "pruefung@musterstadt.example",
        password: "Demo-Pruefung-2026",
        name: "Paul Prüfer",
        role: "auditor",
        departments: &[],
        totp_secret: "DEMOPRUEFUNGMUSTERSTADTZWEIFAKTO",
    },
    DemoStaff {
        email: "verkehr@musterstadt.example",
        password: "Demo-Verkehr-2026",
        name: "Vera Verkehr",
        role: "caseworker",
        departments: &["strassenverkehr"],
        totp_secret: "DEMOVERKEHRMUSTERSTADTZWEIFAKTOR",
    },
    DemoStaff {
        email: "post@musterstadt.example",
        password: "Demo-Post-2026",
        name: "Moritz Post",
        role: "mailroom",
        departments: &[],
        totp_secret: "DEMOPOSTSTELLEMUSTERSTADTZWEIFAK",
    },
    DemoStaff {
        email: "leitung.verkehr@musterstadt.example",
        password: "Demo-Leitung-2026",
        name: "Lena Leitung",
        role: "department_lead",
        departments: &["strassenverkehr"],
        totp_secret: "DEMOLEITUNGMUSTERSTADTZWEIFAKTOR",
    },
    DemoStaff {
        email: "finanzen@musterstadt.example",
        password: "Demo-Finanzen-2026",
        name: "Fiona Finanz",
        role: "finance",
        departments: &[],
        totp_secret: "DEMOFINANZENMUSTERSTADTZWEIFAKTO",
    },
    DemoStaff {
        email: "standesamt@musterstadt.example",
        password: "Demo-Standesamt-2026",
        name: "Sabine Standesamt",
        role: "caseworker",
        departments: &["standesamt"],
        totp_secret: "DEMOSTANDESAMTMUSTERSTADTZWEIFAK",
    },
];

/// Musterstadt's departments (key, name); the catalog's services name them. The traffic
/// department handles residential parking permits.
pub const DEMO_DEPARTMENTS: [(&str, &str); 15] = [
    ("buergerbuero", "Bürgerbüro"),
    ("standesamt", "Standesamt"),
    ("strassenverkehr", "Straßenverkehr und Parken"),
    ("bauaufsicht", "Bauaufsicht"),
    ("jugendamt", "Jugendamt"),
    ("soziales", "Soziales und Wohnen"),
    ("auslaenderbehoerde", "Ausländerbehörde und Einbürgerung"),
    ("gewerbe", "Gewerbe"),
    ("ordnung", "Ordnungsamt"),
    ("stadtkasse", "Stadtkasse und Steuern"),
    ("gesundheit", "Gesundheitsamt"),
    ("umwelt", "Umwelt und Abfall"),
    ("bibliothek", "Stadtbibliothek"),
    ("schulverwaltung", "Schulverwaltung"),
    ("friedhof", "Friedhofsverwaltung"),
];

/// Musterstadt's catalog: 18 life situations and about 400 services, written for the
/// demo (`catalog/demo/`; texts and fees are realistic, not any city's real ones).
const DEMO_CATALOG: [&str; 6] = [
    include_str!("../catalog/demo/lebenslagen.json"),
    include_str!("../catalog/demo/leistungen-buergerdienste.json"),
    include_str!("../catalog/demo/leistungen-verkehr-ordnung.json"),
    include_str!("../catalog/demo/leistungen-bauen-gewerbe.json"),
    include_str!("../catalog/demo/leistungen-familie-soziales.json"),
    include_str!("../catalog/demo/leistungen-ergaenzung.json"),
];

/// The demo catalog as one file.
pub fn demo_catalog() -> Result<CatalogFile> {
    let mut all = CatalogFile::default();
    for (i, text) in DEMO_CATALOG.iter().enumerate() {
        let part: CatalogFile = serde_json::from_str(text)
            .map_err(|e| crate::CoreError::Invalid(format!("demo catalog part {i}: {e}")))?;
        all.life_situations.extend(part.life_situations);
        all.services.extend(part.services);
    }
    Ok(all)
}

async fn seed_catalog(db: &Db, tenant: &Tenant) -> Result<()> {
    catalog::import(db, &demo_catalog()?).await?;
    catalog::enable(db, tenant.id, None).await?;
    Ok(())
}

async fn seed_departments(db: &Db, tenant: &Tenant) -> Result<()> {
    for (key, name) in DEMO_DEPARTMENTS {
        let system = Actor::system("demo");
        let created =
            departments::create(db, &system, &Origin::default(), tenant.id, key, name).await?;
        if !matches!(created, Created::Created(_)) {
            return Err(crate::CoreError::Invalid(format!("demo department {key}")));
        }
    }
    Ok(())
}

async fn seed_staff(db: &Db, tenant: &Tenant) -> Result<()> {
    for demo in DEMO_STAFF {
        let mut department_ids = Vec::new();
        for key in demo.departments {
            if let Some(department) = departments::by_key(db.conn(), tenant.id, key).await? {
                department_ids.push(department.id);
            }
        }
        let id = staff::create_user(
            db,
            &Actor::system("demo"),
            &Origin::default(),
            tenant.id,
            staff::NewStaffUser {
                email: demo.email,
                name: demo.name,
                password: demo.password,
                roles: &[demo.role.to_owned()],
                departments: &department_ids,
                initial_password: false,
            },
        )
        .await?;
        crate::second_factor::enrol_with(db.conn(), id, demo.totp_secret).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assistant_the_demo_catalog_names_is_built_in() {
        let forms = rathaus_forms::builtin::Registry::built_in().expect("definitions load");
        let catalog = demo_catalog().unwrap();
        let named: Vec<&str> = catalog
            .services
            .iter()
            .filter_map(|s| s.form.as_deref())
            .collect();
        assert!(named.len() >= 14, "{named:?}");
        for form in &named {
            assert!(forms.get(form).is_some(), "the catalog names '{form}'");
        }
        // Every built-in assistant but the general contact form belongs to a service.
        for id in forms.ids() {
            let used = named.contains(&id) || id == rathaus_forms::builtin::CONTACT_FORM;
            assert!(used, "'{id}' is offered by no service");
        }
    }

    #[test]
    fn the_certificate_is_issued_as_an_urkunde_on_paper() {
        let workflow = certificate_workflow();
        assert_eq!(workflow.check(), Vec::<String>::new());
        let issue = workflow.transition("ausstellen").unwrap();
        assert_eq!(issue.letter.as_deref(), Some("certificate"));
        assert!(issue.only_assignee && issue.needs_message);
        assert_eq!(workflow.phase(&issue.to), crate::workflow::Phase::Decided);
        let catalog = demo_catalog().unwrap();
        let service = catalog
            .services
            .iter()
            .find(|s| s.key == "personenstandsurkunde-bestellen")
            .unwrap();
        assert_eq!(service.delivery, crate::catalog::Delivery::Paper);
    }
}
