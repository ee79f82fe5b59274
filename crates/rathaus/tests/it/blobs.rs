use rathaus_store::blob::Bytes;
use rathaus_store::{BlobStore, StoreError};

#[tokio::test]
async fn blobs_are_content_addressed_and_checked_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    let blob = store
        .put(Bytes::from_static(b"Antrag auf Bewohnerparkausweis"))
        .await
        .unwrap();
    assert_eq!(blob.size, 30);
    assert_eq!(blob.sha256.len(), 64);
    let again = store
        .put(Bytes::from_static(b"Antrag auf Bewohnerparkausweis"))
        .await
        .unwrap();
    assert_eq!(blob, again, "same content, same reference");
    assert_eq!(store.list().await.unwrap(), vec![blob.sha256.clone()]);
    assert_eq!(
        store.get(&blob.sha256).await.unwrap(),
        Bytes::from_static(b"Antrag auf Bewohnerparkausweis")
    );

    // Tamper with the file on disk: the read notices.
    let path = dir
        .path()
        .join("sha256")
        .join(&blob.sha256[..2])
        .join(&blob.sha256[2..4])
        .join(&blob.sha256);
    std::fs::write(&path, b"changed").unwrap();
    assert!(matches!(
        store.get(&blob.sha256).await,
        Err(StoreError::BlobCorrupt { .. })
    ));
}

#[tokio::test]
async fn names_that_are_not_hashes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    for bad in ["../../etc/passwd", "", "ABCDEF", &"g".repeat(64)] {
        assert!(
            matches!(store.get(bad).await, Err(StoreError::BlobMissing(_))),
            "{bad}"
        );
    }
    assert!(!store.exists(&"0".repeat(64)).await.unwrap());
    assert!(matches!(
        store.get(&"0".repeat(64)).await,
        Err(StoreError::BlobMissing(_))
    ));
}

/// The same contract on an S3-compatible store. `scripts/test` starts one (moto) and
/// sets RATHAUS_TEST_S3_ENDPOINT.
#[tokio::test]
async fn blobs_on_an_s3_compatible_store() {
    let Ok(endpoint) = std::env::var("RATHAUS_TEST_S3_ENDPOINT") else {
        eprintln!(
            "SKIPPED: RATHAUS_TEST_S3_ENDPOINT is not set (scripts/test starts an S3 server and sets it)"
        );
        return;
    };
    let bucket = format!("rathaus-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(
        created.status().is_success(),
        "create bucket: {}",
        created.status()
    );
    let store = BlobStore::open(&rathaus_store::blob::BlobConfig::S3 {
        bucket,
        endpoint: Some(endpoint),
        region: Some("eu-central-1".into()),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        allow_http: true,
    })
    .unwrap();
    let blob = store.put(Bytes::from_static(b"Bescheid")).await.unwrap();
    assert!(store.exists(&blob.sha256).await.unwrap());
    assert_eq!(
        store.get(&blob.sha256).await.unwrap(),
        Bytes::from_static(b"Bescheid")
    );
    assert_eq!(store.list().await.unwrap(), vec![blob.sha256.clone()]);
    assert!(matches!(
        store.get(&"1".repeat(64)).await,
        Err(StoreError::BlobMissing(_))
    ));
}
