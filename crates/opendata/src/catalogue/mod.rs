//! The catalogue's rules, without I/O: trilingual texts, the 19
//! categories, names, dataset states and who sees what, and the checked
//! input of a dataset or resource (from a CKAN `package_create` body, a
//! form, or the demo), each wrong field named with CKAN's messages.

pub mod store;

use std::collections::BTreeMap;

use platform::i18n::Lang;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};

/// The event every catalogue change sends to every server after it
/// commits: the change sequence has reached `seq`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Changed {
    pub seq: i64,
}

impl platform::events::Event for Changed {
    const TOPIC: &'static str = "opendata.catalogue_changed";
}

/// One text in the three languages, stored in one record: a missing
/// language is an empty string, and readers get English in its place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Texts {
    pub en: String,
    #[serde(rename = "zh-HK")]
    pub zh_hk: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

impl Texts {
    pub fn new(en: impl Into<String>, zh_hk: impl Into<String>, zh_cn: impl Into<String>) -> Self {
        Self { en: en.into(), zh_hk: zh_hk.into(), zh_cn: zh_cn.into() }
    }

    /// The text in `lang` as written, possibly empty.
    pub fn exact(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::ZhHk => &self.zh_hk,
            Lang::ZhCn => &self.zh_cn,
        }
    }

    /// The text a reader of `lang` gets, and the language it is in: the
    /// text in `lang`, else in the other Chinese script for a reader of
    /// Chinese, else English (for a reader of English, Traditional then
    /// Simplified Chinese). Pages mark a fallback with its `lang`, so screen
    /// readers say it right.
    pub fn shown(&self, lang: Lang) -> (&str, Lang) {
        let order = match lang {
            Lang::En => [Lang::En, Lang::ZhHk, Lang::ZhCn],
            Lang::ZhHk => [Lang::ZhHk, Lang::ZhCn, Lang::En],
            Lang::ZhCn => [Lang::ZhCn, Lang::ZhHk, Lang::En],
        };
        order.into_iter().map(|l| (self.exact(l), l)).find(|(s, _)| !s.is_empty()).unwrap_or(("", lang))
    }

    /// The display text when the reader's language is unknown (CKAN's plain `title`).
    pub fn display(&self) -> &str {
        self.shown(Lang::En).0
    }

    pub fn is_empty(&self) -> bool {
        self.en.is_empty() && self.zh_hk.is_empty() && self.zh_cn.is_empty()
    }

    /// Whether any language contains `needle` (already lower-cased).
    pub fn contains_lower(&self, needle: &str) -> bool {
        [&self.en, &self.zh_hk, &self.zh_cn].iter().any(|t| t.to_lowercase().contains(needle))
    }

    /// The languages this text is written in, as language tags.
    pub fn languages(&self) -> Vec<&'static str> {
        Lang::ALL.into_iter().filter(|l| !self.exact(*l).is_empty()).map(Lang::tag).collect()
    }
}

/// One of the 19 categories (CKAN groups) of Hong Kong's portal.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub name: &'static str,
    /// English, Traditional Chinese, Simplified Chinese.
    pub title: [&'static str; 3],
}

/// The categories, in the order the portal shows them.
pub const CATEGORIES: [Category; 19] = [
    Category {
        name: "city-management-and-utilities",
        title: ["City Management & Utilities", "城市管理及公用設施", "城市管理及公用设施"],
    },
    Category { name: "climate-and-weather", title: ["Climate & Weather", "氣候及天氣", "气候及天气"] },
    Category { name: "commerce-and-industry", title: ["Commerce & Industry", "工商業", "工商业"] },
    Category {
        name: "covid-19", title: ["Coronavirus Disease (COVID-19)", "2019冠狀病毒病", "2019冠状病毒病"]
    },
    Category { name: "development", title: ["Development", "發展", "发展"] },
    Category { name: "education", title: ["Education", "教育", "教育"] },
    Category { name: "employment-and-labour", title: ["Employment & Labour", "就業及勞工", "就业及劳工"] },
    Category { name: "environment", title: ["Environment", "環境", "环境"] },
    Category { name: "finance", title: ["Finance", "財經", "财经"] },
    Category { name: "food", title: ["Food", "食物", "食物"] },
    Category { name: "health", title: ["Health", "衞生", "卫生"] },
    Category { name: "housing", title: ["Housing", "房屋", "房屋"] },
    Category {
        name: "information-technology-and-broadcasting",
        title: ["Information Technology & Broadcasting", "資訊科技及廣播", "资讯科技及广播"],
    },
    Category { name: "law-and-security", title: ["Law & Security", "法律及保安", "法律及保安"] },
    Category { name: "miscellaneous", title: ["Miscellaneous", "其他", "其他"] },
    Category { name: "population", title: ["Population", "人口", "人口"] },
    Category { name: "recreation-and-culture", title: ["Recreation & Culture", "康樂及文化", "康乐及文化"] },
    Category { name: "social-welfare", title: ["Social Welfare", "社會福利", "社会福利"] },
    Category { name: "transport", title: ["Transport", "運輸", "运输"] },
];

