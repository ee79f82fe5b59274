//! Every route of the application, with who may use it.
//!
//! The router is built from these tables only, so the list is complete by construction;
//! the authorization matrix test (`tests/it/authorization.rs`) walks it and checks each
//! route with each kind of visitor against the policy.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{get, post};
use rathaus_core::app_access::Scope;
use rathaus_core::policy::Permission;

use crate::state::AppState;

/// Who may use a route. The handler enforces it (extractors and `policy`); this says
/// what the matrix test expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: public pages, login and registration, links sent by e-mail.
    Public,
    /// A logged-in citizen.
    Citizen,
    /// A member of staff between password and second factor.
    StaffPending,
    /// Any logged-in member of staff.
    Staff,
    /// Staff whose roles grant this permission.
    StaffWith(Permission),
    /// An app with a citizen's bearer token granting this scope (JSON API; cookies
    /// open nothing here).
    App(Scope),
}

#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// A router together with its table.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }
}

impl Routes {
    fn add(mut self, method: Method, path: &'static str, access: Access) -> Self {
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H, T>(mut self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, get(handler));
        self.add(Method::GET, path, access)
    }

    pub fn post<H, T>(mut self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, post(handler));
        self.add(Method::POST, path, access)
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}
