//! Who is asking: the `Principal` every domain consumes (identity produces
//! it from a session, or from an OAuth access token an app presents for a
//! resident), identity levels, roles and the extractors that guard routes,
//! so permission is visible in a handler's signature.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorKind};

/// An account's opaque identifier (UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub uuid::Uuid);

impl AccountId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for AccountId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How well we know who a person is (DESIGN.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityLevel {
    /// E-mail or phone verified.
    Basic,
    /// Identity document verified by an officer or a trusted source.
    RealName,
}

/// How strongly this session was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStrength {
    Password,
    TwoFactor,
    Passkey,
}

/// A broad role; fine-grained permission comes from scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Officer,
    Admin,
}

/// Where the person proved who they are for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvenOn {
    /// On the device that holds the session.
    #[default]
    ThisDevice,
    /// On another, already signed-in device that approved this one ("sign in
    /// with the app"): the session carries that device's strength and
    /// authentication time, never more.
    AnotherDevice,
}

/// The signed-in person, as stored with their session. Built only through
/// its constructors (`non_exhaustive`), which require how strongly and when
/// the person proved who they are: no session is fresher or stronger than
/// its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Principal {
    pub account_id: AccountId,
    pub level: IdentityLevel,
    pub strength: AuthStrength,
    pub roles: Vec<Role>,
    /// Officer scopes, e.g. `booking-staff:centre-0199…`.
    pub scopes: Vec<String>,
    /// When the person last proved who they are (Unix seconds): OpenID
    /// Connect's `auth_time`, `max_age` and `prompt=login` rest on it.
    #[serde(default)]
    pub authenticated_at: i64,
    /// Where they proved it (OpenID Connect's `amr` says so).
    #[serde(default)]
    pub proven_on: ProvenOn,
    /// `None` for the person themselves (a browser session); for an app
    /// acting for them with an OAuth access token, the grant that limits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Grant>,
}

/// What a person allowed an app (an OAuth client) to do for them: the
/// scopes of the access token it presents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The app's `client_id`.
    pub client: String,
    /// The OAuth scopes granted (`openid`, `booking`, …).
    pub scopes: Vec<String>,
}

impl Principal {
    /// Someone who proved who they are on this device, with `strength`, at
    /// `authenticated_at` (Unix seconds).
    pub fn new(
        account_id: AccountId,
        level: IdentityLevel,
        roles: Vec<Role>,
        strength: AuthStrength,
        authenticated_at: i64,
    ) -> Self {
        Self {
            account_id,
            level,
            strength,
            roles,
            scopes: Vec::new(),
            authenticated_at,
            proven_on: ProvenOn::ThisDevice,
            granted: None,
        }
    }

    /// Someone signed in by another device's approval: `strength` and
    /// `authenticated_at` are the approving session's, never more.
    pub fn approved_on_another_device(
        account_id: AccountId,
        level: IdentityLevel,
        roles: Vec<Role>,
        strength: AuthStrength,
        authenticated_at: i64,
    ) -> Self {
        Self { proven_on: ProvenOn::AnotherDevice, ..Self::new(account_id, level, roles, strength, authenticated_at) }
    }

    /// The same person with the officer `scopes` their account holds
    /// (permissions, not proof: strength and sign-in time stay as built).
    pub fn with_scopes(self, scopes: Vec<String>) -> Self {
        Self { scopes, ..self }
    }

    /// The same person as an app acting for them sees them, limited to
    /// `grant`: resident powers only (no officer or administrator role, no
    /// officer scope, whatever the account holds), and only within the
    /// granted scopes ([`Principal::grants`]).
    pub fn through(self, grant: Grant) -> Self {
        Self { roles: vec![Role::Resident], scopes: Vec::new(), granted: Some(grant), ..self }
    }

    /// Whether this principal may use OAuth scope `scope`: always for the
    /// person themselves, and for an app only when its grant has the scope.
    pub fn grants(&self, scope: &str) -> bool {
        self.granted.as_ref().is_none_or(|g| g.scopes.iter().any(|s| s == scope))
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether this officer holds `scope` (scopes mean nothing without the role).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.has_role(Role::Officer) && self.scopes.iter().any(|s| s == scope)
    }
}

/// Who is asking, if anyone: put in request extensions by the session layer.
#[derive(Debug, Clone, Default)]
pub struct MaybePrincipal(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybePrincipal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<MaybePrincipal>().cloned().unwrap_or_default())
    }
}

/// Any signed-in person; 401 otherwise. An app acting for someone with an
/// access token is not the person: it gets 403 `insufficient-scope` here,
/// and reaches only routes that name a scope it was granted ([`Granted`]).
/// So is every guard built on this one (`Require`, `RequireScope`).
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<MaybePrincipal>() {
            Some(MaybePrincipal(Some(p))) if p.granted.is_some() => Err(AppError::insufficient_scope(None)),
            Some(MaybePrincipal(Some(p))) => Ok(SignedIn(p.clone())),
            _ => Err(AppError::new(ErrorKind::Unauthenticated)),
        }
    }
}

/// A role a route can demand through [`Require`].
pub trait RoleGuard: Send + Sync + 'static {
    const ROLE: Role;
}

