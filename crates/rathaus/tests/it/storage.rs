use rathaus_store::sea_orm::ConnectionTrait;
use rathaus_store::{Db, SchemaState, StoreError};

use crate::harness::TestDb;
use crate::on_both_backends;

on_both_backends!(
    migrations_apply_once_and_report_state,
    |backend| async move {
        let test_db = TestDb::new(backend).await;
        let db = Db::connect(&test_db.url).await.unwrap();
        assert!(matches!(db.schema_state().await.unwrap(), SchemaState::Pending(n) if n > 0));
        assert!(matches!(
            db.ensure_migrated().await,
            Err(StoreError::NotMigrated { .. })
        ));
        assert!(db.migrate().await.unwrap() > 0);
        assert_eq!(db.schema_state().await.unwrap(), SchemaState::UpToDate);
        assert_eq!(
            db.migrate().await.unwrap(),
            0,
            "a second run applies nothing"
        );
        db.ensure_migrated().await.unwrap();
        test_db.drop_now().await;
    }
);

on_both_backends!(a_newer_schema_is_refused, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    db.conn()
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_from_the_future', 0)",
        )
        .await
        .unwrap();
    match db.ensure_migrated().await {
        Err(StoreError::SchemaTooNew { unknown }) => assert!(unknown.contains("from_the_future")),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert!(
        db.migrate().await.is_err(),
        "migrate must not run against a newer schema"
    );
    test_db.drop_now().await;
});

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let (test_db, db) = TestDb::migrated(rathaus_store::Backend::Sqlite).await;
    let row = db
        .conn()
        .query_one_raw(rathaus_store::sea_orm::Statement::from_string(
            db.conn().get_database_backend(),
            "SELECT (SELECT journal_mode FROM pragma_journal_mode) AS jm, (SELECT foreign_keys FROM pragma_foreign_keys) AS fk",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "jm").unwrap(), "wal");
    assert_eq!(row.try_get::<i32>("", "fk").unwrap(), 1);
    drop(test_db);
}

#[tokio::test]
async fn unreachable_and_unknown_databases_get_clear_messages() {
    let err = Db::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot reach the database"),
        "{err}"
    );
    let err = Db::connect("mysql://x@localhost/y").await.unwrap_err();
    assert!(err.to_string().contains("sqlite://"), "{err}");
    let err = Db::connect("postgres://user:secret@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(
        !err.to_string().contains("secret"),
        "passwords never appear in messages: {err}"
    );
}
