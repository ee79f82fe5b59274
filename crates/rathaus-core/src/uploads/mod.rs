//! Checking an uploaded file before anything is stored: not empty, not too large, of an
//! accepted type as its content says (not its name), not active (scripts in PDFs, see
//! `pdf`), no decompression bomb, and images without the place they were taken
//! (`images`). Used for the files of drafts, of postbox messages and of scanned letters.
//! An archive (a "zip bomb") is none of the accepted types and refused as such.

mod images;
mod pdf;
#[cfg(any(test, feature = "samples"))]
pub mod samples;

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
    /// A PDF with scripts or program starts.
    ActiveContent,
    /// A PDF whose compressed parts cannot be read, so not checked.
    Unreadable,
    /// Unpacks to far more than it is: a picture of too many pixels, a PDF whose
    /// compressed parts inflate without end.
    Bomb,
}

/// An upload taken: its type, and its bytes as they are to be stored (images without
/// their metadata).
pub struct Checked {
    pub media_type: &'static str,
    pub bytes: Bytes,
}

/// What a file field accepts.
pub struct Accept<'a> {
    pub media_types: &'a [String],
    pub max_bytes: u64,
}

/// An acceptable upload ready to store, or why it is not acceptable.
pub fn check(bytes: Bytes, accept: &Accept<'_>) -> Result<Checked, UploadProblem> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty);
    }
    if bytes.len() as u64 > accept.max_bytes {
        return Err(UploadProblem::TooLarge {
            max_bytes: accept.max_bytes,
        });
    }
    let media_type = media::sniff(&bytes)
        .filter(|t| accept.media_types.iter().any(|a| a == t))
        .ok_or_else(|| UploadProblem::WrongType {
            accepted: accept.media_types.to_vec(),
        })?;
    if media_type == "application/pdf" {
        match pdf::inspect(&bytes) {
            pdf::Finding::Clean => {}
            pdf::Finding::Active(_) => return Err(UploadProblem::ActiveContent),
            pdf::Finding::Unpacks => return Err(UploadProblem::Bomb),
            pdf::Finding::Unreadable => return Err(UploadProblem::Unreadable),
        }
    } else if images::too_many_pixels(&bytes) {
        return Err(UploadProblem::Bomb);
    }
    Ok(Checked {
        media_type,
        bytes: images::without_metadata(media_type, bytes),
    })
}

/// [`check`] on a thread of its own: inflating and scanning a large file takes a while
/// and must not hold up the requests around it.
pub async fn check_apart(bytes: Bytes, accept: &Accept<'_>) -> Result<Checked, UploadProblem> {
    let media_types = accept.media_types.to_vec();
    let max_bytes = accept.max_bytes;
    tokio::task::spawn_blocking(move || {
        let accept = Accept {
            media_types: &media_types,
            max_bytes,
        };
        check(bytes, &accept)
    })
    .await
    .expect("checking an upload does not panic")
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
        match check_apart(bytes, accept).await {
            Ok(taken) => checked.push((clean_file_name(&name), taken)),
            Err(problem) => return Ok(Err((name, problem))),
        }
    }
    let mut stored = Vec::new();
    for (name, taken) in checked {
        stored.push((name, taken.media_type, blobs.put(taken.bytes).await?));
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
