//! The DataStore's tables: `opendata_datastore` (per resource with data:
//! its table, columns, primary key, row count, where the data came from and
//! when it was last loaded) and the data tables themselves,
//! `opendata_ds_<resource>_<n>`, made and queried with raw statements in
//! each backend's dialect (names quoted, every value bound). Each write is
//! one transaction with its audit entry. A load fills a new table in
//! batches inside its transaction and takes the old table's place at
//! commit, so a failed load leaves the old table as it was. Progress of a
//! running load is kept in memory per server (`progress`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseBackend, QueryResult, Statement};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::file::{FileError, Format, Rows};
use super::{Cell, Field, ID, Inference, Kind, LoadReport, Q, Refusal, RowProblem, Search};
use crate::catalogue::store::Actor;

pub mod meta {
    //! `opendata_datastore` rows: one per resource whose data is in a table.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_datastore")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub resource_id: String,
        pub table_name: String,
        pub generation: i32,
        /// `[{id, type, info}]` as JSON.
        pub fields: String,
        /// The columns of the primary key, a JSON list.
        pub primary_key: String,
        pub row_count: i64,
        /// `api` (datastore_create) or `file` (a load).
        pub source: String,
        pub loaded_at: Option<TimeDateTimeWithTimeZone>,
        pub modified_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A resource's table as the meta row describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub resource_id: String,
    pub name: String,
    pub generation: i32,
    pub fields: Vec<Field>,
    pub primary_key: Vec<String>,
    pub row_count: i64,
    pub source: String,
    pub loaded_at: Option<OffsetDateTime>,
    pub modified_at: OffsetDateTime,
}

fn table_of(m: meta::Model) -> Table {
    let fields = serde_json::from_str::<Value>(&m.fields)
        .ok()
        .and_then(|v| super::fields_of(&v, |_| Kind::Text).ok())
        .unwrap_or_default();
    Table {
        primary_key: serde_json::from_str(&m.primary_key).unwrap_or_default(),
        resource_id: m.resource_id,
        name: m.table_name,
        generation: m.generation,
        fields,
        row_count: m.row_count,
        source: m.source,
        loaded_at: m.loaded_at,
        modified_at: m.modified_at,
    }
}

fn meta_row(t: &Table) -> meta::Model {
    meta::Model {
        resource_id: t.resource_id.clone(),
        table_name: t.name.clone(),
        generation: t.generation,
        fields: Value::Array(t.fields.iter().map(Field::dict).collect()).to_string(),
        primary_key: serde_json::to_string(&t.primary_key).unwrap_or_else(|_| "[]".to_owned()),
        row_count: t.row_count,
        source: t.source.clone(),
        loaded_at: t.loaded_at,
        modified_at: t.modified_at,
    }
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum StoreError {
    Refused(Refusal),
    Db(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        StoreError::Db(e)
    }
}

impl From<Refusal> for StoreError {
    fn from(e: Refusal) -> Self {
        StoreError::Refused(e)
    }
}

impl From<audit::AuditError> for StoreError {
    fn from(e: audit::AuditError) -> Self {
        match e {
            audit::AuditError::Db(e) => StoreError::Db(e),
            other => StoreError::Db(DbErr::Custom(other.to_string())),
        }
    }
}

/// Why a load did not happen (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no such resource")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl From<audit::AuditError> for LoadError {
    fn from(e: audit::AuditError) -> Self {
        match e {
            audit::AuditError::Db(e) => LoadError::Db(e),
            other => LoadError::Db(DbErr::Custom(other.to_string())),
        }
    }
}

fn entry(actor: &Actor, action: &str, resource_id: &str) -> AuditEntry {
    AuditEntry::new(actor.id.clone(), action, format!("resource:{resource_id}")).request(actor.request_id.as_deref())
}

// ---- SQL in each backend's dialect ----

/// A statement being written, with its bound values (`?` on SQLite, `$n` on PostgreSQL).
struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<sea_orm::Value>,
}

impl Sql {
    fn new(backend: DatabaseBackend) -> Sql {
        Sql { backend, text: String::new(), values: Vec::new() }
    }

    fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, v: sea_orm::Value) -> &mut Sql {
        self.values.push(v);
        if self.backend == DatabaseBackend::Postgres {
            let _ = write!(self.text, "${}", self.values.len());
        } else {
            self.text.push('?');
        }
        self
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// A column or table name in double quotes (column names never hold one:
/// `name_problem`; doubled anyway).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

fn column_type(kind: Kind, pg: bool) -> &'static str {
    match kind {
        Kind::Text => "TEXT",
        Kind::Int => "BIGINT",
        Kind::Numeric => "DOUBLE PRECISION",
        Kind::Bool => "BOOLEAN",
        Kind::Date if pg => "DATE",
        Kind::Timestamp if pg => "TIMESTAMP",
        // SQLite keeps them as ISO text, which sorts in time order.
        Kind::Date | Kind::Timestamp => "TEXT",
    }
}

/// A cell as a bound value of its column's type (a null typed too:
/// PostgreSQL refuses a text null in a number column).
fn value_of(kind: Kind, cell: &Cell, pg: bool) -> sea_orm::Value {
    use sea_orm::Value as V;
    match cell {
        Cell::Null => match kind {
            Kind::Text => V::String(None),
            Kind::Int => V::BigInt(None),
            Kind::Numeric => V::Double(None),
            Kind::Bool => V::Bool(None),
            Kind::Date if pg => V::TimeDate(None),
            Kind::Timestamp if pg => V::TimeDateTime(None),
            Kind::Date | Kind::Timestamp => V::String(None),
        },
        Cell::Text(s) => V::String(Some(s.clone())),
        Cell::Int(n) => V::BigInt(Some(*n)),
        Cell::Numeric(f) => V::Double(Some(*f)),
        Cell::Bool(b) => V::Bool(Some(*b)),
        Cell::Date(d) if pg => V::TimeDate(Some(*d)),
        Cell::Date(d) => V::String(Some(d.to_string())),
        Cell::Timestamp(t) if pg => V::TimeDateTime(Some(*t)),
        Cell::Timestamp(t) => V::String(Some(super::timestamp_text(t))),
    }
}

/// What a SELECT reads for a column (PostgreSQL's dates and times as text).
fn select_expr(field: &Field, pg: bool) -> String {
    let q = quoted(&field.id);
    match field.kind {
        Kind::Date | Kind::Timestamp if pg => format!("CAST({q} AS TEXT) AS {q}"),
        _ => q,
    }
}

fn json_at(row: &QueryResult, i: usize, kind: Kind) -> Result<Value, DbErr> {
    Ok(match kind {
        Kind::Int => row.try_get_by_index::<Option<i64>>(i)?.map_or(Value::Null, Value::from),
        Kind::Numeric => row.try_get_by_index::<Option<f64>>(i)?.map_or(Value::Null, Value::from),
        Kind::Bool => row.try_get_by_index::<Option<bool>>(i)?.map_or(Value::Null, Value::from),
        Kind::Text | Kind::Date => row.try_get_by_index::<Option<String>>(i)?.map_or(Value::Null, Value::from),
        Kind::Timestamp => {
            row.try_get_by_index::<Option<String>>(i)?.map_or(Value::Null, |t| Value::from(t.replacen(' ', "T", 1)))
        }
    })
}

async fn create_table(db: &impl ConnectionTrait, name: &str, fields: &[Field]) -> Result<(), DbErr> {
    let pg = postgres(db);
    let mut sql = format!(
        "CREATE TABLE {} ({} {}",
        quoted(name),
        quoted(ID),
        if pg { "BIGSERIAL PRIMARY KEY" } else { "INTEGER PRIMARY KEY" }
    );
    for f in fields {
        let _ = write!(sql, ", {} {}", quoted(&f.id), column_type(f.kind, pg));
    }
    sql.push(')');
    db.execute_unprepared(&sql).await.map(|_| ())
}

