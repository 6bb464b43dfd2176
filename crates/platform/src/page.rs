//! Pages: the context every template gets (language, CSRF token, who is
//! signed in, asset URLs), the base layout every page is wrapped in, the
//! landing page and the error page.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::app::AppState;
use crate::error::{AppError, ProblemType};
use crate::i18n::Lang;
use crate::module::ServiceLink;
use crate::principal::{Admin, MaybePrincipal, Principal, Require};
use crate::web::{CsrfSeed, RequestId, RequestLang, lang_of_path};

/// What every page template needs to know about the request.
#[derive(Clone)]
pub struct PageContext {
    pub lang: Lang,
    /// The path without its language prefix, e.g. `/bookings`.
    pub path: String,
    pub csrf_token: String,
    pub principal: Option<Principal>,
    pub request_id: String,
    /// The query string, kept by the language switcher.
    query: Option<String>,
    /// Whether the URL carries a language prefix.
    prefixed: bool,
    state: AppState,
}

/// One entry of the language switcher.
pub struct LangLink {
    pub lang: Lang,
    pub href: String,
    pub current: bool,
}

impl PageContext {
    /// Every module's stylesheets, as hashed URLs.
    pub fn styles(&self) -> Vec<String> {
        self.state.styles.iter().map(|s| self.state.assets.url(s)).collect()
    }

    /// Every module's script modules, as hashed URLs.
    pub fn scripts(&self) -> Vec<String> {
        self.state.scripts.iter().map(|s| self.state.assets.url(s)).collect()
    }

    /// Whether this is a demo server (every page then says so).
    pub fn demo(&self) -> bool {
        self.state.is_demo()
    }

    fn from_request_extensions(state: &AppState, path: &str, query: Option<&str>, ext: &Extensions) -> Self {
        let lang = ext.get::<RequestLang>().map_or(state.config.locale.default, |l| l.lang);
        let request_id = RequestId::of(ext).map(|r| r.0.to_string()).unwrap_or_default();
        Self {
            csrf_token: ext.get::<CsrfSeed>().map(|s| state.keys.csrf_token(&s.value)).unwrap_or_default(),
            principal: ext.get::<MaybePrincipal>().and_then(|p| p.0.clone()),
            ..Self::for_error(state, path, lang, request_id)
        }
        .with_query(query)
    }

    /// The context of an error page: rendered outside the session layer,
    /// so anonymous and without forms.
    pub(crate) fn for_error(state: &AppState, path: &str, lang: Lang, request_id: String) -> Self {
        let prefixed = lang_of_path(path).is_some();
        let path = match lang_of_path(path) {
            Some(l) => {
                let rest = &path[l.prefix().len() + 1..];
                if rest.is_empty() { "/".to_owned() } else { rest.to_owned() }
            }
            None => path.to_owned(),
        };
        Self {
            lang,
            path,
            csrf_token: String::new(),
            principal: None,
            request_id,
            query: None,
            prefixed,
            state: state.clone(),
        }
    }

    /// Translated text for `key`.
    pub fn t(&self, key: &str) -> String {
        self.state.catalog.text(self.lang, key)
    }

