//! Demo databases. `serve --demo` fills a database with demo data whose
//! passwords are published, so it marks that database, and only a demo
//! server (loopback by default, a banner on every page) may serve it; the
//! demo in turn fills only a database that was empty before it. A demo can
//! thus never be a backdoor into a real installation.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

pub mod entity {
    //! `installation_mark` rows: facts about the whole database (`demo`).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "installation_mark")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub set_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const DEMO: &str = "demo";

/// Whether `serve --demo` made this database.
pub async fn is_demo(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(entity::Entity::find().filter(entity::Column::Name.eq(DEMO)).count(db).await? > 0)
}

/// Marks this database as a demo's (before any demo data goes in).
pub async fn mark(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if is_demo(db).await? {
        return Ok(());
    }
    entity::ActiveModel { name: Set(DEMO.to_owned()), set_at: Set(crate::db::now()) }.insert(db).await.map(|_| ())
}

/// A person in the demo data, as their identity document shows them.
#[derive(Debug, Clone, Copy)]
pub struct DemoPerson {
    /// HKID number with its check digit.
    pub hkid: &'static str,
    pub family_name: &'static str,
    pub given_name: &'static str,
    /// `YYYY-MM-DD`.
    pub birth_date: &'static str,
}

/// The demo resident: identity's demo records this document as checked
/// for the resident's account, and other domains' demos use it to give
/// the resident something to see (credentials issues a record to it).
pub const RESIDENT: DemoPerson =
    DemoPerson { hkid: "A123456(3)", family_name: "Chan", given_name: "Tai Man", birth_date: "1985-04-12" };
