//! A copy of an application as PDF (`/konto/antraege/{reference}/kopie.pdf`): what was
//! sent, in words as the check page showed it, with the reference and the time, for
//! the applicant's own files. Only the applicant gets it (and, for an application made
//! for an organisation, its members).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rathaus_core::plain_pdf::{self, Document};
use rathaus_core::submissions;

use crate::account::CitizenSession;
use crate::applications::{own_case, sent_answers};
use crate::assistant::local_time;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::state::AppState;

pub async fn copy(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let conn = state.db.conn();
    let case = own_case(&state, chrome.tenant.id, session.citizen.id, &reference).await?;
    let submitted = match case.submission_id {
        Some(id) => submissions::read(conn, chrome.tenant.id, id).await?,
        None => None,
    }
    .ok_or(PageError::NotFound)?;
    let t = &chrome.t;
    let mut sections: Vec<plain_pdf::Section> = sent_answers(&chrome, &submitted)
        .into_iter()
        .map(|section| plain_pdf::Section {
            title: section.title,
            rows: section
                .rows
                .into_iter()
                .map(|row| (row.label, row.lines))
                .collect(),
        })
        .collect();
    if !submitted.files.is_empty() {
        sections.push(plain_pdf::Section {
            title: t.get("applications-files").to_owned(),
            rows: submitted
                .files
                .iter()
                .map(|f| (f.file_name.clone(), vec![format!("SHA-256 {}", f.sha256)]))
                .collect(),
        });
    }
    let lead = [
        t.fmt(
            "applications-copy-reference",
            &[("reference", &case.reference)],
        ),
        t.fmt(
            "applications-copy-sent",
            &[("date", &local_time(submitted.row.submitted_at))],
        ),
        t.fmt(
            "applications-copy-applicant",
            &[("name", &submitted.row.applicant_name)],
        ),
    ];
    let footer = t.fmt(
        "applications-copy-footer",
        &[("tenant", &chrome.tenant.name)],
    );
    let bytes = plain_pdf::render(&Document {
        title: &submitted.row.service_name,
        lead: &lead,
        sections: &sections,
        footer: &footer,
        page_of: t.get("applications-copy-page-of"),
    });
    let disposition = format!("attachment; filename=\"Antrag-{}.pdf\"", case.reference);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
