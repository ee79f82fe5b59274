//! Reading the text of a scan with Tesseract (Debian `tesseract-ocr` with
//! `tesseract-ocr-deu`), run as a subprocess under a time limit so that a broken or huge
//! scan cannot hold a worker. PDFs are rendered to 300 dpi grey pages first (`pdftoppm`
//! of poppler-utils); TIFFs with several pages Tesseract reads itself. A PDF that has
//! text (written, not scanned) gives it to `pdftotext` (poppler-utils) in a moment;
//! [`text_of`] tries that first and recognises only what has none.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;
use tokio::time::Instant;

/// Which programs to run and how long they may take.
#[derive(Clone, Debug)]
pub struct OcrConfig {
    pub tesseract: PathBuf,
    pub pdftoppm: PathBuf,
    pub pdftotext: PathBuf,
    /// Tesseract's language models, e.g. `deu` or `deu+eng`.
    pub languages: String,
    /// For one scan, all its pages together.
    pub timeout: Duration,
    /// Pages beyond these are not read (a 500-page PDF is not a letter).
    pub max_pages: u32,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            tesseract: "tesseract".into(),
            pdftoppm: "pdftoppm".into(),
            pdftotext: "pdftotext".into(),
            languages: "deu".into(),
            timeout: Duration::from_secs(300),
            max_pages: 50,
        }
    }
}

impl OcrConfig {
    /// The defaults, changed by `RATHAUS_TESSERACT`, `RATHAUS_PDFTOPPM`,
    /// `RATHAUS_PDFTOTEXT`, `RATHAUS_OCR_LANGUAGES` and `RATHAUS_OCR_TIMEOUT_SECS`.
    pub fn from_env() -> Self {
        let mut config = Self::default();
        if let Ok(path) = std::env::var("RATHAUS_TESSERACT") {
            config.tesseract = path.into();
        }
        if let Ok(path) = std::env::var("RATHAUS_PDFTOPPM") {
            config.pdftoppm = path.into();
        }
        if let Ok(path) = std::env::var("RATHAUS_PDFTOTEXT") {
            config.pdftotext = path.into();
        }
        if let Ok(languages) = std::env::var("RATHAUS_OCR_LANGUAGES") {
            config.languages = languages;
        }
        if let Some(secs) = std::env::var("RATHAUS_OCR_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            config.timeout = Duration::from_secs(secs);
        }
        config
    }
}

/// The text of a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recognised {
    pub text: String,
    pub pages: u32,
}

/// Why a scan has no text. Staff file it all the same, by looking at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OcrProblem {
    /// The program is not installed (or not where configured).
    Missing(String),
    TimedOut(Duration),
    Failed(String),
}

impl std::fmt::Display for OcrProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(program) => write!(f, "{program} is not installed"),
            Self::TimedOut(limit) => write!(f, "text recognition took longer than {limit:?}"),
            Self::Failed(message) => write!(f, "text recognition failed: {message}"),
        }
    }
}

/// Reads the text of a scan (PDF, TIFF, PNG or JPEG as recognised from its content).
pub async fn recognise(
    config: &OcrConfig,
    bytes: &[u8],
    media_type: &str,
) -> Result<Recognised, OcrProblem> {
    let deadline = Instant::now() + config.timeout;
    let dir = tempfile::tempdir().map_err(|e| OcrProblem::Failed(e.to_string()))?;
    let input = dir.path().join("scan");
    tokio::fs::write(&input, bytes)
        .await
        .map_err(|e| OcrProblem::Failed(e.to_string()))?;
    let images = if media_type == "application/pdf" {
        let pages = render_pdf(config, &input, dir.path(), deadline).await?;
        // Tesseract reads a list of images given as a text file, in one run.
        let list = dir.path().join("pages.txt");
        let names: Vec<String> = pages.iter().map(|p| p.display().to_string()).collect();
        tokio::fs::write(&list, names.join("\n"))
            .await
            .map_err(|e| OcrProblem::Failed(e.to_string()))?;
        list
    } else {
        input
    };
    let output = run(
        Command::new(&config.tesseract)
            // Tesseract's own threads cost more than they bring for a letter (measured:
            // 1.3 s a page with them, 0.5 s without, docs/PERFORMANCE.md); scans are read
            // in parallel by jobs instead.
            .env("OMP_THREAD_LIMIT", "1")
            .arg(&images)
            .arg("stdout")
            .args(["-l", &config.languages]),
        &config.tesseract,
        deadline,
        config.timeout,
    )
    .await?;
    let text = String::from_utf8_lossy(&output).into_owned();
    // Tesseract ends every page with a form feed.
    let pages = text.matches('\u{c}').count().max(1) as u32;
    let text = text.replace('\u{c}', "\n").trim().to_owned();
    Ok(Recognised { text, pages })
}

