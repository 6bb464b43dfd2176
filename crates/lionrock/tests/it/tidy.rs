//! Keeps the architecture honest: every source file says what it owns, no
//! test is ignored, no domain crate depends on another.

use crate::support::{rust_files, workspace};

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    assert!(files.len() > 10);
    let undocumented: Vec<_> =
        files.iter().filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!")).collect();
    assert!(undocumented.is_empty(), "files without a //! line: {undocumented:?}");
}

#[test]
fn no_test_is_ignored() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let marker = ["#[", "ignore"].concat();
    let ignored: Vec<_> = files.iter().filter(|f| std::fs::read_to_string(f).unwrap().contains(&marker)).collect();
    assert!(ignored.is_empty(), "gate service tests at run time instead: {ignored:?}");
}

#[test]
fn domain_crates_depend_only_on_platform() {
    let crates = workspace().join("crates");
    let names: Vec<String> =
        std::fs::read_dir(&crates).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    for name in &names {
        if name == "lionrock" || name == "platform" {
            continue;
        }
        let manifest = std::fs::read_to_string(crates.join(name).join("Cargo.toml")).unwrap();
        for other in &names {
            if other != name && other != "platform" && other != "hcert" {
                assert!(
                    !manifest.lines().any(|l| l.trim_start().starts_with(&format!("{other} "))
                        || l.trim_start().starts_with(&format!("{other}."))),
                    "{name} depends on domain crate {other}"
                );
            }
        }
    }
    let platform = std::fs::read_to_string(crates.join("platform/Cargo.toml")).unwrap();
    for other in &names {
        if other != "platform" {
            assert!(!platform.contains(&format!("\n{other}")), "platform depends on {other}");
        }
    }
}

/// Writes take the write lock up front (`platform::db::begin_write`: SQLite's
/// BEGIN IMMEDIATE), so a read-then-write never fails half-way on a lock
/// upgrade: a plain `.begin()` is for migrations only (and the database
/// layer's own savepoints inside a write transaction, `platform/src/db`).
#[test]
fn transactions_that_write_begin_with_the_write_lock() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let plain: Vec<_> = files
        .iter()
        .filter(|f| {
            let path = f.to_string_lossy();
            path.contains("/src/") && !path.ends_with("migrations.rs") && !path.contains("platform/src/db")
        })
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(".begin().await"))
        .collect();
    assert!(plain.is_empty(), "use platform::db::begin_write instead of .begin() in: {plain:?}");
}

// ---- the domains' shape -----------------------------------------------------
//
// Every domain feature has the same parts (ARCHITECTURE.md): rules without
// I/O in its `mod.rs`, tables and queries in `store.rs`, handlers in
// `http.rs`. These tests read the source as text: a file's imports are the
// `crate::` and `super::` paths in its code (comments left out).

/// `source` without its comments (line comments; identity has no block comments).
fn code_of(source: &str) -> String {
    source.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

/// Every path `source` names from `root` ("crate::" or "super::"), groups
/// expanded: `crate::{a, b::{c, d}}` gives `a`, `b::c` and `b::d`.
fn paths_from(source: &str, root: &str) -> Vec<String> {
    fn tree(s: &str, prefix: &str, out: &mut Vec<String>) -> usize {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut at = 0;
        let mut path = prefix.to_owned();
        loop {
            let rest = &s[at..];
            if let Some(group) = rest.strip_prefix('{') {
                at += 1;
                let mut inner = 0;
                while !group[inner..].trim_start().starts_with('}') && inner < group.len() {
                    let skip = group[inner..].len() - group[inner..].trim_start().len();
                    inner += skip;
                    inner += tree(&group[inner..], &path, out);
                    let after = group[inner..].trim_start();
                    inner += group[inner..].len() - after.len();
                    if after.starts_with(',') {
                        inner += 1;
                    } else {
                        break;
                    }
                }
                return at + inner + group[inner..].find('}').map_or(0, |e| e + 1);
            }
            let ident: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if ident.is_empty() {
                break;
            }
            at += ident.len();
            path = if path.is_empty() { ident } else { format!("{path}::{ident}") };
            if s[at..].starts_with("::") {
                at += 2;
            } else {
                break;
            }
        }
        if !path.is_empty() && path != prefix {
            out.push(path);
        }
        at
    }
    let code = code_of(source);
    let mut out = Vec::new();
    for (at, _) in code.match_indices(root) {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        tree(&code[at + root.len()..], "", &mut out);
    }
    out
}

/// The domain crates whose features keep the shape (every module crate but platform).
const DOMAINS: [&str; 4] = ["identity", "credentials", "booking", "opendata"];

/// A domain's source files by module path (`passkeys::store`; `""` is lib.rs).
fn domain_modules(domain: &str) -> std::collections::BTreeMap<String, std::path::PathBuf> {
    let src = workspace().join("crates").join(domain).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            (parts.join("::"), f)
        })
        .collect()
}

