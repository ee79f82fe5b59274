//! The mailroom (Poststelle): decides which department gets what arrives. Applications
//! go by the town's routing rules, else by their service (the catalog names its
//! department); what finds no department of the town stays with the mailroom
//! (`routing`). Paper mail is scanned, read and filed by a person (`paper`).

pub mod ocr;
pub mod paper;
pub mod routing;
