//! The public trust lists (`/api/v1/credentials/trust-list/dsc`, `…/csca`),
//! the revocation list, the trust bundle the scanner keeps, and the
//! administrators' import and removal of foreign document signers.
//!
//! Each list answers with `X-Issued-At` (RFC 3339) and `X-Signature`: base64
//! of the ES256 signature (r‖s, 64 bytes) by the active root (CSCA) over the
//! bytes `<list path>` + `\n` + `<X-Issued-At value>` + `\n` + `<response
//! body>`. Verify it with the active certificate of the CSCA list. A strong
//! `ETag` (the hex SHA-256 of the body) answers `If-None-Match` with 304,
//! which carries a new `X-Issued-At` and `X-Signature` for the unchanged
//! body, so a client knows its copy is current as of now.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind};
use platform::principal::{Admin, Require};
use serde::Deserialize;

use super::{Bundle, Revocation, TrustListEntry, store};
use crate::errors::CredentialsError;

pub(crate) const DSC_PATH: &str = "/api/v1/credentials/trust-list/dsc";
pub(crate) const CSCA_PATH: &str = "/api/v1/credentials/trust-list/csca";
pub(crate) const REVOCATION_PATH: &str = "/api/v1/credentials/revocation-list";

/// A signed list at `path`: the body, its ETag, its issue time and
/// signature; 304 when the client has it, with a fresh issue time and the
/// signature over the unchanged body.
async fn signed_list(state: &AppState, path: &str, headers: &HeaderMap, body: Vec<u8>) -> Result<Response, AppError> {
    let etag = super::etag(&body);
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let issued_at = super::rfc3339(platform::db::now());
    let signature = store::sign_by_root(state, &super::signed_message(path, &issued_at, &body)).await?;
    let headers = [
        (header::ETAG, HeaderValue::from_str(&etag).map_err(AppError::internal)?),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::HeaderName::from_static("x-issued-at"),
            HeaderValue::from_str(&issued_at).map_err(AppError::internal)?,
        ),
        (
            header::HeaderName::from_static("x-signature"),
            HeaderValue::from_str(&STANDARD.encode(signature)).map_err(AppError::internal)?,
        ),
    ];
    if cached {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], headers, body)
        .into_response())
}

#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Built for the OpenAPI document only.
enum ListResponses {
    /// The list.
    #[response(
        status = 200,
        headers(
            ("X-Issued-At" = String, description = "When the server signed this response (RFC 3339)."),
            ("X-Signature" = String, description = "Base64 ES256 (r‖s) by the root over `<path>\\n<X-Issued-At>\\n<body>`."),
            ("ETag" = String, description = "Strong: the quoted hex SHA-256 of the body.")
        )
    )]
    Ok(#[to_schema] Vec<TrustListEntry>),
    /// The client's copy (its `If-None-Match`) is current: no body, and a new
    /// issue time with the signature over the unchanged body.
    #[response(
        status = 304,
        headers(
            ("X-Issued-At" = String, description = "When the server signed this response (RFC 3339)."),
            ("X-Signature" = String, description = "Base64 ES256 (r‖s) by the root over `<path>\\n<X-Issued-At>\\n<body>`, the body being the client's copy."),
            ("ETag" = String, description = "Strong: the quoted hex SHA-256 of the body.")
        )
    )]
    NotModified,
}

#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Built for the OpenAPI document only.
enum RevocationResponses {
    /// The list.
    #[response(
        status = 200,
        headers(
            ("X-Issued-At" = String, description = "When the server signed this response (RFC 3339)."),
            ("X-Signature" = String, description = "Base64 ES256 (r‖s) by the root over `<path>\\n<X-Issued-At>\\n<body>`."),
            ("ETag" = String, description = "Strong: the quoted hex SHA-256 of the body.")
        )
    )]
    Ok(#[to_schema] Vec<Revocation>),
    /// The client's copy (its `If-None-Match`) is current: no body, and a new
    /// issue time with the signature over the unchanged body.
    #[response(
        status = 304,
        headers(
            ("X-Issued-At" = String, description = "When the server signed this response (RFC 3339)."),
            ("X-Signature" = String, description = "Base64 ES256 (r‖s) by the root over `<path>\\n<X-Issued-At>\\n<body>`, the body being the client's copy."),
            ("ETag" = String, description = "Strong: the quoted hex SHA-256 of the body.")
        )
    )]
    NotModified,
}

