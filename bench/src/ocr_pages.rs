//! Text recognition of scanned letters as the mailroom runs it (`mailroom::ocr`:
//! pdftoppm at 300 dpi, then Tesseract with German): pages per minute one after the
//! other and with two at once (the two cores of this machine), and how often the
//! reference printed in a letter is found by `references::find_in`.
//!
//! Usage: ocr-pages DIR   (DIR holds one-page letters named `<reference>.pdf`, as
//! bench/run.py writes them)

use std::time::Instant;

use rathaus_core::mailroom::ocr::{OcrConfig, recognise};
use rathaus_core::references::find_in;

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("usage: ocr-pages DIR");
    let mut letters = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("letters directory") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pdf") {
            let reference = path.file_stem().unwrap().to_string_lossy().into_owned();
            letters.push((reference, std::fs::read(&path).unwrap()));
        }
    }
    letters.sort();
    let config = OcrConfig::default();

    let started = Instant::now();
    let (mut exact, mut near, mut missed) = (0, 0, Vec::new());
    for (reference, pdf) in &letters {
        let read = recognise(&config, pdf, "application/pdf")
            .await
            .expect("recognised");
        let found = find_in(&read.text, "MS");
        match found.iter().position(|r| r == reference) {
            Some(0) => exact += 1,
            Some(_) => near += 1,
            None => missed.push(reference.clone()),
        }
    }
    let one_by_one = letters.len() as f64 / started.elapsed().as_secs_f64() * 60.0;

    let started = Instant::now();
    for pair in letters.chunks(2) {
        let runs: Vec<_> = pair
            .iter()
            .map(|(_, pdf)| {
                let (config, pdf) = (config.clone(), pdf.clone());
                tokio::spawn(async move { recognise(&config, &pdf, "application/pdf").await })
            })
            .collect();
        for run in runs {
            run.await.unwrap().expect("recognised");
        }
    }
    let two_at_once = letters.len() as f64 / started.elapsed().as_secs_f64() * 60.0;
    println!(
        "{} letters: {one_by_one:.0} pages/min one at a time, {two_at_once:.0} pages/min two at once; \
         reference found {exact} exactly, {near} as a near miss, {} missed {missed:?}",
        letters.len(),
        missed.len()
    );
}
