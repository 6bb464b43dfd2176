//! The HTTP core every request passes through, outermost first: request ID,
//! tracing, metrics, security headers, client address, language, session,
//! error rendering, body limit, CSRF. Each piece is a middleware function or
//! a tower-http layer's configuration here; `app::router` stacks them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::serve::IncomingStream;
use cookie::{Cookie, SameSite};
use tower_http::request_id::MakeRequestId;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;
use crate::error::{AppError, ErrorKind, ErrorReport, Problem, ProblemField};
use crate::i18n::Lang;
use crate::principal::MaybePrincipal;
use crate::session::SessionToken;

/// The request's ID: echoed in `x-request-id`, logged, shown on error pages.
/// tower-http's `SetRequestIdLayer` gives it; handlers take it as an extractor.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

impl RequestId {
    /// The ID `SetRequestIdLayer` gave the request these extensions belong to.
    pub fn of(extensions: &Extensions) -> Option<RequestId> {
        let id = extensions.get::<tower_http::request_id::RequestId>()?;
        id.header_value().to_str().ok().map(|s| RequestId(Arc::from(s)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        RequestId::of(&parts.extensions).ok_or_else(|| AppError::new(ErrorKind::Internal))
    }
}

/// The TCP peer of a connection, plain or TLS.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, crate::tls::TlsListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// Where the request came from, after believing only trusted proxies.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub ip: IpAddr,
    /// The client reached us over HTTPS (directly, or via a trusted proxy).
    pub https: bool,
}

impl ClientInfo {
    /// The key of per-address counters kept in the database (sign-in
    /// throttles, SMS caps): an IPv4 address, or an IPv6 client's /64, which
    /// one subscriber holds whole. Show `ip` to people; count by this.
    pub fn rate_key(&self) -> String {
        crate::ratelimit::client_key(self.ip).to_string()
    }
}

/// The language of this request, and whether the URL chose it.
#[derive(Debug, Clone, Copy)]
pub struct RequestLang {
    pub lang: Lang,
    pub from_prefix: bool,
}

/// The cookie value CSRF tokens are bound to: the session token if signed
/// in, else a random pre-session value.
#[derive(Debug, Clone)]
pub struct CsrfSeed {
    pub value: String,
    /// A new pre-session value that the response must set as a cookie.
    pub fresh: bool,
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";
pub const LANG_COOKIE: &str = "lr_lang";

/// Cookie names; `__Host-` prefixed when residents use HTTPS.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https { "__Host-lr_session" } else { "lr_session" }
}

pub fn anon_cookie_name(https: bool) -> &'static str {
    if https { "__Host-lr_anon" } else { "lr_anon" }
}

