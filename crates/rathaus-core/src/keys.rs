//! Short stable names (tenant slugs, department and role keys, catalog keys): what they
//! may consist of is decided here once.

/// Whether `key` has 1 to `max` bytes of lower-case a–z, digits and `separator`.
pub(crate) fn is_key(key: &str, max: usize, separator: u8) -> bool {
    !key.is_empty()
        && key.len() <= max
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == separator)
}