async fn add_column(db: &impl ConnectionTrait, table: &str, field: &Field) -> Result<(), DbErr> {
    let sql = format!(
        "ALTER TABLE {} ADD COLUMN {} {}",
        quoted(table),
        quoted(&field.id),
        column_type(field.kind, postgres(db))
    );
    db.execute_unprepared(&sql).await.map(|_| ())
}

/// The unique index of the primary key, replaced by `columns` (none: dropped).
async fn set_primary_key(db: &impl ConnectionTrait, table: &str, columns: &[String]) -> Result<(), DbErr> {
    let index = quoted(&format!("{table}_pk"));
    db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}")).await?;
    if !columns.is_empty() {
        let list: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
        db.execute_unprepared(&format!("CREATE UNIQUE INDEX {index} ON {} ({})", quoted(table), list.join(", ")))
            .await?;
    }
    Ok(())
}

/// Inserts rows (cells of `fields`, in order) with one multi-row statement.
async fn insert_rows(
    db: &impl ConnectionTrait,
    table: &str,
    fields: &[Field],
    rows: &[Vec<Cell>],
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let pg = postgres(db);
    let mut sql = Sql::new(db.get_database_backend());
    let columns: Vec<String> = fields.iter().map(|f| quoted(&f.id)).collect();
    sql.push(&format!("INSERT INTO {} ({}) VALUES ", quoted(table), columns.join(", ")));
    for (i, row) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        for (j, (field, cell)) in fields.iter().zip(row).enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.bind(value_of(field.kind, cell, pg));
        }
        sql.push(")");
    }
    db.execute_raw(sql.statement()).await.map(|_| ())
}

async fn count_rows(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let sql = format!("SELECT COUNT(*) FROM {}", quoted(table));
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    row.map_or(Ok(0), |r| r.try_get_by_index::<i64>(0))
}

fn like_pattern(word: &str) -> String {
    let mut out = String::from("%");
    for c in word.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// ` WHERE …` for filters (and `q`): every value bound, every name one of the table's.
fn push_where(sql: &mut Sql, filters: &[(Field, Vec<Cell>)], q: Option<&Q>, all: &[Field], pg: bool) {
    let mut first = true;
    let mut and = |sql: &mut Sql| {
        sql.push(if first { " WHERE " } else { " AND " });
        first = false;
    };
    for (field, cells) in filters {
        and(sql);
        let column = quoted(&field.id);
        let values: Vec<&Cell> = cells.iter().filter(|c| **c != Cell::Null).collect();
        sql.push("(");
        if !values.is_empty() {
            sql.push(&format!("{column} IN ("));
            for (i, cell) in values.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(value_of(field.kind, cell, pg));
            }
            sql.push(")");
        }
        if values.len() < cells.len() {
            sql.push(if values.is_empty() { "" } else { " OR " }).push(&format!("{column} IS NULL"));
        }
        sql.push(")");
    }
    match q {
        None => {}
        Some(Q::Words(words)) => {
            let texts: Vec<&Field> = all.iter().filter(|f| f.kind == Kind::Text).collect();
            for word in words {
                and(sql);
                if texts.is_empty() {
                    sql.push("1 = 0");
                    continue;
                }
                sql.push("(");
                for (i, f) in texts.iter().enumerate() {
                    if i > 0 {
                        sql.push(" OR ");
                    }
                    sql.push(&format!("LOWER({}) LIKE ", quoted(&f.id)));
                    sql.bind(sea_orm::Value::String(Some(like_pattern(word)))).push(" ESCAPE '\\'");
                }
                sql.push(")");
            }
        }
        Some(Q::PerField(pairs)) => {
            for (name, word) in pairs {
                and(sql);
                sql.push(&format!("LOWER(CAST({} AS TEXT)) LIKE ", quoted(name)));
                sql.bind(sea_orm::Value::String(Some(like_pattern(word)))).push(" ESCAPE '\\'");
            }
        }
    }
}

// ---- reads ----

/// A resource's table, if it has one.
pub async fn table(db: &impl ConnectionTrait, resource_id: &str) -> Result<Option<Table>, DbErr> {
    if resource_id.contains('\0') {
        return Ok(None);
    }
    Ok(meta::Entity::find_by_id(resource_id).one(db).await?.map(table_of))
}

