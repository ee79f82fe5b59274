//! The authorization matrix: every route of the router (from `rathaus_web::route_table`,
//! the table the router is built from) requested by every kind of visitor, and the
//! answer compared with what the route's access rule and the policy module allow. A
//! handler that forgets its check, or a route filed under the wrong rule, fails here.

use rathaus_core::actor::Actor;
use rathaus_core::policy;
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
    Citizen,
    /// Password given, second factor not yet.
    StaffPending,
    /// Staff with one built-in role (by key).
    Staff(&'static str),
    /// The admin of another municipality, with a valid session there.
    OtherTenantAdmin,
}

fn visitors() -> Vec<Visitor> {
    let mut all = vec![
        Visitor::Anonymous,
        Visitor::Citizen,
        Visitor::StaffPending,
        Visitor::OtherTenantAdmin,
    ];
    all.extend(BUILT_IN_ROLES.iter().map(|r| Visitor::Staff(r.key)));
    all
}

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{lang}", "en")
        .replace("{token}", "0000")
        .replace("{slug}", "unknown")
        .replace("{id}", &Uuid::nil().to_string())
        .replace("{member}", &Uuid::nil().to_string())
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Served,
    Forbidden,
    ToLogin,
}

fn outcome(response: &reqwest::Response) -> Outcome {
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

fn expected(access: Access, visitor: Visitor, people: &People) -> Outcome {
    match (access, visitor) {
        (Access::Public, _) => Outcome::Served,
        (Access::Citizen, Visitor::Citizen) => Outcome::Served,
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
    /// Role key, id, and the actor as loaded from the database (roles are data).
    staff: Vec<(&'static str, Uuid, Actor)>,
    other_tenant: Uuid,
    other_admin: Uuid,
}

impl People {
    fn staff_member(&self, role: &str) -> &(&'static str, Uuid, Actor) {
        self.staff.iter().find(|(r, _, _)| *r == role).unwrap()
    }
}

/// A fresh session for every request: some routes (logout) end the one they get.
async fn cookie(app: &TestApp, people: &People, visitor: Visitor) -> Option<String> {
    let (kind, id, name) = match visitor {
        Visitor::Anonymous => return None,
        Visitor::Citizen => (SubjectKind::Citizen, people.citizen, "rathaus_konto"),
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
            return Some(format!("rathaus_staff={token}"));
        }
    };
    let token = sessions::start(app.db().conn(), people.tenant, Subject { kind, id })
        .await
        .unwrap();
    Some(format!("{name}={token}"))
}

async fn request(app: &TestApp, route: &RouteInfo, cookie: Option<String>) -> reqwest::Response {
    let url = app.url(&concrete(route.path));
    let mut request = app.client.request(route.method.clone(), url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if route.method == reqwest::Method::POST {
        request = request.form(&[("leer", "")]);
    }
    request.send().await.unwrap()
}

async fn people(app: &TestApp) -> People {
    use rathaus_core::staff::create_user;
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
        let id = create_user(db, &system, &origin, tenant, matrix_staff(&email, &roles))
            .await
            .unwrap();
        let user = rathaus_store::entities::staff_user::Entity::find_by_id(id)
            .one(db.conn())
            .await
            .unwrap()
            .unwrap();
        let actor = rathaus_core::staff::actor(db.conn(), &user).await.unwrap();
        staff.push((role.key, id, actor));
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
    let registered = rathaus_core::citizens::register(
        db,
        &demo,
        "matrix@example.org",
        "Laterne Fahrrad Wolke",
        "de",
        "http://x",
        &origin,
    )
    .await
    .unwrap();
    assert!(registered.is_ok());
    use rathaus_store::entities::citizen;
    use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let citizen = citizen::Entity::find()
        .filter(citizen::Column::Email.eq("matrix@example.org"))
        .one(db.conn())
        .await
        .unwrap()
        .unwrap()
        .id;
    People {
        tenant,
        citizen,
        staff,
        other_tenant,
        other_admin,
    }
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
                let cookie = cookie(&app, &people, visitor).await;
                let response = request(&app, route, cookie).await;
                let got = outcome(&response);
                let want = expected(route.access, visitor, &people);
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
        app.stop().await;
    }
);
