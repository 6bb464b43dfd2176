//! Demo data for `lionrock serve --demo`: a vaccination record issued to
//! the demo resident's identity document (`platform::demo::RESIDENT`, which
//! identity's demo records as checked), so their records page shows one.
//! The demo health officer (identity's demo makes the accounts) holds the
//! issuing scopes; the line printed here says where they work.

use platform::app::AppState;

use crate::records::{Request, store};

pub(crate) async fn load(state: AppState) -> Result<Vec<String>, String> {
    let person = platform::demo::RESIDENT;
    let document = platform::ids::Document::parse("hkid", person.hkid, "").map_err(|e| format!("{e:?}"))?;
    let held = store::of_holder(&state, &document.index(&state.keys), true).await.map_err(|e| e.to_string())?;
    if held.is_empty() {
        let date = (state.today() - time::Duration::days(30)).to_string();
        let request = Request {
            kind: "vaccination".to_owned(),
            document_kind: "hkid".to_owned(),
            document_number: person.hkid.to_owned(),
            family_name: person.family_name.to_owned(),
            given_name: person.given_name.to_owned(),
            birth_date: person.birth_date.to_owned(),
            product: crate::records::PRODUCTS[0].code.to_owned(),
            dose_number: "2".to_owned(),
            doses_in_series: "2".to_owned(),
            date,
            ..Request::default()
        };
        store::issue(&state, "demo", &request).await.map_err(|e| e.to_string())?;
    }
    Ok(vec![format!(
        "demo credentials: the resident holds a vaccination record; the health officer issues and revokes \
         records at /en{}",
        crate::issuance::http::PATH
    )])
}