/// The IDs of the resources among `ids` that have a table.
pub async fn with_tables(db: &impl ConnectionTrait, ids: Vec<String>) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    meta::Entity::find()
        .select_only()
        .column(meta::Column::ResourceId)
        .filter(meta::Column::ResourceId.is_in(ids))
        .into_tuple::<String>()
        .all(db)
        .await
}

/// A search's page: the rows (objects or lists) and, when asked, how many match.
pub async fn search(db: &impl ConnectionTrait, table: &Table, s: &Search) -> Result<(Vec<Value>, Option<i64>), DbErr> {
    let pg = postgres(db);
    let backend = db.get_database_backend();
    let columns: Vec<String> = s.fields.iter().map(|f| select_expr(f, pg)).collect();
    let select = format!(
        "SELECT {}{} FROM {}",
        if s.distinct { "DISTINCT " } else { "" },
        columns.join(", "),
        quoted(&table.name)
    );
    let mut sql = Sql::new(backend);
    sql.push(&select);
    push_where(&mut sql, &s.filters, s.q.as_ref(), &table.fields, pg);
    if !s.sort.is_empty() {
        let order: Vec<String> = s
            .sort
            .iter()
            // Nulls where PostgreSQL puts them by default (and CKAN shows them), on both databases.
            .map(|(f, desc)| format!("{} {}", quoted(&f.id), if *desc { "DESC NULLS FIRST" } else { "ASC NULLS LAST" }))
            .collect();
        sql.push(" ORDER BY ").push(&order.join(", "));
    }
    sql.push(" LIMIT ").bind(sea_orm::Value::BigInt(Some(s.limit)));
    sql.push(" OFFSET ").bind(sea_orm::Value::BigInt(Some(s.offset)));
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in &rows {
        if s.lists {
            let mut list = Vec::with_capacity(s.fields.len());
            for (i, f) in s.fields.iter().enumerate() {
                list.push(json_at(row, i, f.kind)?);
            }
            records.push(Value::Array(list));
        } else {
            let mut object = Map::new();
            for (i, f) in s.fields.iter().enumerate() {
                object.insert(f.id.clone(), json_at(row, i, f.kind)?);
            }
            records.push(Value::Object(object));
        }
    }
    let total = if s.include_total {
        let mut sql = Sql::new(backend);
        if s.distinct {
            sql.push("SELECT COUNT(*) FROM (").push(&select);
            push_where(&mut sql, &s.filters, s.q.as_ref(), &table.fields, pg);
            sql.push(") AS matched");
        } else {
            sql.push(&format!("SELECT COUNT(*) FROM {}", quoted(&table.name)));
            push_where(&mut sql, &s.filters, s.q.as_ref(), &table.fields, pg);
        }
        let row = db.query_one_raw(sql.statement()).await?;
        Some(row.map_or(Ok(0), |r| r.try_get_by_index::<i64>(0))?)
    } else {
        None
    };
    Ok((records, total))
}

// ---- loads ----

/// Loads running on this server: resource ID to rows done and rows in the file.
#[derive(Default)]
struct Loads(std::sync::Mutex<HashMap<String, (u64, u64)>>);

impl Loads {
    fn set(&self, resource_id: &str, done: u64, total: u64) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert(resource_id.to_owned(), (done, total));
    }

    fn end(&self, resource_id: &str) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(resource_id);
    }
}

/// How far a load of the resource running on this server has come: rows
/// done and rows in the file (kept in memory: a page on another server
/// sees no progress, only the result once committed).
pub fn progress(state: &AppState, resource_id: &str) -> Option<(u64, u64)> {
    let loads = state.extension(|_| Loads::default());
    let map = loads.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.get(resource_id).copied()
}

/// Loads a CSV or JSON file into the resource's table, replacing what it
/// held. Types come from every value of the file (the first pass), then
/// `overrides` (column, type); rows that do not fit are left out and
/// reported; the rest go in, in batches, inside one transaction (the
/// second pass), into a new table that takes the old one's place at
/// commit. A file of which no row fits changes nothing.
pub async fn load<R: Read + Seek + Send>(
    state: &AppState,
    resource_id: &str,
    reader: R,
    format: Format,
    overrides: &[(String, Kind)],
    actor: &Actor,
) -> Result<LoadReport, LoadError> {
    load_watched(state, resource_id, reader, format, overrides, actor, &|_, _| {}).await
}

