//! The mailroom's routing rules for admins (`/verwaltung/zustaendigkeit`): the rules per
//! service in the order they are tried, a form to add one, and the trial "which
//! department would get this?" with typed answers or with an application already
//! received. The rules themselves live in `rathaus_core::mailroom::routing`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::audit::{self, Event};
use rathaus_core::catalog::Service;
use rathaus_core::mailroom::routing::{self, Added, NewRule, Reason, Routed};
use rathaus_core::policy::{self, Permission};
use rathaus_core::{cases, departments, submissions};
use rathaus_forms::expr::Type;
use serde::Deserialize;
use uuid::Uuid;

use super::session::StaffSession;
use super::{StaffNav, admin_only};
use crate::assistant::{form_of, today};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::request_origin::RequestOrigin;
use crate::routes::{Access::StaffWith, Routes};
use crate::state::AppState;

pub const PAGE: &str = "/verwaltung/zustaendigkeit";
const TRIAL: &str = "/verwaltung/zustaendigkeit/probe";

pub fn routes() -> Routes {
    let admin = StaffWith(Permission::ManageTenant);
    Routes::default()
        .get(PAGE, admin, list)
        .post(PAGE, admin, add)
        .post("/verwaltung/zustaendigkeit/{id}/hoch", admin, raise)
        .post("/verwaltung/zustaendigkeit/{id}/loeschen", admin, remove)
        .get(TRIAL, admin, trial)
}

pub struct Row {
    pub id: Uuid,
    pub service: String,
    pub label: String,
    pub condition: String,
    pub department: String,
    pub first: bool,
    /// Why the rule is skipped: its condition no longer fits the service's form.
    pub broken: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/routing.html")]
pub struct RoutingPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    rows: Vec<Row>,
    fields: Vec<Field>,
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
    services: Vec<(String, String)>,
}

#[derive(Default, Deserialize)]
pub struct NewRuleForm {
    #[serde(default)]
    leistung: String,
    #[serde(default)]
    bezeichnung: String,
    #[serde(default)]
    bedingung: String,
    #[serde(default)]
    fachdienst: String,
    /// A team's id, or empty.
    #[serde(default)]
    team: String,
}

/// The services applied for online, by name: (key, name).
async fn online_services(state: &AppState, tenant_id: Uuid) -> Result<Vec<Service>, PageError> {
    let offered = state.offered(tenant_id).await?;
    Ok(offered.all().iter().filter(|s| s.online).cloned().collect())
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    typed: &NewRuleForm,
) -> Result<RoutingPage, PageError> {
    admin_only(&chrome, session)?;
    let tenant = chrome.tenant.id;
    let conn = state.db.conn();
    let services = online_services(state, tenant).await?;
    let by_key: HashMap<&str, &Service> = services.iter().map(|s| (s.key.as_str(), s)).collect();
    let all_departments = departments::of_tenant(conn, tenant).await?;
    let department_names: HashMap<Uuid, &str> = all_departments
        .iter()
        .map(|d| (d.id, d.name.as_str()))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    for rule in routing::of_tenant(conn, tenant).await? {
        let service = by_key.get(rule.service_key.as_str());
        let broken = match service {
            Some(service) => {
                let form = form_of(state, tenant, service).await?;
                routing::compile(&form, &rule.condition).err()
            }
            None => Some(chrome.t.get("routing-service-gone").to_owned()),
        };
        rows.push(Row {
            first: rows.last().is_none_or(|r| r.service != rule.service_key),
            id: rule.id,
            service: rule.service_key.clone(),
            label: rule.label,
            condition: rule.condition,
            department: department_names
                .get(&rule.department_id)
                .map_or_else(String::new, |n| (*n).to_owned()),
            broken,
        });
    }
    for row in &mut rows {
        if let Some(service) = by_key.get(row.service.as_str()) {
            row.service = service.name.clone();
        }
    }
    let service_options: Vec<(String, String)> = services
        .iter()
        .map(|s| (s.key.clone(), s.name.clone()))
        .collect();
    let department_options = all_departments
        .iter()
        .map(|d| (d.key.clone(), d.name.clone()))
        .collect();
    let team_options =
        std::iter::once((String::new(), chrome.t.get("cases-team-no-team").to_owned()))
            .chain(
                rathaus_core::teams::of_tenant(conn, tenant)
                    .await?
                    .into_iter()
                    .filter_map(|t| {
                        let department = department_names.get(&t.department_id)?;
                        Some((t.id.to_string(), format!("{department}: {}", t.name)))
                    }),
            )
            .collect();
    let t = &chrome.t;
    let fields = vec![
        Field::new("leistung", t.get("routing-service"), "select")
            .options(service_options.clone())
            .value(&typed.leistung),
        Field::new("bezeichnung", t.get("routing-label"), "text")
            .hint(t.get("routing-label-hint"))
            .value(&typed.bezeichnung),
        Field::new("bedingung", t.get("routing-condition"), "textarea")
            .hint(t.get("routing-condition-hint"))
            .value(&typed.bedingung),
        Field::new("fachdienst", t.get("routing-department"), "select")
            .options(department_options)
            .value(&typed.fachdienst),
        Field::new("team", t.get("routing-team"), "select")
            .hint(t.get("routing-team-hint"))
            .options(team_options)
            .value(&typed.team),
    ];
    Ok(RoutingPage {
        staff: StaffNav::of(&session.actor, tenant),
        chrome,
        rows,
        fields,
        errors: Vec::new(),
        done: None,
        services: service_options,
    })
}

