//! Harvesting another CKAN instance, the rules without I/O: the source's
//! URL, the Action API calls a run makes, CKAN's envelope, a remote
//! dataset's identity and time, and the mapping of a CKAN package (with
//! ckanext-fluent's `*_translated` texts) onto our dataset input, checked
//! by the catalogue's own rules.
//!
//! A run reads `package_search` newest change first (`sort=metadata_modified
//! desc`, `rows`/`start` paging) and stops at the first page that reaches
//! the source's high-water mark (the newest change the last clean run saw),
//! so an incremental run reads the changed datasets and one page more; no
//! range `fq` is needed, which not every CKAN-compatible server parses.
//! Datasets deleted at the source (gone from its `package_list`) are marked
//! deleted here, like a publisher's delete (kept, audited, shown to no one).

pub mod remote;
pub mod store;

use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::catalogue::{self, DatasetInput, FREQUENCIES, Texts};

/// Rows per `package_search` page.
pub const ROWS: u64 = 100;
/// Names per `package_list` page.
pub const LIST_LIMIT: u64 = 1000;
/// The most a run reads from one response.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A source's base URL: absolute http(s), no query or fragment, without a
/// trailing `/` (the Action API is under `{url}/api/3/action/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUrl(String);

impl SourceUrl {
    pub fn parse(text: &str) -> Result<SourceUrl, &'static str> {
        let text = text.trim().trim_end_matches('/');
        // A URL given with the Action API's path (`…/api/3/action` or
        // `…/api/3`) names the same source.
        let text = match text.strip_suffix("/action") {
            Some(api) if api.ends_with("/api/3") => api,
            _ => text,
        };
        let text = text.strip_suffix("/api/3").unwrap_or(text);
        let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
        match rest {
            None => Err("the source must be an http:// or https:// URL"),
            Some("") => Err("the source URL has no host"),
            Some(_) if text.len() > 2000 => Err("the source URL is longer than 2000 characters"),
            Some(r) if r.contains(['?', '#', ' ']) || r.chars().any(char::is_control) => {
                Err("the source URL must have no query, fragment or spaces")
            }
            Some(_) => Ok(SourceUrl(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `status_show`: whether the source speaks CKAN's Action API.
    pub fn status(&self) -> String {
        format!("{}/api/3/action/status_show", self.0)
    }

    /// `package_search`'s page from `start`, newest change first.
    pub fn search(&self, start: u64) -> String {
        format!("{}/api/3/action/package_search?sort=metadata_modified%20desc&rows={ROWS}&start={start}", self.0)
    }

    /// `package_list`'s page from `offset`.
    pub fn list(&self, offset: u64) -> String {
        format!("{}/api/3/action/package_list?limit={LIST_LIMIT}&offset={offset}", self.0)
    }
}

/// CKAN's envelope: the `result` of a successful call, else its error in one line.
pub fn result_of(body: &Value) -> Result<&Value, String> {
    if body.get("success") == Some(&Value::Bool(true))
        && let Some(result) = body.get("result")
    {
        return Ok(result);
    }
    match body.get("error") {
        Some(Value::Object(e)) => {
            let kind = e.get("__type").and_then(Value::as_str).unwrap_or("error");
            let message = e.get("message").and_then(Value::as_str).unwrap_or("");
            Err(format!("the source answered {kind} {message}").trim().to_owned())
        }
        _ => Err("the source's answer is not CKAN's {success, result} envelope".to_owned()),
    }
}

/// What a run needs to know of a remote dataset before mapping it.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    pub id: String,
    pub name: String,
    /// `metadata_modified` as the source wrote it (kept as the high-water mark).
    pub modified: String,
    pub modified_at: OffsetDateTime,
}

/// The identity and change time of a package dict.
pub fn remote_of(package: &Value) -> Result<Remote, String> {
    let text = |field: &str| package.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let id = text("id").ok_or("the package has no id")?;
    let name = text("name").ok_or("the package has no name")?;
    let modified = text("metadata_modified").ok_or("the package has no metadata_modified")?;
    let modified_at = catalogue::parse_time(modified).ok_or("metadata_modified is not an ISO 8601 time")?;
    if id.len() > 100 || modified.len() > 64 || id.contains('\0') {
        return Err("the package's id or metadata_modified is too long".to_owned());
    }
    Ok(Remote { id: id.to_owned(), name: name.to_owned(), modified: modified.to_owned(), modified_at })
}

/// The organisation a package names (`organization.name`), with its titles.
pub fn organisation_of(package: &Value) -> Option<(String, Texts)> {
    let org = package.get("organization")?;
    let name = org.get("name")?.as_str()?.trim().to_owned();
    let mut errors = catalogue::Errors::new();
    let mut title = catalogue::texts_of(&clean_texts(org, "title"), "title", &mut errors);
    if title.is_empty() {
        title.en = name.clone();
    }
    Some((name, title))
}

/// `field` and `field_translated` of `object`, the translations narrowed to
/// the languages we keep (ckanext-fluent's `en`, `zh_HK`/`zh_TW`/`zh_Hant`,
/// `zh_CN`/`zh_Hans`; others dropped).
fn clean_texts(object: &Value, field: &str) -> Value {
    let mut out = Map::new();
    if let Some(Value::String(s)) = object.get(field) {
        out.insert(field.to_owned(), json!(s));
    }
    let translated = format!("{field}_translated");
    if let Some(Value::Object(map)) = object.get(&translated) {
        let kept: Map<String, Value> = map
            .iter()
            .filter(|(k, v)| {
                v.is_string()
                    && matches!(
                        k.to_ascii_lowercase().replace('_', "-").as_str(),
                        "en" | "zh-hk" | "zh-hant" | "zh-tw" | "zh-cn" | "zh-hans"
                    )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert(translated, Value::Object(kept));
    }
    Value::Object(out)
}

fn merge(into: &mut Map<String, Value>, texts: Value) {
    if let Value::Object(map) = texts {
        into.extend(map);
    }
}

fn short_string(v: Option<&Value>, max: usize) -> Option<&str> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && s.chars().count() <= max && !s.contains('\0'))
}

/// A package dict as our dataset input, owned by `owner_org`: what our
/// rules refuse in an optional field (an unknown frequency, a bad tag, a
/// resource that is not an http(s) link) is dropped; what they refuse in
/// the dataset itself is the reason it is not harvested.
pub fn dataset_input(package: &Value, owner_org: &str) -> Result<DatasetInput, String> {
    let mut body = Map::new();
    body.insert("name".to_owned(), package.get("name").cloned().unwrap_or(Value::Null));
    body.insert("owner_org".to_owned(), json!(owner_org));
    merge(&mut body, clean_texts(package, "title"));
    merge(&mut body, clean_texts(package, "notes"));
    if let Some(Value::String(s)) = package.get("spatial")
        && !s.trim_start().starts_with('{')
    {
        // A GeoJSON geometry (ckanext-spatial) is not a place name.
        merge(&mut body, clean_texts(package, "spatial"));
    } else if package.get("spatial_translated").is_some() {
        merge(&mut body, clean_texts(package, "spatial"));
    }
    if let Some(licence) = short_string(package.get("license_id"), 64) {
        body.insert("license_id".to_owned(), json!(licence));
    }
    if let Some(f) = short_string(package.get("update_frequency"), 32).filter(|f| FREQUENCIES.contains(f)) {
        body.insert("update_frequency".to_owned(), json!(f));
    }
    for field in ["temporal_start", "temporal_end"] {
        let date = short_string(package.get(field), 10)
            .filter(|d| time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_ok());
        if let Some(d) = date {
            body.insert(field.to_owned(), json!(d));
        }
    }
    let contact = short_string(package.get("maintainer"), 200).or_else(|| short_string(package.get("author"), 200));
    if let Some(c) = contact {
        body.insert("maintainer".to_owned(), json!(c));
    }
    let email = short_string(package.get("maintainer_email"), 254)
        .or_else(|| short_string(package.get("author_email"), 254))
        .filter(|e| e.contains('@'));
    if let Some(e) = email {
        body.insert("maintainer_email".to_owned(), json!(e));
    }
    let names = |field: &str| -> Vec<String> {
        package
            .get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("name").and_then(Value::as_str).or_else(|| i.as_str()))
                    .map(|n| n.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let tags: Vec<String> = names("tags").into_iter().filter(|t| catalogue::tag_problem(t).is_none()).collect();
    body.insert("tags".to_owned(), json!(tags));
    let groups: Vec<String> =
        names("groups").into_iter().filter(|g| catalogue::CATEGORIES.iter().any(|c| c.name == g)).collect();
    body.insert("groups".to_owned(), json!(groups));
    let resources: Vec<Value> = package
        .get("resources")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(resource_body).collect())
        .unwrap_or_default();
    body.insert("resources".to_owned(), Value::Array(resources));
    let input = catalogue::dataset_input(&Value::Object(body)).map_err(|errors| {
        errors
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    length_problem(&input).map_or(Ok(input), |p| Err(p.to_owned()))
}

/// A resource as a link: its URL (http or https only), format, size, hash,
/// texts and last change; `None` for one we cannot link to.
fn resource_body(r: &Value) -> Option<Value> {
    let url = short_string(r.get("url"), 2000).filter(|u| u.starts_with("https://") || u.starts_with("http://"))?;
    let mut body = Map::new();
    body.insert("url".to_owned(), json!(url));
    merge(&mut body, clean_texts(r, "name"));
    merge(&mut body, clean_texts(r, "description"));
    if let Some(f) = short_string(r.get("format"), 32) {
        body.insert("format".to_owned(), json!(f));
    }
    match r.get("size") {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|s| s >= 0) => {
            body.insert("size".to_owned(), json!(n));
        }
        _ => {}
    }
    if let Some(h) = short_string(r.get("hash"), 200) {
        body.insert("hash".to_owned(), json!(h));
    }
    if let Some(t) = short_string(r.get("last_modified"), 64).filter(|t| catalogue::parse_time(t).is_some()) {
        body.insert("last_modified".to_owned(), json!(t));
    }
    Some(Value::Object(body))
}

/// What does not fit our columns (titles and places of 300 characters, a
/// contact name of 200).
fn length_problem(input: &DatasetInput) -> Option<&'static str> {
    let long = |t: &Texts, max: usize| [&t.en, &t.zh_hk, &t.zh_cn].iter().any(|s| s.chars().count() > max);
    if long(&input.title, 300) {
        return Some("title: longer than 300 characters");
    }
    if long(&input.spatial, 300) {
        return Some("spatial: longer than 300 characters");
    }
    if input.contact_name.chars().count() > 200 {
        return Some("maintainer: longer than 200 characters");
    }
    None
}

/// A dataset the run could not harvest, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    pub name: String,
    pub reason: String,
}

/// What a run did, as `--json` prints it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub source: String,
    /// Datasets made here.
    pub created: u64,
    /// Datasets changed at the source since the last run, updated here.
    pub updated: u64,
    /// Datasets read again but unchanged (the page that reached the mark).
    pub unchanged: u64,
    /// Datasets gone from the source, marked deleted here.
    pub deleted: u64,
    pub failed: u64,
    pub failures: Vec<Failed>,
    /// The newest `metadata_modified` this run has fully harvested.
    pub high_water: Option<String>,
}