/// [`load`], telling `watch` the rows done and the rows in the file after
/// each batch (the CLI's progress line).
pub async fn load_watched<R: Read + Seek + Send>(
    state: &AppState,
    resource_id: &str,
    mut reader: R,
    format: Format,
    overrides: &[(String, Kind)],
    actor: &Actor,
    watch: &(dyn Fn(u64, u64) + Sync),
) -> Result<LoadReport, LoadError> {
    let started = std::time::Instant::now();
    if crate::catalogue::store::resource(&state.db, resource_id).await?.is_none() {
        return Err(LoadError::NotFound);
    }
    let (fields, total) = survey(&mut reader, format, overrides)?;
    reader.seek(SeekFrom::Start(0)).map_err(FileError::from)?;
    let loads = state.extension(|_| Loads::default());
    loads.set(resource_id, 0, total);
    let outcome = fill(state, resource_id, &mut reader, format, fields, total, actor, &loads, watch).await;
    loads.end(resource_id);
    let mut report = outcome?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The first pass: the file's columns with the types of all their values,
/// and how many data rows it has.
fn survey<R: Read>(reader: R, format: Format, overrides: &[(String, Kind)]) -> Result<(Vec<Field>, u64), LoadError> {
    let rows = Rows::open(reader, format)?;
    let header = rows.header.clone();
    if let Some(problem) = super::names_problem(&header) {
        return Err(LoadError::Invalid(format!("header: {problem}")));
    }
    let mut inference = Inference::new(header.len());
    let mut total = 0u64;
    for row in rows {
        let row = row?;
        total += 1;
        if let Ok(cells) = &row.cells
            && cells.len() == header.len()
        {
            for (i, c) in cells.iter().enumerate() {
                inference.see(i, super::classify(c));
            }
        }
    }
    let mut fields: Vec<Field> = header.into_iter().zip(inference.kinds()).map(|(n, k)| Field::new(n, k)).collect();
    for (column, kind) in overrides {
        let field = fields
            .iter_mut()
            .find(|f| &f.id == column)
            .ok_or_else(|| LoadError::Invalid(format!("--type {column}: the file has no such column")))?;
        field.kind = *kind;
    }
    Ok((fields, total))
}

/// The second pass, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn fill<R: Read + Send>(
    state: &AppState,
    resource_id: &str,
    reader: &mut R,
    format: Format,
    fields: Vec<Field>,
    total: u64,
    actor: &Actor,
    loads: &Loads,
    watch: &(dyn Fn(u64, u64) + Sync),
) -> Result<LoadReport, LoadError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let old = meta::Entity::find_by_id(resource_id).one(&txn).await?.map(table_of);
    let generation = old.as_ref().map_or(1, |t| t.generation + 1);
    let name = super::table_name(resource_id, generation).ok_or(LoadError::NotFound)?;
    create_table(&txn, &name, &fields).await?;
    let per = super::batch_rows(fields.len());
    let mut batch = Vec::with_capacity(per);
    let (mut number, mut loaded, mut rejected) = (0u64, 0u64, 0u64);
    let mut problems = Vec::new();
    for row in Rows::open(reader, format)? {
        let row = row?;
        number += 1;
        match super::row_cells(&fields, row.cells) {
            Ok(cells) => batch.push(cells),
            Err(fault) => {
                rejected += 1;
                if problems.len() < super::PROBLEMS_KEPT {
                    problems.push(RowProblem {
                        row: number,
                        line: row.line,
                        column: fault.column,
                        value: fault.value,
                        reason: fault.reason,
                    });
                }
            }
        }
        if batch.len() == per {
            insert_rows(&txn, &name, &fields, &batch).await?;
            loaded += batch.len() as u64;
            batch.clear();
            loads.set(resource_id, number, total.max(number));
            watch(number, total.max(number));
        }
    }
    insert_rows(&txn, &name, &fields, &batch).await?;
    loaded += batch.len() as u64;
    watch(number, total.max(number));
    if loaded == 0 && number > 0 {
        let first = problems.first().map(|p| {
            let column = p.column.as_deref().map(|c| format!(", column \"{c}\"")).unwrap_or_default();
            format!("; the first, row {}{column}: {}", p.row, p.reason)
        });
        txn.rollback().await?;
        return Err(LoadError::Invalid(format!(
            "no row could be loaded ({rejected} rejected{}); the table is unchanged",
            first.unwrap_or_default()
        )));
    }
    let now = platform::db::now();
    let table = Table {
        resource_id: resource_id.to_owned(),
        name: name.clone(),
        generation,
        fields: fields.clone(),
        primary_key: Vec::new(),
        row_count: i64::try_from(loaded).unwrap_or(i64::MAX),
        source: "file".to_owned(),
        loaded_at: Some(now),
        modified_at: now,
    };
    meta::Entity::delete_by_id(resource_id).exec(&txn).await?;
    meta::ActiveModel::from(meta_row(&table)).insert(&txn).await?;
    if let Some(old) = &old {
        txn.execute_unprepared(&format!("DROP TABLE {}", quoted(&old.name))).await?;
    }
    audit::record(&txn, &state.keys, entry(actor, "opendata.datastore.load", resource_id)).await?;
    txn.commit().await?;
    Ok(LoadReport {
        resource_id: resource_id.to_owned(),
        rows_total: number,
        rows_loaded: loaded,
        rows_rejected: rejected,
        fields,
        problems,
        seconds: 0.0,
    })
}

