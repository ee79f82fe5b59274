//! The department inbox (`/verwaltung/vorgaenge`): the views new, mine, waiting for the
//! applicant, overdue and all; search over reference, names, answers and letters;
//! filters by service and state; sorted by last change, arrival or deadline. 25 a page;
//! every link keeps the choices made.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use rathaus_core::cases::{self, Listing, Order, View, deadlines};
use rathaus_core::workflow;
use serde::Deserialize;

use super::StaffNav;
use super::cases::{INBOX, department_names, department_of, german_day};
use super::session::StaffSession;
use crate::applications::state_label;
use crate::assistant::local_time;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::paging::Pages;
use crate::state::AppState;

const PER_PAGE: usize = 25;

const VIEWS: [(&str, View, &str); 7] = [
    ("neu", View::New, "cases-view-new"),
    ("meine", View::Mine, "cases-view-mine"),
    ("team", View::Team, "cases-view-team"),
    ("wartend", View::Waiting, "cases-view-waiting"),
    ("ueberfaellig", View::Overdue, "cases-view-overdue"),
    ("wiedervorlage", View::Reminders, "cases-view-reminders"),
    ("alle", View::All, "cases-view-all"),
];

const ORDERS: [(&str, Order, &str); 3] = [
    ("geaendert", Order::Changed, "cases-order-changed"),
    ("eingang", Order::Received, "cases-order-received"),
    ("frist", Order::Due, "cases-order-due"),
];

#[derive(Deserialize)]
pub struct InboxQuery {
    ansicht: Option<String>,
    seite: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    leistung: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sortierung: String,
}

pub struct Tab {
    pub label: String,
    pub href: String,
    pub current: bool,
}

pub struct Row {
    pub reference: String,
    pub title: String,
    pub applicant: String,
    pub state: String,
    pub department: String,
    pub received: String,
    pub changed: String,
    pub due: String,
    pub overdue: bool,
    /// The deadline rests while the applicant is asked for something.
    pub resting: bool,
}

/// A choice of a filter: (value, label, chosen).
pub type Choice = (String, String, bool);

#[derive(Template, WebTemplate)]
#[template(path = "staff/cases.html")]
pub struct InboxPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    tabs: Vec<Tab>,
    /// The view shown (kept by the search form).
    view: String,
    search: String,
    services: Vec<Choice>,
    states: Vec<Choice>,
    orders: Vec<Choice>,
    count: String,
    rows: Vec<Row>,
    pages: Pages,
}

/// The inbox address with these choices (empty ones left out).
fn address(pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    format!("{INBOX}?{}", query.finish())
}

fn choices(options: Vec<(String, String)>, chosen: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| {
            let is = value == chosen;
            (value, label, is)
        })
        .collect()
}

pub async fn inbox(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(query): Query<InboxQuery>,
) -> Result<InboxPage, PageError> {
    let (key, view, _) = VIEWS
        .iter()
        .find(|(k, _, _)| Some(*k) == query.ansicht.as_deref())
        .copied()
        .unwrap_or(VIEWS[0]);
    let (order_key, order, _) = ORDERS
        .iter()
        .find(|(k, _, _)| *k == query.sortierung)
        .copied()
        .unwrap_or(ORDERS[0]);
    let offered = state.offered(chrome.tenant.id).await?;
    let service = offered.service(&query.leistung).map(|s| s.key.as_str());
    // The states of every workflow the town's cases follow, each once, named as its
    // first workflow names it.
    let workflows = workflow::installed::of_tenant(state.db.conn(), chrome.tenant.id).await?;
    let mut states: Vec<(String, String)> = Vec::new();
    for workflow in &workflows {
        for s in &workflow.states {
            if !states.iter().any(|(key, _)| *key == s.key) {
                states.push((s.key.clone(), state_label(&chrome, workflow, &s.key)));
            }
        }
    }
    let status = states
        .iter()
        .find(|(key, _)| *key == query.status)
        .map(|(key, _)| key.as_str());
    let search = query.q.trim().to_owned();
    let listing = Listing {
        view,
        search: Some(search.as_str()).filter(|s| !s.is_empty()),
        service,
        state: status,
        order,
    };
    let choices_made = [
        ("q", search.as_str()),
        ("leistung", service.unwrap_or("")),
        ("status", status.unwrap_or("")),
        (
            "sortierung",
            if order == Order::Changed {
                ""
            } else {
                order_key
            },
        ),
    ];
    let wanted: usize = query.seite.and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let conn = state.db.conn();
    let tenant = chrome.tenant.id;
    let actor = &session.actor;
    let limit = PER_PAGE as u64;
    let offset = |page: usize| (page.saturating_sub(1).saturating_mul(PER_PAGE)) as u64;
    let mut found = cases::inbox(conn, actor, tenant, listing, offset(wanted), limit).await?;
    let link = |page: usize| {
        let page = page.to_string();
        let mut pairs = vec![("ansicht", key)];
        pairs.extend(choices_made);
        pairs.push(("seite", &page));
        address(&pairs)
    };
    let pages = Pages::of(found.total as usize, PER_PAGE, wanted, link);
    if pages.current != wanted {
        found = cases::inbox(conn, actor, tenant, listing, offset(pages.current), limit).await?;
    }
    let names: HashMap<_, _> = department_names(&state, &chrome).await?;
    let now = chrono::Utc::now();
    let mut rows = Vec::with_capacity(found.cases.len());
    for case in &found.cases {
        let workflow = workflow::installed::of_case(conn, case).await?;
        rows.push(Row {
            reference: case.reference.clone(),
            title: case.title.clone(),
            applicant: case.applicant_name.clone(),
            state: state_label(&chrome, &workflow, &case.state),
            department: department_of(&chrome, &names, case),
            received: local_time(case.created_at),
            changed: local_time(case.updated_at),
            due: case.due_at.map(german_day).unwrap_or_default(),
            overdue: deadlines::is_overdue(case, now),
            resting: case.deadline_paused_at.is_some(),
        });
    }
    let tabs = VIEWS
        .iter()
        .map(|(k, _, label)| {
            let mut pairs = vec![("ansicht", *k)];
            pairs.extend(choices_made);
            Tab {
                label: chrome.t.get(label).to_owned(),
                href: address(&pairs),
                current: *k == key,
            }
        })
        .collect();
    let t = &chrome.t;
    let all = || (String::new(), t.get("cases-filter-all").to_owned());
    let services = std::iter::once(all())
        .chain(
            offered
                .all()
                .iter()
                .map(|s| (s.key.clone(), s.name.clone())),
        )
        .collect();
    let state_options = std::iter::once(all())
        .chain(states.iter().cloned())
        .collect();
    let orders = ORDERS
        .iter()
        .map(|(k, _, label)| ((*k).to_owned(), t.get(label).to_owned()))
        .collect();
    Ok(InboxPage {
        staff: StaffNav::of(&session.actor, tenant),
        count: if found.more {
            t.count("cases-count-more", found.total as usize)
        } else {
            t.count("cases-count", found.total as usize)
        },
        tabs,
        view: key.to_owned(),
        services: choices(services, service.unwrap_or("")),
        states: choices(state_options, status.unwrap_or("")),
        orders: choices(orders, order_key),
        search,
        rows,
        pages,
        chrome,
    })
}
