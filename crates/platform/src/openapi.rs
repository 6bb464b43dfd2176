//! The OpenAPI 3.1 document of the JSON API under `/api/v1`. Each module
//! contributes its API routes as a utoipa-axum [`ApiRouter`], so a route
//! under `/api` exists only together with its operation; platform merges
//! them, adds the problem+json responses that every operation can give
//! (load shaping, body limits, CSRF, server errors), serves the document at
//! `/api/v1/openapi.json` and renders it as a readable page at `/{lang}/api`.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::{RefOr, ResponseBuilder};

use crate::app::AppState;
use crate::error::{AppError, ErrorKind, ProblemType};
use crate::i18n::{Catalog, Lang};
use crate::module::Module;
use crate::page::PageContext;

/// A module's API routes, each with its OpenAPI operation
/// (`OpenApiRouter::new().routes(utoipa_axum::routes!(handler))`).
pub type ApiRouter = utoipa_axum::router::OpenApiRouter<AppState>;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// The extension listing the problem `type` URIs a response can carry.
pub const PROBLEM_TYPES: &str = "x-problem-types";

/// Kinds any operation can answer with, whatever it does: per-IP load
/// shaping (429), a server fault (500), a timeout or an unavailable
/// dependency (503).
const EVERY_OPERATION: [ErrorKind; 4] =
    [ErrorKind::RateLimited, ErrorKind::Internal, ErrorKind::Timeout, ErrorKind::Unavailable];

/// Kinds an operation with a JSON body can answer with: `ApiJson` and the
/// body limit reject these before the handler runs.
const JSON_BODY: [ErrorKind; 6] = [
    ErrorKind::BadRequest,
    ErrorKind::MalformedJson,
    ErrorKind::InvalidUtf8,
    ErrorKind::PayloadTooLarge,
    ErrorKind::UnsupportedMediaType,
    ErrorKind::Validation,
];

/// The problem responses for `types` (platform's `ErrorKind::X.problem()`
/// or a domain's), one per status, for an operation's `responses(...)`
/// (through a type implementing `utoipa::IntoResponses`). Only the types
/// are given here; [`document`] writes the descriptions and the
/// problem+json content, the same way for every operation.
pub fn problems(types: &[ProblemType]) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    let mut by_status: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for problem in types {
        by_status.entry(problem.status.as_u16().to_string()).or_default().push(problem.type_uri());
    }
    by_status
        .into_iter()
        .map(|(status, uris)| {
            let response = ResponseBuilder::new()
                .description("problem")
                .extensions(Some(ExtensionsBuilder::new().add(PROBLEM_TYPES, json!(uris)).build()))
                .build();
            (status, RefOr::T(response))
        })
        .collect()
}

/// The `Idempotency-Key` request header of a creating `POST`: put
/// `params(platform::openapi::IdempotencyKey)` on the operation ([`document`]
/// then lists the idempotency problem types in its responses).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// A unique value chosen by the client (a UUID is a good choice) that
    /// makes a retry safe: a request repeated with the same key gets the
    /// stored response of the first (marked `Idempotent-Replayed: true`)
    /// instead of acting twice. 1 to 128 visible ASCII characters other than
    /// `"` and `\`, sent bare or in double quotes; anything else is 400. The
    /// same key with a different request is refused with 422; a repeat while
    /// the first is still running gets 409 with `Retry-After`; a repeat whose
    /// first request may have completed without its answer being kept gets
    /// 409 `idempotency-key-outcome-unknown`.
    #[param(
        rename = "Idempotency-Key",
        value_type = String,
        required = false,
        min_length = 1,
        max_length = 130,
        pattern = r#"^([!#-\[\]-~]{1,128}|"[!#-\[\]-~]{1,128}")$"#
    )]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// The problem types of a POST that honours `Idempotency-Key`.
fn idempotency_problems() -> [ProblemType; 4] {
    [
        ErrorKind::IdempotencyKeyInvalid.problem(),
        ErrorKind::IdempotencyKeyReused.problem(),
        ErrorKind::IdempotencyKeyInProgress.problem(),
        crate::idempotency::OUTCOME_UNKNOWN,
    ]
}

/// The name of the security scheme of an app's access token: an operation
/// that apps may call (`principal::Granted<S>`) lists it with the scope, as
/// `security(("session" = []), ("bearer" = ["booking"]))`, and [`document`]
/// then lists the bearer-token problems in its responses.
pub const BEARER: &str = "bearer";

