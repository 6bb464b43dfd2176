//! Real-name identity: an officer checks an identity document (HKID with its
//! check digit, or a passport) and raises the account to `real_name`. The
//! number is sealed with the data key and indexed by a keyed hash, so one
//! document backs at most one person; it is shown only masked.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::ids::{Hkid, HkidProblem, Passport};
use platform::outbox;
use platform::page::PageContext;
use platform::principal::{IdentityLevel, Officer, Require};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use serde::Deserialize;

use crate::model::Email;
use crate::store;

pub mod document {
    //! `identity_document` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identity_document")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub person_id: String,
        pub kind: String,
        pub number_sealed: String,
        pub blind_index: String,
        pub source: String,
        pub verified_by: String,
        pub verified_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A document an officer has checked.
#[derive(Debug, Clone)]
pub enum Document {
    Hkid(Hkid),
    Passport(Passport),
}

impl Document {
    fn kind(&self) -> &'static str {
        match self {
            Document::Hkid(_) => "hkid",
            Document::Passport(_) => "passport",
        }
    }
    fn canonical(&self) -> String {
        match self {
            Document::Hkid(h) => h.as_str().to_owned(),
            Document::Passport(p) => p.canonical(),
        }
    }
    pub fn masked(&self) -> String {
        match self {
            Document::Hkid(h) => h.masked(),
            Document::Passport(p) => format!("{} {}", p.country, p.masked()),
        }
    }
}

/// The result of a verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    NoSuchAccount,
    /// The document already backs another person.
    DocumentTaken,
    /// The account is already real-name (with another document).
    AlreadyVerified,
}

/// Records that `officer` checked `document` for the account with `email`.
pub async fn verify(state: &AppState, officer: &str, email: &Email, document: &Document) -> Result<Outcome, AppError> {
    let blind = state.keys.blind_index(&format!("identity.document.{}", document.kind()), &document.canonical());
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(account) = store::account_by_email(&txn, email).await? else { return Ok(Outcome::NoSuchAccount) };
    if let Some(existing) = document::Entity::find().filter(document::Column::BlindIndex.eq(&blind)).one(&txn).await? {
        return Ok(if existing.person_id == account.person_id {
            Outcome::AlreadyVerified
        } else {
            Outcome::DocumentTaken
        });
    }
    if document::Entity::find().filter(document::Column::PersonId.eq(&account.person_id)).one(&txn).await?.is_some() {
        return Ok(Outcome::AlreadyVerified);
    }
    let sealed = state.keys.seal(&format!("identity.document.{}", document.kind()), document.canonical().as_bytes());
    document::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        person_id: Set(account.person_id.clone()),
        kind: Set(document.kind().to_owned()),
        number_sealed: Set(STANDARD.encode(sealed)),
        blind_index: Set(blind),
        source: Set("officer".to_owned()),
        verified_by: Set(officer.to_owned()),
        verified_at: Set(platform::db::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if platform::db::is_unique_violation(&e) {
            AppError::new(platform::error::ErrorKind::Conflict)
        } else {
            e.into()
        }
    })?;
    store::account::Entity::update_many()
        .col_expr(store::account::Column::Level, Expr::value("real_name"))
        .filter(store::account::Column::Id.eq(&account.id))
        .exec(&txn)
        .await?;
    platform::session::update_principals(&txn, &account.id, |p| p.level = IdentityLevel::RealName).await?;
    audit::record(&txn, AuditEntry::new(officer, "identity.verify_document", format!("account:{}", account.id)))
        .await?;
    let lang = platform::i18n::Lang::En;
    let notice =
        crate::accounts::notice(state, lang, &account.email, "email-real-name-subject", "email-real-name-body");
    outbox::enqueue(&txn, notice).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Outcome::Verified)
}

#[derive(Template)]
#[template(path = "officer_real_name.html")]
struct OfficerPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
    kind: &'a str,
    country: &'a str,
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OfficerForm {
    email: String,
    kind: String,
    number: String,
    country: String,
}

pub(crate) async fn page(_officer: Require<Officer>, ctx: PageContext) -> Result<Response, AppError> {
    let content =
        OfficerPage { ctx: &ctx, errors: FormErrors::new(), email: "", kind: "hkid", country: "", done: None };
    render(&ctx, StatusCode::OK, content)
}

fn render(ctx: &PageContext, status: StatusCode, content: OfficerPage<'_>) -> Result<Response, AppError> {
    let html = content.render().map_err(AppError::internal)?;
    let mut response = ctx.render(&ctx.t("real-name-title"), &html)?;
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    officer: Require<Officer>,
    ctx: PageContext,
    PageForm(form): PageForm<OfficerForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let email = Email::parse(&form.email).map_err(|_| errors.add("email", "email-invalid")).ok();
    let document = match form.kind.as_str() {
        "hkid" => match Hkid::parse(&form.number) {
            Ok(h) => Some(Document::Hkid(h)),
            Err(HkidProblem::Format) => {
                errors.add("number", "hkid-format");
                None
            }
            Err(HkidProblem::CheckDigit) => {
                errors.add("number", "hkid-check-digit");
                None
            }
        },
        "passport" => {
            let p = Passport::parse(&form.country, &form.number);
            if p.is_none() {
                errors.add("number", "passport-invalid");
            }
            p.map(Document::Passport)
        }
        _ => {
            errors.add("kind", "document-kind-missing");
            None
        }
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut done = None;
    if let (Some(email), Some(document), true) = (&email, &document, errors.is_empty()) {
        let actor = format!("account:{}", officer.principal.account_id);
        match verify(&state, &actor, email, document).await? {
            Outcome::Verified => {
                status = StatusCode::OK;
                done =
                    Some(ctx.t_with("real-name-done", &[("email", email.as_str()), ("document", &document.masked())]));
            }
            Outcome::NoSuchAccount => errors.add("email", "real-name-no-account"),
            Outcome::DocumentTaken => errors.add("number", "real-name-document-taken"),
            Outcome::AlreadyVerified => errors.add("email", "real-name-already"),
        }
    }
    let (email_value, kind, country) =
        if done.is_some() { ("", "hkid", "") } else { (form.email.trim(), form.kind.as_str(), form.country.trim()) };
    render(&ctx, status, OfficerPage { ctx: &ctx, errors, email: email_value, kind, country, done })
}
