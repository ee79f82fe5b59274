//! Teams within departments, on both databases: an admin adds them (bad input gets its
//! message) and puts staff in them, a case is given to a team by hand or by a routing
//! rule, "Mein Team" lists the team's open cases, and a team leaves with its department.

use rathaus_core::actor::{Actor, Origin};
use rathaus_core::mailroom::routing::{self, Added, NewRule};
use rathaus_store::entities::{case, staff_user, team};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, session};
use crate::submissions::sent_application;

async fn department(app: &TestApp, key: &str) -> Uuid {
    let tenant = rathaus_core::tenants::by_slug(app.db().conn(), rathaus_core::demo::DEMO_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    rathaus_core::departments::by_key(app.db().conn(), tenant, key)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn team_id(app: &TestApp, key: &str) -> Uuid {
    let found = team::Entity::find().filter(team::Column::Key.eq(key));
    found.one(app.db().conn()).await.unwrap().unwrap().id
}

pub async fn the_case(app: &TestApp, reference: &str) -> case::Model {
    let found = case::Entity::find().filter(case::Column::Reference.eq(reference));
    found.one(app.db().conn()).await.unwrap().unwrap()
}

async fn team_view(app: &TestApp, cookie: &str) -> String {
    let page = app
        .get_as(cookie, "/verwaltung/vorgaenge?ansicht=team")
        .await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

on_both_backends!(
    cases_go_to_teams_by_hand_and_by_rule,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let admin = session(&app, ADMIN).await;
        let traffic = department(&app, "strassenverkehr").await;
        let office = department(&app, "buergerbuero").await;

        // Adding teams: each mistake has its message, nothing is stored then.
        let add = |department: Uuid, name: &'static str, key: &'static str| {
            let form = [
                ("team_department", department.to_string()),
                ("team_name", name.to_owned()),
                ("team_key", key.to_owned()),
            ];
            let (app, admin) = (&app, &admin);
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_as(admin, "/verwaltung/fachdienste/teams", &form)
                    .await
            }
        };
        let nameless = add(traffic, " ", "bewohnerparken").await;
        assert_eq!(nameless.status(), 422);
        assert!(nameless.text().await.unwrap().contains("Namen des Teams"));
        let nowhere = add(Uuid::now_v7(), "Irgendwo", "irgendwo").await;
        assert_eq!(nowhere.status(), 422);
        assert!(
            nowhere
                .text()
                .await
                .unwrap()
                .contains("Wählen Sie einen Fachdienst")
        );
        assert_eq!(
            team::Entity::find()
                .all(app.db().conn())
                .await
                .unwrap()
                .len(),
            0
        );
        let added = add(traffic, "Bewohnerparken", "bewohnerparken").await;
        assert_eq!(added.status(), 303);
        let twice = add(traffic, "Noch einmal", "bewohnerparken").await;
        assert_eq!(twice.status(), 422);
        assert!(twice.text().await.unwrap().contains("schon ein Team"));
        assert_eq!(add(office, "Meldewesen", "meldewesen").await.status(), 303);
        let listed = app
            .get_as(&admin, "/verwaltung/fachdienste")
            .await
            .text()
            .await
            .unwrap();
        assert!(listed.contains("Bewohnerparken") && listed.contains("Meldewesen"));
        let parking = team_id(&app, "bewohnerparken").await;
        let registry = team_id(&app, "meldewesen").await;

        // Vera joins the parking team; a team of a department she is not in is dropped.
        let vera_id = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq("verkehr@musterstadt.example"))
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap()
            .id;
        let (traffic_id, parking_id, registry_id) = (
            traffic.to_string(),
            parking.to_string(),
            registry.to_string(),
        );
        let access = [
            ("rollen", "caseworker"),
            ("fachdienste", traffic_id.as_str()),
            ("teams", parking_id.as_str()),
            ("teams", registry_id.as_str()),
        ];
        let saved = app
            .post_as(&admin, &format!("/verwaltung/personal/{vera_id}"), &access)
            .await;
        assert_eq!(saved.status(), 303);
        assert_eq!(
            rathaus_core::teams::of_staff(app.db().conn(), vera_id)
                .await
                .unwrap(),
            [parking]
        );
        let vera = session(&app, CASEWORKER).await;

        // By hand: not a team of another department; then the team's view lists it.
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        assert!(!team_view(&app, &vera).await.contains(&reference));
        let case_path = format!("/verwaltung/vorgaenge/{reference}");
        let give = |team: Uuid, version: i32| {
            let form = [("version", version.to_string()), ("team", team.to_string())];
            let (app, vera, path) = (&app, &vera, format!("{case_path}/team"));
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_as(vera, &path, &form).await
            }
        };
        let wrong = give(registry, 1).await;
        assert_eq!(wrong.status(), 422);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("Team des Fachdienstes")
        );
        assert_eq!(give(parking, 1).await.status(), 303);
        assert_eq!(the_case(&app, &reference).await.team_id, Some(parking));
        assert!(team_view(&app, &vera).await.contains(&reference));
        let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        assert!(page.contains("Team festgelegt") && page.contains("Bei Team: Bewohnerparken"));
        let stale = give(parking, 1).await;
        let to = stale.headers()["location"].to_str().unwrap();
        assert!(
            to.ends_with("konflikt=1"),
            "an old page is a conflict: {to}"
        );
        assert!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'case.team'")
                .await
                .is_some()
        );

        // Handed to another department, the case leaves the team.
        let version = the_case(&app, &reference).await.version.to_string();
        let handed = app
            .post_as(
                &vera,
                &format!("{case_path}/abgeben"),
                &[
                    ("version", version.as_str()),
                    ("fachdienst", "buergerbuero"),
                    ("grund", "Gehört zum Meldewesen"),
                ],
            )
            .await;
        assert_eq!(handed.status(), 303);
        assert_eq!(the_case(&app, &reference).await.team_id, None);

        // By rule: a rule may name a team of its department only.
        let tenant = the_case(&app, &reference).await.tenant_id;
        let offered = rathaus_core::catalog::Offered::load(app.db().conn(), tenant)
            .await
            .unwrap();
        let service = offered.service("bewohnerparkausweis").unwrap().clone();
        let forms = rathaus_forms::builtin::Registry::built_in().unwrap();
        let form = forms.get("bewohnerparkausweis").unwrap();
        let (system, origin) = (Actor::system("test"), Origin::default());
        let rule = |team: Uuid| NewRule {
            service: &service,
            form: &form,
            condition: "",
            department_id: traffic,
            team_id: Some(team),
            label: "Alle Bewohnerparkausweise",
        };
        let refused = routing::add(app.db(), &system, &origin, tenant, rule(registry))
            .await
            .unwrap();
        assert_eq!(refused, Added::TeamUnknown);
        let added = routing::add(app.db(), &system, &origin, tenant, rule(parking))
            .await
            .unwrap();
        assert!(matches!(added, Added::Added(_)));
        let routed = sent_application(&app, &erika).await;
        assert_eq!(the_case(&app, &routed).await.team_id, Some(parking));
        assert!(team_view(&app, &vera).await.contains(&routed));
        app.stop().await;
    }
);
