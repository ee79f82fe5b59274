//! What people type, read as typed values: German numbers and amounts ("1.234,50"),
//! dates ("24.11.2008" or the ISO form of a date input), IBANs (checksum), postcodes,
//! vehicle registration numbers, e-mail addresses and phone numbers.
//!
//! Each reader trims the input and either gives the value in its normal form or a
//! [`Problem`]; the web layer turns a problem into a German (or English) sentence.

use chrono::NaiveDate;

/// Why an answer cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    NotANumber,
    NotAnAmount,
    NotADate,
    NotAnEmail,
    NotAPhoneNumber,
    /// Not of the form of an IBAN (country, check digits, 11–30 letters and digits).
    NotAnIban,
    /// Looks like an IBAN but the check digits do not fit: most likely a typo.
    IbanChecksum,
    /// A German IBAN has 22 characters.
    IbanLength {
        expected: usize,
    },
    NotAPostcode,
    NotARegistrationNumber,
}

/// A number in German or international notation: "12", "-3", "1.234,5", "1234.5". A dot
/// followed by groups of exactly three digits groups thousands, as in German ("1.234").
pub fn number(input: &str) -> Result<f64, Problem> {
    let text = input.trim().replace(' ', "");
    let thousands_only =
        text.contains('.') && text.split('.').skip(1).all(|group| group.len() == 3);
    let normal = if text.contains(',') {
        // German: dots group thousands, the comma is the decimal mark.
        text.replace('.', "").replace(',', ".")
    } else if thousands_only {
        text.replace('.', "")
    } else {
        text
    };
    let valid = !normal.is_empty()
        && normal
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && normal.matches('.').count() <= 1;
    if !valid {
        return Err(Problem::NotANumber);
    }
    normal.parse().map_err(|_| Problem::NotANumber)
}

/// An amount of euros in cents: "30", "30,5", "1.234,56 €", "EUR 12.50". At most two
/// decimals: a third would be a typo, not a fraction of a cent.
pub fn amount(input: &str) -> Result<i64, Problem> {
    let text = input
        .trim()
        .trim_end_matches('€')
        .trim_end_matches("EUR")
        .trim_start_matches("EUR")
        .trim();
    let (whole, decimals) = match text.rsplit_once(',') {
        Some((whole, decimals)) => (whole.replace('.', ""), decimals.to_owned()),
        None => match text.rsplit_once('.') {
            // "1.234" is a thousand and more in German; "12.50" is an amount with cents.
            Some((whole, decimals)) if decimals.len() <= 2 => {
                (whole.to_owned(), decimals.to_owned())
            }
            _ => (text.replace('.', ""), String::new()),
        },
    };
    let (negative, whole) = match whole.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, whole),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(&whole) || !digits(&decimals) || decimals.len() > 2 {
        return Err(Problem::NotAnAmount);
    }
    let euros: i64 = whole.parse().map_err(|_| Problem::NotAnAmount)?;
    let cents: i64 = format!("{decimals:0<2}").parse().unwrap_or(0);
    let total = euros
        .checked_mul(100)
        .and_then(|e| e.checked_add(cents))
        .ok_or(Problem::NotAnAmount)?;
    Ok(if negative { -total } else { total })
}

/// A date as "24.11.2008", "24.11.08" is refused (which century?), or ISO "2008-11-24"
/// as a date input sends it.
pub fn date(input: &str) -> Result<NaiveDate, Problem> {
    let text = input.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .or_else(|| {
            let parts: Vec<&str> = text.split('.').collect();
            match parts.as_slice() {
                [d, m, y]
                    if y.len() == 4
                        && y.chars().all(|c| c.is_ascii_digit())
                        && d.len() <= 2
                        && m.len() <= 2 =>
                {
                    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
                }
                _ => None,
            }
        })
        .ok_or(Problem::NotADate)
}

/// An e-mail address, lower-cased: one `@`, a local part, a domain with a dot.
pub fn email(input: &str) -> Result<String, Problem> {
    let text = input.trim().to_lowercase();
    let ok = match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    };
    if ok && text.len() <= 254 {
        Ok(text)
    } else {
        Err(Problem::NotAnEmail)
    }
}

