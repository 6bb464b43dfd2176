//! Credentials' side of the platform's `HealthRecords` contract: another
//! domain's event (booking's attendance, say) becomes a [`Request`],
//! checked and issued like an officer's.

use platform::app::AppState;
use platform::error::AppError;

use super::{Kind, Request, store};

/// Credentials' side of the platform's health-records service: another
/// domain's event becomes a [`Request`], checked and issued like any other.
pub(crate) struct Service;

impl platform::contracts::HealthRecords for Service {
    fn issue<'a>(
        &'a self,
        state: &'a AppState,
        event: platform::contracts::HealthEvent,
    ) -> platform::contracts::BoxFuture<'a, Result<String, AppError>> {
        use platform::contracts::HealthEventKind;
        Box::pin(async move {
            let document = &event.document;
            let (document_number, document_country) = match document {
                platform::ids::Document::Hkid(h) => (h.as_str().to_owned(), String::new()),
                platform::ids::Document::Passport(p) => (p.number.clone(), p.country.clone()),
            };
            let base = Request {
                document_kind: document.kind().to_owned(),
                document_number,
                document_country,
                family_name: event.family_name.clone(),
                given_name: event.given_name.clone(),
                birth_date: event.birthdate.clone(),
                ..Request::default()
            };
            let request = match event.kind {
                HealthEventKind::Vaccination { product, dose, doses_in_series, date } => Request {
                    kind: Kind::Vaccination.as_str().to_owned(),
                    product,
                    dose_number: dose.to_string(),
                    doses_in_series: doses_in_series.to_string(),
                    date,
                    ..base
                },
                HealthEventKind::Test { test_type, sampled_at, result, centre } => {
                    Request { kind: Kind::Test.as_str().to_owned(), test_type, sampled_at, result, centre, ..base }
                }
            };
            Ok(store::issue(state, &event.actor, &request).await?.uvci)
        })
    }
}
