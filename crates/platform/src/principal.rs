//! Who is asking: the `Principal` every domain consumes (identity produces
//! it from a session), identity levels, roles and the extractors that guard
//! routes, so permission is visible in a handler's signature.

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

/// Any signed-in person; 401 otherwise.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<MaybePrincipal>() {
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
