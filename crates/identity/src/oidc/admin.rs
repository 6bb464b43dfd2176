//! Administrators' pages for OpenID Connect clients: list, register (the
//! secret is shown once), and remove (its consents, codes and tokens go
//! with it).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use platform::app::AppState;
use platform::error::AppError;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Admin, Require};

use super::{ClientError, NewClient, parse_list, store};
use axum::Router;
use axum::routing::{get, post};

/// The administrators' page of relying parties.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/admin/clients", get(page).post(create)).route("/admin/clients/remove", post(remove))
}

struct ClientRow {
    id: String,
    name: String,
    kind_key: &'static str,
    redirect_uris: String,
    scopes: String,
    created: String,
}

#[derive(Template)]
#[template(path = "admin_clients.html")]
struct ClientsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    clients: Vec<ClientRow>,
    created: Option<(String, Option<String>)>,
    name: String,
    redirect_uris: String,
    /// The scopes a client may be allowed (`openid` always is).
    offered: Vec<&'static str>,
}

fn offered(state: &AppState) -> Vec<&'static str> {
    state.oauth_scopes.iter().map(|s| s.name).filter(|s| *s != "openid").collect()
}

async fn rows(state: &AppState) -> Result<Vec<ClientRow>, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Ok(store::clients(&state.db)
        .await?
        .into_iter()
        .map(|c| ClientRow {
            kind_key: if c.public {
                "admin-clients-public"
            } else if c.jwks.is_some() {
                "admin-clients-jwt"
            } else {
                "admin-clients-confidential"
            },
            redirect_uris: parse_list(&c.redirect_uris).join(" "),
            scopes: parse_list(&c.scopes).join(" "),
            created: c.created_at.format(&format).unwrap_or_default(),
            id: c.client_id,
            name: c.name,
        })
        .collect())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let clients = rows(&state).await?;
    ctx.page(
        StatusCode::OK,
        "admin-clients-title",
        &ClientsPage {
            ctx: &ctx,
            errors: FormErrors::new(),
            clients,
            created: None,
            name: String::new(),
            redirect_uris: String::new(),
            offered: offered(&state),
        },
    )
}

/// `POST /{lang}/admin/clients`: repeated `scope` values, so parsed by hand.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let lines = |k: &str| get(k).split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let new = NewClient {
        name: get("name"),
        redirect_uris: lines("redirect_uris"),
        post_logout_redirect_uris: lines("post_logout_redirect_uris"),
        scopes: pairs.iter().filter(|(n, _)| n == "scope").map(|(_, v)| v.clone()).collect(),
        public: get("kind") == "public",
        jwks: None,
        rs256: get("rs256") == "on",
        pairwise: get("pairwise") == "on",
    };
    let (name, redirect_uris) = (new.name.clone(), get("redirect_uris"));
    let mut errors = FormErrors::new();
    match super::clients::create_client_by(&state, new, &admin.principal.account_id.to_string()).await {
        Ok(created) => {
            let clients = rows(&state).await?;
            let shown = Some((created.client_id, created.client_secret));
            ctx.page(
                StatusCode::OK,
                "admin-clients-title",
                &ClientsPage {
                    ctx: &ctx,
                    errors,
                    clients,
                    created: shown,
                    name: String::new(),
                    redirect_uris: String::new(),
                    offered: offered(&state),
                },
            )
        }
        Err(e) => {
            match e {
                ClientError::Name => errors.add("name", "admin-clients-name-invalid"),
                ClientError::RedirectUri(_) => errors.add("redirect_uris", "admin-clients-redirect-invalid"),
                ClientError::PairwiseHosts => errors.add("redirect_uris", "admin-clients-pairwise-hosts"),
                ClientError::Scope { .. } | ClientError::Jwks(_) => errors.add("name", "admin-clients-invalid"),
                ClientError::Internal(m) => return Err(AppError::internal(m)),
            }
            let clients = rows(&state).await?;
            ctx.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin-clients-title",
                &ClientsPage {
                    ctx: &ctx,
                    errors,
                    clients,
                    created: None,
                    name,
                    redirect_uris,
                    offered: offered(&state),
                },
            )
        }
    }
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let client_id = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    store::remove_client(&state, &client_id, &admin.principal.account_id.to_string()).await?;
    Ok(crate::pages::see_other(&ctx.href("/admin/clients")))
}
