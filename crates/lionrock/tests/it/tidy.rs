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
/// upgrade: a plain `.begin()` is for migrations only.
#[test]
fn transactions_that_write_begin_with_the_write_lock() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let plain: Vec<_> = files
        .iter()
        .filter(|f| {
            let path = f.to_string_lossy();
            path.contains("/src/") && !path.ends_with("migrations.rs") && !path.ends_with("platform/src/db.rs")
        })
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(".begin().await"))
        .collect();
    assert!(plain.is_empty(), "use platform::db::begin_write instead of .begin() in: {plain:?}");
}

/// Identity's feature modules: they may use `pages`, never the other way round.
const IDENTITY_FEATURES: [&str; 11] = [
    "accounts",
    "app_sign_in",
    "contact",
    "deletion",
    "dependants",
    "oidc",
    "passkeys",
    "profile",
    "real_name",
    "security",
    "two_step",
];

/// The feature modules `source` names through `crate::` or `super::`, as a
/// path (`crate::oidc::x`) or in a group (`crate::{accounts, model}`).
/// Comments are left out.
fn features_named(source: &str) -> Vec<&'static str> {
    let code: String =
        source.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut named = Vec::new();
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            let rest = &code[at + root.len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap_or("").split(|c: char| !is_ident(c)).collect(),
                None => rest.split(|c: char| !is_ident(c)).take(1).collect(),
            };
            named.extend(IDENTITY_FEATURES.iter().filter(|f| names.contains(f)));
        }
    }
    named.sort_unstable();
    named.dedup();
    named
}

#[test]
fn identity_pages_import_no_feature() {
    let path = workspace().join("crates/identity/src/pages.rs");
    let source = std::fs::read_to_string(&path).unwrap();
    let named = features_named(&source);
    assert!(
        named.is_empty(),
        "{} names the feature module(s) {named:?}: `pages` holds helpers every feature shares and imports no \
         feature; move what needs a feature into that feature (or into http.rs)",
        path.display()
    );
}

#[test]
fn feature_imports_are_found_in_paths_and_groups() {
    assert_eq!(features_named("use crate::store;\nuse crate::model::{self, Email};"), Vec::<&str>::new());
    assert_eq!(features_named("let _ = crate::oidc::issuer(&state);"), ["oidc"]);
    assert_eq!(features_named("use crate::{accounts, model};\nuse super::two_step;"), ["accounts", "two_step"]);
    assert_eq!(features_named("// crate::passkeys in a comment\nuse crate::profiles_cache;"), Vec::<&str>::new());
}