/// Builds a `Set-Cookie` value with our defaults (HttpOnly, SameSite=Lax, Path=/).
pub fn cookie(name: &str, value: &str, secure: bool, max_age_secs: Option<u64>) -> HeaderValue {
    let mut c = Cookie::build((name, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(secure);
    if let Some(age) = max_age_secs {
        c = c.max_age(time::Duration::seconds(i64::try_from(age).unwrap_or(i64::MAX)));
    }
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The value of cookie `name` in the request, if present.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// Accepts a client-sent request ID only if it is short and plain, so it
/// cannot inject anything into logs.
fn valid_request_id(v: &str) -> bool {
    !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Runs before `SetRequestIdLayer`, which keeps any `x-request-id` it finds:
/// a client's ID that is not short and plain is dropped, so a new one is made.
pub(crate) fn drop_unsafe_request_id(mut req: Request) -> Request {
    let safe = req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).is_some_and(valid_request_id);
    if !safe {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    req
}

/// Makes the request IDs clients did not send: UUIDv7, so they sort by time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MakeUuidV7;

impl MakeRequestId for MakeUuidV7 {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<tower_http::request_id::RequestId> {
        let id = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()).ok()?;
        Some(tower_http::request_id::RequestId::new(id))
    }
}

/// Route label for metrics: the matched route with the language prefix folded.
fn route_label(req: &Request) -> String {
    let Some(path) = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str) else {
        return "unmatched".to_owned();
    };
    for lang in Lang::ALL {
        let prefix = format!("/{}", lang.prefix());
        if let Some(rest) = path.strip_prefix(&prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("/{{lang}}{rest}");
        }
    }
    path.to_owned()
}

pub(crate) async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = route_label(&req);
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method)];
    metrics::histogram!("http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    let [route, method] = labels;
    metrics::counter!("http_requests_total", &[route, method, ("status", status)]).increment(1);
    response
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// Another origin a page's forms may lead to, put in the response's
/// extensions by the handler: a relying party that the form's POST
/// redirects to. Browsers apply `form-action` to the redirects that follow
/// a form's submission, so without it a resident never gets back to the
/// service. Only the origin of a redirect the handler has validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormActionAlso(String);

impl FormActionAlso {
    /// The origin of an absolute http(s) URL (`https://rp.example:8443`).
    /// Only hosts a CSP source can name exactly: domain names of letters,
    /// digits, hyphens and dots, or IPv4 (no `*`, no punctuation that would
    /// widen or break the policy, no IPv6 literal, which CSP cannot name).
    pub fn of(url: &str) -> Option<Self> {
        let url = reqwest::Url::parse(url).ok()?;
        let plain = match url.host()? {
            url::Host::Domain(d) => {
                !d.is_empty() && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            }
            url::Host::Ipv4(_) => true,
            url::Host::Ipv6(_) => false,
        };
        (matches!(url.scheme(), "http" | "https") && plain).then(|| Self(url.origin().ascii_serialization()))
    }

    pub fn origin(&self) -> &str {
        &self.0
    }

    /// `response` (a page whose form may end at `origin`), carrying it for
    /// the CSP layer; unchanged when there is none.
    pub fn allow_on(origin: Option<Self>, mut response: Response) -> Response {
        if let Some(origin) = origin {
            response.extensions_mut().insert(origin);
        }
        response
    }
}

#[cfg(test)]
mod form_action_tests {
    use super::FormActionAlso;

    #[test]
    fn only_plain_http_origins_are_taken() {
        let of = |u: &str| FormActionAlso::of(u).map(|o| o.origin().to_owned());
        assert_eq!(of("https://rp.example:8443/cb?x=1").as_deref(), Some("https://rp.example:8443"));
        assert_eq!(of("http://user:pw@127.0.0.1:9000/cb").as_deref(), Some("http://127.0.0.1:9000"));
        for bad in ["https://*.example/cb", "https://a;b.example/", "https://[::1]/cb", "javascript:alert(1)", "/cb"] {
            assert_eq!(of(bad), None, "{bad}");
        }
    }
}

/// Adds a response's [`FormActionAlso`] origin to its CSP `form-action`.
pub(crate) async fn form_action(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if let Some(also) = response.extensions().get::<FormActionAlso>() {
        let csp = CSP.replace("form-action 'self'", &format!("form-action 'self' {}", also.0));
        if let Ok(value) = HeaderValue::from_str(&csp) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// Sets the headers every response carries, whatever it is; `Cache-Control:
/// no-store` only where a handler chose no caching of its own (assets do).
pub(crate) fn static_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("permissions-policy"), "camera=(self), geolocation=(), microphone=(), payment=()"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    let router = headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)))
    });
    router.layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// HSTS, only when the client reached us over HTTPS.
pub(crate) async fn hsts(req: Request, next: Next) -> Response {
    let https = req.extensions().get::<ClientInfo>().is_some_and(|c| c.https);
    let mut response = next.run(req).await;
    if https {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    response
}

/// Resolves the client address: the peer, unless the peer is a trusted
/// proxy, in which case the right-most untrusted `X-Forwarded-For` hop.
pub(crate) async fn client_info(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer =
        req.extensions().get::<ConnectInfo<PeerAddr>>().map(|c| c.0.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let trusted = |ip: &IpAddr| state.config.server.trusted_proxies.iter().any(|net| net.contains(ip));
    // HTTPS if we terminate TLS ourselves, if the public URL says residents
    // use HTTPS, or if a trusted proxy says this request came over it.
    let mut info =
        ClientInfo { ip: peer, https: state.config.tls() || state.config.server.public_url.starts_with("https://") };
    if trusted(&peer) {
        let hops: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        if let Some(ip) = hops.iter().rev().find(|ip| !trusted(ip)).or(hops.first()) {
            info.ip = *ip;
        }
        info.https |= req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    }
    req.extensions_mut().insert(info);
    next.run(req).await
}

/// The language prefix of `path`, if it has one (`/zh-hk/…` → `ZhHk`).
pub fn lang_of_path(path: &str) -> Option<Lang> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    Lang::ALL.into_iter().find(|l| l.prefix() == first)
}

/// The `lang` query parameter, if it names a language (`?lang=zh-hk`).
pub fn lang_of_query(query: Option<&str>) -> Option<Lang> {
    url::form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(&v))
}

