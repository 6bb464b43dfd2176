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
use platform::principal::{IdentityLevel, RequireScope, ScopeGuard};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use serde::Deserialize;

use crate::errors::IdentityError;
use crate::model::Identifier;
use crate::store;
use axum::Router;
use axum::routing::get;

/// The officers' real-name page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/officer/real-name", get(page).post(submit))
}

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

/// The officer scope that may record checked documents (`/officer/real-name`).
pub const VERIFIER_SCOPE: &str = "real-name-verifier";

/// Marker for `RequireScope<Verifier>`: an officer holding [`VERIFIER_SCOPE`].
#[derive(Debug)]
pub struct Verifier;

impl ScopeGuard for Verifier {
    const SCOPE: &'static str = VERIFIER_SCOPE;
}

/// Who vouches for a verification.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// An officer (by account ID) who saw the document.
    Officer(&'a str),
    /// A trusted source (an OAuth client) that asserted it.
    Assertion { client_id: &'a str },
}

impl Source<'_> {
    /// The slug stored with the document and the fields it vouches for.
    fn slug(&self) -> &'static str {
        match self {
            Source::Officer(_) => "officer",
            Source::Assertion { .. } => "assertion",
        }
    }
    fn actor(&self) -> String {
        match self {
            Source::Officer(account_id) => format!("account:{account_id}"),
            Source::Assertion { client_id } => format!("client:{client_id}"),
        }
    }
}

/// How a verification names the account.
#[derive(Debug, Clone)]
pub enum AccountRef<'a> {
    /// By its e-mail address or mobile number (an account may have only a number).
    Identifier(Identifier),
    /// By the subject identifier a trusted source's ID tokens carry for the
    /// resident (public, or pairwise for that source).
    Subject { client: &'a crate::oidc::store::client::Model, sub: &'a str },
}

/// The name and birth date as the document shows them, checked like the
/// profile's fields; recorded with the document as their source.
#[derive(Debug, Clone)]
pub struct Particulars {
    pub name: String,
    pub birthdate: String,
}