/// The common parts: title, version, problem schemas, the session cookie
/// and the bearer token.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Lionrock API",
        version = "1",
        description = "The JSON API of lionrock. Errors are RFC 9457 problem details \
            (`application/problem+json`) with a stable `type` URI per kind of error; each \
            response lists the types it can carry in `x-problem-types`. Lists are paged with \
            an opaque cursor and an RFC 8288 `Link: <…>; rel=\"next\"` header.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemField)),
    modifiers(&SessionCookie)
)]
struct Common;

struct SessionCookie;

impl utoipa::Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "session",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    "lr_session",
                    "The session cookie of a signed-in person (`__Host-lr_session` over HTTPS).",
                ))),
            );
            components.add_security_scheme(
                BEARER,
                SecurityScheme::Http(
                    utoipa::openapi::security::HttpBuilder::new()
                        .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                        .description(Some(
                            "An access token from lionrock's OpenID provider (`/oauth/token`), for an app \
                            acting for a resident with the scopes they allowed. Apps act with resident powers \
                            only. Not together with the session cookie (400).",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// The whole document: every module's operations, with the problem
/// responses completed. Computed once when the server starts.
pub fn document(modules: &[Module], catalog: &Catalog) -> Value {
    use utoipa::OpenApi as _;
    let mut doc = Common::openapi();
    for module in modules {
        doc.merge((module.api)().into_openapi());
    }
    let mut doc = serde_json::to_value(doc).unwrap_or_else(|_| json!({}));
    let exempt: Vec<&str> = modules.iter().flat_map(|m| m.csrf_exempt.iter().copied()).collect();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (method, operation) in item.iter_mut() {
                let unsafe_method = matches!(method.as_str(), "post" | "put" | "patch" | "delete");
                let csrf = unsafe_method && !exempt.iter().any(|p| crate::web::path_within(path, p));
                complete_operation(operation, csrf, catalog);
            }
        }
    }
    doc
}

/// Adds the problem responses every operation can give, and writes each
/// problem response's description and content from its problem types.
fn complete_operation(operation: &mut Value, csrf: bool, catalog: &Catalog) {
    let has_body = operation.get("requestBody").is_some();
    let idempotent = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key"));
    let bearer = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|alternatives| alternatives.iter().any(|a| a.get(BEARER).is_some()));
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    let mut kinds: Vec<ProblemType> = EVERY_OPERATION.iter().map(|k| k.problem()).collect();
    if bearer {
        kinds.extend(
            [ErrorKind::BadRequest, ErrorKind::InvalidToken, ErrorKind::InsufficientScope].map(|k| k.problem()),
        );
    }
    if has_body {
        kinds.extend(JSON_BODY.iter().map(|k| k.problem()));
    }
    if csrf {
        kinds.push(ErrorKind::CsrfRejected.problem());
    }
    if idempotent {
        kinds.extend(idempotency_problems());
    }
    for kind in kinds {
        let entry = responses
            .entry(kind.status.as_u16().to_string())
            .or_insert_with(|| json!({ "description": "problem", PROBLEM_TYPES: [] }));
        // A response the operation documents in a format of its own (CKAN's
        // envelope) can be a problem too: it gets both content types.
        if let Some(own) = entry.as_object_mut().filter(|e| !e.contains_key(PROBLEM_TYPES)) {
            own.insert(PROBLEM_TYPES.to_owned(), json!([]));
        }
        if let Some(types) = entry.get_mut(PROBLEM_TYPES).and_then(Value::as_array_mut) {
            let uri = Value::String(kind.type_uri());
            if !types.contains(&uri) {
                types.push(uri);
            }
        }
    }
    for (status, response) in responses.iter_mut() {
        let Some(types) = response.get(PROBLEM_TYPES).and_then(Value::as_array) else { continue };
        let mut uris: Vec<String> = types.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        uris.sort_unstable();
        uris.dedup();
        let reason = status
            .parse::<u16>()
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let lines: Vec<String> = uris
            .iter()
            .map(|uri| match title_key(uri) {
                Some(key) if catalog.has(Lang::En, &key) => format!("- `{uri}`: {}", catalog.text(Lang::En, &key)),
                _ => format!("- `{uri}`"),
            })
            .collect();
        let mut problem = json!({
            "description": format!("{reason}. Problem types:\n\n{}", lines.join("\n")),
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
            PROBLEM_TYPES: uris,
        });
        // The operation's own content at this status stays beside the problem.
        let own = response.get("content").and_then(Value::as_object).filter(|c| !c.is_empty());
        if let Some(own) = own.filter(|c| c.keys().any(|ct| ct != "application/problem+json")) {
            for (content_type, media) in own {
                problem["content"][content_type] = media.clone();
            }
            let said = text(response, "description");
            problem["description"] = json!(format!("{said}\n\nOr a problem. Problem types:\n\n{}", lines.join("\n")));
        }
        let in_progress = ErrorKind::IdempotencyKeyInProgress.problem().type_uri();
        if status == "429" {
            problem["headers"] = json!({ "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": { "type": "integer", "minimum": 1 }
            }});
        } else if uris.contains(&ErrorKind::InvalidToken.problem().type_uri())
            || uris.contains(&ErrorKind::InsufficientScope.problem().type_uri())
        {
            problem["headers"] = json!({ "WWW-Authenticate": {
                "description": "With `invalid-token` or `insufficient-scope`: the RFC 6750 challenge (`Bearer realm=\"lionrock\", error=\"invalid_token\"`, or `error=\"insufficient_scope\", scope=\"…\"`).",
                "schema": { "type": "string" }
            }});
        } else if uris.contains(&in_progress) {
            problem["headers"] = json!({ "Retry-After": {
                "description": "With `idempotency-key-in-progress`: seconds to wait before sending the same request again for its answer.",
                "schema": { "type": "integer", "minimum": 1 }
            }});
        }
        *response = problem;
    }
}