// ---- the API's writes ----

fn unique_violation(e: DbErr, primary_key: &[String]) -> StoreError {
    if platform::db::is_unique_violation(&e) {
        StoreError::Refused(Refusal::invalid(
            "records",
            format!("duplicate key: rows must differ in the primary key ({})", primary_key.join(", ")),
        ))
    } else {
        StoreError::Db(e)
    }
}

fn read_only(table: &Table, force: bool) -> Result<(), Refusal> {
    if table.source == "file" && !force {
        return Err(Refusal::invalid(
            "read-only",
            "Cannot edit read-only resource because changes made may be lost (its table is loaded from a file). \
             Use force=true to edit it anyway.",
        ));
    }
    Ok(())
}

/// Cells of records for inserting: every column, null where a record names none.
fn full_rows(fields: &[Field], records: &[Map<String, Value>]) -> Result<Vec<Vec<Cell>>, Refusal> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            super::record_cells(fields, r, i + 1)
                .map(|cells| cells.into_iter().map(|c| c.unwrap_or(Cell::Null)).collect())
                .map_err(|m| Refusal::invalid("records", m))
        })
        .collect()
}

async fn insert_records(
    db: &impl ConnectionTrait,
    table: &Table,
    records: &[Map<String, Value>],
) -> Result<(), StoreError> {
    let rows = full_rows(&table.fields, records)?;
    for chunk in rows.chunks(super::batch_rows(table.fields.len())) {
        insert_rows(db, &table.name, &table.fields, chunk)
            .await
            .map_err(|e| unique_violation(e, &table.primary_key))?;
    }
    Ok(())
}

/// What `datastore_create` asks for.
pub struct Create {
    pub fields: Vec<Field>,
    pub records: Vec<Map<String, Value>>,
    /// `None`: keep the table's.
    pub primary_key: Option<Vec<String>>,
    pub force: bool,
    /// Whether `fields` were learnt from the records (no `fields` given):
    /// then a column the table has keeps its type without question.
    pub inferred: bool,
}