    /// Translated text with arguments.
    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.state.catalog.text_with(self.lang, key, args)
    }

    /// URL of an embedded asset by its logical name.
    pub fn asset(&self, name: &str) -> String {
        self.state.assets.url(name)
    }

    /// A link to `path` in the current language.
    /// A stored (UTC) time as the resident reads it: date and time in
    /// `locale.timezone`, with the zone's abbreviation (`2026-11-25 18:30 HKT`).
    pub fn local_time(&self, t: time::OffsetDateTime) -> String {
        self.zoned(t, "%Y-%m-%d %H:%M %Z")
    }

    /// The clock time alone (`18:30 HKT`), for times within the hour.
    pub fn local_clock(&self, t: time::OffsetDateTime) -> String {
        self.zoned(t, "%H:%M %Z")
    }

    fn zoned(&self, t: time::OffsetDateTime, format: &str) -> String {
        jiff::Timestamp::from_second(t.unix_timestamp())
            .map(|ts| ts.to_zoned_datetime(self.state.timezone.clone()).strftime(format).to_string())
            .unwrap_or_default()
    }

    pub fn href(&self, path: &str) -> String {
        let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
        format!("/{}{}", self.lang.prefix(), if path == "/" { "/" } else { &path })
    }

    /// The navigation links this visitor sees: (href, text, is this page).
    pub fn nav_links(&self) -> Vec<(String, String, bool)> {
        let signed_in = self.principal.is_some();
        self.state
            .nav
            .iter()
            .filter(|l| match l.show {
                crate::module::Show::Always => true,
                crate::module::Show::SignedIn => signed_in,
                crate::module::Show::SignedOut => !signed_in,
                crate::module::Show::OfficerWith(scopes) => {
                    self.principal.as_ref().is_some_and(|p| scopes.iter().any(|s| p.has_scope(s)))
                }
                crate::module::Show::Admin => {
                    self.principal.as_ref().is_some_and(|p| p.has_role(crate::principal::Role::Admin))
                }
            })
            .map(|l| (self.href(l.path), self.t(l.title_key), self.path == l.path))
            .collect()
    }

    /// The same page in each language.
    fn with_query(mut self, query: Option<&str>) -> Self {
        self.query = query.filter(|q| !q.is_empty()).map(str::to_owned);
        self
    }

    /// The same page in each language, with its query kept (a
    /// verification ID, an authorization request). Pages without a language
    /// prefix switch with `?lang=`.
    pub fn lang_links(&self) -> Vec<LangLink> {
        let others: Vec<(String, String)> = self
            .query
            .as_deref()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().filter(|(k, _)| k != "lang").collect())
            .unwrap_or_default();
        Lang::ALL
            .into_iter()
            .map(|lang| {
                let mut pairs = others.clone();
                let base = if self.prefixed {
                    format!("/{}{}", lang.prefix(), self.path)
                } else {
                    pairs.push(("lang".to_owned(), lang.prefix().to_owned()));
                    self.path.clone()
                };
                let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
                let href = if query.is_empty() { base } else { format!("{base}?{query}") };
                LangLink { lang, href, current: lang == self.lang }
            })
            .collect()
    }

    /// Wraps rendered `content` in the base layout.
    pub fn render(&self, title: &str, content: &str) -> Result<Response, AppError> {
        let html = BaseLayout { ctx: self, title, content }.render().map_err(AppError::internal)?;
        Ok(Html(html).into_response())
    }

    /// A module's page: `content` rendered inside the layout, titled by the
    /// translation `title_key`, answered with `status` (422 for a form shown
    /// again with its errors).
    pub fn page(&self, status: StatusCode, title_key: &str, content: &impl Template) -> Result<Response, AppError> {
        let html = content.render().map_err(AppError::internal)?;
        let mut response = self.render(&self.t(title_key), &html)?;
        *response.status_mut() = status;
        Ok(response)
    }
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Inside a language prefix the router has stripped it: use the URI as requested.
        let uri =
            parts.extensions.get::<axum::extract::OriginalUri>().map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        Ok(Self::from_request_extensions(state, uri.path(), uri.query(), &parts.extensions))
    }
}

#[derive(Template)]
#[template(path = "base.html")]
struct BaseLayout<'a> {
    ctx: &'a PageContext,
    title: &'a str,
    content: &'a str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a PageContext,
    services: &'a [ServiceLink],
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageContext,
    title: String,
    detail: String,
    request_id: &'a str,
    retry_text: Option<String>,
}

/// `GET /{lang}/`: the landing page, listing the services that exist.
pub(crate) async fn home(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(StatusCode::OK, "home-title", &HomePage { ctx: &ctx, services: &state.services })
}

/// One row of the operators' outbox page.
struct OutboxRow {
    created: String,
    channel: String,
    recipient: String,
    status: String,
    attempts: i32,
    last_error: String,
    subject: Option<String>,
    /// Only for messages the development sink received.
    body: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct AdminOutboxPage<'a> {
    ctx: &'a PageContext,
    rows: Vec<OutboxRow>,
}

/// `GET /{lang}/admin/outbox`: recent notifications, for administrators.
pub(crate) async fn admin_outbox(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let rows = crate::outbox::recent_messages(&state.db, 50)
        .await?
        .into_iter()
        .map(|m| {
            let dev = crate::outbox::goes_to_dev_sink(&state.config, &m.channel);
            OutboxRow {
                created: m.created_at.format(&format).unwrap_or_default(),
                channel: m.channel,
                recipient: m.recipient,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                subject: if dev { m.subject } else { None },
                body: dev.then_some(m.body),
            }
        })
        .collect();
    ctx.page(StatusCode::OK, "admin-outbox-title", &AdminOutboxPage { ctx: &ctx, rows })
}

/// The accessible HTML error page (status set by the caller).
pub(crate) fn error_page(
    ctx: &PageContext,
    problem: ProblemType,
    args: &[(&str, &str)],
    request_id: &str,
    retry_after: Option<u32>,
) -> String {
    let title = ctx.t(&problem.title_key());
    let page = ErrorPage {
        ctx,
        title: title.clone(),
        detail: ctx.t_with(&problem.detail_key(), args),
        // Internal details never reach the page; the reference number does.
        request_id,
        retry_text: retry_after.map(|s| ctx.t_with("error-retry-after", &[("seconds", &s.to_string())])),
    };
    let content = page.render().unwrap_or_else(|_| title.clone());
    BaseLayout { ctx, title: &title, content: &content }.render().unwrap_or(content)
}
