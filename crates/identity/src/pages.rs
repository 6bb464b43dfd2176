//! Helpers the identity pages share: redirects and return paths, the
//! recent-sign-in extractor, the signed-in account, and form fields with
//! their errors. It imports no feature module (accounts, passkeys, OIDC,
//! ...): features import it, never the other way round.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::error::AppError;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Principal, SignedIn};
use platform::web;

use crate::model::{
    EmailProblem, Identifier, IdentifierProblem, OneTimeCode, PASSWORD_POLICY, PasswordProblem, PhoneProblem,
};
use crate::sms::Cap;
use crate::store;

/// Sign in on this device, then go on to `next` (a path on this site).
pub(crate) fn sign_in_then(ctx: &PageContext, next: &str) -> String {
    format!("{}?next={}", ctx.href("/sign-in"), urlencode(next))
}

/// How recently a resident must have signed in to change how they sign in
/// (add or remove a passkey, turn two-step verification on or off): a
/// session left open on a shared computer must not be enough (OWASP ASVS
/// V3.7.1, NIST SP 800-63B reauthentication).
pub(crate) const REAUTHENTICATE_AFTER_SECS: i64 = 15 * 60;

/// The page a re-sign-in returns to, for a route that is not itself one (a
/// POST-only action): set on the route with `.route_layer(Extension(ReturnTo(…)))`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReturnTo(pub &'static str);

/// A signed-in resident whose sign-in is recent enough to change how they
/// sign in or who they are (`REAUTHENTICATE_AFTER_SECS`). Anyone else is sent
/// to sign in again and back (GET and POST alike: the page they came from,
/// the route's `ReturnTo` or else its own path); a script asking for JSON
/// gets the `reauthentication-required` problem instead. Nobody signed in: 401.
#[derive(Debug, Clone)]
pub(crate) struct RecentSignIn(pub Principal);

impl FromRequestParts<AppState> for RecentSignIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(principal) =
            SignedIn::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        if recently_signed_in(&principal) {
            return Ok(Self(principal));
        }
        let accept = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        if accept.contains("application/json") && !accept.contains("text/html") {
            return Err(AppError::from(crate::errors::IdentityError::ReauthenticationRequired).into_response());
        }
        let Ok(ctx) = PageContext::from_request_parts(parts, state).await;
        // Inside the language prefix the router has stripped it from the URI.
        let path = match parts.extensions.get::<ReturnTo>() {
            Some(ReturnTo(page)) => (*page).to_owned(),
            None if parts.method == Method::GET => {
                parts.uri.path_and_query().map_or("/account", |p| p.as_str()).to_owned()
            }
            None => parts.uri.path().to_owned(),
        };
        Err(see_other(&format!("{}&reauth=1", sign_in_then(&ctx, &ctx.href(&path)))))
    }
}

/// Whether `principal` proved who they are within the re-sign-in window.
/// Handlers take [`RecentSignIn`]; a flow that must send the person back
/// somewhere of its own (approving an app sign-in) asks this directly.
pub(crate) fn recently_signed_in(principal: &Principal) -> bool {
    time::OffsetDateTime::now_utc().unix_timestamp() - principal.authenticated_at <= REAUTHENTICATE_AFTER_SECS
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

pub(crate) fn password_hint(ctx: &PageContext) -> String {
    ctx.t_with("password-hint", &[("min", &PASSWORD_POLICY.min_single_factor.to_string())])
}

/// The one-time code typed in the `code` field, or the form error why not.
pub(crate) fn code_field(errors: &mut FormErrors, input: &str) -> Option<OneTimeCode> {
    let code = OneTimeCode::parse(input);
    if code.is_none() {
        errors.add("code", if input.trim().is_empty() { "code-missing" } else { "code-invalid" });
    }
    code
}

/// The form error for a refused password.
pub(crate) fn password_error(errors: &mut FormErrors, problem: PasswordProblem) {
    match problem {
        PasswordProblem::Missing => errors.add("password", "password-missing"),
        PasswordProblem::TooShort { min } => {
            errors.add_with("password", "password-too-short", vec![("min", min.to_string())])
        }
        PasswordProblem::TooLong { max } => {
            errors.add_with("password", "password-too-long", vec![("max", max.to_string())])
        }
        PasswordProblem::Common => errors.add("password", "password-common"),
        PasswordProblem::ContainsContext => errors.add("password", "password-context"),
        PasswordProblem::Banned => errors.add("password", "password-banned"),
    }
}

fn email_error(errors: &mut FormErrors, field: &'static str, problem: EmailProblem) {
    errors.add(
        field,
        match problem {
            EmailProblem::Missing => "email-missing",
            EmailProblem::Invalid => "email-invalid",
            EmailProblem::TooLong => "email-too-long",
        },
    );
}

/// The address or number typed in the `email` field, or the form error why not.
pub(crate) fn identifier_field(
    state: &AppState,
    errors: &mut FormErrors,
    field: &'static str,
    input: &str,
) -> Option<Identifier> {
    match Identifier::parse(input, &crate::settings::of(state).settings.allowed_country_codes) {
        Ok(id) => Some(id),
        Err(IdentifierProblem::Missing) => {
            errors.add(field, "identifier-missing");
            None
        }
        Err(IdentifierProblem::Email(problem)) => {
            email_error(errors, field, problem);
            None
        }
        Err(IdentifierProblem::Phone(PhoneProblem::Invalid)) => {
            errors.add(field, "phone-invalid");
            None
        }
        Err(IdentifierProblem::Phone(PhoneProblem::CountryNotAllowed)) => {
            let codes = crate::settings::of(state)
                .settings
                .allowed_country_codes
                .iter()
                .map(|c| format!("+{c}"))
                .collect::<Vec<_>>();
            errors.add_with(field, "phone-country", vec![("codes", codes.join(", "))]);
            None
        }
    }
}

/// The form error for a cap on codes: by SMS, or by e-mail to one address.
pub(crate) fn capped_error(errors: &mut FormErrors, field: &'static str, cap: Cap) {
    match cap {
        Cap::Number | Cap::Ip | Cap::Day => errors.add(field, "sms-capped"),
        Cap::Address => errors.add(field, "email-capped"),
    }
}

/// A return path we will redirect to: on this site, and only a path.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.chars().any(char::is_control))
        .then_some(next)
}

/// How long a sign-in waits for its second step.
pub(crate) const CHALLENGE_COOKIE_SECS: u64 = 300;

pub(crate) fn challenge_cookie(https: bool) -> &'static str {
    if https { "__Host-lr_2fa" } else { "lr_2fa" }
}

/// The token of the sign-in waiting for its second step, from its cookie.
pub(crate) fn second_step_token(headers: &HeaderMap, https: bool) -> Option<&str> {
    web::read_cookie(headers, challenge_cookie(https))
}

pub(crate) async fn signed_in_account(
    state: &AppState,
    principal: &Principal,
) -> Result<store::account::Model, AppError> {
    store::account_by_id(&state.db, &principal.account_id.to_string()).await?.ok_or_else(AppError::not_found)
}

/// `text` as a QR code: an SVG data URI for an `<img>` (the CSP allows `data:` images).
pub(crate) fn qr_data_uri(text: &str) -> Result<String, AppError> {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map_err(AppError::internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)))
}
