//! The little world typst sees while laying out one letter: the template, the files of
//! this letter (its data, the coat of arms, the QR code, attachments) and the embedded
//! fonts. Nothing is read from disk or the network.

use std::collections::HashMap;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::Timestamped;

/// The fonts every letter uses, parsed once.
pub(crate) struct Fonts {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Fonts {
    pub(crate) fn embedded() -> Self {
        let fonts: Vec<Font> = [
            ttf_noto_sans::REGULAR,
            ttf_noto_sans::BOLD,
            ttf_noto_sans::ITALIC,
        ]
        .into_iter()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
        Self {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    }
}

pub(crate) struct LetterWorld<'a> {
    fonts: &'a Fonts,
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Timestamped,
}

fn id(path: &str) -> FileId {
    let path = VirtualPath::new(path).expect("the letter's own paths are valid");
    FileId::new(RootedPath::new(VirtualRoot::Project, path))
}

impl<'a> LetterWorld<'a> {
    pub(crate) fn new(
        fonts: &'a Fonts,
        template: &str,
        files: Vec<(String, Bytes)>,
        today: Timestamped,
    ) -> Self {
        Self {
            fonts,
            main: Source::new(id("/main.typ"), template.to_owned()),
            files: files
                .into_iter()
                .map(|(path, bytes)| (id(&path), bytes))
                .collect(),
            today,
        }
    }

    /// The errors as one line each, for the log and the caller.
    pub(crate) fn describe(&self, errors: &[SourceDiagnostic]) -> String {
        errors
            .iter()
            .map(|e| {
                let mut line = e.message.to_string();
                for hint in &e.hints {
                    line.push_str(&format!(" (hint: {})", hint.v));
                }
                line
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl World for LetterWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.fonts.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_with_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Datetime::from_ymd(self.today.year, self.today.month, self.today.day)
    }
}