/// Language: URL prefix, then cookie, then `Accept-Language`, then the default.
pub(crate) async fn language(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // A page without a language prefix (the OAuth consent page) is switched with `?lang=`.
    let from_prefix = lang_of_path(req.uri().path()).or_else(|| lang_of_query(req.uri().query()));
    let remembered = read_cookie(req.headers(), LANG_COOKIE).and_then(Lang::parse);
    let lang = from_prefix
        .or(remembered)
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(state.config.locale.default);
    req.extensions_mut().insert(RequestLang { lang, from_prefix: from_prefix.is_some() });
    let https = req.extensions().get::<ClientInfo>().is_some_and(|c| c.https);
    let mut response = next.run(req).await;
    // Remember a language the resident chose through the URL.
    if let Some(chosen) = from_prefix.filter(|l| Some(*l) != remembered)
        && is_html(response.headers())
    {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie(LANG_COOKIE, chosen.tag(), https, Some(365 * 24 * 3600)));
    }
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

/// Resolves the session cookie into a `Principal` (or, under `/api/`, an
/// access token: [`app_principal`]), and provides the CSRF seed.
pub(crate) async fn sessions(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let https = req.extensions().get::<ClientInfo>().is_some_and(|c| c.https);
    let session = read_cookie(req.headers(), session_cookie_name(https)).and_then(SessionToken::parse);
    let mut principal = None;
    if let Some((bearers, token)) = state.contracts.bearers().zip(bearer_token(&req)) {
        let cookie_sent = read_cookie(req.headers(), session_cookie_name(https)).is_some();
        match app_principal(&state, bearers, &token, cookie_sent).await {
            Ok(p) => principal = Some(p),
            Err(e) => return e.into_response(),
        }
    } else if let Some(token) = &session {
        match crate::session::resolve(&state.db, token, state.session_lifetimes()).await {
            Ok(p) => principal = p,
            Err(e) => return AppError::internal(e).into_response(),
        }
    }
    let anon = read_cookie(req.headers(), anon_cookie_name(https)).and_then(SessionToken::parse);
    let seed = match (&principal, &session, &anon) {
        (Some(_), Some(token), _) => CsrfSeed { value: token.expose().to_owned(), fresh: false },
        (_, _, Some(anon)) => CsrfSeed { value: anon.expose().to_owned(), fresh: false },
        _ => CsrfSeed { value: SessionToken::generate().expose().to_owned(), fresh: true },
    };
    req.extensions_mut().insert(MaybePrincipal(principal));
    req.extensions_mut().insert(seed.clone());
    let mut response = next.run(req).await;
    // Only pages need a pre-session cookie (their forms carry CSRF tokens).
    if seed.fresh && is_html(response.headers()) {
        response.headers_mut().append(header::SET_COOKIE, cookie(anon_cookie_name(https), &seed.value, https, None));
    }
    response
}

