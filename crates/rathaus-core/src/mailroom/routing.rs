//! Routing rules (Zuständigkeitsregeln): which department gets an application, decided
//! by data the town's admins edit, not by code. Per service the rules are tried in
//! order; a rule is a condition on the answers in the rule language of form definitions
//! (`starts_with(anschrift.plz, "4265")`, `betrag > euro(5000)`; empty: every
//! application) and a department. The first rule that holds wins; where none does, the
//! service's department from the catalog does; where that is no department of the town
//! either, the application stays with the mailroom.
//!
//! A condition is checked against the service's form when it is written. Should the
//! form change later so that a rule no longer fits it, the rule is skipped (and the
//! editor says so) rather than sending applications somewhere by accident.

use chrono::{NaiveDate, Utc};
use rathaus_forms::definition::Form;
use rathaus_forms::expr::Expr;
use rathaus_forms::fill::Answers;
use rathaus_store::Db;
use rathaus_store::entities::routing_rule;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::catalog::Service;
use crate::departments::{self, Department};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

pub type Rule = routing_rule::Model;

/// Where an application goes, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Routed {
    pub department: Option<Department>,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The rule with this label held; it may name a team of the department.
    Rule {
        id: Uuid,
        label: String,
        team: Option<Uuid>,
    },
    /// No rule held; the catalog names the department.
    Catalog,
    /// Neither a rule nor the catalog names a department of the town.
    Nobody,
}

/// The rules of a tenant, by service and in order.
pub async fn of_tenant(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Rule>> {
    Ok(routing_rule::Entity::find()
        .filter(routing_rule::Column::TenantId.eq(tenant_id))
        .order_by_asc(routing_rule::Column::ServiceKey)
        .order_by_asc(routing_rule::Column::Position)
        .order_by_asc(routing_rule::Column::Id)
        .all(conn)
        .await?)
}

async fn of_service(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    service_key: &str,
) -> Result<Vec<Rule>> {
    Ok(routing_rule::Entity::find()
        .filter(routing_rule::Column::TenantId.eq(tenant_id))
        .filter(routing_rule::Column::ServiceKey.eq(service_key))
        .order_by_asc(routing_rule::Column::Position)
        .order_by_asc(routing_rule::Column::Id)
        .all(conn)
        .await?)
}

/// The condition of a rule compiled for `form`; an empty condition always holds.
pub fn compile(form: &Form, condition: &str) -> std::result::Result<Option<Expr>, String> {
    let condition = condition.trim();
    if condition.is_empty() {
        return Ok(None);
    }
    form.condition(condition)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The department for an application for `service` with these `answers`, given on
/// `today`.
pub async fn route(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    service: &Service,
    form: &Form,
    answers: &Answers,
    today: NaiveDate,
) -> Result<Routed> {
    for rule in of_service(conn, tenant_id, &service.key).await? {
        let holds = match compile(form, &rule.condition) {
            Ok(None) => true,
            Ok(Some(condition)) => form.meets(&condition, answers, today),
            Err(mistake) => {
                tracing::warn!(rule = %rule.id, %mistake, "routing rule no longer fits its form");
                false
            }
        };
        if holds {
            let department = departments::by_id(conn, tenant_id, rule.department_id).await?;
            return Ok(Routed {
                department,
                reason: Reason::Rule {
                    id: rule.id,
                    label: rule.label,
                    team: rule.team_id,
                },
            });
        }
    }
    let department = match &service.department {
        Some(key) => departments::by_key(conn, tenant_id, key).await?,
        None => None,
    };
    let reason = if department.is_some() {
        Reason::Catalog
    } else {
        Reason::Nobody
    };
    Ok(Routed { department, reason })
}

/// A rule as an admin writes it.
pub struct NewRule<'a> {
    pub service: &'a Service,
    /// The form of the service, which the condition must fit.
    pub form: &'a Form,
    pub condition: &'a str,
    pub department_id: Uuid,
    /// A team of that department that gets the case, if any.
    pub team_id: Option<Uuid>,
    pub label: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Added(Uuid),
    LabelMissing,
    LabelTooLong,
    DepartmentUnknown,
    /// The team is not one of the department's.
    TeamUnknown,
    /// The condition does not fit the form; the text says where and why.
    ConditionInvalid(String),
}

const LABEL_MAX: usize = 200;

/// Adds a rule after the service's other rules (audited; needs
/// [`Permission::ManageTenant`]).
pub async fn add(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    rule: NewRule<'_>,
) -> Result<Added> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let label = rule.label.trim();
    if label.is_empty() {
        return Ok(Added::LabelMissing);
    }
    if label.chars().count() > LABEL_MAX {
        return Ok(Added::LabelTooLong);
    }
    if let Err(mistake) = compile(rule.form, rule.condition) {
        return Ok(Added::ConditionInvalid(mistake));
    }
    let txn = db.begin_write().await?;
    let Some(department) = departments::by_id(&txn, tenant_id, rule.department_id).await? else {
        return Ok(Added::DepartmentUnknown);
    };
    if let Some(team) = rule.team_id
        && crate::teams::in_department(&txn, department.id, team)
            .await?
            .is_none()
    {
        return Ok(Added::TeamUnknown);
    }
    let position = of_service(&txn, tenant_id, &rule.service.key)
        .await?
        .last()
        .map_or(1, |last| last.position + 1);
    let id = Uuid::now_v7();
    let condition = rule.condition.trim();
    routing_rule::Entity::insert(routing_rule::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        service_key: Set(rule.service.key.clone()),
        position: Set(position),
        condition: Set(condition.to_owned()),
        department_id: Set(department.id),
        label: Set(label.to_owned()),
        created_at: Set(Utc::now()),
        team_id: Set(rule.team_id),
    })
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("routing_rule.add", "routing_rule")
        .object(id)
        .details(serde_json::json!({
            "service": rule.service.key,
            "condition": condition,
            "department": department.key,
            "label": label,
        }));
    audit::record(&txn, &in_tenant(actor, tenant_id), origin, event).await?;
    txn.commit().await?;
    Ok(Added::Added(id))
}