/// The text of a document: a PDF's own text where it has some (up to `max_pages`),
/// else what recognition reads from its pages; an image is recognised.
pub async fn text_of(
    config: &OcrConfig,
    bytes: &[u8],
    media_type: &str,
) -> Result<String, OcrProblem> {
    if media_type == "application/pdf" {
        let deadline = Instant::now() + config.timeout;
        let dir = tempfile::tempdir().map_err(|e| OcrProblem::Failed(e.to_string()))?;
        let input = dir.path().join("document.pdf");
        tokio::fs::write(&input, bytes)
            .await
            .map_err(|e| OcrProblem::Failed(e.to_string()))?;
        let written = run(
            Command::new(&config.pdftotext)
                .args(["-q", "-enc", "UTF-8", "-l"])
                .arg(config.max_pages.to_string())
                .arg(&input)
                .arg("-"),
            &config.pdftotext,
            deadline,
            config.timeout,
        )
        .await?;
        let text = String::from_utf8_lossy(&written).replace('\u{c}', "\n");
        if !text.trim().is_empty() {
            return Ok(text.trim().to_owned());
        }
    }
    Ok(recognise(config, bytes, media_type).await?.text)
}

/// The pages of a PDF as 300 dpi grey PNGs, in order.
async fn render_pdf(
    config: &OcrConfig,
    pdf: &Path,
    dir: &Path,
    deadline: Instant,
) -> Result<Vec<PathBuf>, OcrProblem> {
    let prefix = dir.join("page");
    run(
        Command::new(&config.pdftoppm)
            .args(["-r", "300", "-gray", "-png", "-l"])
            .arg(config.max_pages.to_string())
            .arg(pdf)
            .arg(&prefix),
        &config.pdftoppm,
        deadline,
        config.timeout,
    )
    .await?;
    let mut pages = Vec::new();
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| OcrProblem::Failed(e.to_string()))?;
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| OcrProblem::Failed(e.to_string()))?
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("page") && name.ends_with(".png") {
            pages.push(entry.path());
        }
    }
    // pdftoppm numbers with leading zeros as wide as the page count: names sort in order.
    pages.sort();
    if pages.is_empty() {
        return Err(OcrProblem::Failed("the PDF has no pages".into()));
    }
    Ok(pages)
}

/// Runs a program until `deadline` and returns what it wrote; killed when late.
async fn run(
    command: &mut Command,
    program: &Path,
    deadline: Instant,
    limit: Duration,
) -> Result<Vec<u8>, OcrProblem> {
    let name = program.display().to_string();
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OcrProblem::Missing(name.clone()),
            _ => OcrProblem::Failed(format!("{name}: {e}")),
        })?;
    let output = tokio::time::timeout_at(deadline, child.wait_with_output())
        .await
        .map_err(|_| OcrProblem::TimedOut(limit))?
        .map_err(|e| OcrProblem::Failed(format!("{name}: {e}")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let said: String = said.trim().chars().take(300).collect();
        return Err(OcrProblem::Failed(format!("{name}: {said}")));
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_program_is_named() {
        let config = OcrConfig {
            tesseract: "/nonexistent/tesseract".into(),
            ..OcrConfig::default()
        };
        let problem = recognise(&config, b"\x89PNG", "image/png")
            .await
            .unwrap_err();
        assert_eq!(
            problem,
            OcrProblem::Missing("/nonexistent/tesseract".into())
        );
    }

    #[tokio::test]
    async fn a_scan_that_takes_too_long_is_given_up() {
        // A stand-in for a Tesseract that never finishes.
        let dir = tempfile::tempdir().unwrap();
        let slow = dir.path().join("slow-tesseract");
        std::fs::write(&slow, "#!/bin/sh\nsleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = OcrConfig {
            tesseract: slow,
            timeout: Duration::from_millis(300),
            ..OcrConfig::default()
        };
        let started = std::time::Instant::now();
        let problem = recognise(&config, b"\x89PNG", "image/png")
            .await
            .unwrap_err();
        assert_eq!(problem, OcrProblem::TimedOut(Duration::from_millis(300)));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "killed, not awaited"
        );
    }

    #[tokio::test]
    async fn a_failing_program_says_why() {
        let config = OcrConfig {
            tesseract: "false".into(),
            ..OcrConfig::default()
        };
        let problem = recognise(&config, b"\x89PNG", "image/png")
            .await
            .unwrap_err();
        assert!(matches!(problem, OcrProblem::Failed(_)), "{problem:?}");
    }
}
