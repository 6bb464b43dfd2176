//! The resident's records page and its forms: the list (QR codes and
//! summaries), the PDF and PNG downloads, hiding and showing again, and
//! re-issuing after a confirmation. Every route needs a signed-in resident
//! whose identity document was checked (`real_name`); their records are
//! found through the platform's People contract, so a record that is not
//! theirs is not found (404), never forbidden.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use platform::app::AppState;
use platform::contracts::CheckedPerson;
use platform::error::{AppError, DomainError};
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::i18n::Lang;
use platform::page::PageContext;
use platform::principal::{IdentityLevel, Principal, SignedIn};
use serde::Deserialize;

use super::{Download, PATH, PNG_SCALE, Standing, Text};
use crate::errors::CredentialsError;
use crate::records::REISSUES_PER_DAY;
use crate::records::store::{self, Record};

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list))
        .route("/credentials/hide", post(hide))
        .route("/credentials/show", post(show))
        .route("/credentials/reissue", get(confirm).post(reissue))
        .route("/credentials/{file}", get(download))
}

/// The resident's checked document, or `None` when their identity has not
/// been checked (a basic account, or no document on record).
async fn checked(state: &AppState, principal: &Principal) -> Result<Option<CheckedPerson>, AppError> {
    if principal.level < IdentityLevel::RealName {
        return Ok(None);
    }
    state.contracts.people()?.checked_person(state, &principal.account_id).await
}

/// The index of the resident's checked document, for the routes that act
/// on one record (the list page explains the gate instead).
async fn holder_index(state: &AppState, principal: &Principal) -> Result<String, AppError> {
    match checked(state, principal).await? {
        Some(person) => Ok(person.document_index),
        None => Err(CredentialsError::NotRealName.into()),
    }
}

fn actor(principal: &Principal) -> String {
    format!("account:{}", principal.account_id)
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

fn translator(state: &AppState) -> impl Fn(Lang, &str, &[(&str, &str)]) -> String + '_ {
    |lang, key, args| state.catalog.text_with(lang, key, args)
}

/// One record as the page shows it.
struct Shown {
    id: String,
    kind: String,
    name: String,
    birth_date: String,
    lines: Vec<String>,
    status: Option<String>,
    /// The QR code (SVG with its accessible name), for a record that still passes checks.
    qr: Option<String>,
    /// Names the record after a button's text, for screen readers.
    object: String,
}

impl Shown {
    fn of(state: &AppState, ctx: &PageContext, record: &Record) -> Result<Shown, AppError> {
        let translate = translator(state);
        let local = |t| ctx.local_time(t);
        let say = |t: &Text| t.say(ctx.lang, &translate);
        let kind = ctx.t(super::kind_key(record.kind));
        let issued = super::issued_on(record, &local);
        let status = super::status(record, platform::db::now());
        let qr = match status {
            Some(_) => None,
            None => {
                let label = ctx.t_with("credentials-mine-qr-label", &[("kind", &kind), ("date", &issued)]);
                Some(crate::render::qr_svg(&record.hc1, &label).map_err(AppError::internal)?)
            }
        };
        Ok(Shown {
            id: record.id.clone(),
            object: ctx.t_with("credentials-mine-for-record", &[("kind", &kind), ("date", &issued)]),
            name: ctx.t_with("credentials-mine-name", &[("name", &super::holder_name(&record.dcc))]),
            birth_date: ctx.t_with("credentials-mine-birth-date", &[("date", &record.dcc.dob)]),
            lines: super::summary(record, &local).iter().map(say).collect(),
            status: status.as_ref().map(say),
            qr,
            kind,
        })
    }
}

#[derive(Template)]
#[template(path = "mine.html")]
struct MinePage<'a> {
    ctx: &'a PageContext,
    notice: Option<String>,
    intro: String,
    records: Vec<Shown>,
    hidden: Vec<Shown>,
    hidden_heading: String,
    hidden_open: bool,
}

#[derive(Template)]
#[template(path = "mine_real_name.html")]
struct RealNamePage<'a> {
    ctx: &'a PageContext,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ListQuery {
    /// What the last form did: `hidden`, `shown` or `reissued`.
    done: String,
}

/// `GET /{lang}/credentials`: the resident's records, newest first; hidden
/// ones under a disclosure.
async fn list(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let Some(person) = checked(&state, &principal).await? else {
        return ctx.page(StatusCode::FORBIDDEN, "credentials-mine-real-name-title", &RealNamePage { ctx: &ctx });
    };
    let all = store::of_holder(&state, &person.document_index, true).await?;
    let (mut records, mut hidden) = (Vec::new(), Vec::new());
    for record in &all {
        let shown = Shown::of(&state, &ctx, record)?;
        if record.hidden { hidden.push(shown) } else { records.push(shown) }
    }
    let notice = match query.done.as_str() {
        "hidden" => Some(ctx.t("credentials-mine-done-hidden")),
        "shown" => Some(ctx.t("credentials-mine-done-shown")),
        "reissued" => Some(ctx.t("credentials-mine-done-reissued")),
        _ => None,
    };
    let page = MinePage {
        ctx: &ctx,
        notice,
        intro: ctx.t_with("credentials-mine-intro", &[("document", &person.masked_document)]),
        hidden_heading: ctx.t_with("credentials-mine-hidden-heading", &[("count", &hidden.len().to_string())]),
        hidden_open: query.done == "hidden",
        records,
        hidden,
    };
    ctx.page(StatusCode::OK, "credentials-mine-title", &page)
}

