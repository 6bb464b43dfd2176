//! The officers' pages (`/{lang}/officer/credentials`: a form per kind of
//! record, the confirmation with the QR code, revoking) and the JSON API
//! (`POST /api/v1/credentials/records` and `…/records/revoke`). Who may do
//! what is in the signatures: [`Issuer`] (an officer holding an issuing
//! scope); the kind asked for, or the kind of the record to revoke, then
//! needs its own scope (`scope_for`).

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind, FieldError};
use platform::extract::{ApiJson, PageForm};
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Principal, SignedIn};
use serde::{Deserialize, Serialize};

use super::{kinds_for, may_issue, may_revoke, scope_for};
use crate::errors::CredentialsError;
use crate::records::{Kind, PRODUCTS, Request, TEST_RESULTS, TEST_TYPES, store};

/// The officers' page, under each language prefix.
pub(crate) const PATH: &str = "/officer/credentials";
const REVOKE_PATH: &str = "/officer/credentials/revoke";
const ISSUED_PATH: &str = "/officer/credentials/issued";

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page).post(issue_page))
        .route(REVOKE_PATH, post(revoke_page))
        .route(&format!("{ISSUED_PATH}/{{id}}"), get(issued_page))
}

/// A signed-in officer holding at least one issuing scope (`health-records`
/// or `exemption-issuer`): 401 when nobody is signed in, 403 otherwise.
#[derive(Debug, Clone)]
pub(crate) struct Issuer(pub(crate) Principal);

impl<S: Send + Sync> FromRequestParts<S> for Issuer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let SignedIn(principal) = SignedIn::from_request_parts(parts, state).await?;
        if kinds_for(&principal).is_empty() {
            return Err(AppError::new(ErrorKind::Forbidden));
        }
        Ok(Issuer(principal))
    }
}

fn actor(principal: &Principal) -> String {
    format!("account:{}", principal.account_id)
}

/// The kind a request asks for, if it names one, and whether the officer
/// may issue it (a 403 naming the scope it needs otherwise).
fn allowed(officer: &Principal, request: &Request) -> Result<(), AppError> {
    match Kind::parse(request.kind.trim()) {
        Some(kind) if !may_issue(officer, kind) => {
            Err(CredentialsError::ScopeMissing { scope: scope_for(kind) }.into())
        }
        _ => Ok(()),
    }
}

fn kind_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Vaccination => "credentials-officer-kind-vaccination",
        Kind::Test => "credentials-officer-kind-test",
        Kind::Recovery => "credentials-officer-kind-recovery",
        Kind::Exemption => "credentials-officer-kind-exemption",
    }
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "officer_credentials.html")]
struct ChooserPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    /// (href, label) of each kind the officer may issue.
    kinds: Vec<(String, String)>,
    revoke: bool,
    uvci: &'a str,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "officer_credentials_form.html")]