/// `datastore_create`: makes the resource's table, or adds the new fields
/// to the one it has (a field keeps its type); sets the primary key; adds
/// the records. All or nothing.
pub async fn create(state: &AppState, resource_id: &str, c: &Create, actor: &Actor) -> Result<Table, StoreError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let now = platform::db::now();
    let existing = meta::Entity::find_by_id(resource_id).one(&txn).await?.map(table_of);
    let mut table = match existing {
        Some(mut table) => {
            read_only(&table, c.force)?;
            for f in &c.fields {
                match table.fields.iter_mut().find(|old| old.id == f.id) {
                    Some(old) if old.kind != f.kind && !c.inferred => {
                        return Err(Refusal::invalid(
                            "fields",
                            format!("field \"{}\" is of type {}: a type cannot change", f.id, old.kind.name()),
                        )
                        .into());
                    }
                    Some(old) => {
                        if !f.info.is_empty() {
                            old.info = f.info.clone();
                        }
                    }
                    None => {
                        add_column(&txn, &table.name, f).await?;
                        table.fields.push(f.clone());
                    }
                }
            }
            let names: Vec<String> = table.fields.iter().map(|f| f.id.clone()).collect();
            if let Some(problem) = super::names_problem(&names) {
                return Err(Refusal::invalid("fields", problem).into());
            }
            table
        }
        None => {
            if c.fields.is_empty() {
                return Err(
                    Refusal::invalid("fields", "Missing value: give fields, or records to learn them from").into()
                );
            }
            let name = super::table_name(resource_id, 1)
                .ok_or_else(|| Refusal::invalid("resource_id", "Not a resource ID"))?;
            create_table(&txn, &name, &c.fields).await?;
            Table {
                resource_id: resource_id.to_owned(),
                name,
                generation: 1,
                fields: c.fields.clone(),
                primary_key: Vec::new(),
                row_count: 0,
                source: "api".to_owned(),
                loaded_at: None,
                modified_at: now,
            }
        }
    };
    if let Some(key) = &c.primary_key
        && *key != table.primary_key
    {
        if let Some(missing) = key.iter().find(|k| !table.fields.iter().any(|f| &f.id == *k)) {
            return Err(Refusal::invalid("primary_key", format!("field \"{missing}\" not in table")).into());
        }
        set_primary_key(&txn, &table.name, key).await.map_err(|e| unique_violation(e, key))?;
        table.primary_key = key.clone();
    }
    insert_records(&txn, &table, &c.records).await?;
    table.row_count = count_rows(&txn, &table.name).await?;
    table.modified_at = now;
    meta::Entity::delete_by_id(resource_id).exec(&txn).await?;
    meta::ActiveModel::from(meta_row(&table)).insert(&txn).await?;
    audit::record(&txn, &state.keys, entry(actor, "opendata.datastore.create", resource_id)).await?;
    txn.commit().await?;
    Ok(table)
}

/// `datastore_upsert`'s methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Upsert,
    Insert,
    Update,
}

impl Method {
    pub fn parse(name: &str) -> Option<Method> {
        match name {
            "upsert" => Some(Method::Upsert),
            "insert" => Some(Method::Insert),
            "update" => Some(Method::Update),
            _ => None,
        }
    }
}