/// The mark the next run reads down to: the newest change seen when every
/// dataset was harvested; else the oldest that failed (so it is read again).
pub fn next_high_water<'a>(
    old: Option<&'a Remote>,
    newest: Option<&'a Remote>,
    oldest_failed: Option<&'a Remote>,
) -> Option<&'a Remote> {
    match oldest_failed {
        Some(f) => Some(f),
        None => match (old, newest) {
            (Some(o), Some(n)) if n.modified_at < o.modified_at => Some(o),
            (o, n) => n.or(o),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_urls_are_http_without_query() {
        assert_eq!(SourceUrl::parse("https://data.gov.hk/").unwrap().as_str(), "https://data.gov.hk");
        assert_eq!(SourceUrl::parse("http://x.org/ckan/api/3/action").unwrap().as_str(), "http://x.org/ckan");
        assert_eq!(SourceUrl::parse("http://x.org/ckan/api/3").unwrap().as_str(), "http://x.org/ckan");
        assert_eq!(SourceUrl::parse("http://x.org/action").unwrap().as_str(), "http://x.org/action");
        for bad in ["ftp://x.org", "x.org", "https://", "https://x.org/?a=1", "https://x.org/a b"] {
            assert!(SourceUrl::parse(bad).is_err(), "{bad}");
        }
        let url = SourceUrl::parse("http://h").unwrap();
        assert_eq!(
            url.search(100),
            "http://h/api/3/action/package_search?sort=metadata_modified%20desc&rows=100&start=100"
        );
    }

    #[test]
    fn envelopes_give_the_result_or_one_line() {
        assert_eq!(result_of(&json!({"success": true, "result": 3})), Ok(&json!(3)));
        let refusal = json!({"success": false, "error": {"__type": "Not Found Error", "message": "Not found"}});
        assert_eq!(result_of(&refusal), Err("the source answered Not Found Error Not found".to_owned()));
        assert!(result_of(&json!([1])).is_err());
    }

    #[test]
    fn a_fluent_package_maps_to_three_languages_and_drops_what_does_not_fit() {
        let package = json!({
            "id": "abc", "name": "air-quality", "metadata_modified": "2026-01-02T03:04:05.123456",
            "title": "Air quality",
            "title_translated": {"en": "Air quality", "zh_TW": "空氣質素", "zh_Hans": "空气质素", "fr": "Qualité de l'air"},
            "notes_translated": {"en": "Hourly readings", "zh_HK": "每小時讀數"},
            "spatial": "{\"type\": \"Point\", \"coordinates\": [114, 22]}",
            "update_frequency": "fortnightly", "license_id": "cc-by",
            "tags": [{"name": "air"}, {"name": "<bad>"}], "groups": [{"name": "environment"}, {"name": "nope"}],
            "maintainer_email": "not an email",
            "resources": [{"url": "https://x.org/a.csv", "format": "CSV", "size": 10},
                          {"url": "ftp://x.org/b.csv"}, {"url": "https://x.org/c", "size": "big"}]
        });
        let input = dataset_input(&package, "epd").unwrap();
        assert_eq!(input.title, Texts::new("Air quality", "空氣質素", "空气质素"));
        assert_eq!(input.notes, Texts::new("Hourly readings", "每小時讀數", ""));
        assert!(input.spatial.is_empty());
        assert_eq!(input.update_frequency, "irregular");
        assert_eq!(input.tags, ["air"]);
        assert_eq!(input.groups, ["environment"]);
        assert_eq!(input.contact_email, "");
        assert_eq!(input.owner_org, "epd");
        let resources = input.resources.unwrap();
        assert_eq!(resources.len(), 2);
        assert_eq!(resources[0].size, Some(10));
        assert_eq!(resources[1].size, None);
        let remote = remote_of(&package).unwrap();
        assert_eq!((remote.id.as_str(), remote.name.as_str()), ("abc", "air-quality"));

        let nameless = dataset_input(&json!({"name": "Bad Name", "title": "x"}), "epd").unwrap_err();
        assert!(nameless.starts_with("name: "), "{nameless}");
        let long = dataset_input(&json!({"name": "long", "title": "x".repeat(301)}), "epd").unwrap_err();
        assert_eq!(long, "title: longer than 300 characters");
        assert!(remote_of(&json!({"id": "a", "name": "b", "metadata_modified": "yesterday"})).is_err());
    }

    #[test]
    fn the_mark_stops_at_the_oldest_failure() {
        let at = |s: &str| remote_of(&json!({"id": s, "name": s, "metadata_modified": s})).unwrap();
        let (a, b, c) = (at("2026-01-01T00:00:00"), at("2026-01-02T00:00:00"), at("2026-01-03T00:00:00"));
        assert_eq!(next_high_water(Some(&a), Some(&c), None), Some(&c));
        assert_eq!(next_high_water(Some(&c), Some(&b), None), Some(&c));
        assert_eq!(next_high_water(Some(&a), Some(&c), Some(&b)), Some(&b));
        assert_eq!(next_high_water(None, None, None), None);
    }
}