/// Where a dataset is in its life. CKAN calls `Published` "active".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Draft,
    Published,
    /// Deleted by its publisher: kept (and audited), shown to no one.
    Deleted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Published => "published",
            State::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "draft" => Some(State::Draft),
            "published" => Some(State::Published),
            "deleted" => Some(State::Deleted),
            _ => None,
        }
    }

    /// The state as CKAN clients know it.
    pub fn ckan(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Published => "active",
            State::Deleted => "deleted",
        }
    }
}

/// Whether a reader sees a dataset: everyone sees a published public one;
/// a publisher of its organisation also sees its drafts and private ones
/// (when they ask for them); no one sees a deleted one.
pub fn visible(state: State, private: bool, publisher: bool) -> bool {
    match state {
        State::Deleted => false,
        State::Draft => publisher,
        State::Published => !private || publisher,
    }
}

/// A URL name (CKAN's rules): 2 to 100 lower-case ASCII letters, digits, `-` and `_`.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.len() < 2 {
        return Some("Must be at least 2 characters long");
    }
    if name.len() > 100 {
        return Some("Name must be a maximum of 100 characters long");
    }
    let plain = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    (!plain).then_some("Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_")
}

/// How often a dataset is updated (the vocabulary the pages translate).
pub const FREQUENCIES: [&str; 9] =
    ["real-time", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular", "not-updated"];

/// Field errors, CKAN's way: field name to messages.
pub type Errors = BTreeMap<String, Vec<String>>;

fn add(errors: &mut Errors, field: &str, message: &str) {
    errors.entry(field.to_owned()).or_default().push(message.to_owned());
}

/// A dataset as a publisher gives it, checked. The organisation is named
/// (ID or name) and resolved by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetInput {
    pub name: String,
    pub owner_org: String,
    pub title: Texts,
    pub notes: Texts,
    pub license_id: String,
    pub update_frequency: String,
    pub temporal_start: Option<Date>,
    pub temporal_end: Option<Date>,
    pub spatial: Texts,
    pub contact_name: String,
    pub contact_email: String,
    pub state: State,
    pub private: bool,
    pub tags: Vec<String>,
    /// Category names.
    pub groups: Vec<String>,
    /// `None`: the body did not mention resources (they stay as they are).
    pub resources: Option<Vec<ResourceInput>>,
}

/// A resource (a file or an API endpoint) as a publisher gives it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceInput {
    /// Given when updating a resource the dataset has.
    pub id: Option<String>,
    pub name: Texts,
    pub description: Texts,
    pub url: String,
    pub format: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub last_modified: Option<OffsetDateTime>,
}

/// Texts from `<field>_translated` (keys `en`, `zh-HK`, `zh-CN`, in any
/// case, `_` or `-`), then a plain `<field>` for the English text when the
/// translated object leaves it out.
pub fn texts_of(body: &Value, field: &str, errors: &mut Errors) -> Texts {
    let mut texts = Texts::default();
    let translated = format!("{field}_translated");
    match body.get(&translated) {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let Some(text) = value.as_str().filter(|t| !t.contains('\0')) else {
                    add(errors, &translated, "Texts must be strings without NUL characters");
                    continue;
                };
                match key.to_ascii_lowercase().replace('_', "-").as_str() {
                    "en" => texts.en = text.trim().to_owned(),
                    "zh-hk" | "zh-hant" | "zh-tw" => texts.zh_hk = text.trim().to_owned(),
                    "zh-cn" | "zh-hans" => texts.zh_cn = text.trim().to_owned(),
                    _ => add(errors, &translated, "Languages are en, zh-HK and zh-CN"),
                }
            }
        }
        Some(_) => add(errors, &translated, "Must be an object of language to text"),
    }
    if texts.en.is_empty() {
        match body.get(field) {
            Some(Value::String(s)) => texts.en = s.trim().to_owned(),
            None | Some(Value::Null) => {}
            Some(_) => add(errors, field, "Must be a string"),
        }
    }
    texts
}