struct FormPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    kind: &'static str,
    heading: String,
    v: &'a Request,
    /// (code, name) of each vaccine.
    products: Vec<(&'static str, &'static str)>,
    /// (value, label) of each choice.
    document_kinds: Vec<(&'static str, String)>,
    test_types: Vec<(&'static str, String)>,
    results: Vec<(&'static str, String)>,
    reasons: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "officer_credentials_issued.html")]
struct IssuedPage<'a> {
    ctx: &'a PageContext,
    summary: String,
    uvci: &'a str,
    document: String,
    qr: String,
    again: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Chosen {
    kind: String,
}

fn chooser<'a>(ctx: &'a PageContext, officer: &Principal, errors: FormErrors, uvci: &'a str) -> ChooserPage<'a> {
    let kinds = kinds_for(officer)
        .into_iter()
        .map(|k| (format!("{}?kind={}", ctx.href(PATH), k.as_str()), ctx.t(kind_key(k))))
        .collect();
    let revoke = Kind::ALL.into_iter().any(|k| may_revoke(officer, k));
    ChooserPage { ctx, errors, kinds, revoke, uvci, done: None }
}

fn form_page<'a>(ctx: &'a PageContext, kind: Kind, errors: FormErrors, v: &'a Request) -> FormPage<'a> {
    FormPage {
        ctx,
        errors,
        kind: kind.as_str(),
        heading: ctx.t(kind_key(kind)),
        v,
        products: PRODUCTS.iter().map(|p| (p.code, p.name)).collect(),
        document_kinds: labelled(ctx, &[("hkid", "hkid"), ("passport", "passport")], "credentials-field-document-kind"),
        test_types: labelled(ctx, &[(TEST_TYPES[0], "pcr"), (TEST_TYPES[1], "rat")], "credentials-field-test-type"),
        results: labelled(
            ctx,
            &[(TEST_RESULTS[0], "not-detected"), (TEST_RESULTS[1], "detected")],
            "credentials-field-result",
        ),
        reasons: labelled(ctx, &[("medical", "medical"), ("trial", "trial")], "credentials-field-reason"),
    }
}

/// Each choice's value and its label (`<prefix>-<name>`).
fn labelled(ctx: &PageContext, choices: &[(&'static str, &str)], prefix: &str) -> Vec<(&'static str, String)> {
    choices.iter().map(|(value, name)| (*value, ctx.t(&format!("{prefix}-{name}")))).collect()
}

/// `GET /{lang}/officer/credentials`: the kinds this officer may issue and
/// the revoke form; with `?kind=…`, that kind's form.
async fn page(Issuer(officer): Issuer, ctx: PageContext, Query(chosen): Query<Chosen>) -> Result<Response, AppError> {
    match Kind::parse(chosen.kind.trim()) {
        Some(kind) => {
            allowed(&officer, &Request { kind: kind.as_str().to_owned(), ..Request::default() })?;
            let blank = Request { document_kind: "hkid".to_owned(), ..Request::default() };
            ctx.page(StatusCode::OK, kind_key(kind), &form_page(&ctx, kind, FormErrors::new(), &blank))
        }
        None if chosen.kind.is_empty() => {
            ctx.page(StatusCode::OK, "credentials-officer-title", &chooser(&ctx, &officer, FormErrors::new(), ""))
        }
        None => Err(AppError::not_found()),
    }
}

/// `POST /{lang}/officer/credentials`: checks the form, issues the record
/// and shows it (or the form again with its errors).
async fn issue_page(
    State(state): State<AppState>,
    Issuer(officer): Issuer,
    ctx: PageContext,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut request = Request::default();
    for (name, value) in &pairs {
        super::set_field(&mut request, name, value);
    }
    let Some(kind) = Kind::parse(request.kind.trim()) else {
        return Err(AppError::new(ErrorKind::BadRequest).with_detail("the form names no kind of record"));
    };
    allowed(&officer, &request)?;
    let (holder, entry) = match request.parse(platform::db::now(), state.today()) {
        Ok(parsed) => parsed,
        Err(problems) => {
            let mut errors = FormErrors::new();
            for p in problems {
                errors.add(p.field, p.key);
            }
            let page = form_page(&ctx, kind, errors, &request);
            return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, kind_key(kind), &page);
        }
    };
    let issued = store::issue_checked(&state, &actor(&officer), &holder, &entry).await?;
    // POST-redirect-GET: reloading the confirmation issues nothing again.
    Ok(axum::response::Redirect::to(&format!("{}/{}", ctx.href(ISSUED_PATH), issued.id)).into_response())
}

/// `GET /{lang}/officer/credentials/issued/{id}`: the confirmation of a
/// record, for the officer who issued it (anyone else: 404).
async fn issued_page(
    State(state): State<AppState>,
    Issuer(officer): Issuer,
    ctx: PageContext,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    let record = store::by_id(&state, &id).await?.filter(|r| r.issued_by == actor(&officer));
    let Some(record) = record else { return Err(AppError::not_found()) };
    let kind = record.kind;
    let document = record.holder_masked.clone().unwrap_or_default();
    let qr = crate::render::qr_svg(&record.hc1, &ctx.t("credentials-officer-qr-label")).map_err(AppError::internal)?;
    let page = IssuedPage {
        ctx: &ctx,
        summary: ctx.t_with("credentials-officer-issued", &[("kind", &ctx.t(kind_key(kind))), ("document", &document)]),
        uvci: &record.uvci,
        document,
        qr,
        again: format!("{}?kind={}", ctx.href(PATH), kind.as_str()),
    };
    ctx.page(StatusCode::OK, "credentials-officer-issued-title", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    uvci: String,
}

/// Revokes the record with `uvci` for `officer`, who needs the scope that
/// issues its kind. The inner error is the refusal to show the officer
/// (unknown UVCI, scope missing, revoked already); the outer one a failure.
async fn revoke(state: &AppState, officer: &Principal, uvci: &str) -> Result<Result<(), CredentialsError>, AppError> {
    let Some(kind) = store::kind_of(state, uvci).await? else { return Ok(Err(CredentialsError::UnknownRecord)) };
    if !may_revoke(officer, kind) {
        return Ok(Err(CredentialsError::ScopeMissing { scope: scope_for(kind) }));
    }
    match store::revoke(state, &actor(officer), uvci).await {
        Ok(()) => Ok(Ok(())),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(Err(CredentialsError::UnknownRecord)),
        Err(e) if e.problem == CredentialsError::Revoked.problem() => Ok(Err(CredentialsError::Revoked)),
        Err(e) => Err(e),
    }
}

/// `POST /{lang}/officer/credentials/revoke`: revokes a record by its UVCI.
async fn revoke_page(
    State(state): State<AppState>,
    Issuer(officer): Issuer,
    ctx: PageContext,
    PageForm(form): PageForm<RevokeForm>,
) -> Result<Response, AppError> {
    let uvci = form.uvci.trim();
    let mut errors = FormErrors::new();
    if uvci.is_empty() {
        errors.add("uvci", "credentials-field-missing");
    } else {
        match revoke(&state, &officer, uvci).await? {
            Ok(()) => {
                let done = ctx.t_with("credentials-officer-revoked", &[("uvci", uvci)]);
                let page = ChooserPage { done: Some(done), ..chooser(&ctx, &officer, errors, "") };
                return ctx.page(StatusCode::OK, "credentials-officer-title", &page);
            }
            Err(refusal) => errors.problem("uvci", &refusal),
        }
    }
    let page = chooser(&ctx, &officer, errors, uvci);
    ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "credentials-officer-title", &page)
}

// ---------------------------------------------------------------- API

/// A record just issued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct IssuedBody {
    /// The record's ID (UUIDv7).
    id: String,
    /// Its unique certificate identifier, e.g. `URN:UVCI:01:HK:…#…`.
    uvci: String,
    /// The signed credential: the QR code's text, `HC1:` then Base45.
    hc1: String,
}

struct IssueProblems;

impl utoipa::IntoResponses for IssueProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            CredentialsError::ScopeMissing { scope: "" }.problem(),
            CredentialsError::Expired.problem(),
            CredentialsError::NotSignable.problem(),
        ])
    }
}

