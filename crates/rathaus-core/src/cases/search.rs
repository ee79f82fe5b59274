//! Finding cases by words. Each case has one row of search text — reference, title,
//! applicant, the values of the answers, the text of letters filed into it — which the
//! database indexes for substring search (`rathaus_store::dialect::TextIndex`),
//! so that the inbox search stays fast over a million cases.

use rathaus_forms::fill::{Answer, Answers};
use rathaus_store::entities::{case, case_search};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::{CoreError, Result};

/// The search text of a new case: its reference, title, applicant and what the answers
/// say (not the ids of uploaded files), in lower case, one part per line.
pub fn text_of(reference: &str, title: &str, applicant: &str, answers: Option<&Answers>) -> String {
    let mut parts = vec![reference.to_owned(), title.to_owned(), applicant.to_owned()];
    if let Some(answers) = answers {
        for answer in answers.0.values() {
            said(answer, &mut parts);
        }
    }
    parts.retain(|p| !p.trim().is_empty());
    parts.join("\n").to_lowercase()
}

/// The words an answer adds to `parts`.
fn said(answer: &Answer, parts: &mut Vec<String>) {
    match answer {
        Answer::Text(text) => parts.push(text.clone()),
        Answer::Number(n) => parts.push(n.to_string()),
        Answer::Date(date) => parts.push(date.format("%d.%m.%Y").to_string()),
        Answer::Address(address) => parts.push(address.one_line()),
        // Chosen options by their key; uploads are named by ids nobody searches for.
        Answer::Several(keys) => {
            parts.extend(keys.iter().filter(|k| Uuid::parse_str(k).is_err()).cloned())
        }
        Answer::Entries(entries) => {
            for entry in entries {
                for answer in entry.values() {
                    said(answer, parts);
                }
            }
        }
        Answer::Money(_) | Answer::YesNo(_) => {}
    }
}

/// Stores the search text of a case just opened, in the caller's transaction.
pub(crate) async fn write(
    conn: &impl ConnectionTrait,
    case_id: Uuid,
    tenant_id: Uuid,
    text: String,
) -> Result<()> {
    case_search::ActiveModel {
        case_id: Set(case_id),
        tenant_id: Set(tenant_id),
        text: Set(text),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Adds `more` (the text of a letter filed into the case) to the case's search text.
pub(crate) async fn add(conn: &impl ConnectionTrait, case_id: Uuid, more: &str) -> Result<()> {
    let row = case_search::Entity::find()
        .filter(case_search::Column::CaseId.eq(case_id))
        .one(conn)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("search text of case {case_id}")))?;
    let text = format!("{}\n{}", row.text, more.to_lowercase());
    let mut row: case_search::ActiveModel = row.into();
    row.text = Set(text);
    row.update(conn).await?;
    Ok(())
}

/// Words of a query looked for; more make no better search, only a longer query.
const MOST_WORDS: usize = 10;

/// The distinct words of a search, in lower case, at most [`MOST_WORDS`].
pub(crate) fn words_of(typed: &str) -> Vec<String> {
    let mut lowered: Vec<String> = Vec::new();
    for word in typed.split_whitespace().map(str::to_lowercase) {
        if !lowered.contains(&word) && lowered.len() < MOST_WORDS {
            lowered.push(word);
        }
    }
    lowered
}

/// The cases of the tenant found by `words`: each word somewhere in their search text
/// (which begins with the reference), in any case and order.
pub(crate) fn matching(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    words: &str,
) -> sea_orm::sea_query::SimpleExpr {
    let lowered = words_of(words);
    let found = rathaus_store::dialect::CASE_SEARCH.containing(
        conn.get_database_backend(),
        tenant_id,
        &lowered,
    );
    Expr::col((case::Entity, case::Column::Id)).in_subquery(found)
}
