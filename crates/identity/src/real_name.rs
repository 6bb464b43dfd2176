//! Real-name identity: an officer checks an identity document (HKID with its
//! check digit, or a passport) and raises the account to `real_name`. The
//! number is sealed with the data key and indexed by a keyed hash, so one
//! document backs at most one person; it is shown only masked.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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

use crate::errors::IdentityError;
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
    /// A document from its kind (`hkid` or `passport`), number and, for a
    /// passport, issuing country; on failure, the field and message key.
    pub fn parse(kind: &str, number: &str, country: &str) -> Result<Self, (&'static str, &'static str)> {
        match kind {
            "hkid" => match Hkid::parse(number) {
                Ok(h) => Ok(Document::Hkid(h)),
                Err(HkidProblem::Format) => Err(("number", "hkid-format")),
                Err(HkidProblem::CheckDigit) => Err(("number", "hkid-check-digit")),
            },
            "passport" => {
                Passport::parse(country, number).map(Document::Passport).ok_or(("number", "passport-invalid"))
            }
            _ => Err(("kind", "document-kind-missing")),
        }
    }

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

/// Records that `actor` checked `document` for the account with `email`;
/// `source` says how (`officer`, or `assertion` from a trusted source).
pub async fn verify(
    state: &AppState,
    actor: &str,
    source: &str,
    email: &Email,
    document: &Document,
) -> Result<Outcome, AppError> {
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
        source: Set(source.to_owned()),
        verified_by: Set(actor.to_owned()),
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
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(actor, "identity.verify_document", format!("account:{}", account.id)),
    )
    .await?;
    let lang = platform::i18n::Lang::En;
    let notice = crate::accounts::notice(state, lang, &account, "email-real-name-subject", "email-real-name-body")?;
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
    ctx.page(StatusCode::OK, "real-name-title", &content)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    officer: Require<Officer>,
    ctx: PageContext,
    PageForm(form): PageForm<OfficerForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let email = Email::parse(&form.email).map_err(|_| errors.add("email", "email-invalid")).ok();
    let document = Document::parse(&form.kind, &form.number, &form.country).map_err(|(f, key)| errors.add(f, key)).ok();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut done = None;
    if let (Some(email), Some(document), true) = (&email, &document, errors.is_empty()) {
        let actor = format!("account:{}", officer.principal.account_id);
        match verify(&state, &actor, "officer", email, document).await? {
            Outcome::Verified => {
                status = StatusCode::OK;
                done =
                    Some(ctx.t_with("real-name-done", &[("email", email.as_str()), ("document", &document.masked())]));
            }
            Outcome::NoSuchAccount => errors.problem("email", &IdentityError::NoSuchAccount),
            Outcome::DocumentTaken => errors.problem("number", &IdentityError::DocumentTaken),
            Outcome::AlreadyVerified => errors.problem("email", &IdentityError::AlreadyRealName),
        }
    }
    let (email_value, kind, country) =
        if done.is_some() { ("", "hkid", "") } else { (form.email.trim(), form.kind.as_str(), form.country.trim()) };
    ctx.page(status, "real-name-title", &OfficerPage { ctx: &ctx, errors, email: email_value, kind, country, done })
}

/// The path trusted sources post their assertions to.
pub const ASSERTION_PATH: &str = "/api/v1/identity/real-name";

/// A trusted source's assertion that it checked a resident's document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssertionBody {
    /// A compact JWS (JWT) signed by the source with one of its registered
    /// keys. Claims: `iss` = `sub` = the client ID, `aud` the issuer (the
    /// public URL, as one string), `exp` within five minutes, a fresh `jti`,
    /// `email` (the resident's account) and `document` (`kind` `hkid` or
    /// `passport`, `number`, and `country` for a passport).
    #[schema(min_length = 1)]
    assertion: String,
}

/// The account, now at the `real_name` level.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RealNameVerified {
    /// The resident's e-mail address, as asserted.
    #[schema(format = Email)]
    email: String,
    /// The account's identity level: always `real_name`.
    #[schema(example = "real_name")]
    level: String,
    /// The document, masked (`A123***(7)`, or the country and a masked passport number).
    document: String,
}