/// `GET /api/v1/credentials/trust-list/dsc`.
#[utoipa::path(
    get,
    path = "/api/v1/credentials/trust-list/dsc",
    tag = "credentials",
    operation_id = "credentialsTrustListDsc",
    summary = "The document signers' trust list (EU DCC Gateway shape)",
    description = "Every document signer (DSC) a verifier should trust: this installation's (the active one and \
        retired ones whose credentials may still be valid) and other countries' an administrator imported, each \
        with its `kid`, `country`, `certificateType` (`DSC`), `thumbprint` (hex SHA-256 of the DER), `timestamp` \
        and `rawData` (base64 DER). Public. Signed by the root: `X-Issued-At` is the issue time (RFC 3339) and \
        `X-Signature` is base64 (standard alphabet, padded) of the ES256 signature (r‖s, 64 bytes; P-256, SHA-256) \
        by the active root (CSCA) certificate's key over the bytes of the list's path \
        (`/api/v1/credentials/trust-list/dsc`), one line feed (0x0A), `X-Issued-At`, one line feed, and the \
        response body exactly as sent. Verify it with the active certificate of \
        `GET /api/v1/credentials/trust-list/csca`, and refuse an issue time older than one you hold. A strong \
        `ETag` (the quoted hex SHA-256 of the body) answers `If-None-Match` with 304 Not Modified, which carries \
        a new `X-Issued-At` and `X-Signature` over the unchanged body; `Cache-Control: no-cache`.",
    responses(ListResponses)
)]
pub(crate) async fn dsc_list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let body = serde_json::to_vec(&store::dsc(&state).await?).map_err(AppError::internal)?;
    signed_list(&state, DSC_PATH, &headers, body).await
}

/// `GET /api/v1/credentials/trust-list/csca`.
#[utoipa::path(
    get,
    path = "/api/v1/credentials/trust-list/csca",
    tag = "credentials",
    operation_id = "credentialsTrustListCsca",
    summary = "The root certificates' trust list (EU DCC Gateway shape)",
    description = "This installation's root (CSCA) certificates: the active one, which signs document signers and \
        these lists, and retired ones still kept. Same shape, signature headers and ETag as the DSC list. Public. \
        Signed by the root: `X-Issued-At` is the issue time (RFC 3339) and `X-Signature` is base64 of the ES256 \
        signature (r‖s) by the active root over the path (`/api/v1/credentials/trust-list/csca`), a line feed, \
        `X-Issued-At`, a line feed, and the body exactly as sent.",
    responses(ListResponses)
)]
pub(crate) async fn csca_list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let body = serde_json::to_vec(&store::csca(&state).await?).map_err(AppError::internal)?;
    signed_list(&state, CSCA_PATH, &headers, body).await
}

/// `GET /api/v1/credentials/revocation-list`.
#[utoipa::path(
    get,
    path = "/api/v1/credentials/revocation-list",
    tag = "credentials",
    operation_id = "credentialsRevocationList",
    summary = "Revoked credentials, by UVCI hash",
    description = "Every revoked credential still within its lifetime, oldest revocation first, as `uvciHash` \
        (base64 of the first 16 bytes of the SHA-256 of the UVCI's UTF-8 bytes: the list is public, and a UVCI \
        identifies a person's record) and `revokedAt`. Same signature headers (over \
        `/api/v1/credentials/revocation-list`, a line feed, `X-Issued-At`, a line feed and the body) and ETag as \
        the trust lists.",
    responses(RevocationResponses)
)]
pub(crate) async fn revocation_list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let body = serde_json::to_vec(&store::revocations(&state).await?).map_err(AppError::internal)?;
    signed_list(&state, REVOCATION_PATH, &headers, body).await
}

