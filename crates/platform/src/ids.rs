//! Identifier newtypes every domain shares: Hong Kong identity card numbers
//! (with check-digit validation) and passport numbers. Parse at the edge;
//! never log them; show them masked.

use std::fmt;

/// A Hong Kong identity card number, validated and normalised to
/// `A1234567` or `AB1234567` (letters, six digits, check character).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Hkid(String);

impl fmt::Debug for Hkid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hkid({})", self.masked())
    }
}

/// Why an HKID was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HkidProblem {
    Format,
    CheckDigit,
}

fn letter_value(c: u8) -> u32 {
    u32::from(c - b'A') + 10
}

impl Hkid {
    /// Accepts `A123456(7)`, `A1234567`, `a123456 7`, `AB987654(3)`…
    pub fn parse(input: &str) -> Result<Hkid, HkidProblem> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = s.as_bytes();
        let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
        if !(1..=2).contains(&letters) || bytes.len() != letters + 7 {
            return Err(HkidProblem::Format);
        }
        let digits = &bytes[letters..letters + 6];
        let check = bytes[letters + 6];
        if !digits.iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || check == b'A') {
            return Err(HkidProblem::Format);
        }
        // Weights 9..2 over a 2-letter prefix (a single letter is preceded by a space worth 36).
        let mut sum = if letters == 1 {
            36 * 9 + letter_value(bytes[0]) * 8
        } else {
            letter_value(bytes[0]) * 9 + letter_value(bytes[1]) * 8
        };
        for (i, d) in digits.iter().enumerate() {
            sum += u32::from(d - b'0') * (7 - i as u32);
        }
        let expected = match (11 - sum % 11) % 11 {
            10 => b'A',
            n => b'0' + n as u8,
        };
        if check != expected {
            return Err(HkidProblem::CheckDigit);
        }
        Ok(Hkid(s))
    }

    /// The normalised form (what is sealed and indexed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For showing: `A123***(7)`.
    pub fn masked(&self) -> String {
        let letters = self.0.bytes().take_while(u8::is_ascii_uppercase).count();
        let (head, rest) = self.0.split_at(letters + 3);
        let check = &rest[rest.len() - 1..];
        format!("{head}***({check})")
    }
}

/// A passport: issuing country (ISO 3166-1 alpha-3, as in the MRZ) and number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Passport {
    pub country: String,
    pub number: String,
}

impl fmt::Debug for Passport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Passport({} {})", self.country, self.masked())
    }
}

impl Passport {
    pub fn parse(country: &str, number: &str) -> Option<Passport> {
        let country = country.trim().to_ascii_uppercase();
        let number: String = number.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        let ok = country.len() == 3
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && (5..=20).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then_some(Passport { country, number })
    }

    /// `CHN:E12345678`: what is sealed and indexed.
    pub fn canonical(&self) -> String {
        format!("{}:{}", self.country, self.number)
    }

    pub fn masked(&self) -> String {
        let keep = self.number.len().min(3);
        format!("{}{}", &self.number[..keep], "*".repeat(self.number.len() - keep))
    }
}

/// An identity document a person has shown: an HKID or a passport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    Hkid(Hkid),
    Passport(Passport),
}

/// Why a document's fields do not make a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentProblem {
    /// Neither `hkid` nor `passport`.
    Kind,
    HkidFormat,
    HkidCheckDigit,
    /// A passport number (5–20 letters and digits) or country (3 letters) that is not.
    Passport,
}

impl Document {
    /// A document from its kind (`hkid` or `passport`), number and, for a
    /// passport, issuing country (ISO 3166-1 alpha-3).
    pub fn parse(kind: &str, number: &str, country: &str) -> Result<Document, DocumentProblem> {
        match kind {
            "hkid" => Hkid::parse(number).map(Document::Hkid).map_err(|p| match p {
                HkidProblem::Format => DocumentProblem::HkidFormat,
                HkidProblem::CheckDigit => DocumentProblem::HkidCheckDigit,
            }),
            "passport" => Passport::parse(country, number).map(Document::Passport).ok_or(DocumentProblem::Passport),
            _ => Err(DocumentProblem::Kind),
        }
    }

    /// The document a stored row holds: its kind and its number as
    /// [`Document::canonical`] wrote it (a kind other than `hkid` is a passport).
    pub fn from_stored(kind: &str, canonical: &str) -> Option<Document> {
        match kind {
            "hkid" => Hkid::parse(canonical).ok().map(Document::Hkid),
            _ => canonical
                .split_once(':')
                .and_then(|(country, number)| Passport::parse(country, number))
                .map(Document::Passport),
        }
    }

