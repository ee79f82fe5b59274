use rathaus_core::audit::{self, Event, Filter};
use rathaus_core::policy::Permission;
use rathaus_core::{Actor, ActorKind, CoreError, Origin};
use rathaus_store::Db;
use rathaus_store::roles_seed::BUILT_IN_ROLES;
use rathaus_store::sea_orm::{ConnectionTrait, DbBackend};
use serde_json::json;
use uuid::Uuid;

use crate::harness::TestDb;
use crate::on_both_backends;

/// A member of staff with one of the built-in roles and what it grants.
pub(crate) fn staff(tenant: Uuid, role: &str) -> Actor {
    let builtin = BUILT_IN_ROLES.iter().find(|r| r.key == role).unwrap();
    Actor {
        kind: ActorKind::Staff,
        id: Some(Uuid::now_v7()),
        name: format!("{role} in {tenant}"),
        tenant_id: Some(tenant),
        roles: vec![role.to_owned()],
        permissions: builtin
            .permissions
            .iter()
            .filter_map(|p| Permission::parse(p))
            .collect(),
        departments: Vec::new(),
    }
}

fn origin() -> Origin {
    Origin {
        ip: Some("192.0.2.10".into()),
        user_agent: Some("Firefox".into()),
    }
}

async fn write_entries(db: &Db, tenant: Uuid, n: usize) {
    let actor = staff(tenant, "caseworker");
    for i in 0..n {
        audit::record_now(
            db,
            &actor,
            &origin(),
            Event::new("case.read", "case")
                .object(format!("MS-2026-{i:05}"))
                .purpose("Bearbeitung des Antrags")
                .details(json!({ "zeta": i, "alpha": { "nested": true } })),
        )
        .await
        .unwrap();
    }
}

/// Removes the append-only triggers, as someone with full database rights could.
async fn drop_protection(db: &Db) {
    let statements: &[&str] = match db.conn().get_database_backend() {
        DbBackend::Postgres => &["DROP TRIGGER audit_log_no_update ON audit_log"],
        _ => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
    };
    for s in statements {
        db.conn().execute_unprepared(s).await.unwrap();
    }
}

on_both_backends!(an_untouched_chain_verifies, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    let empty = audit::verify(&db).await.unwrap();
    assert_eq!((empty.entries, empty.broken), (0, None));
    write_entries(&db, Uuid::now_v7(), 5).await;
    let result = audit::verify(&db).await.unwrap();
    assert_eq!(result.entries, 5);
    assert_eq!(result.broken, None);
    test_db.drop_now().await;
});

on_both_backends!(
    the_database_refuses_edits_and_deletes,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        write_entries(&db, Uuid::now_v7(), 2).await;
        let update = db
            .conn()
            .execute_unprepared("UPDATE audit_log SET action = 'x' WHERE seq = 1")
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = db
            .conn()
            .execute_unprepared("DELETE FROM audit_log WHERE seq = 2")
            .await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        test_db.drop_now().await;
    }
);

on_both_backends!(an_edited_entry_is_found, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    write_entries(&db, Uuid::now_v7(), 5).await;
    drop_protection(&db).await;
    db.conn()
        .execute_unprepared("UPDATE audit_log SET object_id = 'MS-2026-99999' WHERE seq = 3")
        .await
        .unwrap();
    let broken = audit::verify(&db)
        .await
        .unwrap()
        .broken
        .expect("tampering is detected");
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("edited"), "{}", broken.reason);
    test_db.drop_now().await;
});

on_both_backends!(a_deleted_entry_is_found, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    write_entries(&db, Uuid::now_v7(), 5).await;
    drop_protection(&db).await;
    db.conn()
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let broken = audit::verify(&db).await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 2);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
    test_db.drop_now().await;
});

on_both_backends!(entries_cut_off_the_end_are_found, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    write_entries(&db, Uuid::now_v7(), 4).await;
    drop_protection(&db).await;
    db.conn()
        .execute_unprepared("DELETE FROM audit_log WHERE seq >= 3")
        .await
        .unwrap();
    let broken = audit::verify(&db).await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("cut off"), "{}", broken.reason);
    test_db.drop_now().await;
});

on_both_backends!(concurrent_appends_keep_one_chain, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    let tenant = Uuid::now_v7();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { write_entries(&db, tenant, 10).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let result = audit::verify(&db).await.unwrap();
    assert_eq!((result.entries, result.broken), (80, None));
    test_db.drop_now().await;
});

on_both_backends!(
    only_auditors_and_admins_read_their_own_tenant,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        write_entries(&db, a, 3).await;
        write_entries(&db, b, 2).await;

        let auditor_a = staff(a, "auditor");
        let rows = audit::search(&db, &auditor_a, &origin(), a, &Filter::default(), 100)
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter().all(|r| r.tenant_id == Some(a)),
            "never another tenant's entries"
        );
        assert!(rows[0].seq > rows[2].seq, "newest first");

        let filtered = Filter {
            object_id: Some("MS-2026-00001".into()),
            ..Filter::default()
        };
        let rows = audit::search(&db, &auditor_a, &origin(), a, &filtered, 100)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);

        let denied = audit::search(&db, &auditor_a, &origin(), b, &Filter::default(), 100).await;
        assert!(matches!(denied, Err(CoreError::Forbidden(_))));
        let caseworker = staff(a, "caseworker");
        let denied = audit::search(&db, &caseworker, &origin(), a, &Filter::default(), 100).await;
        assert!(matches!(denied, Err(CoreError::Forbidden(_))));

        // Reading the log is itself in the log.
        let reads = Filter {
            action: Some("audit.read".into()),
            ..Filter::default()
        };
        let rows = audit::search(&db, &staff(a, "admin"), &origin(), a, &reads, 100)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2, "the two successful reads above");
        assert_eq!(rows[0].ip.as_deref(), Some("192.0.2.10"));
        assert!(audit::verify(&db).await.unwrap().broken.is_none());
        test_db.drop_now().await;
    }
);

#[test]
fn hash_ignores_key_order_of_details() {
    let base = rathaus_store::entities::audit_entry::Model {
        seq: 1,
        tenant_id: None,
        at: chrono::Utc::now(),
        actor_kind: "system".into(),
        actor_id: None,
        actor_name: "system:test".into(),
        actor_role: None,
        action: "x".into(),
        object_type: "y".into(),
        object_id: None,
        ip: None,
        user_agent: None,
        purpose: None,
        details: serde_json::from_str(r#"{"b":1,"a":2}"#).unwrap(),
        prev_hash: audit::GENESIS_HASH.into(),
        hash: String::new(),
    };
    let mut reordered = base.clone();
    reordered.details = serde_json::from_str(r#"{"a":2,"b":1}"#).unwrap();
    assert_eq!(audit::entry_hash(&base), audit::entry_hash(&reordered));
    let mut changed = base.clone();
    changed.details = json!({"a": 3, "b": 1});
    assert_ne!(audit::entry_hash(&base), audit::entry_hash(&changed));
}
