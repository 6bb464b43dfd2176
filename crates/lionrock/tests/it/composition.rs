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
