//! Staff login through the city's own OpenID provider (a real `oidc-provider` process
//! standing in for Keycloak): groups decide roles and departments at every login, a
//! login without the directory's second factor continues with ours, and people in no
//! mapped group get nothing.

use rathaus_core::identity::{self, Audience, GroupMapping, NewProvider};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::external_login::{EIDAS_LEVELS, browser, location, through_provider_from};
use crate::harness::{OidcProvider, TestApp};
use crate::on_both_backends;

const SLUG: &str = "stadt-login";
const START: &str = "/verwaltung/anmelden/extern/stadt-login?weiter=/verwaltung/protokoll";

async fn setup(backend: rathaus_store::Backend) -> (TestApp, OidcProvider, uuid::Uuid) {
    let app = TestApp::start(backend).await;
    let provider = OidcProvider::start(&format!(
        "{}/verwaltung/anmelden/extern/{SLUG}/rueckkehr",
        app.base
    ));
    let tenant = rathaus_core::tenants::by_slug(app.db().conn(), rathaus_core::demo::DEMO_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    identity::add_provider(
        app.db(),
        &app.server.sealer,
        tenant,
        NewProvider {
            slug: SLUG,
            name: "Stadt-Login",
            issuer: &provider.issuer,
            client_id: "rathaus",
            client_secret: "rathaus-test-secret",
            scopes: &["email", "profile", "groups"],
            acr_levels: EIDAS_LEVELS,
            claims: Default::default(),
            audience: Audience::Staff,
            groups: GroupMapping {
                claim: "groups",
                roles: &[
                    ("rathaus-verkehr", "caseworker"),
                    ("rathaus-admins", "admin"),
                ],
                departments: &[("rathaus-verkehr", "strassenverkehr")],
            },
        },
    )
    .await
    .unwrap();
    (app, provider, tenant)
}

async fn count(app: &TestApp, sql: &str) -> String {
    app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM {sql}"))
        .await
        .unwrap()
}

/// Logs `person` in at the provider and opens the app's return URL.
async fn sso(
    app: &TestApp,
    provider: &OidcProvider,
    client: &reqwest::Client,
    person: &str,
) -> reqwest::Response {
    let back = through_provider_from(client, app, provider, START, person).await;
    client.get(&back).send().await.unwrap()
}

on_both_backends!(
    staff_log_in_through_the_city_directory_with_roles_from_groups,
    |backend| async move {
        let (app, provider, tenant) = setup(backend).await;
        // The login page offers the city's login, and keeps where the person wanted to go.
        let page = app
            .get("/verwaltung/anmelden?weiter=/verwaltung/protokoll")
            .await;
        let page = page.text().await.unwrap();
        assert!(page.contains("Anmelden mit Stadt-Login"));
        assert!(
            page.contains("/verwaltung/anmelden/extern/stadt-login?weiter=/verwaltung/protokoll")
        );

        // Stefan logged in with the directory's second factor: in at once, as caseworker
        // of the traffic department (created at his first login).
        let client = browser();
        let back = sso(&app, &provider, &client, "stefan").await;
        assert_eq!(back.status(), 303);
        assert_eq!(location(&back, ""), "/verwaltung/protokoll");
        let home = client.get(app.url("/verwaltung")).send().await.unwrap();
        assert_eq!(home.status(), 200);
        assert!(home.text().await.unwrap().contains("Stefan Straße"));
        let user = rathaus_store::entities::staff_user::Entity::find()
            .filter(
                rathaus_store::entities::staff_user::Column::Email
                    .eq("stefan.strasse@musterstadt.example"),
            )
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        let actor = rathaus_core::staff::actor(app.db().conn(), &user)
            .await
            .unwrap();
        let traffic = rathaus_core::departments::by_key(app.db().conn(), tenant, "strassenverkehr")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(actor.roles, ["caseworker"]);
        assert_eq!(actor.departments, [traffic.id]);
        // A caseworker may not read the audit log, whatever the way in.
        let audit = client
            .get(app.url("/verwaltung/protokoll"))
            .send()
            .await
            .unwrap();
        assert_eq!(audit.status(), 403);

        // The directory moves Stefan's group to department lead: the next login says so,
        // and the change is audited.
        let set = "UPDATE identity_providers SET group_roles = \
                   '{\"rathaus-verkehr\":[\"department_lead\"]}'";
        use rathaus_store::sea_orm::{ConnectionTrait, Statement};
        let db = app.db().conn();
        db.execute_raw(Statement::from_string(db.get_database_backend(), set))
            .await
            .unwrap();
        let again = browser();
        assert_eq!(sso(&app, &provider, &again, "stefan").await.status(), 303);
        let roles = app
            .scalar("SELECT roles AS v FROM staff_users WHERE email = 'stefan.strasse@musterstadt.example'")
            .await;
        assert_eq!(roles.as_deref(), Some("department_lead"));
        assert_eq!(
            count(&app, "audit_log WHERE action = 'staff.roles_changed'").await,
            "1"
        );
        assert_eq!(
            count(&app, "staff_identities").await,
            "1",
            "linked once, found again"
        );
        app.stop().await;
    }
);

on_both_backends!(
    a_directory_login_without_second_factor_continues_with_ours,
    |backend| async move {
        let (app, provider, _) = setup(backend).await;
        let client = browser();
        let back = sso(&app, &provider, &client, "berta").await;
        assert_eq!(back.status(), 303);
        assert_eq!(
            location(&back, ""),
            "/verwaltung/anmelden/code?weiter=/verwaltung/protokoll"
        );
        // Only the second-factor step is open; as a new account, Berta sets it up.
        let pending = client.get(app.url("/verwaltung")).send().await.unwrap();
        assert_eq!(pending.status(), 303);
        let code = client
            .get(app.url("/verwaltung/anmelden/code"))
            .send()
            .await
            .unwrap();
        assert!(
            code.text()
                .await
                .unwrap()
                .contains("Zweiten Faktor einrichten")
        );
        assert_eq!(
            count(&app, "audit_log WHERE action = 'staff.login_sso'").await,
            "1"
        );
        app.stop().await;
    }
);

on_both_backends!(
    people_in_no_mapped_group_and_the_wrong_audience_get_nothing,
    |backend| async move {
        let (app, provider, _) = setup(backend).await;
        let client = browser();
        let refused = sso(&app, &provider, &client, "gustav").await;
        assert_eq!(refused.status(), 403);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("nicht freigeschaltet")
        );
        assert_eq!(
            count(
                &app,
                "staff_users WHERE email = 'gustav@musterstadt.example'"
            )
            .await,
            "0"
        );
        assert_eq!(
            count(&app, "audit_log WHERE action = 'staff.sso_refused'").await,
            "1"
        );
        // The staff provider is no way into a citizen account, and the other way round.
        assert_eq!(
            app.get(&format!("/konto/anmelden/extern/{SLUG}"))
                .await
                .status(),
            404
        );
        let citizens = app.get("/konto/anmelden").await.text().await.unwrap();
        assert!(!citizens.contains("Stadt-Login"));
        // A replayed return is refused.
        let stefan = browser();
        let back = through_provider_from(&stefan, &app, &provider, START, "stefan").await;
        assert_eq!(stefan.get(&back).send().await.unwrap().status(), 303);
        let replay = browser().get(&back).send().await.unwrap();
        assert_eq!(replay.status(), 403);
        app.stop().await;
    }
);