impl Particulars {
    /// The particulars, or each bad field with its message key.
    pub fn parse(name: &str, birthdate: &str) -> Result<Self, Vec<(&'static str, &'static str)>> {
        let mut problems = Vec::new();
        let fields = [
            ("name", name.trim(), "real-name-name-missing"),
            ("birthdate", birthdate.trim(), "real-name-birthdate-missing"),
        ];
        for (slug, value, missing) in fields {
            if value.is_empty() {
                problems.push((slug, missing));
            } else if let Some(key) = crate::profile::field(slug).and_then(|f| crate::profile::problem(&f, value)) {
                problems.push((slug, key));
            }
        }
        if problems.is_empty() {
            Ok(Self { name: name.trim().to_owned(), birthdate: birthdate.trim().to_owned() })
        } else {
            Err(problems)
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
    /// The officer named their own account.
    OwnAccount,
}

/// The account `who` names, if any.
async fn find_account(
    state: &AppState,
    conn: &impl ConnectionTrait,
    who: &AccountRef<'_>,
) -> Result<Option<store::account::Model>, AppError> {
    match who {
        AccountRef::Identifier(id) => Ok(store::account_by(conn, id).await?),
        AccountRef::Subject { client, sub } => {
            // A source learns a resident's subject only from an ID token it got with their consent.
            for account_id in crate::oidc::store::accounts_consented_to(conn, &client.client_id).await? {
                if crate::oidc::subject(state, client, &account_id) == *sub {
                    return Ok(store::account_by_id(conn, &account_id).await?);
                }
            }
            Ok(None)
        }
    }
}

/// Records that `source` checked `document` and read `particulars` from it
/// for the account `who` names: the document sealed and blind-indexed, the
/// name and birth date into the profile vouched for by it, the level raised
/// in every session, an audit row and a notice, in one transaction.
pub async fn verify(
    state: &AppState,
    source: Source<'_>,
    who: &AccountRef<'_>,
    document: &Document,
    particulars: &Particulars,
) -> Result<Outcome, AppError> {
    let blind = state.keys.blind_index(&format!("identity.document.{}", document.kind()), &document.canonical());
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(account) = find_account(state, &txn, who).await? else { return Ok(Outcome::NoSuchAccount) };
    if matches!(source, Source::Officer(officer) if officer == account.id) {
        return Ok(Outcome::OwnAccount);
    }
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
    let document_id = Uuid::now_v7().to_string();
    document::ActiveModel {
        id: Set(document_id.clone()),
        person_id: Set(account.person_id.clone()),
        kind: Set(document.kind().to_owned()),
        number_sealed: Set(STANDARD.encode(sealed)),
        blind_index: Set(blind),
        source: Set(source.slug().to_owned()),
        verified_by: Set(source.actor()),
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
    for (slug, value) in [("name", &particulars.name), ("birthdate", &particulars.birthdate)] {
        crate::profile::store::record_vouched(&txn, &account.person_id, slug, value, source.slug(), &document_id)
            .await?;
    }
    store::account::Entity::update_many()
        .col_expr(store::account::Column::Level, Expr::value(store::account::Level::RealName))
        .filter(store::account::Column::Id.eq(&account.id))
        .exec(&txn)
        .await?;
    platform::session::update_principals(&txn, &account.id, |p| p.level = IdentityLevel::RealName).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(source.actor(), "identity.verify_document", format!("account:{}", account.id)),
    )
    .await?;
    let lang = crate::notices::language(state, &account);
    let notice = crate::notices::to_holder(state, lang, &account, "email-real-name-subject", "email-real-name-body")?;
    outbox::enqueue(&txn, notice).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Outcome::Verified)
}

/// A person's checked documents, for their data download: kind, masked
/// number, source and time (never the number in clear).
pub(crate) async fn documents_of(state: &AppState, person_id: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let rows = document::Entity::find().filter(document::Column::PersonId.eq(person_id)).all(&state.db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        let sealed = STANDARD.decode(&d.number_sealed).map_err(AppError::internal)?;
        let number = state.keys.open(&format!("identity.document.{}", d.kind), &sealed).map_err(AppError::internal)?;
        let number = String::from_utf8(number).map_err(AppError::internal)?;
        let masked = match d.kind.as_str() {
            "hkid" => Hkid::parse(&number).map(|h| h.masked()).unwrap_or_default(),
            _ => number
                .split_once(':')
                .and_then(|(country, n)| Passport::parse(country, n))
                .map(|p| Document::Passport(p).masked())
                .unwrap_or_default(),
        };
        let at = d.verified_at.format(&time::format_description::well_known::Rfc3339).ok();
        out.push(
            serde_json::json!({ "id": d.id, "kind": d.kind, "number": masked, "source": d.source, "verified_at": at }),
        );
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "officer_real_name.html")]
struct OfficerPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
    kind: &'a str,
    country: &'a str,
    name: &'a str,
    birthdate: &'a str,
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OfficerForm {
    /// The resident's e-mail address or mobile number.
    email: String,
    kind: String,
    number: String,
    country: String,
    name: String,
    birthdate: String,
}

pub(crate) async fn page(_officer: RequireScope<Verifier>, ctx: PageContext) -> Result<Response, AppError> {
    let content = OfficerPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        email: "",
        kind: "hkid",
        country: "",
        name: "",
        birthdate: "",
        done: None,
    };
    ctx.page(StatusCode::OK, "real-name-title", &content)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    officer: RequireScope<Verifier>,
    ctx: PageContext,
    PageForm(form): PageForm<OfficerForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let id = crate::pages::identifier_field(&state, &mut errors, "email", &form.email);
    let document = Document::parse(&form.kind, &form.number, &form.country).map_err(|(f, key)| errors.add(f, key)).ok();
    let particulars = Particulars::parse(&form.name, &form.birthdate)
        .map_err(|problems| problems.into_iter().for_each(|(f, key)| errors.add(f, key)))
        .ok();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut done = None;
    if let (Some(id), Some(document), Some(particulars), true) = (id, &document, &particulars, errors.is_empty()) {
        let officer_id = officer.principal.account_id.to_string();
        let named = id.as_str().to_owned();
        match verify(&state, Source::Officer(&officer_id), &AccountRef::Identifier(id), document, particulars).await? {
            Outcome::Verified => {
                status = StatusCode::OK;
                done = Some(ctx.t_with("real-name-done", &[("email", &named), ("document", &document.masked())]));
            }
            Outcome::NoSuchAccount => errors.problem("email", &IdentityError::NoSuchAccount),
            Outcome::DocumentTaken => errors.problem("number", &IdentityError::DocumentTaken),
            Outcome::AlreadyVerified => errors.problem("email", &IdentityError::AlreadyRealName),
            Outcome::OwnAccount => {
                status = StatusCode::FORBIDDEN;
                errors.problem("email", &IdentityError::SelfVerification)
            }
        }
    }
    let content = if done.is_some() {
        OfficerPage { ctx: &ctx, errors, email: "", kind: "hkid", country: "", name: "", birthdate: "", done }
    } else {
        OfficerPage {
            ctx: &ctx,
            errors,
            email: form.email.trim(),
            kind: form.kind.as_str(),
            country: form.country.trim(),
            name: form.name.trim(),
            birthdate: form.birthdate.trim(),
            done,
        }
    };
    ctx.page(status, "real-name-title", &content)
}

