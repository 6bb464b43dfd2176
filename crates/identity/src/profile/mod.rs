//! The e-ME profile: name in English and Chinese, date of birth, address and
//! phone, each marked with who vouches for it. Services receive a field
//! only with the resident's consent, per service and per field.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use serde::Deserialize;

/// The profile page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/account/profile", get(page).post(submit))
}

pub mod entity {
    //! `profile_field` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "profile_field")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub field: String,
        pub value: String,
        pub source: String,
        pub updated_at: TimeDateTimeWithTimeZone,
        /// The identity document whose verification recorded the value.
        pub document_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A profile field: its slug (also the OpenID Connect claim it feeds) and
/// the scope that asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub slug: &'static str,
    pub claim: &'static str,
    pub scope: &'static str,
    pub max: usize,
}

pub const FIELDS: [Field; 5] = [
    Field { slug: "name", claim: "name", scope: "profile", max: 100 },
    Field { slug: "name_zh", claim: "name#zh-Hant", scope: "profile", max: 50 },
    Field { slug: "birthdate", claim: "birthdate", scope: "profile", max: 10 },
    Field { slug: "address", claim: "address", scope: "address", max: 300 },
    Field { slug: "phone_number", claim: "phone_number", scope: "phone", max: 16 },
];

/// The fields a request can release: by scope, or named one by one
/// through the `claims` parameter (`claim:<field>` entries).
pub fn fields_for(scopes: &[String]) -> Vec<Field> {
    FIELDS
        .iter()
        .copied()
        .filter(|f| scopes.iter().any(|s| s == f.scope || s.strip_prefix("claim:") == Some(f.slug)))
        .collect()
}

pub fn field(slug: &str) -> Option<Field> {
    FIELDS.iter().copied().find(|f| f.slug == slug)
}

/// Checks a value for a field; `None` means it is fine (empty clears it).
pub fn problem(field: &Field, value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > field.max || value.chars().any(char::is_control) {
        return Some("profile-too-long");
    }
    match field.slug {
        "birthdate" => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            match time::Date::parse(value, &format) {
                Ok(d) if d <= time::OffsetDateTime::now_utc().date() && d.year() >= 1880 => None,
                _ => Some("profile-birthdate-invalid"),
            }
        }
        "phone_number" => {
            let digits = value.strip_prefix('+').unwrap_or("");
            ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
                .then_some(())
                .map_or(Some("profile-phone-invalid"), |()| None)
        }
        _ => None,
    }
}

/// The person's profile values, by field slug.
pub async fn values(conn: &impl ConnectionTrait, person_id: &str) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find().filter(entity::Column::PersonId.eq(person_id)).all(conn).await
}

/// The fields of several people at once (one query, whatever their number).
pub async fn values_of(conn: &impl ConnectionTrait, person_ids: &[String]) -> Result<Vec<entity::Model>, DbErr> {
    if person_ids.is_empty() {
        return Ok(Vec::new());
    }
    entity::Entity::find().filter(entity::Column::PersonId.is_in(person_ids.iter().map(String::as_str))).all(conn).await
}

/// Stores what the resident typed; a changed value becomes `self`-sourced.
async fn save(conn: &impl ConnectionTrait, person_id: &str, slug: &str, value: &str) -> Result<(), DbErr> {
    let existing = entity::Entity::find_by_id((person_id.to_owned(), slug.to_owned())).one(conn).await?;
    match (existing, value.is_empty()) {
        (Some(_), true) => {
            entity::Entity::delete_by_id((person_id.to_owned(), slug.to_owned())).exec(conn).await?;
        }
        (Some(e), false) if e.value == value => {}
        (None, true) => {}
        (existing, false) => {
            let row = entity::ActiveModel {
                person_id: Set(person_id.to_owned()),
                field: Set(slug.to_owned()),
                value: Set(value.to_owned()),
                source: Set("self".to_owned()),
                updated_at: Set(platform::db::now()),
                document_id: Set(None),
            };
            if existing.is_some() {
                row.update(conn).await?;
            } else {
                row.insert(conn).await?;
            }
        }
    }
    Ok(())
}

/// The fields a real-name verification records from the document. Once
/// the account is at the real-name level the resident cannot change them:
/// services that asked for a checked identity rely on them, so a correction
/// goes through a new check, never the profile form.
pub const VOUCHED: [&str; 2] = ["name", "birthdate"];

/// Records a value read from a checked document: `source` is how it was
/// checked (`officer`, `assertion`) and `document_id` the record of it.
pub(crate) async fn record_vouched(
    conn: &impl ConnectionTrait,
    person_id: &str,
    slug: &str,
    value: &str,
    source: &str,
    document_id: &str,
) -> Result<(), DbErr> {
    entity::Entity::delete_by_id((person_id.to_owned(), slug.to_owned())).exec(conn).await?;
    entity::ActiveModel {
        person_id: Set(person_id.to_owned()),
        field: Set(slug.to_owned()),
        value: Set(value.to_owned()),
        source: Set(source.to_owned()),
        updated_at: Set(platform::db::now()),
        document_id: Set(Some(document_id.to_owned())),
    }
    .insert(conn)
    .await?;
    Ok(())
}

struct Row {
    slug: &'static str,
    label_key: String,
    hint_key: String,
    value: String,
    source_key: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
    /// Read from a checked document: shown, not editable.
    locked: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    rows: Vec<Row>,
    saved: bool,
}

