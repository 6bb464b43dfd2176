//! Search over the catalogue: CKAN's `package_search` parameters checked
//! (`q`, `fq` with `field:value` terms, `sort`, `rows` capped at 1,000,
//! `start`, `facet.field`, `facet.limit`, `facet.mincount`,
//! `include_private`, `include_drafts`), then run on this server's
//! full-text index (`index`, reading text as `text` does) over the datasets
//! the reader may see: every word of `q` must be found (any language,
//! either Chinese script, an English word by its stem, as the start of a
//! word, or one typo away, two for a long word) in
//! the name, a title, the description, a tag, the organisation or a
//! category; the facets count the matches.
//!
//! Each server's index follows the catalogue's change sequence
//! (`node::follow`, woken by the `Changed` event of any server, and by a
//! search that finds it behind); `node::rebuild` makes it anew (`lionrock
//! opendata reindex`).

pub mod index;
pub mod node;
pub mod text;

use serde_json::{Map, Value};

use crate::catalogue::{Dataset, Errors};

/// The most rows one search returns (CKAN's `ckan.search.rows_max`).
pub const MAX_ROWS: usize = 1000;
/// Rows when the client names none.
pub const DEFAULT_ROWS: usize = 10;
/// The longest `q` and `fq` taken, in characters and in words or terms.
pub const MAX_QUERY_CHARS: usize = 500;
pub const MAX_QUERY_TERMS: usize = 32;
/// Facet values per field when the client names no `facet.limit`.
pub const DEFAULT_FACET_LIMIT: usize = 50;

/// A field searches filter and facet on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Organization,
    Groups,
    Tags,
    ResFormat,
    LicenseId,
    /// The languages a dataset's texts are written in (`en`, `zh-HK`, `zh-CN`).
    Language,
    Name,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Organization,
        Field::Groups,
        Field::Tags,
        Field::ResFormat,
        Field::LicenseId,
        Field::Language,
        Field::Name,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Organization => "organization",
            Field::Groups => "groups",
            Field::Tags => "tags",
            Field::ResFormat => "res_format",
            Field::LicenseId => "license_id",
            Field::Language => "language",
            Field::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The dataset's values of this field.
    pub fn values(self, d: &Dataset) -> Vec<String> {
        match self {
            Field::Organization => vec![d.organisation.name.clone()],
            Field::Groups => d.groups.iter().map(|g| g.name.clone()).collect(),
            Field::Tags => d.tags.iter().map(|t| t.name.clone()).collect(),
            Field::ResFormat => d.formats(),
            Field::LicenseId => vec![d.license_id.clone()],
            Field::Language => d.languages().into_iter().map(str::to_owned).collect(),
            Field::Name => vec![d.name.clone()],
        }
    }
}

/// A `field:value` term; `negated` for `-field:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub field: Field,
    pub value: String,
    pub negated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Score,
    Modified,
    Created,
    Name,
    Title,
}

/// A checked search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Lower-cased words, all of which must occur.
    pub words: Vec<String>,
    pub terms: Vec<Term>,
    /// Keys with `true` for descending.
    pub sort: Vec<(SortKey, bool)>,
    pub rows: usize,
    pub start: usize,
    pub facets: Vec<Field>,
    /// `None`: every value.
    pub facet_limit: Option<usize>,
    pub facet_mincount: usize,
    pub include_private: bool,
    pub include_drafts: bool,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            words: Vec::new(),
            terms: Vec::new(),
            sort: default_sort(),
            rows: DEFAULT_ROWS,
            start: 0,
            facets: Vec::new(),
            facet_limit: Some(DEFAULT_FACET_LIMIT),
            facet_mincount: 1,
            include_private: false,
            include_drafts: false,
        }
    }
}

fn default_sort() -> Vec<(SortKey, bool)> {
    vec![(SortKey::Score, true), (SortKey::Modified, true)]
}

fn add(errors: &mut Errors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_owned()).or_default().push(message.into());
}

