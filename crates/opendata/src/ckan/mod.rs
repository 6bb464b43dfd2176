//! CKAN's Action API v3, the rules without I/O: the actions we answer,
//! which of them change nothing (and so may be called by GET), CKAN's
//! envelope `{help, success, result}` and its error shape
//! `{success: false, error: {__type, message | field: [messages]}}` with
//! the status CKAN gives each kind, the parameters of a GET as CKAN reads
//! them, and `package_patch`'s merge.

pub mod http;

use serde_json::{Map, Value, json};

use crate::catalogue::Errors;

/// The actions lionrock answers, by CKAN's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    StatusShow,
    PackageList,
    PackageShow,
    PackageSearch,
    OrganizationList,
    OrganizationShow,
    GroupList,
    GroupShow,
    TagList,
    ResourceShow,
    PackageCreate,
    PackageUpdate,
    PackagePatch,
    PackageDelete,
    ResourceCreate,
    DatastoreCreate,
    DatastoreUpsert,
    DatastoreSearch,
    DatastoreInfo,
    DatastoreDelete,
    ResourceUpdate,
    ResourcePatch,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::StatusShow,
        Action::PackageList,
        Action::PackageShow,
        Action::PackageSearch,
        Action::OrganizationList,
        Action::OrganizationShow,
        Action::GroupList,
        Action::GroupShow,
        Action::TagList,
        Action::ResourceShow,
        Action::PackageCreate,
        Action::PackageUpdate,
        Action::PackagePatch,
        Action::PackageDelete,
        Action::ResourceCreate,
        Action::DatastoreCreate,
        Action::DatastoreUpsert,
        Action::DatastoreSearch,
        Action::DatastoreInfo,
        Action::DatastoreDelete,
        Action::ResourceUpdate,
        Action::ResourcePatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::StatusShow => "status_show",
            Action::PackageList => "package_list",
            Action::PackageShow => "package_show",
            Action::PackageSearch => "package_search",
            Action::OrganizationList => "organization_list",
            Action::OrganizationShow => "organization_show",
            Action::GroupList => "group_list",
            Action::GroupShow => "group_show",
            Action::TagList => "tag_list",
            Action::ResourceShow => "resource_show",
            Action::PackageCreate => "package_create",
            Action::PackageUpdate => "package_update",
            Action::PackagePatch => "package_patch",
            Action::PackageDelete => "package_delete",
            Action::ResourceCreate => "resource_create",
            Action::DatastoreCreate => "datastore_create",
            Action::DatastoreUpsert => "datastore_upsert",
            Action::DatastoreSearch => "datastore_search",
            Action::DatastoreInfo => "datastore_info",
            Action::DatastoreDelete => "datastore_delete",
            Action::ResourceUpdate => "resource_update",
            Action::ResourcePatch => "resource_patch",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether the action only reads (CKAN's `side_effect_free`): only
    /// these may be called by GET; the rest need POST and a publisher.
    pub fn reads_only(self) -> bool {
        !matches!(
            self,
            Action::PackageCreate
                | Action::PackageUpdate
                | Action::PackagePatch
                | Action::PackageDelete
                | Action::ResourceCreate
                | Action::DatastoreCreate
                | Action::DatastoreUpsert
                | Action::DatastoreDelete
                | Action::ResourceUpdate
                | Action::ResourcePatch
        )
    }
}

/// A refusal, in CKAN's kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CkanError {
    /// 400 `Bad Request`: an unknown action, a body that is not JSON, a write by GET.
    BadRequest(String),
    /// 403 `Authorization Error`: no token, a wrong one, or not a publisher of the organisation.
    Authorization(String),
    /// 404 `Not Found Error`: no such thing, or nothing the caller may see.
    NotFound(String),
    /// 409 `Validation Error`: field name to messages.
    Validation(Errors),
    /// 413, a `Validation Error` naming the field that is too large (the
    /// uploaded file, or the body).
    TooLarge(&'static str, String),
}

impl CkanError {
    pub fn status(&self) -> u16 {
        match self {
            CkanError::BadRequest(_) => 400,
            CkanError::Authorization(_) => 403,
            CkanError::NotFound(_) => 404,
            CkanError::Validation(_) => 409,
            CkanError::TooLarge(..) => 413,
        }
    }

    /// The `error` object of the envelope.
    pub fn body(&self) -> Value {
        match self {
            CkanError::BadRequest(m) => json!({"__type": "Bad Request", "message": format!("Bad request - {m}")}),
            CkanError::Authorization(m) => {
                json!({"__type": "Authorization Error", "message": format!("Access denied: {m}")})
            }
            CkanError::NotFound(m) => json!({"__type": "Not Found Error", "message": format!("Not found: {m}")}),
            CkanError::Validation(errors) => {
                let mut body = Map::new();
                body.insert("__type".to_owned(), json!("Validation Error"));
                for (field, messages) in errors {
                    body.insert(field.clone(), json!(messages));
                }
                Value::Object(body)
            }
            CkanError::TooLarge(field, m) => {
                let mut body = Map::new();
                body.insert("__type".to_owned(), json!("Validation Error"));
                body.insert((*field).to_owned(), json!([m]));
                Value::Object(body)
            }
        }
    }

