//! The authorization matrix: every route of the router (from `rathaus_web::route_table`,
//! the table the router is built from) requested by every kind of visitor, and the
//! answer compared with what the route's access rule and the policy module allow. A
//! handler that forgets its check, or a route filed under the wrong rule, fails here.

use rathaus_core::actor::Actor;
use rathaus_core::app_access::Scope;
use rathaus_core::letters;
use rathaus_core::policy::{self, OrganisationAction};
use rathaus_core::sessions::{self, Subject, SubjectKind};
use rathaus_core::staff::NewStaffUser;
use rathaus_web::{Access, RouteInfo};
use uuid::Uuid;

use rathaus_store::roles_seed::BUILT_IN_ROLES;

use crate::harness::TestApp;
use crate::on_both_backends;

#[derive(Clone, Copy, Debug)]
enum Visitor {
    Anonymous,
    /// Citizen A, admin of an organisation.
    Citizen,
    /// Another citizen, in no organisation.
    CitizenB,
    /// A plain member of citizen A's organisation.
    OrganisationMember,
    /// Password given, second factor not yet.
    StaffPending,
    /// Staff with one built-in role (by key) and no department, or a caseworker of a
    /// department (`DEPARTMENT_CASEWORKERS`).
    Staff(&'static str),
    /// The admin of another municipality, with a valid session there.
    OtherTenantAdmin,
    /// The city's app with a bearer token of citizen A (all scopes), of citizen B, and
    /// of citizen A granting `applications` only.
    App,
    AppOfCitizenB,
    AppNarrow,
}

impl Visitor {
    /// The scopes of the visitor's bearer token, if it is an app.
    fn app_scopes(self) -> Option<&'static [Scope]> {
        match self {
            Self::App | Self::AppOfCitizenB => Some(&Scope::ALL),
            Self::AppNarrow => Some(&[Scope::Applications]),
            _ => None,
        }
    }
}

fn visitors() -> Vec<Visitor> {
    let mut all = vec![
        Visitor::Anonymous,
        Visitor::Citizen,
        Visitor::CitizenB,
        Visitor::OrganisationMember,
        Visitor::StaffPending,
        Visitor::OtherTenantAdmin,
        Visitor::App,
        Visitor::AppOfCitizenB,
        Visitor::AppNarrow,
    ];
    all.extend(BUILT_IN_ROLES.iter().map(|r| Visitor::Staff(r.key)));
    all.extend(
        DEPARTMENT_CASEWORKERS
            .iter()
            .map(|(key, _)| Visitor::Staff(key)),
    );
    all
}

/// Caseworkers of a department (the case's, and another): (visitor key, department).
const DEPARTMENT_CASEWORKERS: [(&str, &str); 2] = [
    ("caseworker@strassenverkehr", "strassenverkehr"),
    ("caseworker@buergerbuero", "buergerbuero"),
];

/// A concrete path for a route pattern: the organisation routes get citizen A's real
/// organisation and the case routes citizen A's real case, so that they are checked
/// against a real object.
fn concrete(path: &str, people: &People) -> String {
    let id = if organisation_action(path).is_some() {
        people.organisation
    } else {
        Uuid::nil()
    };
    path.replace("{lang}", "en")
        .replace("{reference}", &people.case.reference)
        .replace("{file}", &people.case_file.to_string())
        .replace("{secret}", "0000")
        .replace("{token}", "0000")
        .replace("{slug}", "unknown")
        .replace("{id}", &id.to_string())
        .replace("{member}", &Uuid::nil().to_string())
        .replace("{item}", &Uuid::nil().to_string())
        .replace("{document}", &Uuid::nil().to_string())
        .replace("{payment}", &Uuid::nil().to_string())
        .replace("{notice}", &Uuid::nil().to_string())
        .replace("{code}", "K7QM-4XPD-2RBT")
}

/// What a route does with one organisation (`{id}`): every citizen route about an object
/// must be listed here, so that its object check is tested.
fn organisation_action(path: &str) -> Option<OrganisationAction> {
    match path {
        "/konto/organisationen/{id}" => Some(OrganisationAction::Use),
        "/konto/organisationen/{id}/einladen"
        | "/konto/organisationen/{id}/mitglieder/{member}/entfernen"
        | "/konto/organisationen/{id}/mitglieder/{member}/rolle" => {
            Some(OrganisationAction::ManageMembers)
        }
        _ => None,
    }
}

/// A route about one draft (`/entwurf/{id}…`): only its owner reaches it; for everyone
/// else it does not exist (404, not 403: the id is not even confirmed).
fn about_draft(path: &str) -> bool {
    path.starts_with("/entwurf/{id}")
}

