//! The DataStore's CKAN actions (`datastore_create`, `datastore_upsert`,
//! `datastore_search`, `datastore_info`, `datastore_delete`), answered for
//! `ckan::http`, which owns the routes, the envelope and the caller's
//! token. Reads see what the dataset's visibility lets the caller see
//! (private and draft: publishers of its organisation only, else "not
//! found"); writes need a publisher of the dataset's organisation, as
//! `package_create` does.

use platform::app::AppState;
use sea_orm::DbErr;
use serde_json::{Map, Value, json};

use super::store::{self, Create, Method, StoreError, Table};
use super::{Field, Refusal, Search};
use crate::catalogue::store::{self as catalogue, Actor, WriteError};
use crate::catalogue::{self as rules, Dataset, Resource};

/// Who calls: the token's account (none without one), the organisations it
/// publishes for, and the request (for the audit log).
pub struct Who<'a> {
    pub account: Option<&'a str>,
    pub publishes: &'a [String],
    pub request_id: Option<String>,
}

impl Who<'_> {
    fn actor(&self) -> Result<Actor, Refusal> {
        let id = self.account.ok_or_else(|| Refusal::Authorization("an API token is needed".to_owned()))?;
        Ok(Actor { id: id.to_owned(), request_id: self.request_id.clone() })
    }
}

/// Why an action did not answer: a refusal in CKAN's kinds, or our fault.
#[derive(Debug)]
pub enum Failure {
    Refused(Refusal),
    Db(DbErr),
}

impl From<Refusal> for Failure {
    fn from(e: Refusal) -> Self {
        Failure::Refused(e)
    }
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Self {
        Failure::Db(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(r) => Failure::Refused(r),
            StoreError::Db(e) => Failure::Db(e),
        }
    }
}

impl From<WriteError> for Failure {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(errors) => Failure::Refused(Refusal::Validation(errors)),
            WriteError::NotFound => Failure::Refused(Refusal::NotFound("dataset".to_owned())),
            WriteError::Db(e) => Failure::Db(e),
        }
    }
}

type Outcome = Result<Value, Failure>;

fn text(params: &Map<String, Value>, name: &str) -> Option<String> {
    crate::search::text(params, name).filter(|s| !s.trim().is_empty())
}

fn flag(params: &Map<String, Value>, name: &str) -> Result<bool, Refusal> {
    rules::bool_of(params.get(name))
        .map(|b| b.unwrap_or(false))
        .map_err(|rules::NotABool| Refusal::invalid(name, "Must be true or false"))
}

/// The resource ID a call names (`resource_id`, or `id` as CKAN also takes).
fn resource_id(params: &Map<String, Value>) -> Result<String, Refusal> {
    text(params, "resource_id")
        .or_else(|| text(params, "id"))
        .ok_or_else(|| Refusal::invalid("resource_id", "Missing value"))
}

fn not_found(id: &str) -> Refusal {
    Refusal::NotFound(format!("Resource \"{}\" was not found.", super::excerpt(id)))
}

/// The resource and its dataset, when the caller may see them; for a write,
/// only when the caller publishes for the dataset's organisation.
async fn resource(state: &AppState, id: &str, who: &Who<'_>, write: bool) -> Result<(Resource, Dataset), Failure> {
    let publishes = |d: &Dataset| who.publishes.contains(&d.organisation.id);
    let (resource, dataset) = catalogue::resource(&state.db, id)
        .await?
        .filter(|(_, d)| rules::visible(d.state, d.private, publishes(d)))
        .ok_or_else(|| not_found(id))?;
    if write && !publishes(&dataset) {
        return Err(Refusal::Authorization(format!(
            "this account does not publish for organization {}",
            dataset.organisation.name
        ))
        .into());
    }
    Ok((resource, dataset))
}

/// The resource's table, when the caller may see it.
async fn visible_table(state: &AppState, params: &Map<String, Value>, who: &Who<'_>) -> Result<Table, Failure> {
    let id = resource_id(params)?;
    resource(state, &id, who, false).await?;
    Ok(store::table(&state.db, &id).await?.ok_or_else(|| not_found(&id))?)
}

fn fields_json(table: &Table) -> Vec<Value> {
    table.fields.iter().map(Field::dict).collect()
}