/// `POST /api/v1/credentials/records`: an officer issues a record.
#[utoipa::path(
    post,
    path = "/api/v1/credentials/records",
    tag = "credentials",
    operation_id = "issueCredential",
    summary = "Issue a signed health record (vaccination, test, recovery or exemption)",
    description = "For officers: vaccinations, tests and recoveries need the `health-records` scope, exemptions \
        the `exemption-issuer` scope (403 `credentials-scope-missing` names the one missing). The body is flat \
        text fields; which ones a kind needs is in the schema and the README. Every wrong field is named in a \
        422's `errors` (`/document_number`, `/date`, …); nothing is issued then. The answer carries the record's \
        UVCI and its signed `HC1:` text (the QR code's content).",
    params(platform::openapi::IdempotencyKey),
    request_body(content = Request, content_type = "application/json"),
    responses(
        (status = 201, description = "The record is issued and signed.", body = IssuedBody),
        IssueProblems
    )
)]
pub(crate) async fn issue_api(
    State(state): State<AppState>,
    Issuer(officer): Issuer,
    ApiJson(request): ApiJson<Request>,
) -> Result<Response, AppError> {
    allowed(&officer, &request)?;
    let issued = store::issue(&state, &actor(&officer), &request).await?;
    let body = IssuedBody { id: issued.id, uvci: issued.uvci, hc1: issued.hc1 };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// Which record to revoke.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeBody {
    /// The record's UVCI.
    #[schema(example = "URN:UVCI:01:HK:0123456789ABCDEFGHIJKLMN#0")]
    uvci: String,
}

struct RevokeProblems;

impl utoipa::IntoResponses for RevokeProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            CredentialsError::ScopeMissing { scope: "" }.problem(),
            CredentialsError::UnknownRecord.problem(),
            CredentialsError::Revoked.problem(),
        ])
    }
}

/// `POST /api/v1/credentials/records/revoke`: an officer revokes a record.
#[utoipa::path(
    post,
    path = "/api/v1/credentials/records/revoke",
    tag = "credentials",
    operation_id = "revokeCredential",
    summary = "Revoke a record by its UVCI",
    description = "For officers, with the scope that issues the record's kind: `health-records` for \
        vaccinations, tests and recoveries, `exemption-issuer` for exemptions (403 `credentials-scope-missing` \
        names the one missing). The UVCI joins the revocation list that verifiers load. An unknown UVCI is 404 \
        `credentials-unknown-record`; one revoked (or re-issued) already is 409 `credentials-revoked`.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = RevokeBody, content_type = "application/json"),
    responses(
        (status = 204, description = "The record is revoked."),
        RevokeProblems
    )
)]
pub(crate) async fn revoke_api(
    State(state): State<AppState>,
    Issuer(officer): Issuer,
    ApiJson(body): ApiJson<RevokeBody>,
) -> Result<Response, AppError> {
    let uvci = body.uvci.trim();
    if uvci.is_empty() {
        return Err(AppError::validation(vec![FieldError::new("/uvci", "invalid", "credentials-field-missing")]));
    }
    revoke(&state, &officer, uvci).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The API routes, each with its operation.
pub(crate) fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new().routes(utoipa_axum::routes!(issue_api)).routes(utoipa_axum::routes!(revoke_api))
}
