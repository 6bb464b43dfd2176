//! The profile page: the resident's e-ME fields, each with who vouches for
//! it; those a checked document vouches for are shown, not editable.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use serde::Deserialize;

use super::store::{self, Profile};
use super::{FIELDS, problem};

/// The profile page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/account/profile", get(page).post(submit))
}

struct Row {
    slug: &'static str,
    label_key: String,
    hint_key: String,
    value: String,
    source_key: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
    /// Read from a checked document: shown, not editable.
    locked: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    rows: Vec<Row>,
    saved: bool,
}

fn rows(profile: &Profile, typed: Option<&ProfileForm>) -> Vec<Row> {
    FIELDS
        .iter()
        .map(|f| {
            let locked = profile.vouched(f.slug);
            let stored = profile.row(f.slug);
            let value = typed
                .filter(|_| !locked)
                .map(|t| t.get(f.slug).to_owned())
                .or_else(|| stored.map(|m| m.value.clone()))
                .unwrap_or_default();
            Row {
                slug: f.slug,
                label_key: format!("profile-{}", f.slug.replace('_', "-")),
                hint_key: format!("profile-{}-hint", f.slug.replace('_', "-")),
                value,
                source_key: match stored.map(|m| super::Source::named(&m.source)) {
                    _ if locked => "profile-source-document",
                    Some(Some(source)) => source.message_key(),
                    Some(None) | None => "",
                },
                input_type: match f.slug {
                    "birthdate" => "date",
                    "phone_number" => "tel",
                    _ => "text",
                },
                autocomplete: match f.slug {
                    "name" => "name",
                    "birthdate" => "bday",
                    "address" => "street-address",
                    "phone_number" => "tel",
                    _ => "off",
                },
                locked,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProfileForm {
    name: String,
    name_zh: String,
    birthdate: String,
    address: String,
    phone_number: String,
}

impl ProfileForm {
    fn get(&self, slug: &str) -> &str {
        match slug {
            "name" => self.name.trim(),
            "name_zh" => self.name_zh.trim(),
            "birthdate" => self.birthdate.trim(),
            "address" => self.address.trim(),
            _ => self.phone_number.trim(),
        }
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let profile = store::of_account(&state, &principal.account_id.to_string()).await?;
    ctx.page(
        StatusCode::OK,
        "profile-title",
        &ProfilePage { ctx: &ctx, errors: FormErrors::new(), rows: rows(&profile, None), saved: false },
    )
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<ProfileForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let profile = store::of_account(&state, &account_id).await?;
    let mut errors = FormErrors::new();
    for f in &FIELDS {
        let typed = form.get(f.slug);
        if profile.vouched(f.slug) {
            // What a checked document says stays as it says.
            let kept = profile.row(f.slug).map_or("", |m| m.value.as_str());
            if typed != kept {
                errors.add(f.slug, "profile-verified-locked");
            }
        } else if let Some(key) = problem(f, typed) {
            errors.add(f.slug, key);
        }
    }
    if !errors.is_empty() {
        return ctx.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "profile-title",
            &ProfilePage { ctx: &ctx, errors, rows: rows(&profile, Some(&form)), saved: false },
        );
    }
    let typed: Vec<(&str, &str)> = FIELDS.iter().map(|f| (f.slug, form.get(f.slug))).collect();
    let saved = store::save_typed(&state, &account_id, &profile, &typed).await?;
    ctx.page(
        StatusCode::OK,
        "profile-title",
        &ProfilePage { ctx: &ctx, errors: FormErrors::new(), rows: rows(&saved, None), saved: true },
    )
}
