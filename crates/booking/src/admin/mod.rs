//! Administration of booking: quotas per centre, day and product, public
//! holidays, bulk slot generation, closing a day for a typhoon signal No. 8
//! or a black rainstorm, and statistics. Here the rules, without I/O: the
//! closure's reasons and actions, the statistics' rows and their CSV (cells
//! escaped, and safe from formula injection in spreadsheets). Tables and
//! operations are in `store`, the administrators' API in `http`, their pages
//! in `pages`, the pages' SVG charts (no I/O) in `chart`.

pub mod chart;
pub(crate) mod http;
pub mod notice;
pub(crate) mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

/// Why a day is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Reason {
    /// Tropical cyclone warning signal No. 8 or above.
    #[serde(rename = "typhoon-8")]
    Typhoon8,
    #[serde(rename = "black-rainstorm")]
    BlackRainstorm,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Typhoon8 => "typhoon-8",
            Reason::BlackRainstorm => "black-rainstorm",
        }
    }
}

/// What happens to the closed day's bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Cancelled; the person is offered rebooking.
    Cancel,
    /// Moved to the same time on `move_to` where that slot has a place; cancelled otherwise.
    Move,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Cancel => "cancel",
            Action::Move => "move",
        }
    }
}

/// One line of the statistics: a centre's bookings of a product on a local day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stat {
    #[schema(value_type = String, format = Date)]
    pub day: String,
    pub centre_id: String,
    pub centre_slug: String,
    pub product_id: String,
    pub product_code: String,
    /// Every booking made for the day, whatever became of it.
    pub bookings: i64,
    /// Still to come (neither attended, missed nor cancelled).
    pub confirmed: i64,
    pub attended: i64,
    pub no_shows: i64,
    pub cancelled: i64,
}

/// A cell as a spreadsheet may read it: quoted when it holds a comma, quote
/// or line break (quotes doubled), and a text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return prefixed with `'`, so a spreadsheet shows
/// it rather than running it as a formula.
pub fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// The statistics as CSV (RFC 4180: CRLF line ends), a header first.
pub fn csv(rows: &[Stat]) -> String {
    let mut out = String::from("day,centre,product,bookings,confirmed,attended,no_shows,cancelled\r\n");
    for r in rows {
        let cells = [
            csv_cell(&r.day),
            csv_cell(&r.centre_slug),
            csv_cell(&r.product_code),
            r.bookings.to_string(),
            r.confirmed.to_string(),
            r.attended.to_string(),
            r.no_shows.to_string(),
            r.cancelled.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cells_are_escaped_and_never_formulas() {
        assert_eq!(csv_cell("sha-tin"), "sha-tin");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
    }

    proptest! {
        #[test]
        fn an_escaped_cell_reads_back_and_never_starts_a_formula(s in "\\PC{0,20}") {
            let cell = csv_cell(&s);
            let inner = if cell.starts_with('"') {
                cell[1..cell.len() - 1].replace("\"\"", "\"")
            } else {
                cell.clone()
            };
            prop_assert!(!inner.starts_with(['=', '+', '-', '@', '\t', '\r']));
            let back = if inner.starts_with('\'') && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                inner[1..].to_owned()
            } else {
                inner
            };
            prop_assert_eq!(back, s);
        }
    }
}