/// Whether a real-name check read `slug` from a document (`document_id`)
/// for a real-name account: then it stays as the document says. Values of
/// accounts checked before checks recorded them were typed by the person
/// and stay theirs to edit (and are never labelled as checked).
fn vouched(stored: &[entity::Model], slug: &str, real_name: bool) -> bool {
    real_name && VOUCHED.contains(&slug) && stored.iter().any(|m| m.field == slug && m.document_id.is_some())
}

fn rows(stored: &[entity::Model], typed: Option<&ProfileForm>, real_name: bool) -> Vec<Row> {
    FIELDS
        .iter()
        .map(|f| {
            let locked = vouched(stored, f.slug, real_name);
            let stored = stored.iter().find(|m| m.field == f.slug);
            let value = typed
                .filter(|_| !locked)
                .map(|t| t.get(f.slug).to_owned())
                .or_else(|| stored.map(|m| m.value.clone()))
                .unwrap_or_default();
            Row {
                slug: f.slug,
                label_key: format!("profile-{}", f.slug.replace('_', "-")),
                hint_key: format!("profile-{}-hint", f.slug.replace('_', "-")),
                value,
                source_key: match stored.map(|m| m.source.as_str()) {
                    _ if locked => "profile-source-document",
                    Some("officer") => "profile-source-officer",
                    Some(_) => "profile-source-self",
                    None => "",
                },
                input_type: match f.slug {
                    "birthdate" => "date",
                    "phone_number" => "tel",
                    _ => "text",
                },
                autocomplete: match f.slug {
                    "name" => "name",
                    "birthdate" => "bday",
                    "address" => "street-address",
                    "phone_number" => "tel",
                    _ => "off",
                },
                locked,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProfileForm {
    name: String,
    name_zh: String,
    birthdate: String,
    address: String,
    phone_number: String,
}

impl ProfileForm {
    fn get(&self, slug: &str) -> &str {
        match slug {
            "name" => self.name.trim(),
            "name_zh" => self.name_zh.trim(),
            "birthdate" => self.birthdate.trim(),
            "address" => self.address.trim(),
            _ => self.phone_number.trim(),
        }
    }
}

async fn account_of(state: &AppState, account_id: &str) -> Result<crate::store::account::Model, AppError> {
    account_of_in(&state.db, account_id).await
}

async fn account_of_in(
    conn: &impl ConnectionTrait,
    account_id: &str,
) -> Result<crate::store::account::Model, AppError> {
    crate::store::account_by_id(conn, account_id).await?.ok_or_else(AppError::not_found)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let account = account_of(&state, &principal.account_id.to_string()).await?;
    let real_name = account.level == crate::store::account::Level::RealName;
    let stored = values(&state.db, &account.person_id).await?;
    ctx.page(
        StatusCode::OK,
        "profile-title",
        &ProfilePage { ctx: &ctx, errors: FormErrors::new(), rows: rows(&stored, None, real_name), saved: false },
    )
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<ProfileForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let account = account_of(&state, &account_id).await?;
    let person = account.person_id.clone();
    let real_name = account.level == crate::store::account::Level::RealName;
    let stored = values(&state.db, &person).await?;
    let mut errors = FormErrors::new();
    for f in &FIELDS {
        let typed = form.get(f.slug);
        if vouched(&stored, f.slug, real_name) {
            // What a checked document says stays as it says.
            let kept = stored.iter().find(|m| m.field == f.slug).map_or("", |m| m.value.as_str());
            if typed != kept {
                errors.add(f.slug, "profile-verified-locked");
            }
        } else if let Some(key) = problem(f, typed) {
            errors.add(f.slug, key);
        }
    }
    if !errors.is_empty() {
        return ctx.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "profile-title",
            &ProfilePage { ctx: &ctx, errors, rows: rows(&stored, Some(&form), real_name), saved: false },
        );
    }
    let txn = platform::db::begin_write(&state.db).await?;
    // Read again under the write lock: a verification may have landed meanwhile.
    let real_name =
        real_name || account_of_in(&txn, &account_id).await?.level == crate::store::account::Level::RealName;
    let stored = values(&txn, &person).await?;
    for f in FIELDS.iter().filter(|f| !vouched(&stored, f.slug, real_name)) {
        save(&txn, &person, f.slug, form.get(f.slug)).await?;
    }
    platform::audit::record(
        &txn,
        &state.keys,
        platform::audit::AuditEntry::new(
            format!("account:{account_id}"),
            "account.profile_update",
            format!("account:{account_id}"),
        ),
    )
    .await?;
    txn.commit().await?;
    let stored = values(&state.db, &person).await?;
    ctx.page(
        StatusCode::OK,
        "profile-title",
        &ProfilePage { ctx: &ctx, errors: FormErrors::new(), rows: rows(&stored, None, real_name), saved: true },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_per_field() {
        let f = |slug| field(slug).unwrap();
        assert_eq!(problem(&f("birthdate"), "1950-02-29"), Some("profile-birthdate-invalid"));
        assert_eq!(problem(&f("birthdate"), "1952-02-29"), None);
        assert_eq!(problem(&f("birthdate"), "2999-01-01"), Some("profile-birthdate-invalid"));
        assert_eq!(problem(&f("phone_number"), "+85291234567"), None);
        assert_eq!(problem(&f("phone_number"), "91234567"), Some("profile-phone-invalid"));
        assert_eq!(problem(&f("name"), &"x".repeat(101)), Some("profile-too-long"));
        assert_eq!(problem(&f("address"), ""), None, "empty clears");
        assert_eq!(fields_for(&["profile".to_owned()]).len(), 3);
    }
}
