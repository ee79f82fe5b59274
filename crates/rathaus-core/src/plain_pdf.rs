//! A plain PDF of text: a title, a few lines under it, then sections of labelled values,
//! set in the standard Helvetica on A4, wrapped and paged, with "page n of m" and a
//! footer on every page. Enough for a copy of what was submitted; letters with the
//! town's design (PDF/A, embedded fonts, signature) are made elsewhere.
//!
//! Text is written in WinAnsi encoding, which the standard fonts understand and which
//! holds German (ä ö ü ß „ “ – €); a character it lacks is written as `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A section: a heading and its rows, each a label with one or more lines of value.
pub struct Section {
    pub title: String,
    pub rows: Vec<(String, Vec<String>)>,
}

pub struct Document<'a> {
    pub title: &'a str,
    pub lead: &'a [String],
    pub sections: &'a [Section],
    /// On every page, beside the page number.
    pub footer: &'a str,
    /// "Seite {n} von {m}" in the reader's language, with `{n}` and `{m}`.
    pub page_of: &'a str,
}

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// Characters per line of body text (10 pt): Helvetica's widest common letters (capitals
/// such as M and W) take up to 8 pt, most about 5.5; 76 keeps even a line of capitals
/// close to the margin. Larger text gets proportionally fewer.
const CHARS_PER_LINE: usize = 76;

fn chars_at(size: f32) -> usize {
    (CHARS_PER_LINE as f32 * 10.0 / size) as usize
}

enum Line {
    Title(String),
    Heading(String),
    Label(String),
    Text(String),
    Gap,
}

impl Line {
    /// Font, size and the space the line takes.
    fn style(&self) -> (Name<'static>, f32, f32) {
        match self {
            Self::Title(_) => (BOLD, 18.0, 28.0),
            Self::Heading(_) => (BOLD, 13.0, 22.0),
            Self::Label(_) => (BOLD, 10.0, 14.0),
            Self::Text(_) => (REGULAR, 10.0, 14.0),
            Self::Gap => (REGULAR, 10.0, 8.0),
        }
    }
}

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// The document as PDF bytes.
pub fn render(document: &Document<'_>) -> Vec<u8> {
    let lines = lines(document);
    let pages = paginate(&lines);
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (id, name) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info_id)
        .title(TextStr(document.title))
        .producer(TextStr("Rathaus"));
    for (i, lines) in pages.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
            .parent(tree_id)
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(REGULAR, regular_id)
            .pair(BOLD, bold_id);
        page.finish();
        let page_of = document
            .page_of
            .replace("{n}", &(i + 1).to_string())
            .replace("{m}", &pages.len().to_string());
        let content = page_content(lines, document.footer, &page_of);
        pdf.stream(content_id, &content);
    }
    pdf.finish()
}

fn lines(document: &Document<'_>) -> Vec<Line> {
    let mut lines: Vec<Line> = wrapped(document.title, chars_at(18.0))
        .map(Line::Title)
        .collect();
    for lead in document.lead {
        lines.extend(wrapped(lead, CHARS_PER_LINE).map(Line::Text));
    }
    for section in document.sections {
        lines.push(Line::Gap);
        lines.extend(wrapped(&section.title, chars_at(13.0)).map(Line::Heading));
        for (label, values) in &section.rows {
            // Bold is wider: a tenth fewer characters.
            lines.extend(wrapped(label, CHARS_PER_LINE * 9 / 10).map(Line::Label));
            for value in values {
                lines.extend(wrapped(value, CHARS_PER_LINE).map(Line::Text));
            }
            lines.push(Line::Gap);
        }
    }
    lines
}

/// Lines of at most `width` characters, broken between words where there are words (and
/// inside a word only when it is longer than a line).
fn wrapped(text: &str, width: usize) -> impl Iterator<Item = String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..width).collect());
            }
            let word: String = word.into_iter().collect();
            let needed = line.chars().count() + 1 + word.chars().count();
            if !line.is_empty() && needed > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines.into_iter()
}