/// `GET /{lang}/credentials/{id}.pdf` and `….png`: one of the resident's
/// records as an A4 PDF or its QR code as a picture, as an attachment never
/// kept by caches.
async fn download(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let Some((id, which)) = super::download(&file) else { return Err(AppError::not_found()) };
    let index = holder_index(&state, &principal).await?;
    let Some(record) = store::of_holder_by_id(&state, &index, id).await? else { return Err(AppError::not_found()) };
    // A code that no longer passes checks is not handed out again.
    if let Some(refusal) = Standing::of(&record, platform::db::now()).refusal() {
        return Err(refusal.into());
    }
    let local = |t| ctx.local_time(t);
    let (bytes, content_type, name) = match which {
        Download::Pdf => {
            let page = super::pdf_page(&record, ctx.lang, &translator(&state), &local);
            let pdf = crate::render::pdf(&page).map_err(AppError::internal)?;
            (pdf, "application/pdf", super::file_name(&record, &local, "pdf"))
        }
        Download::Png => {
            let png = crate::render::qr_png(&record.hc1, PNG_SCALE).map_err(AppError::internal)?;
            (png, "image/png", super::file_name(&record, &local, "png"))
        }
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RecordForm {
    id: String,
}

/// `POST /{lang}/credentials/hide`: takes a record off the list.
async fn hide(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<RecordForm>,
) -> Result<Response, AppError> {
    let index = holder_index(&state, &principal).await?;
    store::set_hidden(&state, &actor(&principal), &index, &form.id, true).await?;
    Ok(see_other(&format!("{}?done=hidden", ctx.href(PATH))))
}

/// `POST /{lang}/credentials/show`: puts a hidden record back on the list.
async fn show(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<RecordForm>,
) -> Result<Response, AppError> {
    let index = holder_index(&state, &principal).await?;
    store::set_hidden(&state, &actor(&principal), &index, &form.id, false).await?;
    Ok(see_other(&format!("{}?done=shown", ctx.href(PATH))))
}

#[derive(Template)]
#[template(path = "mine_reissue.html")]
struct ReissuePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    record: Shown,
}

/// The resident's record `id` that can still be re-issued: 404 when it is
/// not theirs, 409 when it was revoked, re-issued already or has expired
/// (`store::reissue` checks again, from the record's facts).
async fn reissuable(state: &AppState, index: &str, id: &str) -> Result<Record, AppError> {
    let Some(record) = store::of_holder_by_id(state, index, id).await? else { return Err(AppError::not_found()) };
    if let Some(refusal) = Standing::of(&record, platform::db::now()).refusal() {
        return Err(refusal.into());
    }
    Ok(record)
}

/// `GET /{lang}/credentials/reissue?id=…`: what re-issuing does, and the
/// confirmation it needs.
async fn confirm(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Query(form): Query<RecordForm>,
) -> Result<Response, AppError> {
    let index = holder_index(&state, &principal).await?;
    let record = reissuable(&state, &index, &form.id).await?;
    let page = ReissuePage { ctx: &ctx, errors: FormErrors::new(), record: Shown::of(&state, &ctx, &record)? };
    ctx.page(StatusCode::OK, "credentials-mine-reissue-title", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReissueForm {
    id: String,
    /// `yes` when the resident ticked that the old QR code stops working.
    confirm: String,
}

/// `POST /{lang}/credentials/reissue`: re-issues the record once confirmed
/// (the old one is revoked), else shows the confirmation again.
async fn reissue(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<ReissueForm>,
) -> Result<Response, AppError> {
    let index = holder_index(&state, &principal).await?;
    let record = reissuable(&state, &index, &form.id).await?;
    if form.confirm != "yes" {
        let mut errors = FormErrors::new();
        errors.add("confirm", "credentials-mine-reissue-confirm-missing");
        let page = ReissuePage { ctx: &ctx, errors, record: Shown::of(&state, &ctx, &record)? };
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "credentials-mine-reissue-title", &page);
    }
    let limit = CredentialsError::ReissueLimit { limit: REISSUES_PER_DAY };
    match store::reissue(&state, &actor(&principal), &index, &record.id).await {
        Ok(_) => Ok(see_other(&format!("{}?done=reissued", ctx.href(PATH)))),
        // Too many today: said on the confirmation page, beside the box.
        Err(e) if e.problem == limit.problem() => {
            let mut errors = FormErrors::new();
            errors.problem("confirm", &limit);
            let page = ReissuePage { ctx: &ctx, errors, record: Shown::of(&state, &ctx, &record)? };
            let mut response = ctx.page(StatusCode::TOO_MANY_REQUESTS, "credentials-mine-reissue-title", &page)?;
            if let Some(secs) = e.retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            Ok(response)
        }
        Err(e) => Err(e),
    }
}
