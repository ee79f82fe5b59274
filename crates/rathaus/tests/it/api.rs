//! The JSON API on both databases: the catalog and the form definitions as the city's
//! app reads them, errors as RFC 9457 problems, and an OpenAPI description that names
//! every API route.

use serde_json::Value;

use crate::harness::TestApp;
use crate::on_both_backends;

async fn json(app: &TestApp, path: &str) -> (u16, String, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, kind, response.json().await.unwrap())
}

on_both_backends!(
    the_catalog_and_its_assistants_are_readable_as_json,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let (status, _, all) = json(&app, "/api/v1/services").await;
        assert_eq!(status, 200);
        let count = all["count"].as_u64().unwrap();
        assert!(count >= 400, "{count}");
        assert_eq!(all["services"].as_array().unwrap().len() as u64, count);

        let (_, _, found) = json(&app, "/api/v1/services?q=Bewohnerparkausweise").await;
        let keys: Vec<&str> = found["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap())
            .collect();
        assert!(keys.contains(&"bewohnerparkausweis"), "{keys:?}");
        let (_, _, traffic) = json(&app, "/api/v1/services?life_situation=auto-verkehr").await;
        let traffic = traffic["services"].as_array().unwrap();
        assert!(!traffic.is_empty() && (traffic.len() as u64) < count);
        assert!(traffic.iter().all(|s| {
            s["life_situations"]
                .as_array()
                .unwrap()
                .contains(&"auto-verkehr".into())
        }));

        let (status, _, parking) = json(&app, "/api/v1/services/bewohnerparkausweis").await;
        assert_eq!(status, 200);
        assert_eq!(parking["fee_cents"], 3000);
        assert_eq!(parking["form"], "bewohnerparkausweis");

        // The assistant as the portal has it: an app can load and check it the same way.
        let (_, _, form) = json(&app, "/api/v1/services/bewohnerparkausweis/form").await;
        assert_eq!(
            form["form"]["$schema"],
            "/api/v1/schemas/form-definition.json"
        );
        let definition = serde_json::from_value(form["form"].clone()).unwrap();
        let checked = rathaus_forms::definition::compile(definition).unwrap();
        assert_eq!(checked.definition.steps.len(), 3);
        // Without an assistant: the general contact form.
        let (_, _, contact) = json(&app, "/api/v1/services/visum-verlaengern/form").await;
        assert_eq!(contact["form"]["id"], "kontaktformular");

        let (status, kind, problem) = json(&app, "/api/v1/services/gibt-es-nicht/form").await;
        assert_eq!((status, kind.as_str()), (404, "application/problem+json"));
        assert_eq!(problem["status"], 404);
        assert_eq!(problem["title"], "Not found");

        let (_, _, schema) = json(&app, "/api/v1/schemas/form-definition.json").await;
        assert_eq!(schema, rathaus_forms::definition::json_schema());
        let (_, _, situations) = json(&app, "/api/v1/life-situations").await;
        assert!(situations.as_array().unwrap().len() >= 15);
        app.stop().await;
    }
);

on_both_backends!(
    the_openapi_description_names_every_api_route,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let (status, _, spec) = json(&app, "/api/openapi.json").await;
        assert_eq!(status, 200);
        assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
        let paths = spec["paths"].as_object().unwrap();
        for route in rathaus_web::route_table() {
            if route.path.starts_with("/api/v1/") {
                let documented = &paths
                    .get(route.path)
                    .unwrap_or_else(|| panic!("{} is not in the OpenAPI description", route.path))
                    [route.method.as_str().to_lowercase()];
                assert!(documented.is_object(), "{} {}", route.method, route.path);
            }
        }
        assert!(spec["components"]["schemas"]["Service"].is_object());
        app.stop().await;
    }
);