/// `datastore_upsert`: inserts the records, or updates the rows with their
/// primary key (`update`: each must exist; `upsert`: inserted when not).
/// All or nothing.
pub async fn upsert(
    state: &AppState,
    resource_id: &str,
    records: &[Map<String, Value>],
    method: Method,
    force: bool,
    actor: &Actor,
) -> Result<Table, StoreError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(mut table) = meta::Entity::find_by_id(resource_id).one(&txn).await?.map(table_of) else {
        return Err(Refusal::NotFound(format!("Resource \"{resource_id}\" was not found.")).into());
    };
    read_only(&table, force)?;
    if method == Method::Insert {
        insert_records(&txn, &table, records).await?;
    } else {
        if table.primary_key.is_empty() {
            return Err(Refusal::invalid("table", "table does not have a unique key defined").into());
        }
        let pg = postgres(&txn);
        for (i, record) in records.iter().enumerate() {
            let cells =
                super::record_cells(&table.fields, record, i + 1).map_err(|m| Refusal::invalid("records", m))?;
            let mut key = Vec::new();
            let mut set = Vec::new();
            for (field, cell) in table.fields.iter().zip(&cells) {
                let is_key = table.primary_key.contains(&field.id);
                match (is_key, cell) {
                    (true, Some(c)) if *c != Cell::Null => key.push((field, c)),
                    (true, _) => {
                        return Err(Refusal::invalid(
                            "key",
                            format!(
                                "row {}: fields {} are needed (the primary key)",
                                i + 1,
                                table.primary_key.join(", ")
                            ),
                        )
                        .into());
                    }
                    (false, Some(c)) => set.push((field, c)),
                    (false, None) => {}
                }
            }
            let mut sql = Sql::new(txn.get_database_backend());
            let found = if set.is_empty() {
                sql.push(&format!("SELECT COUNT(*) FROM {}", quoted(&table.name)));
                push_key(&mut sql, &key, pg);
                let row = txn.query_one_raw(sql.statement()).await?;
                row.map_or(Ok(0), |r| r.try_get_by_index::<i64>(0))? > 0
            } else {
                sql.push(&format!("UPDATE {} SET ", quoted(&table.name)));
                for (j, (field, cell)) in set.iter().enumerate() {
                    sql.push(if j == 0 { "" } else { ", " }).push(&format!("{} = ", quoted(&field.id)));
                    sql.bind(value_of(field.kind, cell, pg));
                }
                push_key(&mut sql, &key, pg);
                txn.execute_raw(sql.statement()).await?.rows_affected() > 0
            };
            if !found {
                if method == Method::Update {
                    let shown: Vec<String> = record
                        .iter()
                        .filter(|(k, _)| table.primary_key.contains(k))
                        .map(|(_, v)| super::excerpt(&v.to_string()))
                        .collect();
                    return Err(Refusal::invalid("key", format!("key \"({})\" not found", shown.join(", "))).into());
                }
                insert_records(&txn, &table, std::slice::from_ref(record)).await?;
            }
        }
    }
    table.row_count = count_rows(&txn, &table.name).await?;
    table.modified_at = platform::db::now();
    meta::ActiveModel::from(meta_row(&table)).reset_all().update(&txn).await?;
    audit::record(&txn, &state.keys, entry(actor, "opendata.datastore.upsert", resource_id)).await?;
    txn.commit().await?;
    Ok(table)
}

fn push_key(sql: &mut Sql, key: &[(&Field, &Cell)], pg: bool) {
    for (i, (field, cell)) in key.iter().enumerate() {
        sql.push(if i == 0 { " WHERE " } else { " AND " }).push(&format!("{} = ", quoted(&field.id)));
        sql.bind(value_of(field.kind, cell, pg));
    }
}

/// `datastore_delete`: the whole table (no filters), or the rows that
/// match the filters. Returns the table as it is after (`None`: dropped).
pub async fn delete(
    state: &AppState,
    resource_id: &str,
    filters: Option<&Value>,
    force: bool,
    actor: &Actor,
) -> Result<Option<Table>, StoreError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(mut table) = meta::Entity::find_by_id(resource_id).one(&txn).await?.map(table_of) else {
        return Err(Refusal::NotFound(format!("Resource \"{resource_id}\" was not found.")).into());
    };
    read_only(&table, force)?;
    let after = match filters {
        None => {
            txn.execute_unprepared(&format!("DROP TABLE {}", quoted(&table.name))).await?;
            meta::Entity::delete_by_id(resource_id).exec(&txn).await?;
            None
        }
        Some(filters) => {
            let filters = super::filters_of(filters, &table.fields).map_err(|m| Refusal::invalid("filters", m))?;
            let mut sql = Sql::new(txn.get_database_backend());
            sql.push(&format!("DELETE FROM {}", quoted(&table.name)));
            push_where(&mut sql, &filters, None, &table.fields, postgres(&txn));
            txn.execute_raw(sql.statement()).await?;
            table.row_count = count_rows(&txn, &table.name).await?;
            table.modified_at = platform::db::now();
            meta::ActiveModel::from(meta_row(&table)).reset_all().update(&txn).await?;
            Some(table)
        }
    };
    audit::record(&txn, &state.keys, entry(actor, "opendata.datastore.delete", resource_id)).await?;
    txn.commit().await?;
    Ok(after)
}