/// A route about one case of citizen A by its reference: the applicant reaches it on
/// the citizen side, staff who may see the case (`policy::may_see_case`) on the staff
/// side; for everyone else it does not exist.
fn about_case(path: &str) -> bool {
    path.contains("{reference}")
}

/// A route about one app grant of citizen A (`/konto/apps/{id}…`): only she reaches it.
fn about_app_grant(path: &str) -> bool {
    path.starts_with("/konto/apps/{id}")
}

/// A staff route about one object other than a case. Each gets a real object of the
/// town hall, so that a permitted visitor must reach it (a 404 for everybody would hide
/// a broken check) and everyone else is refused with its id in hand.
#[derive(Clone, Copy, Debug, PartialEq)]
enum StaffObject {
    /// A member of staff nobody of the matrix is.
    Colleague,
    /// A passkey of another colleague: nobody else's to remove.
    ColleaguesPasskey,
    /// A job that failed for good.
    DeadJob,
    RoutingRule,
    /// A scanned letter.
    MailItem,
    /// A reminder on citizen A's case.
    Reminder,
    /// A letter issued in citizen A's case.
    IssuedDocument,
    /// A print batch with a paper letter of citizen A's case.
    PrintBatch,
    /// A document in the file of citizen A's case (an issued letter).
    FiledDocument,
    /// A paid payment of the town.
    Payment,
}

fn staff_object(path: &str) -> Option<StaffObject> {
    let object = match path {
        p if p.starts_with("/verwaltung/personal/{id}") => StaffObject::Colleague,
        "/verwaltung/sicherheit/passkeys/{id}/entfernen" => StaffObject::ColleaguesPasskey,
        "/verwaltung/auftraege/{id}/erneut" => StaffObject::DeadJob,
        p if p.starts_with("/verwaltung/zustaendigkeit/{id}") => StaffObject::RoutingRule,
        p if p.starts_with("/verwaltung/poststelle/{item}") => StaffObject::MailItem,
        p if p.starts_with("/verwaltung/vorgaenge/{reference}/wiedervorlage/{item}") => {
            StaffObject::Reminder
        }
        p if p.starts_with("/verwaltung/vorgaenge/{reference}/schreiben/{document}") => {
            StaffObject::IssuedDocument
        }
        p if p.starts_with("/verwaltung/postausgang/{id}") => StaffObject::PrintBatch,
        p if p.starts_with("/verwaltung/vorgaenge/{reference}/akte/{document}") => {
            StaffObject::FiledDocument
        }
        p if p.starts_with("/verwaltung/zahlungen/{payment}") => StaffObject::Payment,
        _ => return None,
    };
    Some(object)
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Served,
    Forbidden,
    ToLogin,
    NotFound,
    /// 401: the JSON API without a valid bearer token.
    Unauthorized,
    /// 5xx: never expected; a route that breaks on a visitor fails the matrix.
    Broken,
}

fn outcome(route: &RouteInfo, response: &reqwest::Response) -> Outcome {
    if response.status().is_server_error() {
        return Outcome::Broken;
    }
    let about_object = about_draft(route.path)
        || about_case(route.path)
        || about_app_grant(route.path)
        || staff_object(route.path).is_some();
    if about_object && response.status() == 404 {
        return Outcome::NotFound;
    }
    // Login pages answer a failed login with 401 too; only the API's 401 is a refusal.
    if matches!(route.access, Access::App(_)) && response.status() == 401 {
        return Outcome::Unauthorized;
    }
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("");
    if response.status() == 403 {
        Outcome::Forbidden
    } else if response.status().is_redirection()
        && (location.starts_with("/konto/anmelden") || location.starts_with("/verwaltung/anmelden"))
    {
        Outcome::ToLogin
    } else {
        Outcome::Served
    }
}

fn expected(route: &RouteInfo, visitor: Visitor, people: &People) -> Outcome {
    let allowed = expected_by_access(route, visitor, people);
    if allowed == Outcome::Served
        && staff_object(route.path) == Some(StaffObject::ColleaguesPasskey)
    {
        // Everybody may remove passkeys, but only their own.
        return Outcome::NotFound;
    }
    allowed
}

