//! Credentials' schema, forward-only. Migration names start
//! `m<date>_<time>_credentials_`.

use sea_orm_migration::prelude::*;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