/// The Fluent key of the title of the problem type `uri`.
fn title_key(uri: &str) -> Option<String> {
    uri.strip_prefix("urn:lionrock:problem:").map(|slug| format!("error-{slug}-title"))
}

/// The document, as JSON.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "platform",
    operation_id = "getOpenApiDocument",
    summary = "This API's OpenAPI 3.1 document",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object))
)]
pub(crate) async fn serve(State(state): State<AppState>) -> Response {
    Json(&state.api_doc).into_response()
}

/// The platform's own API routes.
pub(crate) fn platform_api() -> ApiRouter {
    ApiRouter::new().routes(utoipa_axum::routes!(serve)).routes(utoipa_axum::routes!(crate::admin::outbox_list))
}

// ---- the reference page ---------------------------------------------------

/// A schema's type as the page shows it, linked when it names a component.
struct TypeView {
    text: String,
    link: Option<String>,
}

struct ParamView {
    name: String,
    location: String,
    required: bool,
    ty: TypeView,
    description: String,
}

struct BodyView {
    content_type: String,
    ty: TypeView,
    required: bool,
}

struct ProblemView {
    uri: String,
    title: String,
}

struct ResponseView {
    status: String,
    description: String,
    content_type: String,
    ty: Option<TypeView>,
    headers: Vec<String>,
    problems: Vec<ProblemView>,
}

struct OperationView {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    signed_in: bool,
    parameters: Vec<ParamView>,
    body: Option<BodyView>,
    responses: Vec<ResponseView>,
}

struct PropertyView {
    name: String,
    required: bool,
    ty: TypeView,
    description: String,
}

struct SchemaView {
    anchor: String,
    name: String,
    description: String,
    properties: Vec<PropertyView>,
}

#[derive(Template)]
#[template(path = "api_reference.html")]
struct ReferencePage<'a> {
    ctx: &'a PageContext,
    operations: Vec<OperationView>,
    schemas: Vec<SchemaView>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn anchor_of(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

fn type_view(schema: &Value) -> TypeView {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference).to_owned();
        return TypeView { link: Some(format!("#schema-{}", anchor_of(&name))), text: name };
    }
    if let Some(any) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array) {
        let parts: Vec<TypeView> = any.iter().map(type_view).collect();
        let link = parts.iter().find_map(|p| p.link.clone());
        return TypeView { text: parts.into_iter().map(|p| p.text).collect::<Vec<_>>().join(" | "), link };
    }
    let mut kinds: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let mut link = None;
    if let Some(items) = schema.get("items") {
        let inner = type_view(items);
        link = inner.link;
        for k in &mut kinds {
            if k == "array" {
                *k = format!("array of {}", inner.text);
            }
        }
    }
    let mut text = if kinds.is_empty() { "any".to_owned() } else { kinds.join(" | ") };
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        text.push_str(&format!(" ({format})"));
    }
    let (min, max) = (schema.get("minimum"), schema.get("maximum"));
    if let (Some(min), Some(max)) = (min, max) {
        text.push_str(&format!(", {min}–{max}"));
    }
    TypeView { text, link }
}