/// The access token of an `Authorization: Bearer` request under `/api/`
/// (RFC 6750 §2.1). Elsewhere (pages, and the OAuth endpoints, which read
/// tokens themselves) the header means nothing to the session layer.
fn bearer_token(req: &Request) -> Option<String> {
    if !req.uri().path().starts_with("/api/") {
        return None;
    }
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// The principal of an app presenting access `token` for a resident,
/// through the provider of the bearer-token service (identity; without one,
/// as in a test app of platform alone, the header is left to the handler).
/// An unknown, expired or revoked token is 401 `invalid-token` with RFC
/// 6750's challenge, at once: a revocation is a database row, seen by every
/// server. A request that also carries a session cookie is refused (400): it
/// would otherwise be unclear whose powers it uses, and a browser that holds
/// a session has no business sending an app's token.
async fn app_principal(
    state: &AppState,
    bearers: &dyn crate::contracts::Bearers,
    token: &str,
    session_cookie_sent: bool,
) -> Result<crate::principal::Principal, AppError> {
    if session_cookie_sent {
        return Err(AppError::new(ErrorKind::BadRequest)
            .with_detail("send a session cookie or an Authorization: Bearer token, not both"));
    }
    // RFC 6750's b64token, and no longer than any token we issue: anything
    // else is refused without a look-up.
    let plain = (1..=256).contains(&token.len())
        && token.trim_end_matches('=').bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !plain {
        return Err(AppError::new(ErrorKind::InvalidToken));
    }
    bearers.principal(state, token).await?.ok_or_else(|| AppError::new(ErrorKind::InvalidToken))
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Checks the CSRF token of every state-changing request, in one place.
///
/// Exempt: routes a module declares exempt (OAuth endpoints that
/// authenticate clients), and `/api/` requests that carry no session cookie
/// (bearer-token clients, which a browser cannot be tricked into sending;
/// `sessions` refuses a request with both).
pub(crate) async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_unsafe(req.method()) {
        return next.run(req).await;
    }
    let path = req.uri().path();
    if state.csrf_exempt.iter().any(|p| path_within(path, p)) {
        return next.run(req).await;
    }
    let https = req.extensions().get::<ClientInfo>().is_some_and(|c| c.https);
    let has_session_cookie = read_cookie(req.headers(), session_cookie_name(https)).is_some();
    if path.starts_with("/api/") && !has_session_cookie {
        return next.run(req).await;
    }
    let Some(seed) = req.extensions().get::<CsrfSeed>().filter(|s| !s.fresh).cloned() else {
        return AppError::new(ErrorKind::CsrfRejected).into_response();
    };
    if let Some(token) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        if state.keys.csrf_valid(&seed.value, token) {
            return next.run(req).await;
        }
        return AppError::new(ErrorKind::CsrfRejected).into_response();
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return AppError::new(ErrorKind::CsrfRejected).into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.server.body_limit_bytes).await {
        Ok(b) => b,
        Err(_) => return AppError::new(ErrorKind::PayloadTooLarge).into_response(),
    };
    let presented = form_urlencoded_value(&bytes, CSRF_FIELD);
    if !presented.is_some_and(|t| state.keys.csrf_valid(&seed.value, &t)) {
        return AppError::new(ErrorKind::CsrfRejected).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The platform's body limit (`server.body_limit_bytes`): a declared
/// length over it is refused at once, and a body read beyond it fails (the
/// extractors answer 413). Paths a module reads large bodies under
/// (`Module::own_body_limit`) are left to their handlers.
pub(crate) async fn body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.own_body_limit.iter().any(|prefix| path_within(req.uri().path(), prefix)) {
        return next.run(req).await;
    }
    let limit = state.config.server.body_limit_bytes;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return AppError::new(ErrorKind::PayloadTooLarge).into_response();
    }
    // `DefaultBodyLimit` (set outside this layer) caps what can be read.
    next.run(axum::RequestExt::with_limited_body(req)).await
}

