//! The catalogue's pages under each language prefix, all GET, none needing
//! JavaScript: home (categories and the latest datasets), search (words,
//! facets as links that add or remove themselves, sorting, paging), a
//! dataset with its resources, the organisations, and an organisation's or
//! category's datasets. A text missing in the reader's language is shown
//! in the one it has, marked with its `lang`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::i18n::Lang;
use platform::page::PageContext;

use super::{FACETS, Filters, HOME, SEARCH, Sort, page_count, size_text};
use crate::catalogue::store as catalogue;
use crate::catalogue::{Dataset, Texts, visible};
use crate::search::{self, Field, Term};

pub fn pages() -> Router<AppState> {
    Router::new()
        .route(HOME, get(home))
        .route(SEARCH, get(search_page))
        .route("/opendata/datasets/{name}", get(dataset_page))
        .route("/opendata/organisations", get(organisations_page))
        .route("/opendata/organisations/{name}", get(organisation_page))
        .route("/opendata/categories/{name}", get(category_page))
}

/// A text as shown: `lang` is set when it is not the page's language.
pub(crate) struct Shown {
    pub(crate) text: String,
    pub(crate) lang: Option<&'static str>,
}

fn shown(ctx: &PageContext, texts: &Texts) -> Shown {
    let (text, lang) = texts.shown(ctx.lang);
    Shown { text: text.to_owned(), lang: (lang != ctx.lang).then(|| lang.tag()) }
}

/// A dataset in a list of results.
pub(crate) struct Summary {
    href: String,
    title: Shown,
    notes: Shown,
    organisation: Shown,
    formats: Vec<String>,
    modified: String,
}

fn summary(ctx: &PageContext, d: &Dataset) -> Summary {
    let mut notes = shown(ctx, &d.notes);
    if notes.text.chars().count() > 240 {
        notes.text = format!("{}…", notes.text.chars().take(240).collect::<String>());
    }
    Summary {
        href: ctx.href(&format!("{SEARCH}/{}", d.name)),
        title: shown(ctx, &d.title),
        notes,
        organisation: shown(ctx, &d.organisation.title),
        formats: d.formats(),
        modified: ctx.local_time(d.modified_at),
    }
}

/// "(3 datasets)", in the page's language.
fn count_text(ctx: &PageContext, count: usize) -> String {
    ctx.t_with("opendata-datasets-count", &[("count", &count.to_string()), ("plural", super::plural(count))])
}

fn public(d: &&Dataset) -> bool {
    visible(d.state, d.private, false)
}

fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default()
}

// ---- home ----

struct CategoryLink {
    href: String,
    title: String,
    count: String,
}

#[derive(Template)]
#[template(path = "opendata_home.html")]
struct HomePage<'a> {
    ctx: &'a PageContext,
    search: String,
    categories: Vec<CategoryLink>,
    latest: Vec<Summary>,
    intro: String,
    organisations: String,
}

/// `GET /{lang}/opendata`.
async fn home(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    let all = catalogue::datasets(&state.db, None).await?;
    let public: Vec<&Dataset> = all.iter().filter(public).collect();
    let categories = catalogue::groups(&state.db)
        .await?
        .into_iter()
        .map(|g| CategoryLink {
            href: ctx.href(&format!("/opendata/categories/{}", g.name)),
            title: g.title.shown(ctx.lang).0.to_owned(),
            count: count_text(&ctx, public.iter().filter(|d| d.groups.iter().any(|x| x.id == g.id)).count()),
        })
        .collect();
    // `datasets` lists the newest change first.
    let latest = public.iter().take(6).map(|d| summary(&ctx, d)).collect();
    let page = HomePage {
        search: ctx.href(SEARCH),
        organisations: ctx.href("/opendata/organisations"),
        categories,
        latest,
        intro: ctx
            .t_with("opendata-intro", &[("count", &public.len().to_string()), ("plural", super::plural(public.len()))]),
        ctx: &ctx,
    };
    ctx.page(StatusCode::OK, "opendata-title", &page)
}

// ---- search ----

struct FacetValue {
    href: String,
    label: String,
    count: usize,
    chosen: bool,
}

struct FacetView {
    id: &'static str,
    heading: String,
    values: Vec<FacetValue>,
}

struct SortOption {
    value: &'static str,
    label: String,
    selected: bool,
}