/// Marker for [`Require<Admin>`].
#[derive(Debug)]
pub struct Admin;
impl RoleGuard for Admin {
    const ROLE: Role = Role::Admin;
}

/// Marker for [`Require<Officer>`].
#[derive(Debug)]
pub struct Officer;
impl RoleGuard for Officer {
    const ROLE: Role = Role::Officer;
}

/// A signed-in person holding role `R`: 401 if nobody is signed in, 403 if
/// they lack the role. Put it in a handler's signature to guard the route.
#[derive(Debug, Clone)]
pub struct Require<R: RoleGuard> {
    pub principal: Principal,
    _role: PhantomData<R>,
}

impl<S: Send + Sync, R: RoleGuard> FromRequestParts<S> for Require<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let SignedIn(principal) = SignedIn::from_request_parts(parts, state).await?;
        if !principal.has_role(R::ROLE) {
            return Err(AppError::new(ErrorKind::Forbidden));
        }
        Ok(Require { principal, _role: PhantomData })
    }
}

/// An officer scope a route can demand through [`RequireScope`]: what an
/// officer may do, per service or centre (DESIGN §5). The domain that owns
/// the work names the slug.
pub trait ScopeGuard: Send + Sync + 'static {
    const SCOPE: &'static str;
}

/// A signed-in officer holding scope `S`: 401 if nobody is signed in, 403
/// without the officer role or without the scope. Put it in a handler's
/// signature to guard the route.
#[derive(Debug, Clone)]
pub struct RequireScope<S: ScopeGuard> {
    pub principal: Principal,
    _scope: PhantomData<S>,
}

impl<St: Send + Sync, S: ScopeGuard> FromRequestParts<St> for RequireScope<S> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let SignedIn(principal) = SignedIn::from_request_parts(parts, state).await?;
        if !principal.has_scope(S::SCOPE) {
            return Err(AppError::new(ErrorKind::Forbidden));
        }
        Ok(RequireScope { principal, _scope: PhantomData })
    }
}

/// An OAuth scope a route demands of apps through [`Granted`]. The module
/// that owns the route declares it in `Module::oauth_scopes`, so residents
/// can grant it.
pub trait GrantScope: Send + Sync + 'static {
    const SCOPE: &'static str;
}

/// The person themselves (a session), or an app acting for them with an
/// access token granted scope `S`: 401 if neither, 403
/// `insufficient-scope` (with `WWW-Authenticate: Bearer
/// error="insufficient_scope", scope="…"`) for an app without it. Put it
/// in the signature of an `/api/` handler that apps may call. An app never
/// holds officer or administrator powers ([`Principal::through`]).
#[derive(Debug, Clone)]
pub struct Granted<S: GrantScope> {
    pub principal: Principal,
    _scope: PhantomData<S>,
}

impl<St: Send + Sync, S: GrantScope> FromRequestParts<St> for Granted<S> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        let Some(MaybePrincipal(Some(principal))) = parts.extensions.get::<MaybePrincipal>() else {
            return Err(AppError::new(ErrorKind::Unauthenticated));
        };
        if !principal.grants(S::SCOPE) {
            return Err(AppError::insufficient_scope(Some(S::SCOPE)));
        }
        Ok(Granted { principal: principal.clone(), _scope: PhantomData })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer() -> Principal {
        Principal::new(
            AccountId::new(),
            IdentityLevel::RealName,
            vec![Role::Resident, Role::Officer, Role::Admin],
            AuthStrength::Passkey,
            1_700_000_000,
        )
        .with_scopes(vec!["booking-staff".to_owned()])
    }

    fn grant(scopes: &[&str]) -> Grant {
        Grant { client: "app".to_owned(), scopes: scopes.iter().map(|s| (*s).to_owned()).collect() }
    }

    #[test]
    fn the_person_themselves_has_every_scope() {
        let me = officer();
        assert!(me.grants("booking") && me.grants("openid") && me.grants(""));
    }

    #[test]
    fn an_app_has_only_the_scopes_it_was_granted() {
        let app = officer().through(grant(&["openid", "booking"]));
        assert!(app.grants("booking") && app.grants("openid"));
        assert!(!app.grants("email") && !app.grants("book") && !app.grants("booking ") && !app.grants(""));
        assert!(!officer().through(grant(&[])).grants("openid"));
    }

    #[test]
    fn an_app_has_resident_powers_only() {
        let me = officer();
        let app = me.clone().through(grant(&["booking"]));
        assert_eq!(app.roles, [Role::Resident]);
        assert!(!app.has_role(Role::Officer) && !app.has_role(Role::Admin) && !app.has_scope("booking-staff"));
        // Who, how well known, and the proof stay as they were.
        assert_eq!(
            (app.account_id, app.level, app.strength, app.authenticated_at),
            (me.account_id, me.level, me.strength, me.authenticated_at)
        );
    }

    #[test]
    fn a_session_principal_is_stored_as_before() {
        let json = serde_json::to_value(officer()).unwrap();
        assert!(json.get("granted").is_none(), "sessions written before grants read the same");
        let back: Principal = serde_json::from_value(json).unwrap();
        assert_eq!(back.granted, None);
    }
}
