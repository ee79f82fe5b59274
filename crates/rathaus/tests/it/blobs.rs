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