/// A phone number: digits with the usual separators, 6 to 15 digits, optional `+`.
pub fn phone(input: &str) -> Result<String, Problem> {
    let text = input.trim();
    let allowed = text
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " /-()".contains(c) || (c == '+' && i == 0));
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if allowed && (6..=15).contains(&digits) {
        Ok(text.to_owned())
    } else {
        Err(Problem::NotAPhoneNumber)
    }
}

/// An IBAN, in groups of four ("DE89 3704 0044 0532 0130 00"), checked by ISO 7064
/// mod 97-10.
pub fn iban(input: &str) -> Result<String, Problem> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    // ASCII first: the slices below must not cut a character in two.
    let well_formed = compact.is_ascii()
        && compact.len() >= 15
        && compact.len() <= 34
        && compact[..2].chars().all(|c| c.is_ascii_uppercase())
        && compact[2..4].chars().all(|c| c.is_ascii_digit())
        && compact[4..].chars().all(|c| c.is_ascii_alphanumeric());
    if !well_formed {
        return Err(Problem::NotAnIban);
    }
    if compact.starts_with("DE") && compact.len() != 22 {
        return Err(Problem::IbanLength { expected: 22 });
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let remainder = rearranged.chars().fold(0u32, |acc, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    if remainder != 1 {
        return Err(Problem::IbanChecksum);
    }
    let grouped = compact
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(grouped)
}

/// A German postcode: five digits.
pub fn postcode(input: &str) -> Result<String, Problem> {
    let text = input.trim();
    if text.len() == 5 && text.chars().all(|c| c.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(Problem::NotAPostcode)
    }
}

/// A German vehicle registration number (Kfz-Kennzeichen): district code of one to
/// three letters, one or two letters, one to four digits not starting with 0, and an
/// optional E (electric) or H (historic). Given as "K-AB 123", "K AB 123" or "KAB123"
/// is ambiguous and refused; the normal form is "K-AB 123".
pub fn registration_number(input: &str) -> Result<String, Problem> {
    let upper = input.trim().to_uppercase();
    let (district, rest) = upper
        .split_once(['-', ' '])
        .ok_or(Problem::NotARegistrationNumber)?;
    let rest = rest.trim();
    let letters_end = rest
        .find(|c: char| !c.is_alphabetic())
        .ok_or(Problem::NotARegistrationNumber)?;
    let (letters, tail) = rest.split_at(letters_end);
    let tail = tail.trim();
    let (digits, suffix) = match tail.strip_suffix(['E', 'H']) {
        Some(digits) => (digits, &tail[digits.len()..]),
        None => (tail, ""),
    };
    let district_ok = (1..=3).contains(&district.chars().count())
        && district
            .chars()
            .all(|c| "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ".contains(c));
    let letters_ok =
        (1..=2).contains(&letters.len()) && letters.chars().all(|c| c.is_ascii_uppercase());
    let digits_ok = (1..=4).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    // At most eight characters besides the separators and the E/H.
    let length_ok = district.chars().count() + letters.len() + digits.len() <= 8;
    if district_ok && letters_ok && digits_ok && length_ok {
        Ok(format!("{district}-{letters} {digits}{suffix}"))
    } else {
        Err(Problem::NotARegistrationNumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_german_and_international_notation() {
        assert_eq!(number("12"), Ok(12.0));
        assert_eq!(number(" 1.234,5 "), Ok(1234.5));
        assert_eq!(number("1234.5"), Ok(1234.5));
        assert_eq!(number("1.234"), Ok(1234.0), "German thousands");
        assert_eq!(number("1.5"), Ok(1.5));
        assert_eq!(number("-3"), Ok(-3.0));
        assert_eq!(number("zwölf"), Err(Problem::NotANumber));
        assert_eq!(number("1.2.3"), Err(Problem::NotANumber));
        assert_eq!(number(""), Err(Problem::NotANumber));
    }

    #[test]
    fn amounts_become_whole_cents() {
        assert_eq!(amount("30"), Ok(3000));
        assert_eq!(amount("30,5"), Ok(3050));
        assert_eq!(amount("1.234,56 €"), Ok(123_456));
        assert_eq!(amount("EUR 12.50"), Ok(1250));
        assert_eq!(amount("1.234"), Ok(123_400), "a German thousands dot");
        assert_eq!(amount("-5,00"), Ok(-500));
        assert_eq!(
            amount("12,345"),
            Err(Problem::NotAnAmount),
            "no fractions of a cent"
        );
        assert_eq!(amount("zehn"), Err(Problem::NotAnAmount));
        assert_eq!(amount("99999999999999999999"), Err(Problem::NotAnAmount));
    }

    #[test]
    fn dates_german_or_iso() {
        let day = NaiveDate::from_ymd_opt(2008, 11, 24).unwrap();
        assert_eq!(date("24.11.2008"), Ok(day));
        assert_eq!(date("2008-11-24"), Ok(day));
        assert_eq!(
            date("1.2.2024"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap())
        );
        assert_eq!(date("31.02.2024"), Err(Problem::NotADate));
        assert_eq!(date("24.11.08"), Err(Problem::NotADate), "which century?");
        assert_eq!(date("morgen"), Err(Problem::NotADate));
    }

    #[test]
    fn ibans_are_checked_by_their_check_digits() {
        assert_eq!(
            iban("de89 3704 0044 0532 0130 00"),
            Ok("DE89 3704 0044 0532 0130 00".into())
        );
        assert_eq!(iban("DE89370400440532013001"), Err(Problem::IbanChecksum));
        assert_eq!(
            iban("DE8937040044053201300"),
            Err(Problem::IbanLength { expected: 22 })
        );
        assert_eq!(
            iban("GB82 WEST 1234 5698 7654 32"),
            Ok("GB82 WEST 1234 5698 7654 32".into())
        );
        assert_eq!(iban("1234"), Err(Problem::NotAnIban));
        assert_eq!(
            iban("ÄÖ89 3704 0044 0532 0130 00"),
            Err(Problem::NotAnIban),
            "no panic"
        );
    }

    #[test]
    fn postcodes_mails_and_phones() {
        assert_eq!(postcode(" 42651 "), Ok("42651".into()));
        assert_eq!(postcode("4265"), Err(Problem::NotAPostcode));
        assert_eq!(email(" Erika@Example.ORG "), Ok("erika@example.org".into()));
        assert_eq!(email("erika@localhost"), Err(Problem::NotAnEmail));
        assert_eq!(
            email("erika mustermann@example.org"),
            Err(Problem::NotAnEmail)
        );
        assert_eq!(phone("+49 212 290-0"), Ok("+49 212 290-0".into()));
        assert_eq!(phone("0212 / 290 0"), Ok("0212 / 290 0".into()));
        assert_eq!(phone("12 34"), Err(Problem::NotAPhoneNumber));
        assert_eq!(phone("0212-ABC"), Err(Problem::NotAPhoneNumber));
    }

    #[test]
    fn registration_numbers_in_their_normal_form() {
        assert_eq!(registration_number("k-ab 123"), Ok("K-AB 123".into()));
        assert_eq!(registration_number("SG X 1"), Ok("SG-X 1".into()));
        assert_eq!(registration_number("M-AB 1234E"), Ok("M-AB 1234E".into()));
        assert_eq!(registration_number("HH-Q 17H"), Ok("HH-Q 17H".into()));
        assert_eq!(registration_number("MÜ-A 5"), Ok("MÜ-A 5".into()));
        assert_eq!(
            registration_number("KAB123"),
            Err(Problem::NotARegistrationNumber)
        );
        assert_eq!(
            registration_number("K-AB 0123"),
            Err(Problem::NotARegistrationNumber)
        );
        assert_eq!(
            registration_number("ABCD-A 1"),
            Err(Problem::NotARegistrationNumber)
        );
        assert_eq!(
            registration_number("K-ABC 1"),
            Err(Problem::NotARegistrationNumber)
        );
    }
}