/// A parameter as text (CKAN takes numbers and booleans as either).
pub fn text(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A whole number parameter at least `min`; `Err` names why not.
pub fn integer(params: &Map<String, Value>, name: &str, min: i64) -> Result<Option<i64>, String> {
    let Some(value) = params.get(name) else { return Ok(None) };
    let parsed = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match parsed {
        Some(n) if n >= min => Ok(Some(n)),
        Some(_) if min == 0 => Err("Must be a natural number".to_owned()),
        Some(_) => Err(format!("Must be at least {min}")),
        None => Err("Invalid integer".to_owned()),
    }
}

/// Splits `fq` (or `q`) into words, keeping `"quoted phrases"` whole.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A `field:value` token as a term; `Ok(None)` for one that always holds
/// (`dataset_type:dataset`, which CKAN clients add).
fn term(token: &str) -> Result<Option<Term>, String> {
    let (negated, token) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token.strip_prefix('+').unwrap_or(token)),
    };
    let Some((field, value)) = token.split_once(':') else {
        return Err(format!("Not a field:value term: {token}"));
    };
    if field == "dataset_type" || field == "type" {
        return if value == "dataset" { Ok(None) } else { Err(format!("Unknown dataset type: {value}")) };
    }
    let field = Field::parse(field).ok_or_else(|| format!("Unknown field: {field}"))?;
    Ok(Some(Term { field, value: value.to_owned(), negated }))
}

fn sort_of(text: &str) -> Result<Vec<(SortKey, bool)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let key = match words.next().unwrap_or("") {
            "score" => SortKey::Score,
            "metadata_modified" => SortKey::Modified,
            "metadata_created" => SortKey::Created,
            "name" => SortKey::Name,
            "title_string" | "title" => SortKey::Title,
            other => return Err(format!("Cannot sort by {other}")),
        };
        let desc = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(format!("Sort direction must be asc or desc, not {other}")),
        };
        out.push((key, desc));
    }
    if out.is_empty() { Ok(default_sort()) } else { Ok(out) }
}

/// Facet fields: a JSON list, given as a list or as its text; or, as a
/// GET from `ckanapi` sends a list, the query parameter once per field.
fn facet_fields(value: &Value) -> Result<Vec<Field>, String> {
    let list = match value {
        Value::String(s) if s.trim_start().starts_with('[') => {
            serde_json::from_str::<Value>(s).map_err(|_| "Must be a JSON list of fields".to_owned())?
        }
        Value::String(s) => Value::Array(vec![Value::String(s.clone())]),
        other => other.clone(),
    };
    let Value::Array(items) = list else { return Err("Must be a JSON list of fields".to_owned()) };
    let mut out = Vec::new();
    for item in items {
        let name = item.as_str().ok_or("Must be a JSON list of fields")?;
        let field = Field::parse(name).ok_or_else(|| format!("Cannot facet on {name}"))?;
        if !out.contains(&field) {
            out.push(field);
        }
    }
    Ok(out)
}

