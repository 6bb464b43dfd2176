//! Dependants: people without a sign-in of their own (children, elderly
//! relatives), looked after by one or more guardian accounts. Their
//! details live in the same profile as anyone's; every act is audited.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use serde::Deserialize;

use crate::profile;
use crate::store;
use axum::Router;
use axum::routing::{get, post};

/// The dependants page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/account/dependants", get(page).post(add)).route("/account/dependants/remove", post(remove))
}

pub mod entity {
    //! `guardian` rows: which account looks after which person.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "guardian")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub relation: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const RELATIONS: [&str; 4] = ["child", "parent", "relative", "other"];

/// Whether `account_id` may act for `person_id` (their own person, or a dependant).
pub async fn acts_for(conn: &impl ConnectionTrait, account_id: &str, person_id: &str) -> Result<bool, DbErr> {
    if store::account_by_id(conn, account_id).await?.is_some_and(|a| a.person_id == person_id) {
        return Ok(true);
    }
    Ok(entity::Entity::find_by_id((person_id.to_owned(), account_id.to_owned())).one(conn).await?.is_some())
}

/// The people an account looks after, as linked (for the data download).
pub async fn links(conn: &impl ConnectionTrait, account_id: &str) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find().filter(entity::Column::AccountId.eq(account_id)).all(conn).await
}

/// A dependant as listed to their guardian.
pub struct Dependant {
    pub person_id: String,
    pub name: String,
    pub name_zh: String,
    pub birthdate: String,
    pub relation_key: String,
}

pub async fn list(conn: &impl ConnectionTrait, account_id: &str) -> Result<Vec<Dependant>, DbErr> {
    let links = entity::Entity::find().filter(entity::Column::AccountId.eq(account_id)).all(conn).await?;
    let people: Vec<String> = links.iter().map(|l| l.person_id.clone()).collect();
    let values = profile::values_of(conn, &people).await?;
    Ok(links
        .into_iter()
        .map(|link| {
            let get = |f: &str| {
                values.iter().find(|v| v.person_id == link.person_id && v.field == f).map(|v| v.value.clone())
            };
            Dependant {
                name: get("name").unwrap_or_default(),
                name_zh: get("name_zh").unwrap_or_default(),
                birthdate: get("birthdate").unwrap_or_default(),
                relation_key: format!("dependant-relation-{}", link.relation),
                person_id: link.person_id,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "dependants.html")]
struct DependantsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    dependants: Vec<Dependant>,
    name: &'a str,
    name_zh: &'a str,
    birthdate: &'a str,
    relation: &'a str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DependantForm {
    name: String,
    name_zh: String,
    birthdate: String,
    relation: String,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let dependants = list(&state.db, &principal.account_id.to_string()).await?;
    let page = DependantsPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        dependants,
        name: "",
        name_zh: "",
        birthdate: "",
        relation: "child",
    };
    ctx.page(StatusCode::OK, "dependants-title", &page)
}

pub(crate) async fn add(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<DependantForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let (name, name_zh, birthdate) = (form.name.trim(), form.name_zh.trim(), form.birthdate.trim());
    let mut errors = FormErrors::new();
    if name.is_empty() && name_zh.is_empty() {
        errors.add("name", "dependant-name-missing");
    }
    for (slug, value) in [("name", name), ("name_zh", name_zh), ("birthdate", birthdate)] {
        if let Some(key) = profile::field(slug).and_then(|f| profile::problem(&f, value)) {
            errors.add(slug, key);
        }
    }
    if birthdate.is_empty() {
        errors.add("birthdate", "dependant-birthdate-missing");
    }
    if !RELATIONS.contains(&form.relation.as_str()) {
        errors.add("relation", "dependant-relation-missing");
    }
    if !errors.is_empty() {
        let dependants = list(&state.db, &account_id).await?;
        let page = DependantsPage { ctx: &ctx, errors, dependants, name, name_zh, birthdate, relation: &form.relation };
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "dependants-title", &page);
    }
    let now = platform::db::now();
    let person_id = Uuid::now_v7().to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    store::person::ActiveModel { id: Set(person_id.clone()), created_at: Set(now) }.insert(&txn).await?;
    for (slug, value) in [("name", name), ("name_zh", name_zh), ("birthdate", birthdate)] {
        if !value.is_empty() {
            profile::entity::ActiveModel {
                person_id: Set(person_id.clone()),
                field: Set(slug.to_owned()),
                value: Set(value.to_owned()),
                source: Set("guardian".to_owned()),
                updated_at: Set(now),
                document_id: Set(None),
            }
            .insert(&txn)
            .await?;
        }
    }
    entity::ActiveModel {
        person_id: Set(person_id.clone()),
        account_id: Set(account_id.clone()),
        relation: Set(form.relation.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{account_id}"), "person.add_dependant", format!("person:{person_id}")),
    )
    .await?;
    txn.commit().await?;
    Ok(crate::pages::see_other(&ctx.href("/account/dependants")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoveForm {
    person_id: String,
}

/// Stops looking after a dependant; a person nobody looks after any more
/// (and who has no account) is deleted with their details.
pub(crate) async fn remove(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    if release(&txn, &account_id, &form.person_id).await? {
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(
                format!("account:{account_id}"),
                "person.remove_dependant",
                format!("person:{}", form.person_id),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(crate::pages::see_other(&ctx.href("/account/dependants")))
}

/// Ends `account_id`'s care of `person_id`; deletes the person when nobody
/// looks after them any more and they have no account. False when there
/// was no such link (someone else's dependant, or already removed).
async fn release(conn: &impl ConnectionTrait, account_id: &str, person_id: &str) -> Result<bool, DbErr> {
    let removed =
        entity::Entity::delete_by_id((person_id.to_owned(), account_id.to_owned())).exec(conn).await?.rows_affected
            == 1;
    if removed {
        let others = entity::Entity::find().filter(entity::Column::PersonId.eq(person_id)).count(conn).await?;
        let has_account =
            store::account::Entity::find().filter(store::account::Column::PersonId.eq(person_id)).count(conn).await?
                > 0;
        if others == 0 && !has_account {
            store::person::Entity::delete_by_id(person_id.to_owned()).exec(conn).await?;
        }
    }
    Ok(removed)
}

/// Releases every dependant of an account that is being deleted, so nobody
/// is left behind with no one to look after their details.
pub(crate) async fn release_all(conn: &impl ConnectionTrait, account_id: &str) -> Result<(), DbErr> {
    let links = entity::Entity::find().filter(entity::Column::AccountId.eq(account_id)).all(conn).await?;
    for link in links {
        release(conn, account_id, &link.person_id).await?;
    }
    Ok(())
}