fn expected_by_access(route: &RouteInfo, visitor: Visitor, people: &People) -> Outcome {
    if let Access::App(scope) = route.access {
        // The scope is checked before the object: its lack says nothing about the case.
        return match visitor.app_scopes() {
            None => Outcome::Unauthorized,
            Some(scopes) if !scopes.contains(&scope) => Outcome::Forbidden,
            Some(_) if about_case(route.path) && matches!(visitor, Visitor::AppOfCitizenB) => {
                Outcome::NotFound
            }
            Some(_) => Outcome::Served,
        };
    }
    if visitor.app_scopes().is_some() {
        // Everywhere else a bearer token opens nothing: the app is a stranger there.
        return expected_by_access(route, Visitor::Anonymous, people);
    }
    if about_app_grant(route.path) {
        return match visitor {
            Visitor::Citizen => Outcome::Served,
            Visitor::CitizenB | Visitor::OrganisationMember => Outcome::NotFound,
            _ => Outcome::ToLogin,
        };
    }
    if about_draft(route.path) {
        return match visitor {
            // The matrix's drafts have no payments: the way back from one is not found
            // for anyone (tests/it/payments.rs takes it with a real payment).
            _ if route.path.contains("{payment}") => Outcome::NotFound,
            Visitor::Citizen => Outcome::Served,
            _ => Outcome::NotFound,
        };
    }
    if about_case(route.path) {
        return match (route.access, visitor) {
            // The status link with a wrong secret opens nothing for anybody.
            (Access::Public, _) => Outcome::NotFound,
            // A copy exists only of what was sent online; the matrix case was made by hand.
            (Access::Citizen, Visitor::Citizen)
                if route.path.ends_with("/kopie.pdf") && people.case.submission_id.is_none() =>
            {
                Outcome::NotFound
            }
            // The matrix case has no fee notice (tests/it/payments.rs pays a real one).
            (Access::Citizen, Visitor::Citizen) if route.path.contains("{notice}") => {
                Outcome::NotFound
            }
            (Access::Citizen, Visitor::Citizen) => Outcome::Served,
            (Access::Citizen, Visitor::CitizenB | Visitor::OrganisationMember) => Outcome::NotFound,
            (Access::Staff, Visitor::Staff(role)) => {
                if policy::may_see_case(&people.staff_member(role).2, &people.case) {
                    Outcome::Served
                } else {
                    Outcome::NotFound
                }
            }
            // The permission is checked first: its lack says nothing about the case.
            (Access::StaffWith(permission), Visitor::Staff(role)) => {
                let actor = &people.staff_member(role).2;
                if policy::require(actor, people.tenant, permission).is_err() {
                    Outcome::Forbidden
                } else if policy::may_see_case(actor, &people.case) {
                    Outcome::Served
                } else {
                    Outcome::NotFound
                }
            }
            _ => Outcome::ToLogin,
        };
    }
    // The inbox and new cases are for those with case work, whatever their permissions.
    if matches!(
        route.path,
        "/verwaltung/vorgaenge" | "/verwaltung/vorgaenge/neu" | "/verwaltung/dokumente"
    ) && let Visitor::Staff(role) = visitor
    {
        let actor = &people.staff_member(role).2;
        return match policy::case_scope(actor, people.tenant) {
            Ok(_) => Outcome::Served,
            Err(_) => Outcome::Forbidden,
        };
    }
    let citizen = matches!(
        visitor,
        Visitor::Citizen | Visitor::CitizenB | Visitor::OrganisationMember
    );
    if route.access == Access::Citizen && citizen {
        let role = match visitor {
            Visitor::Citizen => Some("admin"),
            Visitor::OrganisationMember => Some("member"),
            _ => None,
        };
        return match organisation_action(route.path) {
            Some(action) if policy::require_in_organisation(role, action).is_err() => {
                Outcome::Forbidden
            }
            _ => Outcome::Served,
        };
    }
    match (route.access, visitor) {
        (Access::Public, _) => Outcome::Served,
        (Access::StaffPending, Visitor::StaffPending) => Outcome::Served,
        (Access::Staff, Visitor::Staff(_)) => Outcome::Served,
        (Access::StaffWith(permission), Visitor::Staff(role)) => {
            let actor = &people.staff_member(role).2;
            if policy::require(actor, people.tenant, permission).is_ok() {
                Outcome::Served
            } else {
                Outcome::Forbidden
            }
        }
        _ => Outcome::ToLogin,
    }
}