    /// One field's message as a validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> CkanError {
        CkanError::Validation(Errors::from([(field.to_owned(), vec![message.into()])]))
    }
}

/// The link CKAN puts in `help`: where the action is documented (the API
/// reference page; CKAN's own `help_show` is not one of our actions).
pub fn help(base: &str, action: &str) -> String {
    let operation =
        if Action::parse(action).is_some_and(|a| !a.reads_only()) { "ckanactionpost" } else { "ckanactionget" };
    format!("{}/en/api#op-{operation}", base.trim_end_matches('/'))
}

pub fn success(help: String, result: Value) -> Value {
    json!({"help": help, "success": true, "result": result})
}

pub fn failure(help: String, error: &CkanError) -> Value {
    json!({"help": help, "success": false, "error": error.body()})
}

/// A GET's parameters as CKAN reads them: each value as text; a name given
/// more than once becomes a list.
pub fn query_params(query: &str) -> Result<Map<String, Value>, CkanError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| CkanError::BadRequest("Could not parse the query".to_owned()))?;
    let mut params = Map::new();
    for (name, value) in pairs {
        match params.get_mut(&name) {
            None => {
                params.insert(name, Value::String(value));
            }
            Some(Value::Array(list)) => list.push(Value::String(value)),
            Some(first) => *first = Value::Array(vec![first.take(), Value::String(value)]),
        }
    }
    Ok(params)
}

/// A POST's body: a JSON object (an empty body is no parameters).
pub fn body_params(body: &[u8]) -> Result<Map<String, Value>, CkanError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CkanError::BadRequest("JSON Error: Request data JSON decoded to non-dictionary".to_owned())),
        Err(_) => Err(CkanError::BadRequest("JSON Error: Could not read the request body as JSON".to_owned())),
    }
}

/// The trilingual fields a dataset or resource has.
const TEXT_FIELDS: [&str; 4] = ["title", "notes", "spatial", "description"];

/// `package_patch`: the current package with the patch's fields over it.
/// A plain `title` (or `notes`, `spatial`) in the patch, without its
/// `_translated` object, changes the English text and keeps the Chinese.
pub fn patched(current: &Value, patch: &Map<String, Value>) -> Value {
    let mut merged = current.as_object().cloned().unwrap_or_default();
    for (key, value) in patch {
        let translated = format!("{key}_translated");
        if TEXT_FIELDS.contains(&key.as_str())
            && !patch.contains_key(&translated)
            && let Some(Value::Object(texts)) = merged.get_mut(&translated)
        {
            texts.insert("en".to_owned(), value.clone());
        }
        merged.insert(key.clone(), value.clone());
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.name()), Some(action));
            assert_eq!(serde_json::to_value(action).unwrap(), action.name());
        }
        assert_eq!(Action::parse("package_revise"), None);
        assert!(Action::PackageSearch.reads_only());
        assert!(!Action::ResourceCreate.reads_only());
    }

    #[test]
    fn errors_take_ckans_shape_and_status() {
        let e = CkanError::NotFound("dataset".into());
        assert_eq!(e.status(), 404);
        assert_eq!(
            failure("h".into(), &e),
            json!({"help": "h", "success": false,
            "error": {"__type": "Not Found Error", "message": "Not found: dataset"}})
        );
        let v = CkanError::invalid("rows", "Invalid integer");
        assert_eq!((v.status(), v.body()), (409, json!({"__type": "Validation Error", "rows": ["Invalid integer"]})));
        assert_eq!(CkanError::Authorization("x".into()).body()["__type"], "Authorization Error");
        let big = CkanError::TooLarge("upload", "File upload too large".into());
        assert_eq!(
            (big.status(), big.body()),
            (413, json!({"__type": "Validation Error", "upload": ["File upload too large"]}))
        );
    }

    #[test]
    fn a_get_reads_as_ckan_reads_it() {
        let p = query_params("id=rain&facet.field=%5B%22tags%22%5D&fq=a&fq=b").unwrap();
        assert_eq!(p["id"], "rain");
        assert_eq!(p["facet.field"], "[\"tags\"]");
        assert_eq!(p["fq"], json!(["a", "b"]));
        assert!(body_params(b"  ").unwrap().is_empty());
        assert!(matches!(body_params(b"[1]"), Err(CkanError::BadRequest(_))));
        assert!(matches!(body_params(b"{"), Err(CkanError::BadRequest(_))));
    }

    #[test]
    fn a_patch_of_the_english_title_keeps_the_chinese() {
        let current = json!({"name": "rain", "title": "Rain", "title_translated": {"en": "Rain", "zh-HK": "雨"}});
        let patch = json!({"title": "Rainfall", "private": true});
        let merged = patched(&current, patch.as_object().unwrap());
        assert_eq!(merged["title_translated"], json!({"en": "Rainfall", "zh-HK": "雨"}));
        assert_eq!(merged["private"], true);
        assert_eq!(merged["name"], "rain");
    }
}