    /// `hkid` or `passport`.
    pub fn kind(&self) -> &'static str {
        match self {
            Document::Hkid(_) => "hkid",
            Document::Passport(_) => "passport",
        }
    }

    /// The normalised number (a passport's with its country): what is sealed and indexed.
    pub fn canonical(&self) -> String {
        match self {
            Document::Hkid(h) => h.as_str().to_owned(),
            Document::Passport(p) => p.canonical(),
        }
    }

    /// For showing: `A123***(7)`, `CHN E12******`.
    pub fn masked(&self) -> String {
        match self {
            Document::Hkid(h) => h.masked(),
            Document::Passport(p) => format!("{} {}", p.country, p.masked()),
        }
    }

    /// The context under which the document is sealed and indexed.
    fn context(&self) -> String {
        // Named when only identity kept documents; every domain shares it,
        // so that one document finds its holder's records everywhere.
        format!("identity.document.{}", self.kind())
    }

    /// The keyed index (a blind index, DESIGN.md §6) under which every
    /// domain finds what it keeps about this document's holder.
    pub fn index(&self, keys: &crate::crypto::Keys) -> String {
        keys.blind_index(&self.context(), &self.canonical())
    }

    /// The number sealed with the data key.
    pub fn seal(&self, keys: &crate::crypto::Keys) -> Vec<u8> {
        keys.seal(&self.context(), self.canonical().as_bytes())
    }

    /// A document sealed by [`Document::seal`], given its kind.
    pub fn open(kind: &str, sealed: &[u8], keys: &crate::crypto::Keys) -> Option<Document> {
        let context = format!("identity.document.{kind}");
        let number = keys.open(&context, sealed).ok()?;
        Document::from_stored(kind, std::str::from_utf8(&number).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_hkids_validate() {
        // Worked examples of the check-digit algorithm (weights 9..2, mod 11).
        assert_eq!(Hkid::parse("G123456(A)").unwrap().as_str(), "G123456A");
        assert_eq!(Hkid::parse("AB987654(3)").unwrap().as_str(), "AB9876543");
        assert_eq!(Hkid::parse("A123456(3)").unwrap().as_str(), "A1234563");
        assert_eq!(Hkid::parse("a123456 3").unwrap().as_str(), "A1234563");
        assert_eq!(Hkid::parse("A123456（3）").unwrap().as_str(), "A1234563", "full-width brackets");
        assert_eq!(Hkid::parse("A123456(4)"), Err(HkidProblem::CheckDigit));
        assert_eq!(Hkid::parse("A12345(3)"), Err(HkidProblem::Format));
        assert_eq!(Hkid::parse("ABC123456(3)"), Err(HkidProblem::Format));
        assert_eq!(Hkid::parse(""), Err(HkidProblem::Format));
    }

    #[test]
    fn masked_hides_the_middle() {
        assert_eq!(Hkid::parse("A123456(3)").unwrap().masked(), "A123***(3)");
        assert!(!format!("{:?}", Hkid::parse("A123456(3)").unwrap()).contains("456"));
        assert_eq!(Passport::parse("chn", "e 1234 5678").unwrap().canonical(), "CHN:E12345678");
        assert_eq!(Passport::parse("CHN", "E12345678").unwrap().masked(), "E12******");
        assert!(Passport::parse("CN", "E12345678").is_none());
    }

    /// Computes the check character the way the algorithm defines it.
    fn check_for(prefix: &str, digits: &str) -> char {
        for c in "0123456789A".chars() {
            if Hkid::parse(&format!("{prefix}{digits}{c}")).is_ok() {
                return c;
            }
        }
        panic!("no check character for {prefix}{digits}");
    }

    proptest! {
        #[test]
        fn exactly_one_check_character_fits(prefix in "[A-Z]{1,2}", digits in "[0-9]{6}") {
            let good = check_for(&prefix, &digits);
            let fits = "0123456789A".chars().filter(|c| Hkid::parse(&format!("{prefix}{digits}{c}")).is_ok()).count();
            prop_assert_eq!(fits, 1);
            let hkid = Hkid::parse(&format!("{prefix}{digits}({good})")).unwrap();
            prop_assert_eq!(Hkid::parse(hkid.as_str()).unwrap(), hkid.clone());
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            let _ = Hkid::parse(&s);
        }
    }
}
