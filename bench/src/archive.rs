//! The figures of the letters and the e-file (issue #6): one-page PDF/A letters per
//! second on one core after warm-up (and the first letter's latency, fonts loaded and
//! template compiled), document ingest into the local blob store with hashing, the
//! daily hash tree over 1,000,000 documents, and checking one document's evidence
//! record (hash of the document, path to the root, Ed25519 signature).
//!
//! Usage: archive [letters] [documents-for-the-tree]

use std::time::Instant;

use ed25519_dalek::{Signer, SigningKey};
use rathaus_core::documents::evidence::{
    self, ArchiveTimeStamp, FORMAT, Hash, Record, RecordedDocument, SignedRoot,
};
use rathaus_letters::Renderer;
use rathaus_letters::samples::{ISSUED, permit_letter};
use rathaus_store::BlobStore;
use rathaus_store::blob::Bytes;
use sha2::{Digest, Sha256};

fn letters(count: usize) {
    let letter = permit_letter();
    let start = Instant::now();
    let renderer = Renderer::new();
    let first = renderer.render(&letter, ISSUED).expect("first letter");
    let first_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(first.pages, 1);
    let start = Instant::now();
    for i in 0..count {
        // Each letter different, as in real life: typst would reuse the layout of an
        // identical one.
        let mut letter = letter.clone();
        letter.reference = format!("MS-2026-{i:05}");
        letter.recipient[1] = format!("Erika Mustermann {i}");
        letter.paragraphs[0] = format!("{} Antrag Nr. {i}.", letter.paragraphs[0]);
        renderer.render(&letter, ISSUED).expect("letter");
    }
    let per_second = count as f64 / start.elapsed().as_secs_f64();
    println!("letters\tfirst letter (fonts, template)\t{first_ms:.0} ms");
    println!(
        "letters\t{count} one-page PDF/A permits, one core\t{per_second:.0} per second ({} KB each)",
        first.pdf.len() / 1024
    );
}

fn ingest(runtime: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = BlobStore::local(dir.path()).expect("blob store");
    // 1 MB documents, each different (so each is hashed and written).
    let files: Vec<Bytes> = (0..256u32)
        .map(|i| {
            let mut bytes = vec![0u8; 1 << 20];
            for (j, chunk) in bytes.chunks_mut(32).enumerate() {
                let seed = Sha256::digest([i.to_be_bytes(), (j as u32).to_be_bytes()].concat());
                chunk.copy_from_slice(&seed[..chunk.len()]);
            }
            Bytes::from(bytes)
        })
        .collect();
    let megabytes = files.len() as f64;
    let start = Instant::now();
    runtime.block_on(async {
        for file in files {
            blobs.put(file).await.expect("put");
        }
    });
    let rate = megabytes / start.elapsed().as_secs_f64();
    println!(
        "ingest\t256 documents of 1 MB into the local blob store (SHA-256 included)\t{rate:.0} MB/s"
    );
}

fn tree(count: u32) {
    let mut leaves: Vec<Hash> = (0..count)
        .map(|i| Sha256::digest(i.to_be_bytes()).into())
        .collect();
    let start = Instant::now();
    leaves.sort_unstable();
    let root = evidence::root(&leaves).expect("leaves");
    let tree_ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("evidence\tdaily tree over {count} document hashes (sort + root)\t{tree_ms:.0} ms");

    // One document's record, signed as the housekeeping signs a day.
    let document = vec![7u8; 100 * 1024];
    let leaf: Hash = Sha256::digest(&document).into();
    leaves[count as usize / 2] = leaf;
    leaves.sort_unstable();
    let root = evidence::root(&leaves).unwrap_or(root);
    let index = leaves.binary_search(&leaf).expect("leaf");
    let key = SigningKey::from_bytes(&[42; 32]);
    let tenant = uuid::Uuid::nil();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("day");
    let root = hex::encode(root);
    let statement = evidence::statement(tenant, day, leaves.len(), &root, None);
    let record = Record {
        format: FORMAT.into(),
        digest_algorithm: "sha-256".into(),
        document: RecordedDocument {
            id: uuid::Uuid::nil(),
            version: 1,
            file_name: "bescheid.pdf".into(),
            sha256: hex::encode(leaf),
        },
        sequence: vec![vec![ArchiveTimeStamp {
            reduced_hashtree: evidence::reduced(&leaves, index)
                .into_iter()
                .map(|step| step.iter().map(hex::encode).collect())
                .collect(),
            time_stamp: SignedRoot {
                kind: "rathaus-ed25519-signed-root".into(),
                tenant,
                day,
                leaves: leaves.len(),
                root,
                previous: None,
                key_id: uuid::Uuid::nil(),
                public_key: hex::encode(key.verifying_key().as_bytes()),
                signature: hex::encode(key.sign(statement.as_bytes()).to_bytes()),
            },
        }]],
    };
    let rounds = 2000;
    let start = Instant::now();
    for _ in 0..rounds {
        evidence::check(&record, &document).expect("valid");
    }
    let each_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!(
        "evidence\tchecking one document's record (100 KB document, {} hashes on its path, signature)\t{each_us:.0} µs",
        record.sequence[0][0]
            .reduced_hashtree
            .iter()
            .map(Vec::len)
            .sum::<usize>()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let documents: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    letters(count);
    ingest(&runtime);
    tree(documents);
}
