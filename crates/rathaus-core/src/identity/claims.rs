//! Which claim of a provider carries what. Providers speak standard OpenID Connect
//! (`acr`, `given_name`, `address.street_address`, …) unless configured otherwise: a
//! BundID bridge may report the level of assurance in a claim of its own, and pass the
//! identity data under the SAML attribute names it received (`urn:oid:2.5.4.42`).
//!
//! A claim is looked up in the ID token first, then in the userinfo answer; both come
//! from the provider itself (the token checked by signature, the userinfo fetched
//! server-to-server with the access token). A name is first taken whole (SAML names
//! contain dots), then as a path into objects (`address.postal_code`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use crate::error::{CoreError, Result};

/// What Rathaus takes from a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The level of assurance, mapped to a trust level by the provider's table.
    Trust,
    Email,
    EmailVerified,
    GivenName,
    FamilyName,
    BirthDate,
    /// The street line; with a house number at its end unless `HouseNumber` is mapped.
    Street,
    HouseNumber,
    Postcode,
    City,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Self::Trust,
        Self::Email,
        Self::EmailVerified,
        Self::GivenName,
        Self::FamilyName,
        Self::BirthDate,
        Self::Street,
        Self::HouseNumber,
        Self::Postcode,
        Self::City,
    ];

    /// The name used in the configuration (`--claim given_name=urn:oid:2.5.4.42`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Trust => "trust",
            Self::Email => "email",
            Self::EmailVerified => "email_verified",
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::BirthDate => "birth_date",
            Self::Street => "street",
            Self::HouseNumber => "house_number",
            Self::Postcode => "postcode",
            Self::City => "city",
        }
    }

    /// The standard OpenID Connect claim; none for the house number, which the
    /// standard keeps in the street line.
    fn standard_claim(self) -> Option<&'static str> {
        Some(match self {
            Self::Trust => "acr",
            Self::Email => "email",
            Self::EmailVerified => "email_verified",
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::BirthDate => "birthdate",
            Self::Street => "address.street_address",
            Self::HouseNumber => return None,
            Self::Postcode => "address.postal_code",
            Self::City => "address.locality",
        })
    }

    fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// The claims configured away from the standard, as stored with the provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimMapping(BTreeMap<String, String>);

impl ClaimMapping {
    /// From (field, claim) pairs; an unknown field or an empty claim name is refused.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (field, claim) in pairs {
            let Some(field) = Field::parse(field.trim()) else {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
                return Err(CoreError::Invalid(format!(
                    "'{field}' is not something taken from a provider; known: {}",
                    known.join(", ")
                )));
            };
            let claim = claim.trim();
            if claim.is_empty() {
                return Err(CoreError::Invalid(format!(
                    "name the claim that carries {}",
                    field.key()
                )));
            }
            map.insert(field.key().to_owned(), claim.to_owned());
        }
        Ok(Self(map))
    }

    pub(super) fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a map serialises")
    }

    pub(super) fn from_json(json: &str) -> Self {
        Self(serde_json::from_str(json).unwrap_or_default())
    }

    /// The claim that carries `field`, if any.
    pub fn claim(&self, field: Field) -> Option<&str> {
        self.0
            .get(field.key())
            .map(String::as_str)
            .or_else(|| field.standard_claim())
    }
}

/// What the provider said about the person: the ID token's payload and the userinfo
/// answer, read through the provider's mapping.
pub(super) struct ProviderClaims<'a> {
    pub id_token: Value,
    pub userinfo: Value,
    pub mapping: &'a ClaimMapping,
}

