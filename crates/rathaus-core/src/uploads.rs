//! Checking an uploaded file before anything is stored: not empty, not too large, and of
//! an accepted type as its content says (not its name). Used for the files of drafts and
//! of postbox messages.

use rathaus_forms::media;
use rathaus_store::BlobStore;
use rathaus_store::blob::{BlobRef, Bytes};

/// Why an upload was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadProblem {
    Empty,
    TooLarge {
        max_bytes: u64,
    },
    /// The content is none of the accepted types (whatever the name says).
    WrongType {
        accepted: Vec<String>,
    },
    /// The draft or message holds as many files or bytes as one may.
    Full,
}

/// What a file field accepts.
pub struct Accept<'a> {
    pub media_types: &'a [String],
    pub max_bytes: u64,
}

/// The media type of an acceptable upload, or why it is not acceptable.
pub fn check(bytes: &[u8], accept: &Accept<'_>) -> Result<&'static str, UploadProblem> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty);
    }
    if bytes.len() as u64 > accept.max_bytes {
        return Err(UploadProblem::TooLarge {
            max_bytes: accept.max_bytes,
        });
    }
    media::sniff(bytes)
        .filter(|t| accept.media_types.iter().any(|a| a == t))
        .ok_or_else(|| UploadProblem::WrongType {
            accepted: accept.media_types.to_vec(),
        })
}

/// Files accepted together: clean name, type by content, where the bytes are stored.
pub type Stored = Vec<(String, &'static str, BlobRef)>;

/// Checks every file (at most `max_files`), then stores them all in the blob store. If
/// one is refused, nothing is stored (the answer names it and says why). The blobs come
/// before the caller's rows: a crash in between leaves unreferenced blobs, never a row
/// without its bytes.
pub async fn check_and_store(
    blobs: &BlobStore,
    files: Vec<(String, Bytes)>,
    accept: &Accept<'_>,
    max_files: usize,
) -> crate::error::Result<Result<Stored, (String, UploadProblem)>> {
    if files.len() > max_files {
        return Ok(Err((files[max_files].0.clone(), UploadProblem::Full)));
    }
    let mut checked = Vec::new();
    for (name, bytes) in files {
        match check(&bytes, accept) {
            Ok(media_type) => checked.push((clean_file_name(&name), media_type, bytes)),
            Err(problem) => return Ok(Err((name, problem))),
        }
    }
    let mut stored = Vec::new();
    for (name, media_type, bytes) in checked {
        stored.push((name, media_type, blobs.put(bytes).await?));
    }
    Ok(Ok(stored))
}

/// The name as shown back: no path, no control characters, at most 255 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    if clean.trim().is_empty() {
        "Datei".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\erika\\Nachweis.pdf"),
            "Nachweis.pdf"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\nb\u{0}.pdf"), "ab.pdf");
        assert_eq!(clean_file_name(" "), "Datei");
    }
}