struct AssertProblems;

impl utoipa::IntoResponses for AssertProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        use crate::errors::IdentityError;
        use platform::error::{DomainError, ErrorKind};
        platform::openapi::problems(&[
            IdentityError::AssertionRejected.problem(),
            IdentityError::UntrustedSource.problem(),
            IdentityError::NoSuchAccount.problem(),
            IdentityError::DocumentTaken.problem(),
            IdentityError::AlreadyRealName.problem(),
            ErrorKind::Validation.problem(),
            ErrorKind::IdempotencyKeyInvalid.problem(),
            ErrorKind::IdempotencyKeyReused.problem(),
            ErrorKind::IdempotencyKeyInProgress.problem(),
        ])
    }
}

/// `POST /api/v1/identity/real-name`: a trusted source (a client holding the
/// `real_name_source` permission and a registered key set) asserts that it
/// has checked a resident's document. Claims: `iss` = `sub` = the client,
/// `aud` the issuer (one string), `exp` within five minutes, a fresh `jti`,
/// `email` (the resident's account) and `document` (`kind`, `number`, and
/// `country` for a passport). Field errors point into the claims (`/document/number`).
#[utoipa::path(
    post,
    path = "/api/v1/identity/real-name",
    tag = "identity",
    operation_id = "assertRealName",
    summary = "Raise an account to the real-name level on a trusted source's word",
    description = "For trusted sources: OAuth clients holding the `real_name_source` permission and a registered \
        key set. The body carries a JWT the source signed; field errors in a 422 point into its claims \
        (`/email`, `/document/number`). A bad or replayed assertion is 401; a client that is not a trusted \
        source is 403; no account with the e-mail address is 404; a document that already backs another \
        person, or an account already at the real-name level, is 409.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = AssertionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The document is recorded and the account is real-name.", body = RealNameVerified),
        AssertProblems
    )
)]
pub(crate) async fn assert(
    State(state): State<AppState>,
    platform::extract::ApiJson(body): platform::extract::ApiJson<AssertionBody>,
) -> Result<Response, AppError> {
    use crate::errors::IdentityError;
    use platform::error::{ErrorKind, FieldError};
    let (client, claims) = crate::oidc::verify_client_jws(&state, &body.assertion, crate::oidc::AssertionUse::RealName)
        .await
        .map_err(|e| match e {
            crate::oidc::JwsError::Rejected(why) => {
                AppError::from(IdentityError::AssertionRejected).with_detail(format!("assertion rejected: {why}"))
            }
            crate::oidc::JwsError::Server => AppError::new(ErrorKind::Unavailable),
        })?;
    let allowed = crate::oidc::parse_list(&client.scopes);
    if !allowed.iter().any(|s| s == crate::oidc::SOURCE_SCOPE) {
        return Err(IdentityError::UntrustedSource.into());
    }
    let text = |pointer: &str| claims.pointer(pointer).and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
    let mut fields = Vec::new();
    let email = Email::parse(&text("/email"))
        .map_err(|_| fields.push(FieldError::new("/email", "invalid", "email-invalid")))
        .ok();
    let document = Document::parse(&text("/document/kind"), &text("/document/number"), &text("/document/country"))
        .map_err(|(field, key)| fields.push(FieldError::new(format!("/document/{field}"), "invalid", key)))
        .ok();
    let (Some(email), Some(document), true) = (email, document, fields.is_empty()) else {
        return Err(AppError::validation(fields));
    };
    let actor = format!("client:{}", client.client_id);
    let outcome = verify(&state, &actor, "assertion", &email, &document).await?;
    match outcome {
        Outcome::Verified => {
            let body = RealNameVerified {
                email: email.as_str().to_owned(),
                level: "real_name".to_owned(),
                document: document.masked(),
            };
            Ok((StatusCode::OK, axum::Json(body)).into_response())
        }
        Outcome::NoSuchAccount => Err(IdentityError::NoSuchAccount.into()),
        Outcome::DocumentTaken => Err(IdentityError::DocumentTaken.into()),
        Outcome::AlreadyVerified => Err(IdentityError::AlreadyRealName.into()),
    }
}
