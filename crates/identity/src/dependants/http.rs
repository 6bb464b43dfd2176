//! The dependants page: the people a resident looks after, a form to add
//! one, and a button to stop looking after each.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use serde::Deserialize;

use super::{Dependant, NewDependant, store};

/// The dependants page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/account/dependants", get(page).post(add)).route("/account/dependants/remove", post(remove))
}

#[derive(Template)]
#[template(path = "dependants.html")]
struct DependantsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    dependants: Vec<Dependant>,
    name: &'a str,
    name_zh: &'a str,
    birthdate: &'a str,
    relation: &'a str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DependantForm {
    name: String,
    name_zh: String,
    birthdate: String,
    relation: String,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let dependants = store::list(&state.db, &principal.account_id.to_string()).await?;
    let page = DependantsPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        dependants,
        name: "",
        name_zh: "",
        birthdate: "",
        relation: "child",
    };
    ctx.page(StatusCode::OK, "dependants-title", &page)
}

pub(crate) async fn add(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<DependantForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let new = NewDependant {
        name: form.name.trim(),
        name_zh: form.name_zh.trim(),
        birthdate: form.birthdate.trim(),
        relation: &form.relation,
    };
    let errors = new.problems();
    if !errors.is_empty() {
        let dependants = store::list(&state.db, &account_id).await?;
        let NewDependant { name, name_zh, birthdate, relation } = new;
        let page = DependantsPage { ctx: &ctx, errors, dependants, name, name_zh, birthdate, relation };
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "dependants-title", &page);
    }
    store::add(&state, &account_id, new).await?;
    Ok(crate::pages::see_other(&ctx.href("/account/dependants")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoveForm {
    person_id: String,
}

/// Stops looking after a dependant; a person nobody looks after any more
/// (and who has no account) is deleted with their details.
pub(crate) async fn remove(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, AppError> {
    store::remove(&state, &principal.account_id.to_string(), &form.person_id).await?;
    Ok(crate::pages::see_other(&ctx.href("/account/dependants")))
}
