//! The catalogue's pages, the rules without I/O: their paths, the search
//! page's filters as they travel in the query string (each facet value a
//! link that adds or removes itself), paging, and how sizes read.

pub mod http;

use crate::search::{Field, Query, Term};

/// The home page of the catalogue (under each language prefix).
pub const HOME: &str = "/opendata";
/// The search page.
pub const SEARCH: &str = "/opendata/datasets";
/// Datasets a page of results shows.
pub const PER_PAGE: usize = 20;

/// The facets the search page offers, in its order.
pub const FACETS: [Field; 5] = [Field::Groups, Field::Organization, Field::ResFormat, Field::Tags, Field::Language];

/// The search page's state, as its query string carries it: words, a
/// value per facet chosen (any number), the sort, the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub q: String,
    pub chosen: Vec<(Field, String)>,
    pub sort: Sort,
    pub page: usize,
}

/// The orders the search page offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match, then newest.
    #[default]
    Relevance,
    Newest,
    Name,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Relevance, Sort::Newest, Sort::Name];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Name => "name",
        }
    }

    fn parse(s: &str) -> Sort {
        Sort::ALL.into_iter().find(|x| x.as_str() == s).unwrap_or_default()
    }
}

impl Filters {
    /// Reads the query string's pairs; what it does not know it leaves out.
    pub fn from_pairs(pairs: &[(String, String)]) -> Filters {
        let mut filters = Filters { page: 1, ..Filters::default() };
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name.as_str() {
                "q" => filters.q = value.chars().take(200).collect(),
                "sort" => filters.sort = Sort::parse(value),
                "page" => filters.page = value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1),
                other => {
                    if let Some(field) = FACETS.into_iter().find(|f| f.as_str() == other) {
                        let pair = (field, value.to_owned());
                        if !filters.chosen.contains(&pair) && filters.chosen.len() < 20 {
                            filters.chosen.push(pair);
                        }
                    }
                }
            }
        }
        filters
    }

    /// The search this page runs: `fixed` terms (an organisation's or a
    /// category's page) and the chosen ones, public datasets only.
    pub fn query(&self, fixed: &[Term]) -> Query {
        let mut terms = fixed.to_vec();
        terms.extend(self.chosen.iter().map(|(field, value)| Term {
            field: *field,
            value: value.clone(),
            negated: false,
        }));
        let sort = match self.sort {
            Sort::Relevance => vec![(crate::search::SortKey::Score, true), (crate::search::SortKey::Modified, true)],
            Sort::Newest => vec![(crate::search::SortKey::Modified, true)],
            Sort::Name => vec![(crate::search::SortKey::Title, false)],
        };
        Query {
            words: self.q.split_whitespace().map(str::to_lowercase).collect(),
            terms,
            sort,
            rows: PER_PAGE,
            start: (self.page.max(1) - 1).saturating_mul(PER_PAGE),
            facets: FACETS.to_vec(),
            facet_limit: Some(10),
            ..Query::default()
        }
    }

    pub fn is_chosen(&self, field: Field, value: &str) -> bool {
        self.chosen.iter().any(|(f, v)| *f == field && v == value)
    }

    /// The query string of these filters, from page 1 unless `page` is given.
    pub fn query_string(&self, page: Option<usize>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        for (field, value) in &self.chosen {
            pairs.push((field.as_str(), value.clone()));
        }
        if self.sort != Sort::Relevance {
            pairs.push(("sort", self.sort.as_str().to_owned()));
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            pairs.push(("page", page.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    /// These filters with `value` of `field` added, or removed when chosen;
    /// back to the first page.
    pub fn toggled(&self, field: Field, value: &str) -> Filters {
        let mut next = self.clone();
        next.page = 1;
        if self.is_chosen(field, value) {
            next.chosen.retain(|(f, v)| !(*f == field && v == value));
        } else {
            next.chosen.push((field, value.to_owned()));
        }
        next
    }
}

/// The plural category of `count` that the translations select on
/// (`$plural`: `zero`, `one` or `other`), since arguments reach Fluent as text.
pub fn plural(count: usize) -> &'static str {
    match count {
        0 => "zero",
        1 => "one",
        _ => "other",
    }
}

/// How many pages `count` results fill.
pub fn page_count(count: usize) -> usize {
    count.div_ceil(PER_PAGE).max(1)
}

/// A size as people read it: `512 B`, `1.5 kB`, `12.3 MB` (powers of 1,000).
pub fn size_text(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn filters_travel_in_the_query_string() {
        let f = Filters::from_pairs(&pairs(&[
            ("q", "rain"),
            ("tags", "天氣"),
            ("res_format", "CSV"),
            ("colour", "red"),
            ("page", "3"),
            ("sort", "newest"),
        ]));
        assert_eq!(f.chosen, [(Field::Tags, "天氣".to_owned()), (Field::ResFormat, "CSV".to_owned())]);
        assert_eq!(f.page, 3);
        assert_eq!(f.query_string(Some(3)), "q=rain&tags=%E5%A4%A9%E6%B0%A3&res_format=CSV&sort=newest&page=3");
        let off = f.toggled(Field::Tags, "天氣");
        assert_eq!(off.query_string(None), "q=rain&res_format=CSV&sort=newest");
        assert_eq!(off.toggled(Field::Tags, "天氣").chosen.len(), 2);
        let q = f.query(&[]);
        assert_eq!((q.rows, q.start, q.terms.len()), (PER_PAGE, 2 * PER_PAGE, 2));
        assert_eq!(Filters::from_pairs(&pairs(&[("page", "0")])).page, 1);
    }

    #[test]
    fn sizes_and_pages_read_plainly() {
        assert_eq!(size_text(512), "512 B");
        assert_eq!(size_text(1_500), "1.5 kB");
        assert_eq!(size_text(12_345_678), "12.3 MB");
        assert_eq!((page_count(0), page_count(20), page_count(21)), (1, 1, 2));
        assert_eq!([plural(0), plural(1), plural(2)], ["zero", "one", "other"]);
    }
}