#[derive(Deserialize)]
pub struct Done {
    erledigt: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(done): Query<Done>,
) -> Result<RoutingPage, PageError> {
    let message = match done.erledigt.as_deref() {
        Some("angelegt") => Some("routing-added"),
        Some("verschoben") => Some("routing-raised"),
        Some("geloescht") => Some("routing-removed"),
        _ => None,
    }
    .map(|key| chrome.t.get(key).to_owned());
    let mut page = page(&state, chrome, &session, &NewRuleForm::default()).await?;
    page.done = message;
    Ok(page)
}

pub async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(typed): Form<NewRuleForm>,
) -> Result<Response, PageError> {
    admin_only(&chrome, &session)?;
    let tenant = chrome.tenant.id;
    let conn = state.db.conn();
    let service = online_services(&state, tenant)
        .await?
        .into_iter()
        .find(|s| s.key == typed.leistung);
    let department = departments::by_key(conn, tenant, &typed.fachdienst).await?;
    let problem = match (&service, &department) {
        (None, _) => Some((
            "leistung",
            chrome.t.get("routing-service-missing").to_owned(),
        )),
        (_, None) => Some((
            "fachdienst",
            chrome.t.get("routing-department-missing").to_owned(),
        )),
        (Some(service), Some(department)) => {
            let form = form_of(&state, tenant, service).await?;
            let rule = NewRule {
                service,
                form: &form,
                condition: &typed.bedingung,
                department_id: department.id,
                team_id: uuid::Uuid::parse_str(&typed.team).ok(),
                label: &typed.bezeichnung,
            };
            match routing::add(&state.db, &session.actor, &origin, tenant, rule).await? {
                Added::Added(_) => {
                    return Ok(Redirect::to(&format!("{PAGE}?erledigt=angelegt")).into_response());
                }
                Added::LabelMissing => Some((
                    "bezeichnung",
                    chrome.t.get("routing-label-missing").to_owned(),
                )),
                Added::LabelTooLong => Some((
                    "bezeichnung",
                    chrome.t.get("routing-label-too-long").to_owned(),
                )),
                Added::DepartmentUnknown => Some((
                    "fachdienst",
                    chrome.t.get("routing-department-missing").to_owned(),
                )),
                Added::TeamUnknown => {
                    Some(("team", chrome.t.get("routing-team-unknown").to_owned()))
                }
                Added::ConditionInvalid(mistake) => Some((
                    "bedingung",
                    chrome
                        .t
                        .fmt("routing-condition-invalid", &[("mistake", &mistake)]),
                )),
            }
        }
    };
    let (field, message) = problem.expect("every other outcome returned");
    let mut page = page(&state, chrome, &session, &typed).await?;
    if let Some(f) = page.fields.iter_mut().find(|f| f.name == field) {
        f.error = Some(message.clone());
    }
    page.errors.push((field, message));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn raise(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Redirect, PageError> {
    routing::raise(&state.db, &session.actor, &origin, chrome.tenant.id, id).await?;
    Ok(Redirect::to(&format!("{PAGE}?erledigt=verschoben")))
}

pub async fn remove(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Redirect, PageError> {
    routing::remove(&state.db, &session.actor, &origin, chrome.tenant.id, id).await?;
    Ok(Redirect::to(&format!("{PAGE}?erledigt=geloescht")))
}

/// One input of the trial: a field the service's rules read.
pub struct TrialInput {
    pub name: String,
    pub label: String,
    pub hint: &'static str,
    pub value: String,
    pub unfit: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/routing_trial.html")]
pub struct TrialPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    services: Vec<(String, String)>,
    service: Option<(String, String)>,
    inputs: Vec<TrialInput>,
    reference: String,
    errors: Vec<(String, String)>,
    /// The answer: which department, and why.
    outcome: Option<String>,
}

/// The name of the inputs of typed answers: `feld.anschrift.plz`.
const FIELD_PREFIX: &str = "feld.";

/// "Which department would get this?": a service with typed answers for the fields its
/// rules read, or the reference of an application received, tried against the rules as
/// they are now. Nothing is changed.
pub async fn trial(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<TrialPage, PageError> {
    admin_only(&chrome, &session)?;
    let tenant = chrome.tenant.id;
    let conn = state.db.conn();
    let asked = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let services = online_services(&state, tenant).await?;
    let mut page = TrialPage {
        staff: StaffNav::of(&session.actor, tenant),
        services: services
            .iter()
            .map(|s| (s.key.clone(), s.name.clone()))
            .collect(),
        service: None,
        inputs: Vec::new(),
        reference: asked("aktenzeichen"),
        errors: Vec::new(),
        outcome: None,
        chrome,
    };
    if !page.reference.is_empty() {
        let reference = page.reference.to_uppercase();
        // Only a case the person may see: the answer says something about its content.
        let seen = cases::by_reference(conn, tenant, &reference)
            .await?
            .filter(|case| policy::may_see_case(&session.actor, case));
        let received = match &seen {
            Some(case) => match case.submission_id {
                Some(id) => submissions::read(conn, tenant, id).await?,
                None => None,
            },
            None => None,
        };
        if let Some(case) = &seen {
            let event = Event::new("case.routing_tried", "case").object(case.id);
            audit::record_now(&state.db, &session.actor, &origin, event).await?;
        }
        let service = received
            .as_ref()
            .and_then(|r| services.iter().find(|s| s.key == r.row.service_key));
        match (received, service) {
            (Some(received), Some(service)) => {
                let routed = routing::route(
                    conn,
                    tenant,
                    service,
                    &received.form,
                    &received.answers,
                    today(),
                )
                .await?;
                page.outcome = Some(outcome_text(&page.chrome, &routed));
            }
            _ => page.errors.push((
                "aktenzeichen".into(),
                page.chrome
                    .t
                    .get("routing-trial-reference-unknown")
                    .to_owned(),
            )),
        }
        return Ok(page);
    }
    let Some(service) = services.iter().find(|s| s.key == asked("leistung")) else {
        return Ok(page);
    };
    page.service = Some((service.key.clone(), service.name.clone()));
    let form = form_of(&state, tenant, service).await?;
    let read = routing::fields_read(conn, tenant, &service.key, &form).await?;
    let typed: Vec<(String, String)> = read
        .iter()
        .map(|field| (field.clone(), asked(&format!("{FIELD_PREFIX}{field}"))))
        .collect();
    let labels = field_labels(&form, page.chrome.t.lang().code());
    let answers = routing::trial_answers(&form, &typed);
    let unfit = answers.as_ref().err().cloned().unwrap_or_default();
    page.inputs = typed
        .into_iter()
        .map(|(field, value)| TrialInput {
            label: labels.get(&field).cloned().unwrap_or_else(|| field.clone()),
            hint: type_hint(form.rule_type(&field)),
            unfit: unfit.contains(&field),
            name: format!("{FIELD_PREFIX}{field}"),
            value,
        })
        .collect();
    for input in page.inputs.iter().filter(|i| i.unfit) {
        let message = page
            .chrome
            .t
            .fmt("routing-trial-unfit", &[("field", &input.label)]);
        page.errors.push((input.name.clone(), message));
    }
    if let Ok(answers) = answers
        && asked("pruefen") == "1"
    {
        let routed = routing::route(conn, tenant, service, &form, &answers, today()).await?;
        page.outcome = Some(outcome_text(&page.chrome, &routed));
    }
    Ok(page)
}

/// The labels of the form's fields and their parts, as the applicant read them.
fn field_labels(form: &rathaus_forms::definition::Form, lang: &str) -> HashMap<String, String> {
    let mut labels = HashMap::new();
    for step in &form.definition.steps {
        for field in step.fields() {
            let label = field.label.get(lang).to_owned();
            for part in field.kind.parts() {
                labels.insert(format!("{}.{part}", field.id), format!("{label} ({part})"));
            }
            labels.insert(field.id.clone(), label);
        }
    }
    labels
}

/// How to type a value of this type.
fn type_hint(ty: Option<Type>) -> &'static str {
    match ty {
        Some(Type::Number) => "routing-trial-hint-number",
        Some(Type::Money) => "routing-trial-hint-money",
        Some(Type::Date) => "routing-trial-hint-date",
        Some(Type::Bool) => "routing-trial-hint-yes-no",
        Some(Type::List) => "routing-trial-hint-list",
        _ => "routing-trial-hint-text",
    }
}

fn outcome_text(chrome: &Chrome, routed: &Routed) -> String {
    let t = &chrome.t;
    match (&routed.department, &routed.reason) {
        (Some(department), Reason::Rule { label, .. }) => t.fmt(
            "routing-trial-by-rule",
            &[("department", &department.name), ("rule", label)],
        ),
        (Some(department), _) => t.fmt(
            "routing-trial-by-catalog",
            &[("department", &department.name)],
        ),
        (None, _) => t.get("routing-trial-nobody").to_owned(),
    }
}
