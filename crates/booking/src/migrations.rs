//! Booking's schema, forward-only. Migration names start
//! `m<date>_<time>_booking_`.
//!
//! The invariants live in the database (DESIGN §3): a slot's `taken` never
//! exceeds its `capacity` nor goes below zero (checks), a day's quota
//! likewise, and one person (by their identity document's blind index) holds
//! at most one booking per programme step that is confirmed or attended (a
//! partial unique index: a cancelled or missed booking frees the step).

use sea_orm_migration::prelude::*;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(Programmes),
        Box::new(Officers),
        Box::new(WaitingRoom),
        Box::new(Administration),
        Box::new(OnePerPerson),
        Box::new(MissedFreesStep),
        Box::new(Repeatable),
        Box::new(NoticeTally),
        Box::new(CentreOfficers),
        Box::new(CoarseSpecimenTimes),
    ]
}

struct Programmes;

impl MigrationName for Programmes {
    fn name(&self) -> &str {
        "m20261201_000000_booking_programmes"
    }
}

#[derive(DeriveIden)]
enum BookingProgramme {
    Table,
    Id,
    Slug,
    Kind,
    NameEn,
    NameZhHk,
    NameZhCn,
    Level,
    ResidentsOnly,
    MinAge,
    MaxAge,
    Steps,
    MinIntervalDays,
    MaxIntervalDays,
    OpensAt,
    ClosesAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BookingProduct {
    Table,
    Id,
    ProgrammeId,
    Code,
    NameEn,
    NameZhHk,
    NameZhCn,
}

#[derive(DeriveIden)]
enum BookingCentre {
    Table,
    Id,
    ProgrammeId,
    Slug,
    NameEn,
    NameZhHk,
    NameZhCn,
    AddressEn,
    AddressZhHk,
    AddressZhCn,
    District,
    Latitude,
    Longitude,
    OpeningHours,
    AccessibilityEn,
    AccessibilityZhHk,
    AccessibilityZhCn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BookingSlot {
    Table,
    Id,
    CentreId,
    ProductId,
    StartsAt,
    EndsAt,
    Capacity,
    Taken,
    ClosedAt,
}

#[derive(DeriveIden)]
enum BookingQuota {
    Table,
    CentreId,
    Day,
    ProductId,
    Capacity,
    Taken,
}

#[derive(DeriveIden)]
enum BookingBooking {
    Table,
    Id,
    Reference,
    ProgrammeId,
    Step,
    SlotId,
    PersonId,
    AccountId,
    DocumentIndex,
    DocumentKind,
    DocumentSealed,
    Status,
    CreatedAt,
    CancelledAt,
    AttendedAt,
    RemindedAt,
}

fn names<T: IntoIden>(t: &mut TableCreateStatement, en: T, hk: T, cn: T, len: u32) {
    for c in [en, hk, cn] {
        t.col(ColumnDef::new(c).string_len(len).not_null());
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Programmes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingProgramme as P;
        let mut t = Table::create();
        t.table(P::Table)
            .col(ColumnDef::new(P::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(P::Slug).string_len(64).not_null().unique_key())
            .col(ColumnDef::new(P::Kind).string_len(16).not_null());
        names(&mut t, P::NameEn, P::NameZhHk, P::NameZhCn, 200);
        t.col(ColumnDef::new(P::Level).string_len(16).not_null())
            .col(ColumnDef::new(P::ResidentsOnly).boolean().not_null())
            .col(ColumnDef::new(P::MinAge).integer().null())
            .col(ColumnDef::new(P::MaxAge).integer().null())
            .col(ColumnDef::new(P::Steps).integer().not_null())
            .col(ColumnDef::new(P::MinIntervalDays).integer().null())
            .col(ColumnDef::new(P::MaxIntervalDays).integer().null())
            .col(ColumnDef::new(P::OpensAt).timestamp_with_time_zone().null())
            .col(ColumnDef::new(P::ClosesAt).timestamp_with_time_zone().null())
            .col(ColumnDef::new(P::CreatedAt).timestamp_with_time_zone().not_null())
            .col(ColumnDef::new(P::UpdatedAt).timestamp_with_time_zone().not_null())
            .check(Expr::col(P::Kind).is_in(["vaccination", "testing", "border", "other"]))
            .check(Expr::col(P::Level).is_in(["basic", "real_name"]))
            .check(Expr::col(P::Steps).between(1, 9));
        m.create_table(t.to_owned()).await?;

        use BookingProduct as D;
        let mut t = Table::create();
        t.table(D::Table)
            .col(ColumnDef::new(D::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(D::ProgrammeId).string_len(36).not_null())
            .col(ColumnDef::new(D::Code).string_len(64).not_null());
        names(&mut t, D::NameEn, D::NameZhHk, D::NameZhCn, 200);
        t.foreign_key(ForeignKey::create().from(D::Table, D::ProgrammeId).to(P::Table, P::Id));
        m.create_table(t.to_owned()).await?;
        m.create_index(
            Index::create()
                .name("booking_product_code")
                .table(D::Table)
                .col(D::ProgrammeId)
                .col(D::Code)
                .unique()
                .to_owned(),
        )
        .await?;

        use BookingCentre as C;
        let mut t = Table::create();
        t.table(C::Table)
            .col(ColumnDef::new(C::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(C::ProgrammeId).string_len(36).not_null())
            .col(ColumnDef::new(C::Slug).string_len(64).not_null());
        names(&mut t, C::NameEn, C::NameZhHk, C::NameZhCn, 200);
        names(&mut t, C::AddressEn, C::AddressZhHk, C::AddressZhCn, 400);
        t.col(ColumnDef::new(C::District).string_len(32).not_null())
            .col(ColumnDef::new(C::Latitude).double().not_null())
            .col(ColumnDef::new(C::Longitude).double().not_null())
            .col(ColumnDef::new(C::OpeningHours).text().not_null());
        names(&mut t, C::AccessibilityEn, C::AccessibilityZhHk, C::AccessibilityZhCn, 1000);
        t.col(ColumnDef::new(C::CreatedAt).timestamp_with_time_zone().not_null())
            .foreign_key(ForeignKey::create().from(C::Table, C::ProgrammeId).to(P::Table, P::Id));
        m.create_table(t.to_owned()).await?;
        m.create_index(
            Index::create()
                .name("booking_centre_slug")
                .table(C::Table)
                .col(C::ProgrammeId)
                .col(C::Slug)
                .unique()
                .to_owned(),
        )
        .await?;

        use BookingSlot as S;
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(ColumnDef::new(S::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(S::CentreId).string_len(36).not_null())
                .col(ColumnDef::new(S::ProductId).string_len(36).not_null())
                .col(ColumnDef::new(S::StartsAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(S::EndsAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(S::Capacity).integer().not_null())
                .col(ColumnDef::new(S::Taken).integer().not_null().default(0))
                .col(ColumnDef::new(S::ClosedAt).timestamp_with_time_zone().null())
                .check(Expr::col(S::Taken).gte(0))
                .check(Expr::col(S::Taken).lte(Expr::col(S::Capacity)))
                .check(Expr::col(S::EndsAt).gt(Expr::col(S::StartsAt)))
                .foreign_key(ForeignKey::create().from(S::Table, S::CentreId).to(C::Table, C::Id))
                .foreign_key(ForeignKey::create().from(S::Table, S::ProductId).to(D::Table, D::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("booking_slot_start")
                .table(S::Table)
                .col(S::CentreId)
                .col(S::StartsAt)
                .col(S::ProductId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("booking_slot_starts_at").table(S::Table).col(S::StartsAt).to_owned())
            .await?;

        use BookingQuota as Q;
        m.create_table(
            Table::create()
                .table(Q::Table)
                .col(ColumnDef::new(Q::CentreId).string_len(36).not_null())
                .col(ColumnDef::new(Q::Day).date().not_null())
                .col(ColumnDef::new(Q::ProductId).string_len(36).not_null())
                .col(ColumnDef::new(Q::Capacity).integer().not_null())
                .col(ColumnDef::new(Q::Taken).integer().not_null().default(0))
                .primary_key(Index::create().col(Q::CentreId).col(Q::Day).col(Q::ProductId))
                .check(Expr::col(Q::Taken).gte(0))
                .check(Expr::col(Q::Taken).lte(Expr::col(Q::Capacity)))
                .foreign_key(ForeignKey::create().from(Q::Table, Q::CentreId).to(C::Table, C::Id))
                .foreign_key(ForeignKey::create().from(Q::Table, Q::ProductId).to(D::Table, D::Id))
                .to_owned(),
        )
        .await?;

        use BookingBooking as B;
        m.create_table(
            Table::create()
                .table(B::Table)
                .col(ColumnDef::new(B::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(B::Reference).string_len(16).not_null().unique_key())
                .col(ColumnDef::new(B::ProgrammeId).string_len(36).not_null())
                .col(ColumnDef::new(B::Step).integer().not_null())
                .col(ColumnDef::new(B::SlotId).string_len(36).not_null())
                .col(ColumnDef::new(B::PersonId).string_len(36).not_null())
                .col(ColumnDef::new(B::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(B::DocumentIndex).string_len(64).not_null())
                .col(ColumnDef::new(B::DocumentKind).string_len(16).not_null())
                .col(ColumnDef::new(B::DocumentSealed).text().null())
                .col(ColumnDef::new(B::Status).string_len(16).not_null())
                .col(ColumnDef::new(B::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(B::CancelledAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(B::AttendedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(B::RemindedAt).timestamp_with_time_zone().null())
                .check(Expr::col(B::Status).is_in(["confirmed", "cancelled", "attended", "no_show"]))
                .foreign_key(ForeignKey::create().from(B::Table, B::ProgrammeId).to(P::Table, P::Id))
                .foreign_key(ForeignKey::create().from(B::Table, B::SlotId).to(S::Table, S::Id))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("booking_booking_slot", vec![B::SlotId, B::Status]),
            ("booking_booking_account", vec![B::AccountId, B::CreatedAt]),
            ("booking_booking_person", vec![B::PersonId, B::ProgrammeId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(B::Table);
            for c in cols {
                index.col(c);
            }
            m.create_index(index.to_owned()).await?;
        }
        // One booking per person per programme step unless cancelled: the
        // duplicate check under any concurrency, on both databases.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX booking_booking_one_per_step ON booking_booking \
                 (programme_id, step, document_index) WHERE status <> 'cancelled'",
            )
            .await?;
        Ok(())
    }
}

/// Officers at the centre and the laboratory: specimens (no personal data),
/// their link to bookings (a separate table only the results role's code
/// reads), and failed reference look-ups per officer and hour.
struct Officers;

impl MigrationName for Officers {
    fn name(&self) -> &str {
        "m20261201_040000_booking_officers"
    }
}

#[derive(DeriveIden)]
enum BookingSpecimen {
    Table,
    Id,
    SpecimenCode,
    ProgrammeId,
    CentreId,
    CollectedAt,
    Result,
    ResultAt,
    NotifiedAt,
}

#[derive(DeriveIden)]
enum BookingSpecimenLink {
    Table,
    SpecimenId,
    BookingId,
}

#[derive(DeriveIden)]
enum BookingLookupMiss {
    Table,
    AccountId,
    Hour,
    Misses,
}

#[async_trait::async_trait]
impl MigrationTrait for Officers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingSpecimen as S;
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(ColumnDef::new(S::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(S::SpecimenCode).string_len(16).not_null().unique_key())
                .col(ColumnDef::new(S::ProgrammeId).string_len(36).not_null())
                .col(ColumnDef::new(S::CentreId).string_len(36).not_null())
                .col(ColumnDef::new(S::CollectedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(S::Result).string_len(16).null())
                .col(ColumnDef::new(S::ResultAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(S::NotifiedAt).timestamp_with_time_zone().null())
                .check(Expr::col(S::Result).is_in(["negative", "positive", "invalid"]))
                .foreign_key(
                    ForeignKey::create()
                        .from(S::Table, S::ProgrammeId)
                        .to(BookingProgramme::Table, BookingProgramme::Id),
                )
                .foreign_key(
                    ForeignKey::create().from(S::Table, S::CentreId).to(BookingCentre::Table, BookingCentre::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("booking_specimen_pending")
                .table(S::Table)
                .col(S::Result)
                .col(S::CollectedAt)
                .to_owned(),
        )
        .await?;

        use BookingSpecimenLink as L;
        m.create_table(
            Table::create()
                .table(L::Table)
                .col(ColumnDef::new(L::SpecimenId).string_len(36).not_null().primary_key())
                // One specimen per attendance.
                .col(ColumnDef::new(L::BookingId).string_len(36).not_null().unique_key())
                .foreign_key(ForeignKey::create().from(L::Table, L::SpecimenId).to(S::Table, S::Id))
                .foreign_key(
                    ForeignKey::create().from(L::Table, L::BookingId).to(BookingBooking::Table, BookingBooking::Id),
                )
                .to_owned(),
        )
        .await?;

        use BookingLookupMiss as M;
        m.create_table(
            Table::create()
                .table(M::Table)
                .col(ColumnDef::new(M::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(M::Hour).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(M::Misses).integer().not_null())
                .primary_key(Index::create().col(M::AccountId).col(M::Hour))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

/// The virtual waiting room: a row per programme with its settings, its
/// counter of places and its admission clock; a numbered place per account.
/// One place per account and one account per place number, per programme
/// (unique indexes), whatever the concurrency.
struct WaitingRoom;

impl MigrationName for WaitingRoom {
    fn name(&self) -> &str {
        "m20261201_060000_booking_waiting_room"
    }
}

#[derive(DeriveIden)]
enum BookingWaitingRoom {
    Table,
    ProgrammeId,
    Enabled,
    RatePerMinute,
    ValidityMinutes,
    Joined,
    Admitted,
    ClockMs,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BookingQueuePlace {
    Table,
    Id,
    ProgrammeId,
    AccountId,
    Place,
    JoinedAt,
    AdmittedMs,
}

#[async_trait::async_trait]
impl MigrationTrait for WaitingRoom {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingWaitingRoom as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(ColumnDef::new(R::ProgrammeId).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(R::Enabled).boolean().not_null())
                .col(ColumnDef::new(R::RatePerMinute).integer().not_null())
                .col(ColumnDef::new(R::ValidityMinutes).integer().not_null())
                .col(ColumnDef::new(R::Joined).big_integer().not_null().default(0))
                .col(ColumnDef::new(R::Admitted).big_integer().not_null().default(0))
                .col(ColumnDef::new(R::ClockMs).big_integer().not_null())
                .col(ColumnDef::new(R::UpdatedAt).timestamp_with_time_zone().not_null())
                .check(Expr::col(R::RatePerMinute).gte(1))
                .check(Expr::col(R::ValidityMinutes).gte(1))
                .check(Expr::col(R::Admitted).gte(0))
                .foreign_key(
                    ForeignKey::create()
                        .from(R::Table, R::ProgrammeId)
                        .to(BookingProgramme::Table, BookingProgramme::Id),
                )
                .to_owned(),
        )
        .await?;

        use BookingQueuePlace as Q;
        m.create_table(
            Table::create()
                .table(Q::Table)
                .col(ColumnDef::new(Q::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Q::ProgrammeId).string_len(36).not_null())
                .col(ColumnDef::new(Q::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(Q::Place).big_integer().not_null())
                .col(ColumnDef::new(Q::JoinedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Q::AdmittedMs).big_integer().null())
                .check(Expr::col(Q::Place).gte(1))
                .foreign_key(ForeignKey::create().from(Q::Table, Q::ProgrammeId).to(R::Table, R::ProgrammeId))
                .to_owned(),
        )
        .await?;
        for (name, col) in [("booking_queue_place_account", Q::AccountId), ("booking_queue_place_number", Q::Place)] {
            m.create_index(Index::create().name(name).table(Q::Table).col(Q::ProgrammeId).col(col).unique().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Administrators' tables: public holidays (slot generation skips them) and
/// closures (a typhoon signal No. 8 or a black rainstorm closing a centre's
/// day), and on each booking the closure that cancelled or moved it.
struct Administration;

impl MigrationName for Administration {
    fn name(&self) -> &str {
        "m20261201_050000_booking_administration"
    }
}

#[derive(DeriveIden)]
enum BookingHoliday {
    Table,
    Day,
    NameEn,
    NameZhHk,
    NameZhCn,
}

#[derive(DeriveIden)]
enum BookingClosure {
    Table,
    CentreId,
    Day,
    Reason,
    Action,
    MovedTo,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BookingBookingClosure {
    #[sea_orm(iden = "booking_booking")]
    Table,
    ClosedReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Administration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingHoliday as H;
        let mut t = Table::create();
        t.table(H::Table).col(ColumnDef::new(H::Day).date().not_null().primary_key());
        names(&mut t, H::NameEn, H::NameZhHk, H::NameZhCn, 200);
        m.create_table(t.to_owned()).await?;

        use BookingClosure as C;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(ColumnDef::new(C::CentreId).string_len(36).not_null())
                .col(ColumnDef::new(C::Day).date().not_null())
                .col(ColumnDef::new(C::Reason).string_len(32).not_null())
                .col(ColumnDef::new(C::Action).string_len(16).not_null())
                .col(ColumnDef::new(C::MovedTo).date().null())
                .col(ColumnDef::new(C::Actor).string_len(80).not_null())
                .col(ColumnDef::new(C::CreatedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(C::CentreId).col(C::Day))
                .check(Expr::col(C::Reason).is_in(["typhoon-8", "black-rainstorm"]))
                .check(Expr::col(C::Action).is_in(["cancel", "move"]))
                .foreign_key(
                    ForeignKey::create().from(C::Table, C::CentreId).to(BookingCentre::Table, BookingCentre::Id),
                )
                .to_owned(),
        )
        .await?;

        // Set on a booking a closure cancelled or moved (its reason), so the
        // resident sees "closed by typhoon: rebook" rather than a plain cancellation.
        use BookingBookingClosure as B;
        m.alter_table(
            Table::alter().table(B::Table).add_column(ColumnDef::new(B::ClosedReason).string_len(32).null()).to_owned(),
        )
        .await?;
        Ok(())
    }
}

/// One booking per programme step per person too, not only per document:
/// a person who types another document (or a stranger's) still holds one.
struct OnePerPerson;

impl MigrationName for OnePerPerson {
    fn name(&self) -> &str {
        "m20261201_070000_booking_one_per_person"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for OnePerPerson {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX booking_booking_one_per_person ON booking_booking \
                 (programme_id, step, person_id) WHERE status <> 'cancelled'",
            )
            .await?;
        Ok(())
    }
}

/// A missed booking (`no_show`) frees its step, as a cancelled one does: the
/// person's next attempt is the same step (only attended steps count), so
/// both one-per-step indexes hold only confirmed and attended bookings.
struct MissedFreesStep;

impl MigrationName for MissedFreesStep {
    fn name(&self) -> &str {
        "m20261201_080000_booking_missed_frees_step"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for MissedFreesStep {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // New names, not the old ones dropped and made again: another pooled
        // SQLite connection with the schema read before the drop would
        // refuse to create an index it still believes exists.
        for (old, new, column) in [
            ("booking_booking_one_per_step", "booking_booking_step_held", "document_index"),
            ("booking_booking_one_per_person", "booking_booking_person_step_held", "person_id"),
        ] {
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {new} ON booking_booking (programme_id, step, {column}) \
                 WHERE status IN ('confirmed', 'attended')"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX {old}")).await?;
        }
        Ok(())
    }
}

/// Programmes people come back to (testing, border crossings): an
/// attendance frees the person for another booking. Off for existing rows.
struct Repeatable;

impl MigrationName for Repeatable {
    fn name(&self) -> &str {
        "m20261201_090000_booking_repeatable"
    }
}

#[derive(DeriveIden)]
enum BookingProgrammeRepeatable {
    #[sea_orm(iden = "booking_programme")]
    Table,
    Repeatable,
}

#[async_trait::async_trait]
impl MigrationTrait for Repeatable {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingProgrammeRepeatable as P;
        m.alter_table(
            Table::alter()
                .table(P::Table)
                .add_column(ColumnDef::new(P::Repeatable).boolean().not_null().default(false))
                .to_owned(),
        )
        .await
    }
}

/// Notices a resident's own actions send (confirmed, cancelled, moved), per
/// contact and local day: a loop of booking and cancelling must not send
/// the city's SMS without end. The contact is a keyed blind index, never
/// the number or address itself; rows older than two days are deleted by
/// the reminder job.
struct NoticeTally;

impl MigrationName for NoticeTally {
    fn name(&self) -> &str {
        "m20261201_100000_booking_notice_tally"
    }
}

#[derive(DeriveIden)]
enum BookingNoticeTally {
    Table,
    ContactIndex,
    Day,
    Sent,
}

#[async_trait::async_trait]
impl MigrationTrait for NoticeTally {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingNoticeTally as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .col(ColumnDef::new(T::ContactIndex).string_len(64).not_null())
                .col(ColumnDef::new(T::Day).date().not_null())
                .col(ColumnDef::new(T::Sent).integer().not_null().check(Expr::col(T::Sent).gte(0)))
                .primary_key(Index::create().col(T::ContactIndex).col(T::Day))
                .to_owned(),
        )
        .await
    }
}

/// Which officers work at which centre: a `booking-staff` officer checks
/// people in, registers walk-ins and prints labels only at the centres an
/// administrator assigned them to (least privilege).
struct CentreOfficers;

impl MigrationName for CentreOfficers {
    fn name(&self) -> &str {
        "m20261201_110000_booking_centre_officers"
    }
}

#[derive(DeriveIden)]
enum BookingCentreOfficer {
    Table,
    CentreId,
    AccountId,
    AssignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CentreOfficers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use BookingCentreOfficer as O;
        m.create_table(
            Table::create()
                .table(O::Table)
                .col(ColumnDef::new(O::CentreId).string_len(36).not_null())
                .col(ColumnDef::new(O::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(O::AssignedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(O::CentreId).col(O::AccountId))
                .foreign_key(
                    ForeignKey::create().from(O::Table, O::CentreId).to(BookingCentre::Table, BookingCentre::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("booking_centre_officer_account")
                .table(O::Table)
                .col(O::AccountId)
                .col(O::CentreId)
                .to_owned(),
        )
        .await
    }
}

/// Specimens recorded before their times were kept to the hour: their
/// collection and notice times are truncated now, so old rows cannot be
/// joined to bookings by time either. (Their UUIDv7 IDs stay: re-keying
/// them would rewrite the link table too; new specimens get random IDs.)
struct CoarseSpecimenTimes;

impl MigrationName for CoarseSpecimenTimes {
    fn name(&self) -> &str {
        "m20261201_120000_booking_coarse_specimen_times"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CoarseSpecimenTimes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use sea_orm::{ConnectionTrait, Statement};
        type At = Option<time::OffsetDateTime>;
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let select = "SELECT id, collected_at, notified_at FROM booking_specimen";
        let rows = db.query_all_raw(Statement::from_string(backend, select)).await?;
        let update = match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE booking_specimen SET collected_at = $1, notified_at = $2 WHERE id = $3"
            }
            _ => "UPDATE booking_specimen SET collected_at = ?, notified_at = ? WHERE id = ?",
        };
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let collected: time::OffsetDateTime = row.try_get("", "collected_at")?;
            let notified: At = row.try_get("", "notified_at")?;
            let (collected, notified) =
                (crate::specimens::store::coarse(collected), notified.map(crate::specimens::store::coarse));
            let values = [collected.into(), notified.into(), id.into()];
            db.execute_raw(Statement::from_sql_and_values(backend, update, values)).await?;
        }
        Ok(())
    }
}