/// `GET /api/v1/credentials/trust-bundle`.
#[utoipa::path(
    get,
    path = "/api/v1/credentials/trust-bundle",
    tag = "credentials",
    operation_id = "credentialsTrustBundle",
    summary = "The signed trust bundle verifiers keep offline",
    description = "One signed document with all a verifier needs: `payload` is base64url (no padding) of UTF-8 \
        JSON (a `BundlePayload`: `issuedAt`, `country`, `timeZone` — the IANA zone whose calendar the rules \
        count days by —, `activeRoot` — hex SHA-256 of the active root's certificate —, `dsc` — the DSC trust \
        list —, `revoked` — the revocation list's `uvciHash` values —, `rules` — the validity rules in force — \
        and `staleAfterHours`); `signature` is base64url of the ES256 signature (r‖s) by the active root over \
        exactly the payload's bytes; `csca` is the active root's DER certificate in base64; `signatures` holds \
        `{csca, signature}` for every published root (the active one first, then retired ones still kept). The \
        scanner pins the root on first use, accepts a later bundle when a root it pinned signed it and the \
        active root's certificate is the one `activeRoot` names, then pins the active root; it ignores a bundle \
        older than the one it holds. Public; `Cache-Control: no-cache`.",
    responses((status = 200, description = "The bundle.", body = Bundle))
)]
pub(crate) async fn trust_bundle(State(state): State<AppState>) -> Result<Response, AppError> {
    let bundle = store::bundle(&state).await?;
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))], axum::Json(bundle)).into_response())
}

/// A foreign document signer to trust.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportBody {
    /// The issuing country, ISO 3166-1 alpha-2 (`DE`).
    #[schema(example = "DE")]
    country: String,
    /// The DSC certificate: base64 DER, or PEM (`-----BEGIN CERTIFICATE-----`).
    #[schema(min_length = 1)]
    certificate: String,
}

struct ImportProblems;

impl utoipa::IntoResponses for ImportProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            CredentialsError::SignerKnown.problem(),
            CredentialsError::KidTaken.problem(),
        ])
    }
}

/// `POST /api/v1/credentials/trust-list/dsc`.
#[utoipa::path(
    post,
    path = "/api/v1/credentials/trust-list/dsc",
    tag = "credentials",
    operation_id = "credentialsImportDsc",
    summary = "Trust another country's document signer",
    description = "Administrators only. Adds a foreign document signer (DSC) to the DSC list and the trust bundle, \
        with its country. The certificate is base64 DER or PEM; it must hold a P-256 or RSA key, be a document \
        signer's (not a certificate authority's: basic constraints without `cA`) with a key usage that includes \
        digitalSignature, name the given country in its subject (`C=`), and be within its validity period (422 \
        with `/certificate` or `/country` and a `detail` saying which). A signer already in the list is 409 \
        `credentials-signer-known`; another certificate with the same kid is 409 `credentials-kid-taken`. \
        Audited.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = ImportBody, content_type = "application/json"),
    responses((status = 201, description = "Trusted.", body = TrustListEntry), ImportProblems)
)]
pub(crate) async fn import_dsc(
    State(state): State<AppState>,
    admin: Require<Admin>,
    platform::extract::ApiJson(body): platform::extract::ApiJson<ImportBody>,
) -> Result<Response, AppError> {
    let actor = format!("account:{}", admin.principal.account_id);
    let entry = store::import(&state, &actor, &body.country, &body.certificate).await?;
    Ok((StatusCode::CREATED, axum::Json(entry)).into_response())
}

struct RemoveProblems;

impl utoipa::IntoResponses for RemoveProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            ErrorKind::NotFound.problem(),
        ])
    }
}

/// `DELETE /api/v1/credentials/trust-list/dsc/{kid}`.
#[utoipa::path(
    delete,
    path = "/api/v1/credentials/trust-list/dsc/{kid}",
    tag = "credentials",
    operation_id = "credentialsRemoveDsc",
    summary = "Stop trusting a foreign document signer",
    description = "Administrators only. Removes the imported foreign document signers with this kid (base64; \
        URL-safe base64, or the standard alphabet percent-encoded). This installation's own signers are not \
        removed here (`lionrock keys rotate` retires them): 404. Audited.",
    params(("kid" = String, Path, description = "The signer's kid, base64 (URL-safe or percent-encoded).")),
    responses((status = 204, description = "Removed."), RemoveProblems)
)]
pub(crate) async fn remove_dsc(
    State(state): State<AppState>,
    admin: Require<Admin>,
    Path(kid): Path<String>,
) -> Result<Response, AppError> {
    let actor = format!("account:{}", admin.principal.account_id);
    store::remove(&state, &actor, &kid).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