/// A file's code as the import rules read it: comments out, and its unit
/// tests (from the first `#[cfg(test)]`) left off.
fn rules_code(source: &str) -> String {
    let code = code_of(source);
    code.split("#[cfg(test)]").next().unwrap_or("").to_owned()
}

/// The names a folder's `mod.rs` hands on from its children with `use`
/// (`pub use authorize::{Choice, ..}`): name -> child module path.
fn reexports(module: &str, code: &str, children: &[String]) -> std::collections::BTreeMap<String, String> {
    let mut names = std::collections::BTreeMap::new();
    for statement in code.split(';') {
        let Some(at) = statement.find("use ") else { continue };
        if statement[..at].trim().trim_start_matches("pub(crate)").trim_start_matches("pub").trim() != "" {
            continue;
        }
        for path in paths_from(&format!("self::{}", statement[at + 4..].trim()), "self::") {
            let Some((child, rest)) = path.split_once("::") else { continue };
            if children.iter().any(|c| c == child) {
                let name = rest.rsplit("::").next().unwrap_or(rest).to_owned();
                names.insert(name, if module.is_empty() { child.to_owned() } else { format!("{module}::{child}") });
            }
        }
    }
    names
}

/// The modules each identity module imports, resolved to the longest module
/// path that is a file, and through a `mod.rs`'s re-exports to the child
/// that defines the name (`super::Choice` in `oidc/store.rs` is an import
/// of `oidc/authorize.rs`). A `mod.rs` handing a child's names on is not an
/// import of that child. `super::` chains and `self::` are followed; unit
/// tests are left out. Imports of lib.rs's constants (`crate::NAME`) are
/// left out too: lib.rs only wires the features together.
fn domain_imports(domain: &str) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let modules = domain_modules(domain);
    let code: std::collections::BTreeMap<&String, String> =
        modules.iter().map(|(m, f)| (m, rules_code(&std::fs::read_to_string(f).unwrap()))).collect();
    let mut handed_on = std::collections::BTreeMap::new();
    for (module, file) in &modules {
        if file.ends_with("mod.rs") {
            let prefix = format!("{module}::");
            let children: Vec<String> = modules
                .keys()
                .filter_map(|m| m.strip_prefix(&prefix))
                .filter(|rest| !rest.contains("::"))
                .map(str::to_owned)
                .collect();
            handed_on.insert(module.clone(), reexports(module, &code[module], &children));
        }
    }
    let resolve = |path: &str| {
        let mut path = path.to_owned();
        loop {
            let parts: Vec<&str> = path.split("::").collect();
            let found = (1..=parts.len()).rev().find(|n| modules.contains_key(&parts[..*n].join("::")))?;
            let module = parts[..found].join("::");
            let next = parts.get(found).and_then(|name| handed_on.get(&module)?.get(*name));
            match next {
                Some(child) => path = format!("{child}::{}", parts[found..].join("::")),
                None => return Some(module),
            }
        }
    };
    let mut graph = std::collections::BTreeMap::new();
    for (module, file) in &modules {
        let code = &code[module];
        // `super::` is the module's parent (a folder's mod.rs is the folder's module).
        let up = |levels: usize| {
            let mut base = module.as_str();
            for _ in 0..levels {
                base = base.rsplit_once("::").map_or("", |p| p.0);
            }
            base.to_owned()
        };
        let mut paths = paths_from(code, "crate::");
        for p in paths_from(code, "super::") {
            let mut levels = 1;
            let mut rest = p.as_str();
            while let Some(r) = rest.strip_prefix("super::") {
                levels += 1;
                rest = r;
            }
            let base = up(levels);
            paths.push(if base.is_empty() { rest.to_owned() } else { format!("{base}::{rest}") });
        }
        if file.ends_with("mod.rs") {
            // `self::child::f` in a mod.rs names its child.
            paths.extend(paths_from(code, "self::").into_iter().map(|p| format!("{module}::{p}")));
        }
        let targets: std::collections::BTreeSet<String> =
            paths.iter().filter_map(|p| resolve(p)).filter(|t| t != module && !t.is_empty()).collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// No two files of a domain import each other, however far round: each
/// feature's parts and the shared modules stand in floors.
#[test]
fn domain_files_import_no_circle() {
    for domain in DOMAINS {
        let graph = domain_imports(domain);
        let circles = circles(&graph);
        assert!(graph.len() > 5 && graph.values().map(|t| t.len()).sum::<usize>() > 5, "{domain}: imports were read");
        assert!(circles.is_empty(), "{domain} files that import each other in a circle:\n{}", circles.join("\n"));
    }
    assert!(domain_imports("identity").len() > 20, "identity's imports were read");
}

/// Every circle in `graph`, as the path round it.
fn circles(graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>) -> Vec<String> {
    let mut circles = Vec::new();
    // Depth-first search from each module, remembering the path walked.
    fn walk(
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        at: &str,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(start) = path.iter().position(|p| p == at) {
            circles.push(format!("{} -> {at}", path[start..].join(" -> ")));
            return;
        }
        if done.contains(at) {
            return;
        }
        path.push(at.to_owned());
        for next in graph.get(at).into_iter().flatten() {
            walk(graph, next, path, done, circles);
        }
        path.pop();
        done.insert(at.to_owned());
    }
    let mut done = std::collections::BTreeSet::new();
    for module in graph.keys() {
        walk(graph, module, &mut Vec::new(), &mut done, &mut circles);
    }
    circles
}

/// Words that show a file does I/O or serves the web, as its code uses them
/// (whole words: `sea_orm` also as `use sea_orm as orm`).
fn uses(code: &str, words: &[&str]) -> Vec<String> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let whole = |w: &str| {
        code.match_indices(w).any(|(at, _)| {
            let before = code[..at].chars().last().is_none_or(|c| !is_ident(c));
            let after = code[at + w.len()..].chars().next().is_none_or(|c| !is_ident(c))
                || !is_ident(w.chars().last().unwrap_or(' '));
            before && after
        })
    };
    words.iter().filter(|w| whole(w)).map(|w| (*w).to_owned()).collect()
}