fn string_of(body: &Value, field: &str, errors: &mut Errors) -> Option<String> {
    match body.get(field) {
        None | Some(Value::Null) => None,
        // PostgreSQL keeps no NUL in text.
        Some(Value::String(s)) if s.contains('\0') => {
            add(errors, field, "Must not contain NUL characters");
            None
        }
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            add(errors, field, "Must be a string");
            None
        }
    }
}

/// A value that is not one of CKAN's booleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotABool;

/// CKAN's booleans: JSON booleans or the strings `true`/`false`.
pub fn bool_of(value: Option<&Value>) -> Result<Option<bool>, NotABool> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" | "" => Ok(Some(false)),
            _ => Err(NotABool),
        },
        Some(_) => Err(NotABool),
    }
}

fn date_of(body: &Value, field: &str, errors: &mut Errors) -> Option<Date> {
    let text = string_of(body, field, errors).filter(|s| !s.is_empty())?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(&text, format).map_err(|_| add(errors, field, "Date format incorrect: use YYYY-MM-DD")).ok()
}

fn time_of(body: &Value, field: &str, errors: &mut Errors) -> Option<OffsetDateTime> {
    let text = string_of(body, field, errors).filter(|s| !s.is_empty())?;
    parse_time(&text).ok_or_else(|| add(errors, field, "Date format incorrect: use ISO 8601")).ok()
}

/// An ISO 8601 time as CKAN writes them (`2026-01-02T03:04:05`, naive
/// UTC, with or without fractions) or RFC 3339 with an offset.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    let naive = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    time::PrimitiveDateTime::parse(text, naive).ok().map(time::PrimitiveDateTime::assume_utc)
}

/// A time as CKAN writes it: naive UTC with microseconds.
pub fn ckan_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Names from a list of `{"name": …}` objects or of plain strings.
fn names_of(body: &Value, field: &str, errors: &mut Errors) -> Vec<String> {
    let mut out = Vec::new();
    match body.get(field) {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let name = match item {
                    Value::String(s) => Some(s.trim().to_owned()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str).map(|s| s.trim().to_owned()),
                    _ => None,
                }
                .filter(|n| !n.contains('\0'));
                match name {
                    Some(n) if !n.is_empty() => {
                        if !out.contains(&n) {
                            out.push(n);
                        }
                    }
                    _ => add(errors, field, "Each needs a name"),
                }
            }
        }
        Some(_) => add(errors, field, "Must be a list"),
    }
    out
}

/// A tag: 2 to 100 characters of any script, without punctuation but `-_.`
/// and spaces (CKAN's rule, widened to Chinese).
pub fn tag_problem(tag: &str) -> Option<&'static str> {
    let chars = tag.chars().count();
    if !(2..=100).contains(&chars) {
        return Some("Tag must be between 2 and 100 characters long");
    }
    let plain = tag.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    (!plain).then_some("Tag must be alphanumeric characters or symbols: -_.")
}

