//! Form definitions of Rathaus, pure and without I/O: what a form assistant asks, which
//! rules show, hide or require its fields, and how fees are computed from the answers.
//!
//! The rules are written in a small expression language ([`expr`]) that is parsed and
//! type-checked when a definition is loaded, so that a broken rule stops the load with a
//! message instead of failing in front of a citizen; it is evaluated without `eval`.
//! What people type is read by [`values`] (German numbers, amounts, dates, IBANs, …).
//!
//! This is the first part of the form engine (issue 4); the definition format, steps and
//! the web assistant build on it.

pub mod builtin;
pub mod definition;
pub mod expr;
pub mod fill;
pub mod media;
pub mod present;
pub mod values;
pub mod xdatenfelder;