/// Queries and handlers never share a file; a feature's `mod.rs` holds its
/// rules and does no I/O.
#[test]
fn domain_features_keep_rules_queries_and_handlers_apart() {
    let mut wrong = Vec::new();
    for (module, file) in
        DOMAINS.iter().flat_map(|d| domain_modules(d).into_iter().map(move |(m, f)| (format!("{d}::{m}"), f)))
    {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let db = uses(&code, &["sea_orm"]);
        let web = uses(&code, &["axum", "askama"]);
        if !db.is_empty() && !web.is_empty() {
            wrong.push(format!("{module}: uses {db:?} and {web:?}: queries go in store.rs, handlers in http.rs"));
        }
        if file.ends_with("mod.rs") {
            let io = uses(&code, &["sea_orm", "axum", "askama", "AppState", "PageContext"]);
            if !io.is_empty() {
                wrong.push(format!("{module}/mod.rs: uses {io:?}: a feature's mod.rs holds rules without I/O"));
            }
            let handed = uses(&code, &["use store::", "use http::", "use self::store", "use self::http"]);
            if !handed.is_empty() {
                wrong.push(format!("{module}/mod.rs: {handed:?}: callers name `store` and `http` themselves"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `pages` holds helpers every feature shares: it imports no feature.
#[test]
fn identity_pages_import_no_feature() {
    let shared = ["model", "store", "sms", "errors", "settings", "places", "password"];
    let graph = domain_imports("identity");
    // Everything pages reaches, however far.
    let mut reached = std::collections::BTreeSet::new();
    let mut next = vec!["pages".to_owned()];
    while let Some(m) = next.pop() {
        for t in graph.get(&m).into_iter().flatten() {
            if reached.insert(t.clone()) {
                next.push(t.clone());
            }
        }
    }
    let named: Vec<&String> = reached.iter().filter(|m| !shared.contains(&m.as_str())).collect();
    assert!(
        named.is_empty(),
        "pages.rs imports {named:?}: `pages` holds helpers every feature shares and imports no feature; move \
         what needs a feature into that feature"
    );
}

#[test]
fn imports_are_found_in_paths_and_nested_groups() {
    let found = |s: &str| paths_from(s, "crate::");
    assert_eq!(found("use crate::store;\nuse crate::model::{self, Email};"), ["store", "model::self", "model::Email"]);
    assert_eq!(found("let _ = crate::oidc::issuer(&state);"), ["oidc::issuer"]);
    assert_eq!(found("use crate::{accounts, oidc::{store, http::x}};"), ["accounts", "oidc::store", "oidc::http::x"]);
    assert_eq!(found("// crate::passkeys in a comment\nuse crate::profiles_cache;"), ["profiles_cache"]);
    assert_eq!(found("use platform::crate::x; super::y"), Vec::<String>::new());
    let up = |s: &str| paths_from(s, "super::");
    assert_eq!(up("use super::super::dependants::http;"), ["super::dependants::http"]);
    let children = ["authorize".to_owned(), "store".to_owned()];
    let handed = reexports(
        "oidc",
        "pub use authorize::{Choice, Next};\npub(crate) use store::x;\nuse time::Duration;",
        &children,
    );
    assert_eq!(handed.get("Choice").map(String::as_str), Some("oidc::authorize"));
    assert_eq!(handed.get("x").map(String::as_str), Some("oidc::store"));
    assert!(!handed.contains_key("Duration"));
    assert_eq!(uses("use sea_orm as orm;", &["sea_orm"]), ["sea_orm"]);
    assert_eq!(uses("let sea_ormish = 1;", &["sea_orm"]), Vec::<String>::new());
}