/// Checks a dataset body (CKAN's package dict).
pub fn dataset_input(body: &Value) -> Result<DatasetInput, Errors> {
    let mut errors = Errors::new();
    if !body.is_object() {
        add(&mut errors, "__body", "Must be a JSON object");
        return Err(errors);
    }
    let name = string_of(body, "name", &mut errors).unwrap_or_default();
    if name.is_empty() {
        add(&mut errors, "name", "Missing value");
    } else if let Some(problem) = name_problem(&name) {
        add(&mut errors, "name", problem);
    }
    let owner_org = string_of(body, "owner_org", &mut errors).unwrap_or_default();
    if owner_org.is_empty() {
        add(&mut errors, "owner_org", "Missing value");
    }
    let title = texts_of(body, "title", &mut errors);
    if title.is_empty() {
        add(&mut errors, "title", "Missing value");
    }
    let notes = texts_of(body, "notes", &mut errors);
    let spatial = texts_of(body, "spatial", &mut errors);
    let license_id = string_of(body, "license_id", &mut errors).filter(|s| !s.is_empty());
    let license_id = license_id.unwrap_or_else(|| "notspecified".to_owned());
    if license_id.len() > 64 {
        add(&mut errors, "license_id", "Must be at most 64 characters");
    }
    let update_frequency = string_of(body, "update_frequency", &mut errors).filter(|s| !s.is_empty());
    let update_frequency = update_frequency.unwrap_or_else(|| "irregular".to_owned());
    if !FREQUENCIES.contains(&update_frequency.as_str()) {
        add(&mut errors, "update_frequency", "Must be one of the update frequencies");
    }
    let temporal_start = date_of(body, "temporal_start", &mut errors);
    let temporal_end = date_of(body, "temporal_end", &mut errors);
    if let (Some(s), Some(e)) = (temporal_start, temporal_end)
        && e < s
    {
        add(&mut errors, "temporal_end", "Must not be before temporal_start");
    }
    let contact_name = string_of(body, "maintainer", &mut errors).unwrap_or_default();
    let contact_email = string_of(body, "maintainer_email", &mut errors).unwrap_or_default();
    if !contact_email.is_empty() && (!contact_email.contains('@') || contact_email.len() > 254) {
        add(&mut errors, "maintainer_email", "Email is not valid");
    }
    let state = match string_of(body, "state", &mut errors).as_deref() {
        None | Some("") | Some("active") => State::Published,
        Some("draft") => State::Draft,
        Some(_) => {
            add(&mut errors, "state", "Must be active or draft");
            State::Published
        }
    };
    let private = bool_of(body.get("private")).unwrap_or_else(|NotABool| {
        add(&mut errors, "private", "Must be true or false");
        None
    });
    let tags = names_of(body, "tags", &mut errors);
    for tag in &tags {
        if let Some(problem) = tag_problem(tag) {
            add(&mut errors, "tags", problem);
        }
    }
    let groups = names_of(body, "groups", &mut errors);
    let resources = match body.get("resources") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match resource_input(item) {
                    Ok(r) => out.push(r),
                    Err(e) => {
                        for messages in e.into_values() {
                            for m in messages {
                                add(&mut errors, "resources", &m);
                            }
                        }
                    }
                }
            }
            Some(out)
        }
        Some(_) => {
            add(&mut errors, "resources", "Must be a list");
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DatasetInput {
        name,
        owner_org,
        title,
        notes,
        license_id,
        update_frequency,
        temporal_start,
        temporal_end,
        spatial,
        contact_name,
        contact_email,
        state,
        private: private.unwrap_or(false),
        tags,
        groups,
        resources,
    })
}

/// Checks a resource body (CKAN's resource dict).
pub fn resource_input(body: &Value) -> Result<ResourceInput, Errors> {
    let mut errors = Errors::new();
    if !body.is_object() {
        add(&mut errors, "__body", "Must be a JSON object");
        return Err(errors);
    }
    let id = string_of(body, "id", &mut errors).filter(|s| !s.is_empty());
    let url = string_of(body, "url", &mut errors).unwrap_or_default();
    if url.is_empty() {
        add(&mut errors, "url", "Missing value");
    } else if url.len() > 2000 || !(url.starts_with("https://") || url.starts_with("http://")) {
        add(&mut errors, "url", "Must be an http or https URL of at most 2000 characters");
    }
    let name = texts_of(body, "name", &mut errors);
    let description = texts_of(body, "description", &mut errors);
    let format = string_of(body, "format", &mut errors).unwrap_or_default().to_ascii_uppercase();
    if format.len() > 32 {
        add(&mut errors, "format", "Must be at most 32 characters");
    }
    let size = match body.get("size") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64().filter(|s| *s >= 0).or_else(|| {
            add(&mut errors, "size", "Must be a whole number of bytes");
            None
        }),
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => s.parse::<i64>().ok().filter(|s| *s >= 0).or_else(|| {
            add(&mut errors, "size", "Must be a whole number of bytes");
            None
        }),
        Some(_) => {
            add(&mut errors, "size", "Must be a whole number of bytes");
            None
        }
    };
    let checksum = string_of(body, "hash", &mut errors).filter(|s| !s.is_empty());
    if checksum.as_ref().is_some_and(|c| c.len() > 200) {
        add(&mut errors, "hash", "Must be at most 200 characters");
    }
    let last_modified = time_of(body, "last_modified", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ResourceInput { id, name, description, url, format, size, checksum, last_modified })
}

/// A dataset as readers get it, with its organisation, categories, tags and resources.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    pub organisation: Organisation,
    pub title: Texts,
    pub notes: Texts,
    pub license_id: String,
    pub update_frequency: String,
    pub temporal_start: Option<Date>,
    pub temporal_end: Option<Date>,
    pub spatial: Texts,
    pub contact_name: String,
    pub contact_email: String,
    pub state: State,
    pub private: bool,
    pub created_at: OffsetDateTime,
    pub modified_at: OffsetDateTime,
    pub tags: Vec<Tag>,
    pub groups: Vec<Group>,
    pub resources: Vec<Resource>,
}