/// `datastore_create`: a table for `resource_id` (or for a new resource
/// made from `resource`, a dictionary as `resource_create` takes), with
/// `fields` (typed; a field without a type takes its records' type),
/// `records`, `primary_key`; `force` to edit a table loaded from a file.
pub async fn create(state: &AppState, params: &Map<String, Value>, who: &Who<'_>) -> Outcome {
    let actor = who.actor()?;
    let records = super::records_of(params.get("records")).map_err(|m| Refusal::invalid("records", m))?;
    let inferred = super::infer_records(&records);
    let inferred_only = params.get("fields").is_none_or(Value::is_null);
    let fields = match params.get("fields") {
        Some(v) if !v.is_null() => {
            super::fields_of(v, |id| inferred.iter().find(|f| f.id == id).map_or(super::Kind::Text, |f| f.kind))
                .map_err(|m| Refusal::invalid("fields", m))?
        }
        _ => inferred,
    };
    let primary_key = match params.get("primary_key") {
        None | Some(Value::Null) => None,
        Some(v) => Some(super::names_of(v).map_err(|m| Refusal::invalid("primary_key", m))?),
    };
    let force = flag(params, "force")?;
    let id = match (text(params, "resource_id"), params.get("resource")) {
        (Some(id), _) => {
            resource(state, &id, who, true).await?;
            id
        }
        (None, Some(Value::Object(dict))) => {
            let package = dict.get("package_id").and_then(Value::as_str).unwrap_or_default();
            let dataset = catalogue::dataset(&state.db, package)
                .await?
                .filter(|d| rules::visible(d.state, d.private, who.publishes.contains(&d.organisation.id)))
                .ok_or_else(|| Refusal::NotFound("dataset".to_owned()))?;
            if !who.publishes.contains(&dataset.organisation.id) {
                return Err(Refusal::Authorization(format!(
                    "this account does not publish for organization {}",
                    dataset.organisation.name
                ))
                .into());
            }
            let mut body = dict.clone();
            body.remove("id");
            body.entry("url").or_insert_with(|| json!("https://datastore.invalid/"));
            let input = rules::resource_input(&Value::Object(body)).map_err(Refusal::Validation)?;
            catalogue::create_resource(state, &dataset.id, &input, &actor).await?.id
        }
        _ => return Err(Refusal::invalid("resource_id", "Missing value").into()),
    };
    let table =
        store::create(state, &id, &Create { fields, records, primary_key, force, inferred: inferred_only }, &actor)
            .await?;
    let mut result = json!({"resource_id": id, "fields": fields_json(&table), "method": "insert"});
    if !table.primary_key.is_empty() {
        result["primary_key"] = json!(table.primary_key);
    }
    Ok(result)
}

/// `datastore_upsert`: `records` by `method` (`upsert`, the default,
/// `insert` or `update`; the first and last need a primary key).
pub async fn upsert(state: &AppState, params: &Map<String, Value>, who: &Who<'_>) -> Outcome {
    let actor = who.actor()?;
    let id = resource_id(params)?;
    resource(state, &id, who, true).await?;
    let records = super::records_of(params.get("records")).map_err(|m| Refusal::invalid("records", m))?;
    let method = match text(params, "method") {
        None => Method::Upsert,
        Some(m) => Method::parse(&m).ok_or_else(|| Refusal::invalid("method", "Must be upsert, insert or update"))?,
    };
    let force = flag(params, "force")?;
    store::upsert(state, &id, &records, method, force, &actor).await?;
    let name = match method {
        Method::Upsert => "upsert",
        Method::Insert => "insert",
        Method::Update => "update",
    };
    Ok(json!({"resource_id": id, "method": name, "records": records}))
}

/// `datastore_search`.
pub async fn search(state: &AppState, params: &Map<String, Value>, who: &Who<'_>) -> Outcome {
    let table = visible_table(state, params, who).await?;
    let query = Search::parse(params, &table.fields).map_err(Refusal::Validation)?;
    let (records, total) = store::search(&state.db, &table, &query).await?;
    let mut fields = Vec::with_capacity(query.fields.len());
    for f in &query.fields {
        fields.push(if f.id == super::ID { super::id_dict() } else { f.dict() });
    }
    // CKAN's links to this page and the next, on the route that answered.
    let action = "/api/3/action/{name}".replace("{name}", "datastore_search");
    let start = format!("{action}?resource_id={}", table.resource_id);
    let mut result = json!({
        "resource_id": table.resource_id,
        "fields": fields,
        "records": records,
        "records_format": if query.lists { "lists" } else { "objects" },
        "limit": query.limit,
        "offset": query.offset,
        "include_total": query.include_total,
        "_links": {"start": start, "next": format!("{start}&offset={}", query.offset + query.limit)},
    });
    if let Some(total) = total {
        result["total"] = json!(total);
        result["total_was_estimated"] = json!(false);
    }
    for name in ["filters", "q", "sort", "distinct"] {
        if let Some(v) = params.get(name) {
            result[name] = v.clone();
        }
    }
    Ok(result)
}

/// `datastore_info`: the table's columns, their types, and its size.
pub async fn info(state: &AppState, params: &Map<String, Value>, who: &Who<'_>) -> Outcome {
    let table = visible_table(state, params, who).await?;
    let schema: Map<String, Value> = table.fields.iter().map(|f| (f.id.clone(), json!(f.kind.name()))).collect();
    let mut meta = json!({
        "id": table.resource_id,
        "count": table.row_count,
        "table_type": "BASE TABLE",
        "source": table.source,
        "last_load": table.loaded_at.map(rules::ckan_time),
        "modified": rules::ckan_time(table.modified_at),
    });
    if let Some((done, total)) = store::progress(state, &table.resource_id) {
        meta["load"] = json!({"rows_done": done, "rows_total": total});
    }
    Ok(json!({
        "meta": meta,
        "fields": fields_json(&table),
        "schema": schema,
        "primary_key": table.primary_key,
    }))
}

/// `datastore_delete`: the table, or with `filters` the rows that match.
pub async fn delete(state: &AppState, params: &Map<String, Value>, who: &Who<'_>) -> Outcome {
    let actor = who.actor()?;
    let id = resource_id(params)?;
    resource(state, &id, who, true).await?;
    let force = flag(params, "force")?;
    let filters = params.get("filters").filter(|v| !v.is_null());
    store::delete(state, &id, filters, force, &actor).await?;
    let mut result = json!({"resource_id": id});
    if let Some(filters) = filters {
        result["filters"] = filters.clone();
    }
    Ok(result)
}