struct People {
    tenant: Uuid,
    citizen: Uuid,
    citizen_b: Uuid,
    member: Uuid,
    /// Citizen A's organisation; `member` belongs to it.
    organisation: Uuid,
    /// A case of citizen A in the traffic department.
    case: rathaus_core::cases::Case,
    /// A file citizen A sent about it.
    case_file: Uuid,
    /// Role key, id, and the actor as loaded from the database (roles are data).
    staff: Vec<(&'static str, Uuid, Actor)>,
    other_tenant: Uuid,
    other_admin: Uuid,
    /// `Authorization` headers of the app visitors: A, B, A with `applications` only.
    app_tokens: [String; 3],
    /// The colleague of [`StaffObject::Colleague`].
    colleague: Uuid,
    passkey: Uuid,
    mail_item: Uuid,
}

impl People {
    fn staff_member(&self, role: &str) -> &(&'static str, Uuid, Actor) {
        self.staff.iter().find(|(r, _, _)| *r == role).unwrap()
    }
}

/// The header a visitor comes with: a fresh session cookie for every request (some
/// routes, like logout, end the one they get), or the app's bearer token.
async fn credentials(
    app: &TestApp,
    people: &People,
    visitor: Visitor,
) -> Option<(&'static str, String)> {
    let cookie = |value: String| Some(("cookie", value));
    let (kind, id, name) = match visitor {
        Visitor::Anonymous => return None,
        Visitor::App => return Some(("authorization", people.app_tokens[0].clone())),
        Visitor::AppOfCitizenB => return Some(("authorization", people.app_tokens[1].clone())),
        Visitor::AppNarrow => return Some(("authorization", people.app_tokens[2].clone())),
        Visitor::Citizen => (SubjectKind::Citizen, people.citizen, "rathaus_konto"),
        Visitor::CitizenB => (SubjectKind::Citizen, people.citizen_b, "rathaus_konto"),
        Visitor::OrganisationMember => (SubjectKind::Citizen, people.member, "rathaus_konto"),
        Visitor::StaffPending => (
            SubjectKind::StaffPending,
            people.staff[0].1,
            "rathaus_staff",
        ),
        Visitor::Staff(role) => (
            SubjectKind::Staff,
            people.staff_member(role).1,
            "rathaus_staff",
        ),
        Visitor::OtherTenantAdmin => {
            let subject = Subject {
                kind: SubjectKind::Staff,
                id: people.other_admin,
            };
            let token = sessions::start(app.db().conn(), people.other_tenant, subject)
                .await
                .unwrap();
            return cookie(format!("rathaus_staff={token}"));
        }
    };
    let token = sessions::start(app.db().conn(), people.tenant, Subject { kind, id })
        .await
        .unwrap();
    cookie(format!("{name}={token}"))
}

/// Citizen `who` lets the demo app in with `scopes`; returns the grant's code (and,
/// with `exchange`, the `Authorization` header of its access token instead).
async fn app_grant(app: &TestApp, tenant: Uuid, who: Uuid, scopes: &str, exchange: bool) -> String {
    use base64::Engine;
    use rathaus_core::app_access::{self, RequestParams};
    use rathaus_store::sea_orm::EntityTrait;
    use sha2::Digest;
    let verifier = "matrix-verifier-".repeat(4);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:5000/oauth";
    let params = RequestParams {
        response_type: Some("code".into()),
        client_id: Some(rathaus_core::demo::DEMO_APP.into()),
        redirect_uri: Some(redirect.into()),
        scope: Some(scopes.into()),
        code_challenge: Some(challenge),
        code_challenge_method: Some("S256".into()),
        state: None,
    };
    let db = app.db();
    let asked = app_access::check_request(db.conn(), tenant, &params)
        .await
        .unwrap()
        .unwrap();
    let account = rathaus_store::entities::citizen::Entity::find_by_id(who)
        .one(db.conn())
        .await
        .unwrap()
        .unwrap();
    let origin = rathaus_core::actor::Origin::default();
    let code = app_access::authorize(db, &account, &asked, &origin)
        .await
        .unwrap();
    if !exchange {
        return code;
    }
    let app_id = rathaus_core::demo::DEMO_APP;
    let tokens = app_access::exchange_code(db, tenant, app_id, &code, redirect, &verifier, &origin)
        .await
        .unwrap()
        .unwrap();
    format!("Bearer {}", tokens.access_token)
}

/// The id of a fresh grant of citizen A (one route ends the grant it gets).
async fn grant_of_citizen_a(app: &TestApp, people: &People) -> String {
    app_grant(app, people.tenant, people.citizen, "applications", false).await;
    use rathaus_store::entities::app_grant;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    app_grant::Entity::find()
        .filter(app_grant::Column::CitizenId.eq(people.citizen))
        .order_by_desc(app_grant::Column::Id)
        .one(app.db().conn())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn request(
    app: &TestApp,
    people: &People,
    route: &RouteInfo,
    credentials: Option<(&'static str, String)>,
) -> reqwest::Response {
    let mut path = concrete(route.path, people);
    if about_app_grant(route.path) {
        let grant = grant_of_citizen_a(app, people).await;
        path = path.replace(&Uuid::nil().to_string(), &grant);
    }
    if let Some(object) = staff_object(route.path) {
        let id = staff_object_for(app, people, object).await;
        path = path.replace(&Uuid::nil().to_string(), &id.to_string());
    }
    if about_draft(route.path) {
        // A fresh draft of citizen A for every request (one of them discards it).
        path = path
            .replace(
                &Uuid::nil().to_string(),
                &draft_of_citizen_a(app, people).await,
            )
            .replace("{step}", "person");
    }
    let url = app.url(&path);
    let mut request = app.client.request(route.method.clone(), url);
    if let Some((name, value)) = credentials {
        request = request.header(name, value);
    }
    if route.method == reqwest::Method::POST {
        request = request.form(&[("leer", "")]);
    }
    request.send().await.unwrap()
}

/// The object for one request: fresh where a request may use it up (a rule removed, a
/// job queued again, a reminder done).
async fn staff_object_for(app: &TestApp, people: &People, object: StaffObject) -> Uuid {
    use rathaus_store::sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let db = app.db();
    match object {
        StaffObject::Colleague => people.colleague,
        StaffObject::ColleaguesPasskey => people.passkey,
        StaffObject::MailItem => people.mail_item,
        StaffObject::DeadJob => {
            use rathaus_store::jobs::{self, NewJob};
            let job =
                NewJob::new("matrix.nothing", serde_json::json!({})).for_tenant(people.tenant);
            use rathaus_store::entities::job as stored;
            use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
            let id = jobs::enqueue(db.conn(), vec![job]).await.unwrap()[0];
            stored::Entity::update_many()
                .col_expr(stored::Column::State, Expr::value("dead"))
                .filter(stored::Column::Id.eq(id))
                .exec(db.conn())
                .await
                .unwrap();
            id
        }
        StaffObject::RoutingRule => {
            use rathaus_store::entities::routing_rule;
            let id = Uuid::now_v7();
            let traffic = people.case.department_id.unwrap();
            routing_rule::ActiveModel {
                id: Set(id),
                tenant_id: Set(people.tenant),
                service_key: Set("bewohnerparkausweis".into()),
                position: Set(1000 + (id.as_u128() % 100_000) as i32),
                condition: Set(String::new()),
                department_id: Set(traffic),
                label: Set("Matrix".into()),
                created_at: Set(chrono::Utc::now()),
                team_id: Set(None),
            }
            .insert(db.conn())
            .await
            .unwrap();
            id
        }
        StaffObject::Reminder => {
            let caseworker = &people.staff_member(DEPARTMENT_CASEWORKERS[0].0).2;
            let origin = rathaus_core::actor::Origin::default();
            let today = chrono::Utc::now().date_naive();
            rathaus_core::cases::reminders::set(
                db,
                caseworker,
                &origin,
                &people.case,
                today,
                "Matrix",
            )
            .await
            .unwrap()
            .unwrap()
        }
        StaffObject::IssuedDocument => issued_letter(app, people, letters::Channel::Postbox).await,
        StaffObject::Payment => {
            use rathaus_store::entities::payment;
            let id = Uuid::now_v7();
            let now = chrono::Utc::now();
            payment::ActiveModel {
                id: Set(id),
                tenant_id: Set(people.tenant),
                draft_id: Set(Uuid::now_v7()),
                submission_id: Set(None),
                owner: Set("matrix".into()),
                service_key: Set("bewohnerparkausweis".into()),
                purpose: Set("Bewohnerparkausweis".into()),
                description: Set("Matrix".into()),
                amount_cents: Set(3000),
                currency: Set("EUR".into()),
                items: Set("[]".into()),
                provider: Set("sandbox".into()),
                request_id: Set(id),
                transaction_id: Set(Some(format!("SBX-{id}"))),
                pay_url: Set(None),
                reference: Set(Some("KZ-MATRIX".into())),
                method: Set(Some("CREDITCARD".into())),
                state: Set("paid".into()),
                problem: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                paid_at: Set(Some(now)),
                checked_at: Set(None),
                fee_notice_id: Set(None),
                sending: Set(None),
            }
            .insert(db.conn())
            .await
            .unwrap();
            id
        }
        StaffObject::FiledDocument => {
            use rathaus_store::entities::document;
            use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let letter = issued_letter(app, people, letters::Channel::Postbox).await;
            document::Entity::find()
                .filter(document::Column::SourceId.eq(letter))
                .one(db.conn())
                .await
                .unwrap()
                .expect("the letter is in the file")
                .id
        }
        StaffObject::PrintBatch => {
            issued_letter(app, people, letters::Channel::Paper).await;
            letters::print::collect(
                db,
                &app.server.blobs,
                &rathaus_letters::Renderer::new(),
                &Actor::system("test"),
                &rathaus_core::actor::Origin::default(),
                people.tenant,
                None,
            )
            .await
            .unwrap()
            .unwrap()
        }
    }
}

/// A decision issued in citizen A's case by its caseworker, going out by `channel`.
async fn issued_letter(app: &TestApp, people: &People, channel: letters::Channel) -> Uuid {
    use rathaus_core::letters::{Desk, Input, Kind};
    let db = app.db();
    let caseworker = &people.staff_member(DEPARTMENT_CASEWORKERS[0].0).2;
    let tenant = rathaus_core::tenants::by_id(db.conn(), people.tenant)
        .await
        .unwrap()
        .unwrap();
    let renderer = rathaus_letters::Renderer::new();
    let desk = Desk {
        renderer: &renderer,
        blobs: &app.server.blobs,
        sealer: &app.server.sealer,
        verify_page: &app.url("/verify"),
    };
    let input = Input {
        text: "Matrix".into(),
        zone: None,
        fee_cents: None,
    };
    let case = &people.case;
    let prepared = letters::prepare(
        db.conn(),
        desk,
        &tenant,
        case,
        caseworker,
        Kind::Decision,
        &input,
    )
    .await
    .unwrap()
    .unwrap();
    letters::record(
        db.conn(),
        &tenant,
        case,
        caseworker,
        prepared,
        channel,
        None,
    )
    .await
    .unwrap()
}

async fn draft_of_citizen_a(app: &TestApp, people: &People) -> String {
    use rathaus_core::drafts::{self, NewDraft, Owner};
    let forms = rathaus_forms::builtin::Registry::built_in().unwrap();
    let form = forms.get("bewohnerparkausweis").unwrap();
    let new = NewDraft {
        tenant_id: people.tenant,
        service_key: "bewohnerparkausweis",
        form: &form,
        owner: &Owner::Citizen(people.citizen),
        answers: Default::default(),
    };
    let origin = rathaus_core::actor::Origin::default();
    let keep = chrono::Duration::days(1);
    let draft = drafts::create(app.db(), new, keep, &Actor::system("test"), &origin)
        .await
        .unwrap();
    draft.id.to_string()
}

async fn people(app: &TestApp) -> People {
    use rathaus_core::staff::create_user;
    use rathaus_store::sea_orm::EntityTrait;
    let db = app.db();
    let tenant = rathaus_core::tenants::by_slug(db.conn(), rathaus_core::demo::DEMO_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let system = Actor::system("test");
    let origin = rathaus_core::actor::Origin::default();
    let mut staff = Vec::new();
    for role in BUILT_IN_ROLES {
        let email = format!("{}@matrix.example", role.key);
        let roles = [role.key.to_owned()];
        let (id, actor) = matrix_member(db, tenant, matrix_staff(&email, &roles)).await;
        staff.push((role.key, id, actor));
    }
    for (key, department) in DEPARTMENT_CASEWORKERS {
        let department = rathaus_core::departments::by_key(db.conn(), tenant, department)
            .await
            .unwrap()
            .unwrap()
            .id;
        let email = format!("{}@matrix.example", key.replace('@', "."));
        let roles = ["caseworker".to_owned()];
        let mut new = matrix_staff(&email, &roles);
        let departments = [department];
        new.departments = &departments;
        let (id, actor) = matrix_member(db, tenant, new).await;
        staff.push((key, id, actor));
    }

    let mut elsewhere = rathaus_core::demo::musterstadt();
    elsewhere.slug = "anderstadt".into();
    elsewhere.name = "Stadt Anderstadt".into();
    elsewhere.hosts = vec!["anderstadt.localhost".into()];
    let other_tenant = rathaus_core::tenants::create(db, &system, &origin, elsewhere)
        .await
        .unwrap()
        .id;
    let roles = ["admin".to_owned()];
    let new = matrix_staff("admin@anderstadt.example", &roles);
    let other_admin = create_user(db, &system, &origin, other_tenant, new)
        .await
        .unwrap();
    let demo = rathaus_core::tenants::by_id(db.conn(), tenant)
        .await
        .unwrap()
        .unwrap();
    let citizen = matrix_citizen(db, &demo, "matrix@example.org").await;
    let citizen_b = matrix_citizen(db, &demo, "matrix-b@example.org").await;
    let member = matrix_citizen(db, &demo, "matrix-member@example.org").await;
    let admin_account = rathaus_store::entities::citizen::Entity::find_by_id(citizen)
        .one(db.conn())
        .await
        .unwrap()
        .unwrap();
    let organisation =
        rathaus_core::organisations::create(db, &admin_account, "Matrix GmbH", &origin)
            .await
            .unwrap()
            .unwrap()
            .id;
    use rathaus_store::entities::organisation_member;
    use rathaus_store::sea_orm::ActiveValue::Set;
    organisation_member::Entity::insert(organisation_member::ActiveModel {
        organisation_id: Set(organisation),
        citizen_id: Set(member),
        role: Set("member".into()),
        joined_at: Set(chrono::Utc::now()),
    })
    .exec_without_returning(db.conn())
    .await
    .unwrap();
    let case = case_of_citizen_a(db, tenant, citizen).await;
    let case_file = file_of_case(app, &case).await;
    let (colleague, _) = matrix_member(
        db,
        tenant,
        matrix_staff("colleague@matrix.example", &["caseworker".to_owned()]),
    )
    .await;
    // Its owner is not the colleague the staff directory routes change (resetting the
    // second factor there removes passkeys, as it should).
    let roles = ["caseworker".to_owned()];
    let (owner, _) = matrix_member(db, tenant, matrix_staff("owner@matrix.example", &roles)).await;
    let passkey = passkey_of(db, owner).await;
    let mailroom = &staff.iter().find(|(r, _, _)| *r == "mailroom").unwrap().2;
    let mail_item = letter_in_the_mailroom(app, mailroom, tenant).await;
    let all = "applications postbox";
    let app_tokens = [
        app_grant(app, tenant, citizen, all, true).await,
        app_grant(app, tenant, citizen_b, all, true).await,
        app_grant(app, tenant, citizen, "applications", true).await,
    ];
    People {
        tenant,
        citizen,
        citizen_b,
        member,
        organisation,
        case,
        case_file,
        staff,
        other_tenant,
        other_admin,
        app_tokens,
        colleague,
        passkey,
        mail_item,
    }
}

/// A passkey row of `staff_id` (its key material is never used: nobody logs in with it).
async fn passkey_of(db: &rathaus_store::Db, staff_id: Uuid) -> Uuid {
    use rathaus_store::entities::staff_passkey;
    use rathaus_store::sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let id = Uuid::now_v7();
    staff_passkey::ActiveModel {
        id: Set(id),
        staff_id: Set(staff_id),
        credential_id: Set("bWF0cml4".into()),
        name: Set("Matrix-Schlüssel".into()),
        passkey: Set("{}".into()),
        created_at: Set(chrono::Utc::now()),
        last_used_at: Set(None),
    }
    .insert(db.conn())
    .await
    .unwrap();
    id
}

/// A scanned letter, taken in by the mailroom.
async fn letter_in_the_mailroom(app: &TestApp, mailroom: &Actor, tenant: Uuid) -> Uuid {
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let scans = vec![("brief.pdf".to_owned(), pdf.to_vec().into())];
    let origin = rathaus_core::actor::Origin::default();
    let blobs = &app.server.blobs;
    rathaus_core::mailroom::paper::receive(app.db(), blobs, mailroom, &origin, tenant, scans)
        .await
        .unwrap()
        .unwrap()[0]
}

async fn case_of_citizen_a(
    db: &rathaus_store::Db,
    tenant: Uuid,
    citizen: Uuid,
) -> rathaus_core::cases::Case {
    use rathaus_core::cases::{self, NewCase};
    let traffic = rathaus_core::departments::by_key(db.conn(), tenant, "strassenverkehr")
        .await
        .unwrap();
    let new = NewCase {
        tenant_id: tenant,
        reference: "MS-2026-MTRX2",
        submission_id: None,
        service_key: "bewohnerparkausweis",
        title: "Bewohnerparkausweis",
        department: traffic.as_ref(),
        rule: None,
        team_id: None,
        due_at: None,
        citizen_id: Some(citizen),
        organisation_id: None,
        applicant_name: "Matrix",
        answers: None,
    };
    cases::open(db.conn(), new).await.unwrap();
    cases::by_reference(db.conn(), tenant, "MS-2026-MTRX2")
        .await
        .unwrap()
        .unwrap()
}

async fn file_of_case(app: &TestApp, case: &rathaus_core::cases::Case) -> Uuid {
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let files = vec![("nachweis.pdf".to_owned(), pdf.to_vec().into())];
    let blobs = &app.server.blobs;
    rathaus_core::postbox::reply_from_applicant(app.db(), blobs, case, "Matrix", "", files)
        .await
        .unwrap()
        .unwrap();
    let messages: Vec<Uuid> = rathaus_core::postbox::of_case(app.db().conn(), case.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    rathaus_core::postbox::files_of(app.db().conn(), &messages)
        .await
        .unwrap()[0]
        .id
}

async fn matrix_citizen(
    db: &rathaus_store::Db,
    tenant: &rathaus_core::tenants::Tenant,
    email: &str,
) -> Uuid {
    use rathaus_store::entities::citizen;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let origin = rathaus_core::actor::Origin::default();
    let registered = rathaus_core::citizens::register(
        db,
        tenant,
        email,
        "Laterne Fahrrad Wolke",
        "de",
        "http://x",
        &origin,
    )
    .await
    .unwrap();
    assert!(registered.is_ok());
    citizen::Entity::find()
        .filter(citizen::Column::Email.eq(email))
        .one(db.conn())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Creates the member of staff; returns the id and the actor as loaded from the
/// database (roles are data).
async fn matrix_member(
    db: &rathaus_store::Db,
    tenant: Uuid,
    new: NewStaffUser<'_>,
) -> (Uuid, Actor) {
    use rathaus_store::sea_orm::EntityTrait;
    let (system, origin) = (
        Actor::system("test"),
        rathaus_core::actor::Origin::default(),
    );
    let id = rathaus_core::staff::create_user(db, &system, &origin, tenant, new)
        .await
        .unwrap();
    let user = rathaus_store::entities::staff_user::Entity::find_by_id(id)
        .one(db.conn())
        .await
        .unwrap()
        .unwrap();
    (
        id,
        rathaus_core::staff::actor(db.conn(), &user).await.unwrap(),
    )
}

fn matrix_staff<'a>(email: &'a str, roles: &'a [String]) -> NewStaffUser<'a> {
    NewStaffUser {
        email,
        name: &roles[0],
        password: "matrix-password-123",
        roles,
        departments: &[],
        initial_password: false,
    }
}

on_both_backends!(
    every_route_answers_every_visitor_as_the_policy_says,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let people = people(&app).await;
        // The case is the traffic department's: its caseworker reaches it, the other not.
        let [(of_traffic, _), (of_elsewhere, _)] = DEPARTMENT_CASEWORKERS;
        assert!(policy::may_see_case(
            &people.staff_member(of_traffic).2,
            &people.case
        ));
        assert!(!policy::may_see_case(
            &people.staff_member(of_elsewhere).2,
            &people.case
        ));
        let table = rathaus_web::route_table();
        assert!(
            table.len() > 30,
            "the table holds the whole router ({} routes)",
            table.len()
        );
        let mut seen = std::collections::HashSet::new();
        let mut wrong = Vec::new();
        for route in &table {
            assert!(
                seen.insert((route.method.clone(), route.path)),
                "{} {} twice",
                route.method,
                route.path
            );
            for visitor in visitors() {
                let credentials = credentials(&app, &people, visitor).await;
                let response = request(&app, &people, route, credentials).await;
                let got = outcome(route, &response);
                let want = expected(route, visitor, &people);
                if got != want {
                    wrong.push(format!(
                        "{} {} as {visitor:?}: expected {want:?}, got {got:?} ({})",
                        route.method,
                        route.path,
                        response.status()
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // Nobody removed the colleague's passkey.
        let passkeys = app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM staff_passkeys")
            .await;
        assert_eq!(passkeys.as_deref(), Some("1"));
        // A route about an object must say how its object is checked.
        for route in &table {
            let citizen_side = !route.path.starts_with("/verwaltung");
            let about_object = route.path.contains("{reference}")
                || route.path.contains("{id}")
                || route.path.contains("{item}");
            let organisation_member = citizen_side && organisation_action(route.path).is_some();
            assert!(
                !about_object
                    || organisation_member
                    || about_draft(route.path)
                    || about_case(route.path)
                    || about_app_grant(route.path)
                    || staff_object(route.path).is_some(),
                "{} {} is about an object but missing from the matrix",
                route.method,
                route.path
            );
        }
        app.stop().await;
    }
);