/// What every list of results shows (the search page, an organisation's, a category's).
struct Results {
    action: String,
    q: String,
    count_text: String,
    results: Vec<Summary>,
    facets: Vec<FacetView>,
    sorts: Vec<SortOption>,
    /// Hidden inputs that keep the chosen facets when the form is sent again.
    kept: Vec<(&'static str, String)>,
    previous: Option<String>,
    next: Option<String>,
    page_text: String,
}

/// Names of organisations and categories, for facet labels.
struct Labels {
    organisations: Vec<crate::catalogue::Organisation>,
    groups: Vec<crate::catalogue::Group>,
}

fn facet_label(ctx: &PageContext, labels: &Labels, field: Field, value: &str) -> String {
    match field {
        Field::Organization => {
            labels.organisations.iter().find(|o| o.name == value).map(|o| o.title.shown(ctx.lang).0.to_owned())
        }
        Field::Groups => labels.groups.iter().find(|g| g.name == value).map(|g| g.title.shown(ctx.lang).0.to_owned()),
        Field::Language => Lang::parse(value).map(|l| l.autonym().to_owned()),
        _ => None,
    }
    .unwrap_or_else(|| value.to_owned())
}

async fn results(
    state: &AppState,
    ctx: &PageContext,
    filters: &Filters,
    fixed: &[Term],
    base: &str,
) -> Result<Results, AppError> {
    let query = filters.query(fixed);
    let found = search::node::find(state, &query, &[]).await.map_err(AppError::internal)?;
    let labels = Labels {
        organisations: catalogue::organisations(&state.db).await?,
        groups: catalogue::groups(&state.db).await?,
    };
    let all = &labels;
    let link = |f: &Filters, page: Option<usize>| {
        let qs = f.query_string(page);
        if qs.is_empty() { base.to_owned() } else { format!("{base}?{qs}") }
    };
    let facets = FACETS
        .into_iter()
        .filter(|field| !fixed.iter().any(|t| t.field == *field))
        .map(|field| FacetView {
            id: field.as_str(),
            heading: ctx.t(&format!("opendata-facet-{}", field.as_str().replace('_', "-"))),
            values: found
                .facets
                .get(&field)
                .into_iter()
                .flatten()
                .map(|(value, count)| FacetValue {
                    href: link(&filters.toggled(field, value), None),
                    label: facet_label(ctx, all, field, value),
                    count: *count,
                    chosen: filters.is_chosen(field, value),
                })
                .collect(),
        })
        .filter(|f| !f.values.is_empty())
        .collect();
    let pages = page_count(found.count);
    let page = filters.page.min(pages);
    Ok(Results {
        action: base.to_owned(),
        q: filters.q.clone(),
        count_text: ctx
            .t_with("opendata-found", &[("count", &found.count.to_string()), ("plural", super::plural(found.count))]),
        results: found.results.iter().map(|d| summary(ctx, d)).collect(),
        facets,
        sorts: Sort::ALL
            .into_iter()
            .map(|s| SortOption {
                value: s.as_str(),
                label: ctx.t(&format!("opendata-sort-{}", s.as_str())),
                selected: s == filters.sort,
            })
            .collect(),
        kept: filters.chosen.iter().map(|(f, v)| (f.as_str(), v.clone())).collect(),
        previous: (page > 1).then(|| link(filters, Some(page - 1))),
        next: (page < pages).then(|| link(filters, Some(page + 1))),
        page_text: ctx.t_with("opendata-page-of", &[("page", &page.to_string()), ("pages", &pages.to_string())]),
    })
}

#[derive(Template)]
#[template(path = "opendata_search.html")]
struct SearchPage<'a> {
    ctx: &'a PageContext,
    r: Results,
}

/// `GET /{lang}/opendata/datasets?q=…&tags=…&page=…`.
async fn search_page(
    State(state): State<AppState>,
    ctx: PageContext,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let filters = Filters::from_pairs(&pairs(query.as_deref()));
    let r = results(&state, &ctx, &filters, &[], &ctx.href(SEARCH)).await?;
    ctx.page(StatusCode::OK, "opendata-search-title", &SearchPage { ctx: &ctx, r })
}

// ---- a dataset ----

struct Link {
    href: String,
    text: Shown,
}

struct ResourceView {
    name: Shown,
    description: Shown,
    url: String,
    format: String,
    size: String,
    modified: String,
    checksum: String,
}

#[derive(Template)]
#[template(path = "opendata_dataset.html")]
struct DatasetPage<'a> {
    ctx: &'a PageContext,
    title: Shown,
    notes: Shown,
    organisation: Link,
    categories: Vec<Link>,
    tags: Vec<Link>,
    licence: String,
    frequency: String,
    temporal: String,
    spatial: Shown,
    contact: String,
    contact_email: String,
    modified: String,
    languages: String,
    resources: Vec<ResourceView>,
    api: String,
}

