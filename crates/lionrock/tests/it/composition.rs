//! Every module composed: translations complete, routes build.

#[test]
fn every_message_exists_in_every_language() {
    let catalog = platform::app::catalog(&lionrock::modules()).expect("translations parse");
    assert_eq!(catalog.missing_keys(), vec![], "keys missing in some language");
    for module in lionrock::modules() {
        for link in module.services {
            for lang in platform::i18n::Lang::ALL {
                assert!(catalog.has(lang, link.title_key), "{}: {} in {lang}", module.name, link.title_key);
                assert!(catalog.has(lang, link.summary_key), "{}: {} in {lang}", module.name, link.summary_key);
            }
        }
    }
}

#[test]
fn migration_names_are_unique_and_ordered_per_module() {
    let migrator = platform::app::migrator(&lionrock::modules());
    let names: Vec<String> =
        sea_orm_migration::MigratorTraitSelf::migrations(&migrator).iter().map(|m| m.name().to_owned()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "duplicate migration names: {names:?}");
    assert!(names.iter().all(|n| n.starts_with('m') && n.as_bytes()[1..9].iter().all(u8::is_ascii_digit)), "{names:?}");
}

#[test]
fn every_problem_type_is_unique_and_translated() {
    let modules = lionrock::modules();
    let catalog = platform::app::catalog(&modules).expect("translations parse");
    let mut slugs = Vec::new();
    for module in &modules {
        assert!(!module.problems.is_empty() || module.name != "identity", "identity declares its errors");
        for problem in module.problems {
            assert!(problem.status.is_client_error() || problem.status.is_server_error(), "{}", problem.slug);
            if module.name != "platform" {
                let prefixed = [format!("{}-", module.name), format!("{}/", module.name)];
                assert!(prefixed.iter().any(|p| problem.slug.starts_with(p)), "{}: prefix it", problem.slug);
            }
            for lang in platform::i18n::Lang::ALL {
                assert!(catalog.has(lang, &problem.title_key()), "{} in {lang}", problem.title_key());
                assert!(catalog.has(lang, &problem.detail_key()), "{} in {lang}", problem.detail_key());
            }
            // `a/b` and `a-b` would share their Fluent keys.
            slugs.push(problem.title_key());
        }
    }
    let count = slugs.len();
    slugs.sort_unstable();
    slugs.dedup();
    assert_eq!(slugs.len(), count, "problem slugs (and so their translations) are unique across modules");
}

#[test]
fn every_oauth_scope_is_unique_and_says_what_it_allows() {
    let modules = lionrock::modules();
    let catalog = platform::app::catalog(&modules).expect("translations parse");
    let scopes = platform::module::oauth_scopes(&modules).expect("scopes are unique and plain");
    assert!(scopes.iter().any(|s| s.name == "openid"), "identity offers OpenID Connect's scopes");
    for scope in scopes {
        for lang in platform::i18n::Lang::ALL {
            assert!(catalog.has(lang, scope.consent_key), "{} in {lang}", scope.consent_key);
        }
    }
}