impl ProviderClaims<'_> {
    fn value(&self, field: Field) -> Option<&Value> {
        let claim = self.mapping.claim(field)?;
        [&self.id_token, &self.userinfo]
            .into_iter()
            .find_map(|source| lookup(source, claim))
    }

    /// The field as text (numbers too: a level may be `3`), trimmed; none when empty.
    pub fn text(&self, field: Field) -> Option<String> {
        let text = match self.value(field)? {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some(text).filter(|t| !t.is_empty())
    }

    pub fn flag(&self, field: Field) -> bool {
        match self.value(field) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        }
    }

    /// The birth date as ISO (`1964-08-12`), German (`12.08.1964`) or compact
    /// (`19640812`) date.
    pub fn date(&self, field: Field) -> Option<NaiveDate> {
        let text = self.text(field)?;
        ["%Y-%m-%d", "%d.%m.%Y", "%Y%m%d"]
            .into_iter()
            .find_map(|format| NaiveDate::parse_from_str(&text, format).ok())
    }
}

/// A claim by its whole name, else as a dotted path into objects.
fn lookup<'v>(source: &'v Value, claim: &str) -> Option<&'v Value> {
    if let Some(found) = source.get(claim) {
        return Some(found);
    }
    claim
        .split('.')
        .try_fold(source, |value, part| value.get(part))
        .filter(|_| claim.contains('.'))
}

/// The payload of a compact JWT whose signature was already checked.
pub(super) fn payload_of(jwt: &str) -> Value {
    use base64::Engine;
    jwt.split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(mapping: &ClaimMapping, id_token: Value, userinfo: Value) -> ProviderClaims<'_> {
        ProviderClaims {
            id_token,
            userinfo,
            mapping,
        }
    }

    #[test]
    fn standard_claims_are_read_without_configuration() {
        let mapping = ClaimMapping::default();
        let said = claims(
            &mapping,
            json!({"acr": "http://eidas.europa.eu/LoA/high", "given_name": "aus dem Token"}),
            json!({"given_name": "Erika", "birthdate": "1964-08-12",
                   "address": {"street_address": "Heidestraße 17", "postal_code": "51147"}}),
        );
        assert_eq!(
            said.text(Field::Trust).as_deref(),
            Some("http://eidas.europa.eu/LoA/high")
        );
        assert_eq!(
            said.text(Field::GivenName).as_deref(),
            Some("aus dem Token"),
            "the signed ID token comes first"
        );
        assert_eq!(said.text(Field::Postcode).as_deref(), Some("51147"));
        assert_eq!(
            said.date(Field::BirthDate),
            NaiveDate::from_ymd_opt(1964, 8, 12)
        );
        assert_eq!(said.text(Field::HouseNumber), None);
        assert_eq!(said.text(Field::City), None);
    }

    #[test]
    fn mapped_claims_are_read_by_whole_name_or_path() {
        let mapping = ClaimMapping::from_pairs(&[
            ("trust", "trustLevel"),
            ("given_name", "urn:oid:2.5.4.42"),
            ("birth_date", "person.geburtsdatum"),
        ])
        .unwrap();
        let said = claims(
            &mapping,
            json!({"acr": "ignored"}),
            json!({"trustLevel": 3, "urn:oid:2.5.4.42": " Erika ",
                   "person": {"geburtsdatum": "12.08.1964"}}),
        );
        assert_eq!(said.text(Field::Trust).as_deref(), Some("3"));
        assert_eq!(said.text(Field::GivenName).as_deref(), Some("Erika"));
        assert_eq!(
            said.date(Field::BirthDate),
            NaiveDate::from_ymd_opt(1964, 8, 12)
        );
    }

    #[test]
    fn unknown_fields_and_empty_claims_are_refused() {
        assert!(ClaimMapping::from_pairs(&[("vorname", "x")]).is_err());
        assert!(ClaimMapping::from_pairs(&[("trust", " ")]).is_err());
        let stored = ClaimMapping::from_pairs(&[("trust", "loa")]).unwrap();
        assert_eq!(ClaimMapping::from_json(&stored.to_json()), stored);
    }

    #[test]
    fn payloads_of_compact_tokens_are_read() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"erika","loa":"hoch"}"#);
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
        assert_eq!(payload_of(&token)["loa"], "hoch");
        assert_eq!(payload_of("kein token"), Value::Null);
    }
}