/// `GET /{lang}/opendata/datasets/{name}`.
async fn dataset_page(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let d = catalogue::dataset(&state.db, &name)
        .await?
        .filter(|d| visible(d.state, d.private, false))
        .ok_or_else(AppError::not_found)?;
    let search_with = |field: Field, value: &str| {
        let f = Filters::default().toggled(field, value);
        format!("{}?{}", ctx.href(SEARCH), f.query_string(None))
    };
    let temporal = match (d.temporal_start, d.temporal_end) {
        (None, None) => String::new(),
        (s, e) => format!(
            "{} – {}",
            s.map(|d| d.to_string()).unwrap_or_default(),
            e.map(|d| d.to_string()).unwrap_or_else(|| ctx.t("opendata-ongoing"))
        ),
    };
    let resources = d
        .resources
        .iter()
        .map(|r| ResourceView {
            name: shown(&ctx, if r.name.is_empty() { &d.title } else { &r.name }),
            description: shown(&ctx, &r.description),
            url: r.url.clone(),
            format: r.format.clone(),
            size: r.size.map(size_text).unwrap_or_default(),
            modified: r.last_modified.map(|t| ctx.local_time(t)).unwrap_or_default(),
            checksum: r.checksum.clone().unwrap_or_default(),
        })
        .collect();
    let languages =
        d.languages().iter().filter_map(|t| Lang::parse(t)).map(Lang::autonym).collect::<Vec<_>>().join(", ");
    let frequency = if crate::catalogue::FREQUENCIES.contains(&d.update_frequency.as_str()) {
        ctx.t(&format!("opendata-frequency-{}", d.update_frequency))
    } else {
        d.update_frequency.clone()
    };
    let page = DatasetPage {
        title: shown(&ctx, &d.title),
        notes: shown(&ctx, &d.notes),
        organisation: Link {
            href: ctx.href(&format!("/opendata/organisations/{}", d.organisation.name)),
            text: shown(&ctx, &d.organisation.title),
        },
        categories: d
            .groups
            .iter()
            .map(|g| Link { href: ctx.href(&format!("/opendata/categories/{}", g.name)), text: shown(&ctx, &g.title) })
            .collect(),
        tags: d
            .tags
            .iter()
            .map(|t| Link { href: search_with(Field::Tags, &t.name), text: Shown { text: t.name.clone(), lang: None } })
            .collect(),
        licence: d.license_id.clone(),
        frequency,
        temporal,
        spatial: shown(&ctx, &d.spatial),
        contact: d.contact_name.clone(),
        contact_email: d.contact_email.clone(),
        modified: ctx.local_time(d.modified_at),
        languages,
        resources,
        api: format!("{}?id={}", "/api/3/action/{name}".replace("{name}", "package_show"), d.name),
        ctx: &ctx,
    };
    let title = page.title.text.clone();
    let html = page.render().map_err(AppError::internal)?;
    ctx.render(&title, &html)
}

// ---- organisations and categories ----

struct OrganisationLink {
    href: String,
    title: Shown,
    count: String,
}

#[derive(Template)]
#[template(path = "opendata_organisations.html")]
struct OrganisationsPage<'a> {
    ctx: &'a PageContext,
    organisations: Vec<OrganisationLink>,
}

/// `GET /{lang}/opendata/organisations`.
async fn organisations_page(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    let all = catalogue::datasets(&state.db, None).await?;
    let organisations = catalogue::organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| OrganisationLink {
            href: ctx.href(&format!("/opendata/organisations/{}", o.name)),
            title: shown(&ctx, &o.title),
            count: count_text(&ctx, all.iter().filter(public).filter(|d| d.organisation.id == o.id).count()),
        })
        .collect();
    ctx.page(StatusCode::OK, "opendata-organisations-title", &OrganisationsPage { ctx: &ctx, organisations })
}

#[derive(Template)]
#[template(path = "opendata_collection.html")]
struct CollectionPage<'a> {
    ctx: &'a PageContext,
    kind: String,
    title: Shown,
    description: Shown,
    r: Results,
}

/// An organisation's or a category's page: what it is, and the search fixed to it.
struct Collection<'a> {
    kind_key: &'static str,
    title: &'a Texts,
    description: &'a Texts,
    fixed: Term,
    base: String,
}

async fn collection(
    state: &AppState,
    ctx: &PageContext,
    query: Option<&str>,
    c: Collection<'_>,
) -> Result<Response, AppError> {
    let filters = Filters::from_pairs(&pairs(query));
    let r = results(state, ctx, &filters, &[c.fixed], &c.base).await?;
    let page = CollectionPage {
        ctx,
        kind: ctx.t(c.kind_key),
        title: shown(ctx, c.title),
        description: shown(ctx, c.description),
        r,
    };
    let html = page.render().map_err(AppError::internal)?;
    ctx.render(&page.title.text, &html)
}

/// `GET /{lang}/opendata/organisations/{name}`.
async fn organisation_page(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let o =
        catalogue::organisation(&state.db, &name).await?.filter(|o| o.name == name).ok_or_else(AppError::not_found)?;
    let fixed = Term { field: Field::Organization, value: o.name.clone(), negated: false };
    let base = ctx.href(&format!("/opendata/organisations/{}", o.name));
    let c = Collection { kind_key: "opendata-organisation", title: &o.title, description: &o.description, fixed, base };
    collection(&state, &ctx, query.as_deref(), c).await
}

/// `GET /{lang}/opendata/categories/{name}`.
async fn category_page(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let g = catalogue::group(&state.db, &name).await?.filter(|g| g.name == name).ok_or_else(AppError::not_found)?;
    let fixed = Term { field: Field::Groups, value: g.name.clone(), negated: false };
    let base = ctx.href(&format!("/opendata/categories/{}", g.name));
    let c = Collection { kind_key: "opendata-category", title: &g.title, description: &g.description, fixed, base };
    collection(&state, &ctx, query.as_deref(), c).await
}