fn in_tenant(actor: &Actor, tenant_id: Uuid) -> Actor {
    let mut in_tenant = actor.clone();
    in_tenant.tenant_id = Some(tenant_id);
    in_tenant
}

async fn one(conn: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<Rule> {
    routing_rule::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|rule| rule.tenant_id == tenant_id)
        .ok_or_else(|| CoreError::NotFound(format!("routing rule {id}")))
}

/// Removes a rule (audited; needs [`Permission::ManageTenant`]).
pub async fn remove(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<()> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let txn = db.begin_write().await?;
    let rule = one(&txn, tenant_id, id).await?;
    routing_rule::Entity::delete_by_id(id).exec(&txn).await?;
    let event = Event::new("routing_rule.remove", "routing_rule")
        .object(id)
        .details(serde_json::json!({
            "service": rule.service_key,
            "condition": rule.condition,
            "label": rule.label,
        }));
    audit::record(&txn, &in_tenant(actor, tenant_id), origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a rule one place up, before the rule of the same service it followed, so that
/// it is tried first (audited; needs [`Permission::ManageTenant`]). The first rule stays.
pub async fn raise(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<()> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let txn = db.begin_write().await?;
    let rule = one(&txn, tenant_id, id).await?;
    let rules = of_service(&txn, tenant_id, &rule.service_key).await?;
    let Some(before) = rules.iter().take_while(|r| r.id != id).last() else {
        return Ok(());
    };
    for (moved, position) in [(rule.id, before.position), (before.id, rule.position)] {
        routing_rule::Entity::update_many()
            .col_expr(
                routing_rule::Column::Position,
                sea_orm::sea_query::Expr::value(position),
            )
            .filter(routing_rule::Column::Id.eq(moved))
            .exec(&txn)
            .await?;
    }
    let event = Event::new("routing_rule.raise", "routing_rule")
        .object(id)
        .details(serde_json::json!({ "service": rule.service_key, "label": rule.label }));
    audit::record(&txn, &in_tenant(actor, tenant_id), origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// The fields the rules of a service read, each once, in the order the rules use them:
/// what the "which department would get this?" trial asks for.
pub async fn fields_read(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    service_key: &str,
    form: &Form,
) -> Result<Vec<String>> {
    let mut fields: Vec<String> = Vec::new();
    for rule in of_service(conn, tenant_id, service_key).await? {
        if let Ok(Some(condition)) = compile(form, &rule.condition) {
            for field in condition.fields() {
                if !fields.iter().any(|f| f == field) {
                    fields.push(field.to_owned());
                }
            }
        }
    }
    Ok(fields)
}

/// Answers to try the rules with, from a text typed for each field (`anschrift.plz` →
/// the postcode of the address `anschrift`). Empty texts stay unanswered; the fields
/// whose text does not fit their type are returned instead.
pub fn trial_answers(
    form: &Form,
    typed: &[(String, String)],
) -> std::result::Result<Answers, Vec<String>> {
    use rathaus_forms::expr::Type;
    use rathaus_forms::fill::{Address, Answer};
    use rathaus_forms::values;
    let mut answers = Answers::default();
    let mut unfit = Vec::new();
    for (field, text) in typed {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some((address, part)) = field.split_once('.')
            && form.rule_type(field).is_some()
            && Address::default().part(part).is_some()
        {
            let entry = answers
                .0
                .entry(address.to_owned())
                .or_insert_with(|| Answer::Address(Address::default()));
            if let Answer::Address(parts) = entry
                && let Some(slot) = parts.part_mut(part)
            {
                *slot = text.to_owned();
            }
            continue;
        }
        let answer = match form.rule_type(field) {
            Some(Type::Number) => values::number(text).ok().map(Answer::Number),
            Some(Type::Money) => values::amount(text).ok().map(Answer::Money),
            Some(Type::Date) => values::date(text).ok().map(Answer::Date),
            Some(Type::Bool) => match text.to_lowercase().as_str() {
                "ja" | "yes" => Some(Answer::YesNo(true)),
                "nein" | "no" => Some(Answer::YesNo(false)),
                _ => None,
            },
            Some(Type::List) => Some(Answer::Several(
                text.split(',').map(|item| item.trim().to_owned()).collect(),
            )),
            Some(Type::Text) => Some(Answer::Text(text.to_owned())),
            Some(Type::Group) | None => None,
        };
        match answer {
            Some(answer) => {
                answers.0.insert(field.clone(), answer);
            }
            None => unfit.push(field.clone()),
        }
    }
    if unfit.is_empty() {
        Ok(answers)
    } else {
        Err(unfit)
    }
}