/// The lines on each page; a heading or label stays with the two lines after it.
fn paginate(lines: &[Line]) -> Vec<Vec<&Line>> {
    let usable = HEIGHT - 2.0 * MARGIN - 20.0;
    let mut pages: Vec<Vec<&Line>> = vec![Vec::new()];
    let mut used = 0.0;
    for (i, line) in lines.iter().enumerate() {
        let (_, _, height) = line.style();
        let keep_with_next: f32 = if matches!(line, Line::Label(_) | Line::Heading(_)) {
            lines[i + 1..]
                .iter()
                .take(2)
                .map(|next| next.style().2)
                .sum()
        } else {
            0.0
        };
        if used + height + keep_with_next > usable && !pages.last().expect("a page").is_empty() {
            pages.push(Vec::new());
            used = 0.0;
            if matches!(line, Line::Gap) {
                continue;
            }
        }
        pages.last_mut().expect("a page").push(line);
        used += height;
    }
    pages
}

fn page_content(lines: &[&Line], footer: &str, page_of: &str) -> Vec<u8> {
    let mut content = Content::new();
    let mut y = HEIGHT - MARGIN;
    for line in lines {
        let (font, size, height) = line.style();
        y -= height;
        let text = match line {
            Line::Title(t) | Line::Heading(t) | Line::Label(t) | Line::Text(t) => t,
            Line::Gap => continue,
        };
        write_text(&mut content, font, size, MARGIN, y, text);
    }
    write_text(&mut content, REGULAR, 8.0, MARGIN, MARGIN - 24.0, footer);
    let page_of_x = WIDTH - MARGIN - 4.5 * page_of.chars().count() as f32;
    write_text(
        &mut content,
        REGULAR,
        8.0,
        page_of_x,
        MARGIN - 24.0,
        page_of,
    );
    content.finish().into_vec()
}

fn write_text(content: &mut Content, font: Name, size: f32, x: f32, y: f32, text: &str) {
    content
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&win_ansi(text)))
        .end_text();
}

/// The text in WinAnsi encoding (Windows-1252).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn german_text_is_written_in_win_ansi() {
        assert_eq!(
            win_ansi("Straße „Süd“ – 30 €"),
            b"Stra\xdfe \x84S\xfcd\x93 \x96 30 \x80"
        );
        assert_eq!(win_ansi("日本"), b"??");
    }

    #[test]
    fn long_values_are_wrapped_between_words() {
        let text = "wort ".repeat(40);
        let lines: Vec<String> = wrapped(&text, CHARS_PER_LINE).collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= CHARS_PER_LINE));
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            40,
            "no word lost"
        );
        let unbroken: Vec<String> = wrapped(&"x".repeat(200), CHARS_PER_LINE).collect();
        assert_eq!(unbroken.len(), 3);
        let title = "Antrag auf Erteilung einer Ausnahmegenehmigung ".repeat(3);
        let document = Document {
            title: &title,
            lead: &[],
            sections: &[],
            footer: "",
            page_of: "",
        };
        let titles = super::lines(&document)
            .iter()
            .filter(|l| matches!(l, Line::Title(t) if t.chars().count() <= chars_at(18.0)))
            .count();
        assert!(titles >= 3, "a long title is wrapped too: {titles} lines");
    }

    #[test]
    fn many_rows_go_over_several_pages_with_their_numbers() {
        let rows = (1..=120)
            .map(|i| (format!("Feld {i}"), vec![format!("Wert {i}")]))
            .collect();
        let sections = [Section {
            title: "Angaben".into(),
            rows,
        }];
        let pdf = render(&Document {
            title: "Bewohnerparkausweis",
            lead: &["Aktenzeichen MS-2026-7K3QX".into()],
            sections: &sections,
            footer: "Kopie",
            page_of: "Seite {n} von {m}",
        });
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let count: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        // 120 rows of 36 pt on pages of 710 pt: more than six pages.
        assert!(count >= 6, "{count} pages");
        assert!(text.contains(&format!("(Seite {count} von {count})")));
        assert!(contains(&pdf, b"(Wert 120)"), "the last row is there");
    }
}
