//! The officers' real-name page, and the JSON API through which a trusted
//! source asserts that it checked a resident's document.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::RequireScope;
use serde::Deserialize;

use super::store::verify;
use super::{AccountRef, Outcome, Particulars, Source, Verifier};
use crate::errors::IdentityError;
use crate::model::Identifier;

/// The officers' real-name page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/officer/real-name", get(page).post(submit))
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
    let document =
        super::parse_document(&form.kind, &form.number, &form.country).map_err(|(f, key)| errors.add(f, key)).ok();
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
        use platform::error::DomainError;
        platform::openapi::problems(&[
            IdentityError::AssertionRejected.problem(),
            IdentityError::UntrustedSource.problem(),
            IdentityError::NoSuchAccount.problem(),
            IdentityError::DocumentTaken.problem(),
            IdentityError::AlreadyRealName.problem(),
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
    let document =
        super::parse_document(&text("/document/kind"), &text("/document/number"), &text("/document/country"))
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
