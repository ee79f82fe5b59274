//! Trust levels (Vertrauensniveaus) of a citizen login, after the levels German
//! administrative portals use: an e-mail address and password reach `Basis`; an eID
//! login reaches `Substanziell` or `Hoch`, as the identity provider reports (`acr`).
//! A service can require a minimum level.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrustLevel {
    Basis,
    Niedrig,
    Substanziell,
    Hoch,
}

impl TrustLevel {
    pub const ALL: [Self; 4] = [Self::Basis, Self::Niedrig, Self::Substanziell, Self::Hoch];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basis => "basis",
            Self::Niedrig => "niedrig",
            Self::Substanziell => "substanziell",
            Self::Hoch => "hoch",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_round_trip() {
        assert!(TrustLevel::Basis < TrustLevel::Substanziell);
        assert!(TrustLevel::Hoch > TrustLevel::Substanziell);
        for level in TrustLevel::ALL {
            assert_eq!(TrustLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(TrustLevel::parse("mittel"), None);
    }
}