fn first_content(v: &Value) -> Option<(String, Value)> {
    v.get("content")?
        .as_object()?
        .iter()
        .next()
        .map(|(ct, media)| (ct.clone(), media.get("schema").cloned().unwrap_or(Value::Null)))
}

fn operation_view(path: &str, method: &str, op: &Value, catalog: &Catalog, lang: Lang) -> OperationView {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| ParamView {
                    name: text(p, "name"),
                    location: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    ty: type_view(p.get("schema").unwrap_or(&Value::Null)),
                    description: text(p, "description"),
                })
                .collect()
        })
        .unwrap_or_default();
    let body = op.get("requestBody").and_then(|b| {
        let (content_type, schema) = first_content(b)?;
        Some(BodyView {
            content_type,
            ty: type_view(&schema),
            required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
        })
    });
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| {
                    let content = first_content(r);
                    let problems = r
                        .get(PROBLEM_TYPES)
                        .and_then(Value::as_array)
                        .map(|ts| {
                            ts.iter()
                                .filter_map(Value::as_str)
                                .map(|uri| ProblemView {
                                    uri: uri.to_owned(),
                                    title: title_key(uri)
                                        .filter(|key| catalog.has(lang, key))
                                        .map(|key| catalog.text(lang, &key))
                                        .unwrap_or_default(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    ResponseView {
                        status: status.clone(),
                        description: text(r, "description").split("\n\n").next().unwrap_or("").to_owned(),
                        content_type: content.as_ref().map(|(ct, _)| ct.clone()).unwrap_or_default(),
                        ty: content.map(|(_, s)| type_view(&s)),
                        headers: r
                            .get("headers")
                            .and_then(Value::as_object)
                            .map(|h| h.keys().cloned().collect())
                            .unwrap_or_default(),
                        problems,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let method = method.to_ascii_uppercase();
    OperationView {
        anchor: format!("op-{}", anchor_of(&text(op, "operationId"))),
        summary: text(op, "summary"),
        description: text(op, "description"),
        signed_in: op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty()),
        parameters,
        body,
        responses,
        method,
        path: path.to_owned(),
    }
}

fn schema_view(name: &str, schema: &Value) -> SchemaView {
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|ps| {
            ps.iter()
                .map(|(prop, s)| PropertyView {
                    name: prop.clone(),
                    required: required.contains(prop.as_str()),
                    ty: type_view(s),
                    description: text(s, "description"),
                })
                .collect()
        })
        .unwrap_or_default();
    SchemaView {
        anchor: format!("schema-{}", anchor_of(name)),
        name: name.to_owned(),
        description: text(schema, "description"),
        properties,
    }
}

/// `GET /{lang}/api`: the API reference, rendered from the document.
pub(crate) async fn reference_page(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    let doc = &state.api_doc;
    let mut operations = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                if matches!(method.as_str(), "get" | "put" | "post" | "delete" | "patch" | "head" | "options") {
                    operations.push(operation_view(path, method, op, &state.catalog, ctx.lang));
                }
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.iter().map(|(name, schema)| schema_view(name, schema)).collect())
        .unwrap_or_default();
    ctx.page(StatusCode::OK, "api-title", &ReferencePage { ctx: &ctx, operations, schemas })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operations_own_error_format_stays_beside_the_problem() {
        let catalog = Catalog::new(&[]).unwrap();
        let mut operation = json!({
            "requestBody": {"content": {"application/json": {}}},
            "responses": {
                "200": {"description": "ok"},
                "400": {"description": "Its own refusal.", "content": {"application/json": {"schema": {"type": "object"}}}},
                "404": {"description": "Not there.", "content": {"application/json": {"schema": {"type": "object"}}}}
            }
        });
        complete_operation(&mut operation, false, &catalog);
        let bad = &operation["responses"]["400"];
        assert_eq!(bad["content"]["application/json"]["schema"]["type"], "object", "{bad}");
        assert!(bad["content"]["application/problem+json"].is_object(), "{bad}");
        assert!(bad["description"].as_str().unwrap().starts_with("Its own refusal.\n\nOr a problem."), "{bad}");
        assert!(bad[PROBLEM_TYPES].as_array().unwrap().contains(&json!(ErrorKind::MalformedJson.problem().type_uri())));
        let missing = &operation["responses"]["404"];
        assert!(missing.get(PROBLEM_TYPES).is_none() && missing["content"].get("application/problem+json").is_none());
        assert!(operation["responses"]["429"]["content"]["application/problem+json"].is_object());
    }
}