impl Query {
    /// Checks `package_search` parameters; each wrong one is named.
    pub fn parse(params: &Map<String, Value>) -> Result<Query, Errors> {
        let mut errors = Errors::new();
        let mut query = Query::default();
        // Bounded before anything is cut into words: segmenting and
        // matching grow with the text.
        for name in ["q", "fq"] {
            let given = text(params, name).unwrap_or_default();
            if given.chars().count() > MAX_QUERY_CHARS {
                add(&mut errors, name, format!("Must be at most {MAX_QUERY_CHARS} characters"));
            } else if tokens(&given).len() > MAX_QUERY_TERMS {
                add(&mut errors, name, format!("Must have at most {MAX_QUERY_TERMS} words and terms"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for token in tokens(&text(params, "q").unwrap_or_default()) {
            // `*:*` is Solr's "everything".
            if token == "*:*" {
                continue;
            }
            match token.split_once(':').map(|(f, _)| f.trim_start_matches(['+', '-'])) {
                Some(f) if Field::parse(f).is_some() => match term(&token) {
                    Ok(t) => query.terms.extend(t),
                    Err(e) => add(&mut errors, "q", e),
                },
                _ => query.words.push(token.to_lowercase()),
            }
        }
        for token in tokens(&text(params, "fq").unwrap_or_default()) {
            match term(&token) {
                Ok(t) => query.terms.extend(t),
                Err(e) => add(&mut errors, "fq", e),
            }
        }
        match text(params, "sort").map(|s| sort_of(&s)) {
            None => {}
            Some(Ok(sort)) => query.sort = sort,
            Some(Err(e)) => add(&mut errors, "sort", e),
        }
        match integer(params, "rows", 0) {
            Ok(rows) => {
                query.rows = rows.map_or(DEFAULT_ROWS, |r| usize::try_from(r).unwrap_or(MAX_ROWS)).min(MAX_ROWS);
            }
            Err(e) => add(&mut errors, "rows", e),
        }
        match integer(params, "start", 0) {
            Ok(start) => query.start = start.map_or(0, |s| usize::try_from(s).unwrap_or(usize::MAX)),
            Err(e) => add(&mut errors, "start", e),
        }
        if let Some(value) = params.get("facet.field") {
            match facet_fields(value) {
                Ok(fields) => query.facets = fields,
                Err(e) => add(&mut errors, "facet.field", e),
            }
        }
        match integer(params, "facet.limit", -1) {
            Ok(Some(-1)) => query.facet_limit = None,
            Ok(limit) => {
                query.facet_limit = Some(limit.map_or(DEFAULT_FACET_LIMIT, |l| usize::try_from(l).unwrap_or(0)));
            }
            Err(e) => add(&mut errors, "facet.limit", e),
        }
        match integer(params, "facet.mincount", 0) {
            Ok(min) => query.facet_mincount = min.map_or(1, |m| usize::try_from(m).unwrap_or(usize::MAX)),
            Err(e) => add(&mut errors, "facet.mincount", e),
        }
        for (name, slot) in
            [("include_private", &mut query.include_private), ("include_drafts", &mut query.include_drafts)]
        {
            match crate::catalogue::bool_of(params.get(name)) {
                Ok(b) => *slot = b.unwrap_or(false),
                Err(crate::catalogue::NotABool) => add(&mut errors, name, "Must be true or false"),
            }
        }
        if errors.is_empty() { Ok(query) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Group, Organisation, Resource, State, Tag, Texts};
    use index::{Place, SearchIndex};
    use serde_json::json;
    use time::OffsetDateTime;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn parameters_are_checked_and_rows_capped() {
        let q = Query::parse(&params(json!({
            "q": "Rain 雨量 tags:weather", "fq": "organization:hko +res_format:CSV -tags:\"air quality\" dataset_type:dataset",
            "sort": "name asc, metadata_modified desc", "rows": "5000", "start": 20,
            "facet.field": "[\"tags\",\"organization\"]", "facet.limit": -1, "include_private": "true"
        })))
        .unwrap();
        assert_eq!(q.words, ["rain", "雨量"]);
        assert_eq!(q.terms.len(), 4);
        assert_eq!(q.terms[3], Term { field: Field::Tags, value: "air quality".into(), negated: true });
        assert_eq!(q.sort, [(SortKey::Name, false), (SortKey::Modified, true)]);
        assert_eq!((q.rows, q.start), (MAX_ROWS, 20));
        assert_eq!(q.facets, [Field::Tags, Field::Organization]);
        assert_eq!(q.facet_limit, None);
        assert!(q.include_private);

        let repeated = Query::parse(&params(json!({"facet.field": ["tags", "groups"]}))).unwrap();
        assert_eq!(repeated.facets, [Field::Tags, Field::Groups], "a GET's repeated parameter");
        assert_eq!(Query::parse(&params(json!({"facet.field": "tags"}))).unwrap().facets, [Field::Tags]);
        let errors = Query::parse(&params(json!({"rows": "ten", "start": -1, "sort": "colour asc",
            "fq": "colour:red", "facet.field": "[\"tags\"", "facet.mincount": "x", "include_private": "maybe"})))
        .unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["facet.field", "facet.mincount", "fq", "include_private", "rows", "sort", "start"]);
        assert_eq!(errors["rows"], ["Invalid integer"]);
    }

    fn dataset(name: &str, org: &str, tags: &[&str], format: &str, private: bool, minute: i64) -> Dataset {
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(minute);
        let organisation = Organisation {
            id: format!("id-{org}"),
            name: org.into(),
            title: Texts::new(org, "", ""),
            description: Texts::default(),
            created_at: at,
        };
        Dataset {
            id: format!("id-{name}"),
            name: name.into(),
            organisation,
            title: Texts::new(format!("{name} title"), "香港天氣", "香港天气"),
            notes: Texts::default(),
            license_id: "hk-gov".into(),
            update_frequency: "daily".into(),
            temporal_start: None,
            temporal_end: None,
            spatial: Texts::default(),
            contact_name: String::new(),
            contact_email: String::new(),
            state: State::Published,
            private,
            created_at: at,
            modified_at: at,
            tags: tags.iter().map(|t| Tag { id: (*t).into(), name: (*t).into() }).collect(),
            groups: vec![Group {
                id: "g".into(),
                name: "climate-and-weather".into(),
                title: Texts::default(),
                description: Texts::default(),
                created_at: at,
            }],
            resources: vec![Resource {
                id: format!("r-{name}"),
                dataset_id: format!("id-{name}"),
                position: 0,
                name: Texts::default(),
                description: Texts::default(),
                url: "https://example.org".into(),
                format: format.into(),
                size: None,
                checksum: None,
                last_modified: None,
                created_at: at,
            }],
        }
    }

    fn indexed(all: &[Dataset]) -> SearchIndex {
        let index = SearchIndex::open(Place::Memory).unwrap();
        let ids: Vec<String> = all.iter().map(|d| d.id.clone()).collect();
        index.replace(&ids, all, 1).unwrap();
        index
    }

    fn names(hits: &index::Hits) -> Vec<&str> {
        hits.ids.iter().map(|id| id.strip_prefix("id-").unwrap()).collect()
    }

    #[test]
    fn search_filters_sorts_pages_and_counts_facets() {
        let all = vec![
            dataset("rainfall", "hko", &["weather", "rain"], "CSV", false, 1),
            dataset("temperature", "hko", &["weather"], "JSON", false, 2),
            dataset("air-quality", "epd", &["air"], "CSV", false, 3),
            dataset("secret", "epd", &["air"], "CSV", true, 4),
        ];
        let index = indexed(&all);
        let q = Query { facets: vec![Field::Organization, Field::ResFormat], ..Query::default() };
        let found = index.search(&q, &[]).unwrap();
        assert_eq!(found.count, 3, "the private one is hidden");
        assert_eq!(names(&found)[0], "air-quality", "newest first");
        assert_eq!(found.facets[&Field::Organization], [("hko".to_owned(), 2), ("epd".to_owned(), 1)]);
        assert_eq!(found.facets[&Field::ResFormat], [("CSV".to_owned(), 2), ("JSON".to_owned(), 1)]);

        let q = Query { words: vec!["香港天氣".into(), "rain".into()], ..Query::default() };
        assert_eq!(names(&index.search(&q, &[]).unwrap()), ["rainfall"]);

        let parsed = Query::parse(&params(json!({"fq": "res_format:csv -organization:hko"}))).unwrap();
        assert_eq!(index.search(&parsed, &[]).unwrap().count, 1);

        let q =
            Query { include_private: true, rows: 1, start: 1, sort: vec![(SortKey::Name, false)], ..Query::default() };
        let found = index.search(&q, &["id-epd".to_owned()]).unwrap();
        assert_eq!(found.count, 4, "a publisher of epd sees its private dataset");
        assert_eq!(names(&found), ["rainfall"]);
        assert_eq!(index.search(&q, &[]).unwrap().count, 3, "include_private alone shows nothing more");
        assert_eq!(index.search(&q, &["id-hko".to_owned()]).unwrap().count, 3, "nor another publisher's key");
    }

    #[test]
    fn either_script_stems_and_typos_find_their_record() {
        let mut traditional = dataset("rainfall", "hko", &[], "CSV", false, 1);
        traditional.title = Texts::new("Daily rainfall", "每日雨量及氣溫", "");
        let mut simplified = dataset("air-quality", "epd", &[], "CSV", false, 2);
        simplified.title = Texts::new("Air quality health index", "", "空气质素健康指数");
        let mut english = dataset("parking", "td", &[], "CSV", false, 3);
        english.title = Texts::new("Parking vacancies", "", "");
        english.notes = Texts::new("Vacant parking spaces in car parks, updated every minute", "", "");
        let index = indexed(&[traditional, simplified, english]);
        let find = |q: &str| {
            let query = Query::parse(&params(json!({ "q": q }))).unwrap();
            names(&index.search(&query, &[]).unwrap()).into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(find("雨量 气温"), ["rainfall"], "a Simplified query finds a Traditional record");
        assert_eq!(find("空氣質素"), ["air-quality"], "a Traditional query finds a Simplified record");
        assert_eq!(find("vacancy"), ["parking"], "the stem of vacancies");
        assert_eq!(find("updates"), ["parking"], "the stem of updated");
        assert_eq!(find("parkng"), ["parking"], "one letter missing");
        assert_eq!(find("vacnacies"), ["parking"], "two letters swapped");
        assert_eq!(find("rain"), ["rainfall"], "the start of a word, as a search box is typed");
        assert!(find("infall").is_empty(), "the start, not the middle");
        assert!(find("park rainfall").is_empty(), "every word must be found");
    }
}
