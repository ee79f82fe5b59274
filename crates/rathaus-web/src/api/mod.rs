//! The JSON API for the city's app and other systems: the service catalog and the form
//! definitions, so that an app renders the same assistants as the portal. Documented in
//! the OpenAPI description at `/api/openapi.json` (utoipa); errors are RFC 9457
//! `application/problem+json`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rathaus_core::catalog::{LifeSituation, Service};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::{Access::Public, Routes};
use crate::state::AppState;

mod bearer;
mod mine;
mod oauth;

use bearer::SecurityAddon;
pub(crate) use oauth::scope_texts;

pub fn routes() -> Routes {
    Routes::default()
        .merge(oauth::routes())
        .merge(mine::routes())
        .get("/api/openapi.json", Public, openapi)
        .get("/api/v1/life-situations", Public, life_situations)
        .get("/api/v1/services", Public, services)
        .get("/api/v1/services/{key}", Public, service)
        .get("/api/v1/services/{key}/form", Public, service_form)
        .get("/api/v1/schemas/form-definition.json", Public, form_schema)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rathaus API",
        description = "Service catalog and form assistants of a Rathaus town hall, and, for \
an app acting for a citizen (OAuth 2 authorization code flow with PKCE, see \
`/.well-known/oauth-authorization-server`), the citizen's applications and postbox.",
        license(name = "EUPL-1.2")
    ),
    paths(
        life_situations,
        services,
        service,
        service_form,
        form_schema,
        mine::applications,
        mine::application,
        mine::messages,
        mine::send_message
    ),
    components(schemas(
        mine::ApplicationList,
        mine::ApplicationSummary,
        mine::Application,
        mine::Step,
        mine::SentFile,
        mine::Fee,
        mine::MessageList,
        mine::ApiMessage,
        mine::MessageSent,
        LifeSituation,
        Service,
        ServiceSummary,
        ServiceList,
        FormOfService,
        Problem
    )),
    modifiers(&SecurityAddon)
)]
pub struct ApiDoc;

/// An error as RFC 9457 describes it.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` for plain HTTP statuses).
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// A refused API request, answered as an RFC 9457 problem.
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: Option<String>,
    /// `WWW-Authenticate` for refusals of the bearer token (RFC 6750).
    challenge: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, title: &'static str, detail: Option<String>) -> Self {
        Self {
            status,
            title,
            detail,
            challenge: None,
        }
    }

    pub(crate) fn challenge(mut self, challenge: String) -> Self {
        self.challenge = Some(challenge);
        self
    }
}

impl From<PageError> for ApiError {
    fn from(e: PageError) -> Self {
        let (status, title, detail) = match e {
            PageError::NotFound | PageError::UnknownHost => {
                (StatusCode::NOT_FOUND, "Not found", None)
            }
            PageError::Forbidden(why) => (StatusCode::FORBIDDEN, "Forbidden", Some(why)),
            PageError::BadRequest(why) => (StatusCode::BAD_REQUEST, "Bad request", Some(why)),
            PageError::Conflict(what) => (StatusCode::CONFLICT, "Conflict", Some(what)),
            PageError::Internal(why) => {
                tracing::error!(%why, "api request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal error", None)
            }
        };
        Self::new(status, title, detail)
    }
}