impl Dataset {
    /// The languages every text the dataset has is written in.
    pub fn languages(&self) -> Vec<&'static str> {
        let title = self.title.languages();
        let notes = self.notes.languages();
        title.into_iter().filter(|l| self.notes.is_empty() || notes.contains(l)).collect()
    }

    /// The resources' formats, each once.
    pub fn formats(&self) -> Vec<String> {
        let mut formats: Vec<String> =
            self.resources.iter().map(|r| r.format.clone()).filter(|f| !f.is_empty()).collect();
        formats.sort();
        formats.dedup();
        formats
    }
}

#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub title: Texts,
    pub description: Texts,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub title: Texts,
    pub description: Texts,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub dataset_id: String,
    pub position: i32,
    pub name: Texts,
    pub description: Texts,
    pub url: String,
    pub format: String,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub last_modified: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_text_falls_back_to_the_other_chinese_script_then_english() {
        let t = Texts::new("Rain", "", "雨量");
        assert_eq!(t.shown(Lang::ZhHk), ("雨量", Lang::ZhCn));
        assert_eq!(t.shown(Lang::ZhCn), ("雨量", Lang::ZhCn));
        assert_eq!(Texts::new("Rain", "", "").shown(Lang::ZhCn), ("Rain", Lang::En));
        let only_cn = Texts::new("", "", "雨量");
        assert_eq!(only_cn.shown(Lang::ZhHk), ("雨量", Lang::ZhCn));
        assert_eq!(only_cn.display(), "雨量");
        assert_eq!(only_cn.languages(), ["zh-CN"]);
    }

    #[test]
    fn names_follow_ckan() {
        assert_eq!(name_problem("rainfall-2026_hk"), None);
        assert!(name_problem("a").is_some());
        assert!(name_problem("Rainfall").is_some());
        assert!(name_problem("雨量").is_some());
        assert!(name_problem(&"a".repeat(101)).is_some());
        assert_eq!(tag_problem("空氣質素"), None);
        assert_eq!(tag_problem("air quality"), None);
        assert!(tag_problem("a").is_some());
        assert!(tag_problem("<script>").is_some());
    }

    #[test]
    fn visibility_hides_drafts_private_and_deleted_from_readers() {
        assert!(visible(State::Published, false, false));
        assert!(!visible(State::Published, true, false));
        assert!(visible(State::Published, true, true));
        assert!(!visible(State::Draft, false, false));
        assert!(visible(State::Draft, false, true));
        assert!(!visible(State::Deleted, false, true));
    }

    #[test]
    fn a_dataset_body_is_checked_field_by_field() {
        let body = json!({
            "name": "rainfall",
            "owner_org": "hko",
            "title": "Rainfall",
            "title_translated": {"zh_HK": "雨量", "zh-CN": "雨量"},
            "private": "true",
            "tags": [{"name": "weather"}, "天氣", "weather"],
            "groups": [{"name": "climate-and-weather"}],
            "temporal_start": "2020-01-01",
            "resources": [{"url": "https://example.org/r.csv", "format": "csv", "size": "10",
                           "last_modified": "2026-01-02T03:04:05.123456"}]
        });
        let input = dataset_input(&body).unwrap();
        assert_eq!(input.title, Texts::new("Rainfall", "雨量", "雨量"));
        assert!(input.private);
        assert_eq!(input.tags, ["weather", "天氣"]);
        assert_eq!(input.state, State::Published);
        let resources = input.resources.unwrap();
        assert_eq!(resources[0].format, "CSV");
        assert_eq!(resources[0].size, Some(10));
        assert_eq!(ckan_time(resources[0].last_modified.unwrap()), "2026-01-02T03:04:05.123456");

        let errors = dataset_input(&json!({"name": "Bad Name", "title": 3, "private": "perhaps",
            "temporal_start": "2020-02-01", "temporal_end": "2020-01-01", "resources": [{"size": -1}]}))
        .unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["name", "owner_org", "private", "resources", "temporal_end", "title"]);
        assert_eq!(dataset_input(&json!([])).unwrap_err().keys().next().unwrap(), "__body");
        let nul = dataset_input(&json!({"name": "a\u{0}b", "owner_org": "x", "title_translated": {"en": "\u{0}"},
            "tags": ["a\u{0}"]}))
        .unwrap_err();
        assert_eq!(nul.keys().map(String::as_str).collect::<Vec<_>>(), ["name", "tags", "title", "title_translated"]);
    }
}