/// `server.request_timeout_secs` for each request, answered with a bare 408
/// (which `render_errors` makes the 503 `timeout` problem). Paths under a
/// module's `own_body_limit` take as long as their handlers allow: an
/// upload's time grows with its size, so those handlers set their own limits.
pub(crate) async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.own_body_limit.iter().any(|prefix| path_within(req.uri().path(), prefix)) {
        return next.run(req).await;
    }
    match tokio::time::timeout(state.config.request_timeout(), next.run(req)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Is `path` the route `prefix` or below it, by whole segments? `/oauth/token`
/// covers `/oauth/token` and `/oauth/token/…`, never `/oauth/tokenx`; a
/// trailing slash on the prefix changes nothing.
pub fn path_within(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Does the client want JSON rather than a page?
fn wants_json(path: &str, headers: &HeaderMap) -> bool {
    if path.starts_with("/api/") || path == "/metrics" || path == "/healthz" || path == "/readyz" {
        return true;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    (accept.contains("application/json") || accept.contains("application/problem+json"))
        && !accept.contains("text/html")
}

/// Renders every error response: our `AppError`s, and the bare 4xx/5xx that
/// layers and the router produce (404, 405, 413, …), as problem+json or an
/// accessible HTML page. Responses a handler rendered itself (a form shown
/// again with its errors, an OAuth error body) pass untouched.
pub(crate) async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let json = wants_json(&path, req.headers());
    let lang = req.extensions().get::<RequestLang>().map_or(state.config.locale.default, |l| l.lang);
    let request_id = RequestId::of(req.extensions()).map(|r| r.0.to_string()).unwrap_or_default();
    let response = next.run(req).await;
    render_error(&state, path, json, lang, request_id, response)
}

/// What [`render_errors`] does to one response; also used where a response
/// must be kept as the client will see it (`idempotency` stores it).
pub(crate) fn render_error(
    state: &AppState,
    path: String,
    json: bool,
    lang: Lang,
    request_id: String,
    response: Response,
) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let report = response.extensions().get::<ErrorReport>().cloned();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if report.is_none() && !plain {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let error = report.map(|r| r.0);
    let problem = error.as_ref().map_or_else(|| ErrorKind::from_status(status).problem(), |e| e.problem);
    if problem == ErrorKind::Internal.problem() {
        match &error {
            Some(e) => tracing::error!(request_id = %request_id, error = %e, "internal error"),
            None => tracing::error!(request_id = %request_id, %status, "internal error"),
        }
    }
    let args: Vec<(&str, &str)> =
        error.as_ref().map(|e| e.args.iter().map(|(k, v)| (*k, v.as_str())).collect()).unwrap_or_default();
    let title = state.catalog.text(lang, &problem.title_key());
    let retry_after = error.as_ref().and_then(|e| e.retry_after);
    if let Some(v) = retry_after.and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok()) {
        parts.headers.insert(header::RETRY_AFTER, v);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let status = problem.status;
    parts.status = status;
    if json {
        let detail = error
            .as_ref()
            .and_then(|e| e.detail.clone())
            .or_else(|| Some(state.catalog.text_with(lang, &problem.detail_key(), &args)));
        let errors = error
            .as_ref()
            .map(|e| {
                e.fields
                    .iter()
                    .map(|f| {
                        let args: Vec<(&str, &str)> = f.args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                        ProblemField {
                            field: f.field.clone(),
                            code: f.code.clone(),
                            message: state.catalog.text_with(lang, &f.message_key, &args),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let problem = Problem {
            type_uri: problem.type_uri(),
            title,
            status: status.as_u16(),
            detail,
            instance: path,
            request_id,
            errors,
            reason: error.as_ref().and_then(|e| e.args.iter().find(|(k, _)| *k == "reason")).map(|(_, v)| v.clone()),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        parts.headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
        return Response::from_parts(parts, Body::from(body));
    }
    let page_ctx = crate::page::PageContext::for_error(state, &path, lang, request_id.clone());
    let html = crate::page::error_page(&page_ctx, problem, &args, &request_id, retry_after);
    let mut rendered = Html(html).into_response();
    *rendered.status_mut() = status;
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

/// Fallback for unmatched routes.
pub(crate) async fn not_found() -> AppError {
    AppError::not_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Set-Cookie` value's name=value and its set of attributes.
    fn parts(v: &HeaderValue) -> (String, Vec<String>) {
        let mut pieces = v.to_str().unwrap().split("; ").map(str::to_owned);
        let pair = pieces.next().unwrap();
        let mut attrs: Vec<String> = pieces.collect();
        attrs.sort();
        (pair, attrs)
    }

    #[test]
    fn cookies_carry_our_attributes() {
        let (pair, attrs) = parts(&cookie("__Host-lr_session", "tok.en-_", true, None));
        assert_eq!(pair, "__Host-lr_session=tok.en-_");
        assert_eq!(attrs, ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]);

        let (pair, attrs) = parts(&cookie(LANG_COOKIE, "zh-CN", false, Some(365 * 24 * 3600)));
        assert_eq!(pair, "lr_lang=zh-CN");
        assert_eq!(attrs, ["HttpOnly", "Max-Age=31536000", "Path=/", "SameSite=Lax"]);

        // Clearing a cookie: empty value, Max-Age=0, same attributes.
        let (pair, attrs) = parts(&cookie("__Host-lr_anon", "", true, Some(0)));
        assert_eq!(pair, "__Host-lr_anon=");
        assert_eq!(attrs, ["HttpOnly", "Max-Age=0", "Path=/", "SameSite=Lax", "Secure"]);
    }

    #[test]
    fn a_value_that_cannot_be_a_header_clears_instead() {
        assert_eq!(cookie("a", "line\nbreak", true, None), "invalid=; Max-Age=0");
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("lr_lang=zh-HK; lr_session=abc=="));
        headers.append(header::COOKIE, HeaderValue::from_static("__Host-lr_anon=xyz;broken; =nameless"));
        assert_eq!(read_cookie(&headers, LANG_COOKIE), Some("zh-HK"));
        assert_eq!(read_cookie(&headers, "lr_session"), Some("abc=="), "values may hold '='");
        assert_eq!(read_cookie(&headers, "__Host-lr_anon"), Some("xyz"), "a second Cookie header is read too");
        assert_eq!(read_cookie(&headers, "lr"), None);
        assert_eq!(read_cookie(&headers, "broken"), None);
        assert_eq!(read_cookie(&headers, ""), None);
        assert_eq!(read_cookie(&HeaderMap::new(), LANG_COOKIE), None);
    }
}