impl From<rathaus_core::CoreError> for ApiError {
    fn from(e: rathaus_core::CoreError) -> Self {
        PageError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank".into(),
            title: self.title.into(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(value) = self
            .challenge
            .and_then(|c| header::HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The life situations (Lebenslagen) the catalog is ordered by.
#[utoipa::path(get, path = "/api/v1/life-situations", responses(
    (status = 200, body = [LifeSituation])
))]
async fn life_situations(State(state): State<AppState>) -> ApiResult<Vec<LifeSituation>> {
    let all = state.catalog.life_situations(state.db.conn()).await?;
    Ok(Json(all.as_ref().clone()))
}

/// A service in lists: enough to show it and to link its details.
#[derive(Serialize, ToSchema)]
pub struct ServiceSummary {
    key: String,
    name: String,
    summary: String,
    life_situations: Vec<String>,
    /// Can be applied for online.
    online: bool,
    /// The assistant's form id; without one the general contact form is offered.
    form: Option<String>,
    /// Lowest trust level of the login needed (`basis` … `hoch`).
    min_trust: String,
}

impl From<Service> for ServiceSummary {
    fn from(s: Service) -> Self {
        Self {
            key: s.key,
            name: s.name,
            summary: s.summary,
            life_situations: s.life_situations,
            online: s.online,
            form: s.form,
            min_trust: s.min_trust,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ServiceList {
    count: usize,
    services: Vec<ServiceSummary>,
}

#[derive(Deserialize, IntoParams)]
pub struct ServiceQuery {
    /// Words to search for (German word forms are found: "Umzügen" finds "Umzug").
    q: Option<String>,
    /// Only the services of this life situation (its key).
    life_situation: Option<String>,
}

/// The services this town hall offers: all, those of a life situation, or a search.
#[utoipa::path(get, path = "/api/v1/services", params(ServiceQuery), responses(
    (status = 200, body = ServiceList)
))]
async fn services(
    State(state): State<AppState>,
    chrome: Chrome,
    Query(query): Query<ServiceQuery>,
) -> ApiResult<ServiceList> {
    let offered = state.offered(chrome.tenant.id).await?;
    let found = match (query.q.as_deref().map(str::trim), &query.life_situation) {
        (Some(q), _) if !q.is_empty() => {
            let q: String = q.chars().take(200).collect();
            offered.search(&q, 0, 100).services
        }
        (_, Some(situation)) => offered.in_life_situation(situation),
        _ => offered.all().to_vec(),
    };
    let services: Vec<ServiceSummary> = found.into_iter().map(Into::into).collect();
    Ok(Json(ServiceList {
        count: services.len(),
        services,
    }))
}

async fn offered(state: &AppState, chrome: &Chrome, key: &str) -> Result<Service, ApiError> {
    state
        .offered(chrome.tenant.id)
        .await?
        .service(key)
        .cloned()
        .ok_or(ApiError::from(PageError::NotFound))
}

/// Everything about one service: texts, documents, fees, trust level, department.
#[utoipa::path(get, path = "/api/v1/services/{key}",
    params(("key" = String, Path, description = "The service's key, e.g. bewohnerparkausweis")),
    responses((status = 200, body = Service), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn service(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(key): Path<String>,
) -> ApiResult<Service> {
    Ok(Json(offered(&state, &chrome, &key).await?))
}

#[derive(Serialize, ToSchema)]
pub struct FormOfService {
    service: String,
    /// The form definition as described by `/api/v1/schemas/form-definition.json`:
    /// steps, fields, rules (in the rule language), computed values.
    #[schema(value_type = Object)]
    form: serde_json::Value,
}

/// The form assistant of a service (its own, or the general contact form), for an app
/// to render the same steps, help texts and rules as the portal.
#[utoipa::path(get, path = "/api/v1/services/{key}/form",
    params(("key" = String, Path, description = "The service's key")),
    responses((status = 200, body = FormOfService), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn service_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(key): Path<String>,
) -> ApiResult<FormOfService> {
    let service = offered(&state, &chrome, &key).await?;
    let form = crate::assistant::form_of(&state, chrome.tenant.id, &service).await?;
    // The `$schema` of a file names a path in the repository; the API names its own.
    let mut definition = form.definition.clone();
    definition.schema = Some("/api/v1/schemas/form-definition.json".into());
    let definition = serde_json::to_value(&definition)
        .map_err(|e| ApiError::from(PageError::Internal(e.to_string())))?;
    Ok(Json(FormOfService {
        service: service.key,
        form: definition,
    }))
}

/// The JSON Schema of form definitions.
#[utoipa::path(get, path = "/api/v1/schemas/form-definition.json", responses(
    (status = 200, description = "JSON Schema (draft 2020-12)", body = Object)
))]
async fn form_schema() -> Json<serde_json::Value> {
    Json(rathaus_forms::definition::json_schema())
}
