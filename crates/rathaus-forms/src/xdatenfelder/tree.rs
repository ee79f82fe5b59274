//! A small element tree of an XML document: local names, the namespace of each element,
//! attributes, text and the line where each element starts (for messages). Enough for
//! reading XDatenfelder files, which use elements and little else.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::definition::Mistake;

#[derive(Debug, Default)]
pub struct Element {
    pub name: String,
    pub namespace: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
    pub line: usize,
}

impl Element {
    /// The children with this local name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text with surrounding white space removed.
    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }
}

fn line_of(xml: &str, offset: u64) -> usize {
    let end = usize::try_from(offset).unwrap_or(xml.len()).min(xml.len());
    xml.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Lines counted as the reader moves forward (counting from the start for every element
/// would take quadratic time on a large schema).
struct Lines<'a> {
    xml: &'a [u8],
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: u64) -> usize {
        let end = usize::try_from(offset)
            .unwrap_or(self.xml.len())
            .min(self.xml.len());
        if end >= self.offset {
            self.line += self.xml[self.offset..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.offset = end;
        }
        self.line
    }
}

/// Deeper than any real schema; a deeper document is refused rather than risking the
/// stack of the recursive checks.
const MAX_DEPTH: usize = 64;

fn broken(xml: &str, offset: u64, message: impl std::fmt::Display) -> Mistake {
    Mistake {
        place: format!("line {}", line_of(xml, offset)),
        message: format!("not well-formed XML: {message}"),
    }
}

/// The namespace an element name resolved to.
fn namespace_of(
    resolved: &ResolveResult,
    xml: &str,
    offset: u64,
) -> Result<Option<String>, Mistake> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(Some(String::from_utf8_lossy(ns.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => {
            let prefix = String::from_utf8_lossy(prefix).into_owned();
            Err(broken(xml, offset, format!("undeclared prefix '{prefix}'")))
        }
    }
}

fn element(
    namespace: Option<String>,
    start: &BytesStart,
    xml: &str,
    offset: u64,
    line: usize,
) -> Result<Element, Mistake> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| broken(xml, offset, e))?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let raw = String::from_utf8_lossy(&attribute.value).into_owned();
        let value = quick_xml::escape::unescape(&raw)
            .map_err(|e| broken(xml, offset, e))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        namespace,
        attributes,
        children: Vec::new(),
        text: String::new(),
        line,
    })
}

/// The character an entity reference stands for (`&lt;`, `&#228;`).
fn entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Parses `xml` into its root element.
pub fn parse(xml: &str) -> Result<Element, Mistake> {
    let mut reader = NsReader::from_str(xml);
    let mut lines = Lines {
        xml: xml.as_bytes(),
        offset: 0,
        line: 1,
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let offset = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| broken(xml, offset, e))?;
        match event {
            Event::Start(start) => {
                let namespace = namespace_of(&resolved, xml, offset)?;
                let node = element(namespace, &start, xml, offset, lines.at(offset))?;
                if stack.len() >= MAX_DEPTH {
                    return Err(broken(
                        xml,
                        offset,
                        format!("nested deeper than {MAX_DEPTH} elements"),
                    ));
                }
                stack.push(node);
            }
            Event::Empty(start) => {
                let namespace = namespace_of(&resolved, xml, offset)?;
                let node = element(namespace, &start, xml, offset, lines.at(offset))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| broken(xml, offset, "end tag without start"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    let decoded = text.decode().map_err(|e| broken(xml, offset, e))?;
                    current.text.push_str(&decoded);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::GeneralRef(reference) => {
                let name = String::from_utf8_lossy(&reference).into_owned();
                let character = entity(&name)
                    .ok_or_else(|| broken(xml, offset, format!("unknown entity &{name};")))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push(character);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(broken(
            xml,
            xml.len() as u64,
            "the document ends inside an element",
        ));
    }
    root.ok_or_else(|| broken(xml, 0, "no root element"))
}
