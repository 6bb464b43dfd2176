//! Deleting an account, with a grace period: the resident asks (proving it
//! with their password), every session ends, and fourteen days later the
//! periodic job deletes the person and everything that hangs off them.
//! Signing in again during the grace period cancels it. The audit log keeps
//! only opaque IDs, so its chain survives the deletion.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::i18n::Lang;
use platform::page::PageContext;
use platform::principal::SignedIn;
use platform::web::ClientInfo;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use serde::Deserialize;
use time::Duration;

use crate::notices;
use crate::{accounts, store};
use axum::Router;
use axum::middleware;
use axum::routing::get;

/// The account deletion page.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new().route("/account/delete", get(page).post(submit).route_layer(sensitive()))
}

pub const GRACE: Duration = Duration::days(14);

pub mod entity {
    //! `account_deletion` rows: deletions waiting out their grace period.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_deletion")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub requested_at: TimeDateTimeWithTimeZone,
        pub delete_after: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Cancels a pending deletion (called on every successful sign-in).
pub async fn cancel(state: &AppState, lang: Lang, account_id: &str) -> Result<bool, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let removed = entity::Entity::delete_by_id(account_id.to_owned()).exec(&txn).await?.rows_affected == 1;
    if removed {
        if let Some(account) = store::account_by_id(&txn, account_id).await? {
            let n = notices::to_holder(
                state,
                lang,
                &account,
                "email-deletion-cancelled-subject",
                "email-deletion-cancelled-body",
            )?;
            platform::outbox::enqueue(&txn, n).await?;
        }
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(
                format!("account:{account_id}"),
                "account.deletion_cancelled",
                format!("account:{account_id}"),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(removed)
}

/// The periodic job: delete accounts whose grace period is over, and
/// forget expired codes, throttles, challenges and tokens.
pub(crate) async fn job(state: AppState) {
    if let Err(e) = run(&state).await {
        tracing::warn!(error = %e, "identity job failed");
    }
}

async fn run(state: &AppState) -> Result<(), AppError> {
    store::purge_verifications(&state.db).await?;
    store::purge_throttles(&state.db).await?;
    store::purge_challenges(&state.db).await?;
    crate::app_sign_in::purge(&state.db).await?;
    crate::passkeys::purge(&state.db).await?;
    crate::sms::purge(&state.db).await?;
    crate::oidc::store::purge(&state.db).await?;
    let due =
        entity::Entity::find().filter(entity::Column::DeleteAfter.lte(platform::db::now())).all(&state.db).await?;
    for d in due {
        let txn = platform::db::begin_write(&state.db).await?;
        if let Some(account) = store::account_by_id(&txn, &d.account_id).await? {
            platform::session::revoke_all(&txn, &account.id).await?;
            // Dependent rows go with the account and the person (foreign keys cascade).
            crate::dependants::store::release_all(&txn, &account.id).await?;
            store::account::Entity::delete_by_id(account.id.clone()).exec(&txn).await?;
            store::person::Entity::delete_by_id(account.person_id.clone()).exec(&txn).await?;
            audit::record(
                &txn,
                &state.keys,
                AuditEntry::new("system", "account.deleted", format!("account:{}", account.id)),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    days: i64,
}

#[derive(Template)]
#[template(path = "deleted.html")]
struct ScheduledPage<'a> {
    ctx: &'a PageContext,
    date: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DeleteForm {
    password: String,
}

pub(crate) async fn page(_who: SignedIn, ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(
        StatusCode::OK,
        "delete-title",
        &DeletePage { ctx: &ctx, errors: FormErrors::new(), days: GRACE.whole_days() },
    )
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<DeleteForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let account = store::account_by_id(&state.db, &account_id).await?.ok_or_else(AppError::not_found)?;
    // Guesses are counted like sign-in's: an open session is no way around the throttle.
    let checked = accounts::check_password(&state, &account, &form.password, &client.rate_key()).await?;
    if checked != accounts::PasswordCheck::Right {
        let mut errors = FormErrors::new();
        let status = checked.refuse(&mut errors, "password", "delete-password-wrong");
        return ctx.page(status, "delete-title", &DeletePage { ctx: &ctx, errors, days: GRACE.whole_days() });
    }
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    entity::Entity::delete_by_id(account_id.clone()).exec(&txn).await?;
    entity::ActiveModel { account_id: Set(account_id.clone()), requested_at: Set(now), delete_after: Set(now + GRACE) }
        .insert(&txn)
        .await?;
    platform::session::revoke_all(&txn, &account_id).await?;
    // Services lose their access now, not after the grace period.
    crate::oidc::store::revoke_account(&txn, &account_id).await?;
    let date = (now + GRACE).date().to_string();
    let mut n = notices::to_holder(&state, ctx.lang, &account, "email-deletion-subject", "email-deletion-body")?;
    n.body = state.catalog.text_with(ctx.lang, "email-deletion-body", &[("date", &date)]);
    platform::outbox::enqueue(&txn, n).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{account_id}"), "account.deletion_requested", format!("account:{account_id}")),
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    let mut response = ctx.page(StatusCode::OK, "delete-title", &ScheduledPage { ctx: &ctx, date })?;
    response.headers_mut().insert("clear-site-data", header::HeaderValue::from_static("\"cookies\""));
    Ok(response.into_response())
}
