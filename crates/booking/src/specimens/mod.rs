//! Specimens of testing programmes: the random code on a specimen's label
//! and the results a laboratory records, without I/O. A specimen row holds
//! no personal data; its link to a booking is a separate table that only
//! the results role's code (`store::results_*`) reads.

pub(crate) mod http;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::bookings::Reference;

/// Random characters in a specimen code (60 bits), before its check character.
const RANDOM_CHARS: usize = 12;

/// A specimen's code: twelve random Crockford base-32 characters and a
/// check character, shown `7Q2M9-XD3PK-4TB` on the label. Nothing in it
/// depends on the person or the booking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpecimenCode(String);

impl SpecimenCode {
    pub fn generate() -> SpecimenCode {
        SpecimenCode(Reference::random_checked(RANDOM_CHARS))
    }

    /// A code as typed or scanned (case, spaces and dashes do not matter).
    pub fn parse(input: &str) -> Option<SpecimenCode> {
        Reference::parse_checked(input, RANDOM_CHARS).map(SpecimenCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As printed: groups of five.
    pub fn display(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
    }
}

/// A test's result as the laboratory records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestResult {
    Negative,
    Positive,
    Invalid,
}

impl TestResult {
    pub const ALL: [TestResult; 3] = [TestResult::Negative, TestResult::Positive, TestResult::Invalid];

    pub fn as_str(self) -> &'static str {
        match self {
            TestResult::Negative => "negative",
            TestResult::Positive => "positive",
            TestResult::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<TestResult> {
        TestResult::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The record's result code (SNOMED CT), for the valid results only.
    pub fn record_code(self) -> Option<&'static str> {
        match self {
            TestResult::Negative => Some("260415000"),
            TestResult::Positive => Some("260373001"),
            TestResult::Invalid => None,
        }
    }
}

/// The test record due for a valid result, for platform's `HealthRecords`
/// contract (a NAAT test, sampled when the specimen was collected).
pub fn test_record(
    result: TestResult,
    sampled_at: time::OffsetDateTime,
    centre: &str,
) -> Option<platform::contracts::HealthEventKind> {
    let code = result.record_code()?;
    let sampled_at = sampled_at.format(&time::format_description::well_known::Rfc3339).ok()?;
    Some(platform::contracts::HealthEventKind::Test {
        test_type: "LP6464-4".to_owned(),
        sampled_at,
        result: code.to_owned(),
        centre: centre.to_owned(),
    })
}

/// `text` as a QR code: an SVG data URI for the label's `<img>` (the CSP allows `data:` images).
pub fn qr_data_uri(text: &str) -> Result<String, platform::error::AppError> {
    use base64::Engine;
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map_err(platform::error::AppError::internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    Ok(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_reads_back_however_it_is_typed() {
        let code = SpecimenCode::generate();
        assert_eq!(code.as_str().len(), 13);
        assert_eq!(SpecimenCode::parse(&code.display().to_lowercase()), Some(code.clone()));
        assert_ne!(SpecimenCode::generate(), code);
    }

    #[test]
    fn only_valid_results_make_a_record() {
        let at = time::macros::datetime!(2026-12-01 01:30 UTC);
        let Some(platform::contracts::HealthEventKind::Test { result, sampled_at, .. }) =
            test_record(TestResult::Negative, at, "Sha Tin")
        else {
            panic!("a negative result makes a record");
        };
        assert_eq!((result.as_str(), sampled_at.as_str()), ("260415000", "2026-12-01T01:30:00Z"));
        assert_eq!(test_record(TestResult::Invalid, at, "Sha Tin"), None);
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,30}") {
            let _ = SpecimenCode::parse(&s);
        }
    }
}