/// The path trusted sources post their assertions to.
pub const ASSERTION_PATH: &str = "/api/v1/identity/real-name";

/// A trusted source's assertion that it checked a resident's document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssertionBody {
    /// A compact JWS (JWT) signed by the source with one of its registered
    /// keys. Claims: `iss` = `sub` = the client ID, `aud` the issuer (the
    /// public URL, as one string), `exp` within five minutes, a fresh `jti`;
    /// the resident's account by exactly one of `email`, `phone_number`
    /// (E.164) or `resident_sub` (the `sub` this source's ID tokens carry for
    /// the resident); `document` (`kind` `hkid` or `passport`, `number`, and
    /// `country` for a passport); `name` and `birthdate` (`YYYY-MM-DD`) as
    /// the document shows them.
    #[schema(min_length = 1)]
    assertion: String,
}

/// The account, now at the `real_name` level.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RealNameVerified {
    /// The resident's e-mail address, if the assertion named the account by it.
    #[schema(format = Email)]
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// The resident's mobile number (E.164), if the assertion named the account by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    /// The resident's subject identifier, if the assertion named the account by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    resident_sub: Option<String>,
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
/// the account by one of `email`, `phone_number` or `resident_sub`,
/// `document` (`kind`, `number`, and `country` for a passport), `name` and
/// `birthdate`. Field errors point into the claims (`/document/number`).
#[utoipa::path(
    post,
    path = "/api/v1/identity/real-name",
    tag = "identity",
    operation_id = "assertRealName",
    summary = "Raise an account to the real-name level on a trusted source's word",
    description = "For trusted sources: OAuth clients holding the `real_name_source` permission and a registered \
        key set. The body carries a JWT the source signed; it names the account by exactly one of `email`, \
        `phone_number` (E.164) or `resident_sub` (the subject this source's ID tokens carry for the resident), \
        and records `name` and `birthdate` as the document shows them. Field errors in a 422 point into its \
        claims (`/email`, `/document/number`, `/birthdate`). A bad or replayed assertion is 401; a client that \
        is not a trusted source is 403; no such account is 404; a document that already backs another \
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
    let (email, phone, sub) = (text("/email"), text("/phone_number"), text("/resident_sub"));
    let countries = &crate::settings::of(&state).settings.allowed_country_codes;
    let who = match (email.is_empty(), phone.is_empty(), sub.is_empty()) {
        (false, true, true) => crate::model::Email::parse(&email)
            .map(|e| AccountRef::Identifier(Identifier::Email(e)))
            .map_err(|_| fields.push(FieldError::new("/email", "invalid", "email-invalid")))
            .ok(),
        (true, false, true) => crate::model::Phone::parse(&phone, countries)
            .map(|p| AccountRef::Identifier(Identifier::Phone(p)))
            .map_err(|_| fields.push(FieldError::new("/phone_number", "invalid", "phone-invalid")))
            .ok(),
        (true, true, false) => Some(AccountRef::Subject { client: &client, sub: &sub }),
        _ => {
            fields.push(FieldError::new("/email", "invalid", "real-name-one-account"));
            None
        }
    };
    let document = Document::parse(&text("/document/kind"), &text("/document/number"), &text("/document/country"))
        .map_err(|(field, key)| fields.push(FieldError::new(format!("/document/{field}"), "invalid", key)))
        .ok();
    let particulars = Particulars::parse(&text("/name"), &text("/birthdate"))
        .map_err(|problems| {
            for (field, key) in problems {
                fields.push(FieldError::new(format!("/{field}"), "invalid", key));
            }
        })
        .ok();
    let (Some(who), Some(document), Some(particulars), true) = (who, document, particulars, fields.is_empty()) else {
        return Err(AppError::validation(fields));
    };
    let source = Source::Assertion { client_id: &client.client_id };
    match verify(&state, source, &who, &document, &particulars).await? {
        Outcome::Verified => {
            let some = |v: String| (!v.is_empty()).then_some(v);
            let phone_number = match &who {
                AccountRef::Identifier(Identifier::Phone(p)) => Some(p.as_str().to_owned()),
                _ => None,
            };
            let body = RealNameVerified {
                email: some(email),
                phone_number,
                resident_sub: some(sub.clone()),
                level: "real_name".to_owned(),
                document: document.masked(),
            };
            Ok((StatusCode::OK, axum::Json(body)).into_response())
        }
        Outcome::NoSuchAccount => Err(IdentityError::NoSuchAccount.into()),
        Outcome::DocumentTaken => Err(IdentityError::DocumentTaken.into()),
        Outcome::AlreadyVerified => Err(IdentityError::AlreadyRealName.into()),
        // Only an officer can name themselves; a source has no account.
        Outcome::OwnAccount => Err(IdentityError::SelfVerification.into()),
    }
}
