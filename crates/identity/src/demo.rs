//! Demo accounts for `lionrock serve --demo`: a resident and an
//! administrator, with their sign-in details printed at start.

use platform::app::AppState;

use crate::accounts::{self, CreateUserError};

/// (role label, e-mail, password, real name, roles)
const DEMO: [(&str, &str, &str, bool, &[&str]); 2] = [
    ("resident", "resident@demo.lionrock.invalid", "harbour tram lantern", false, &[]),
    ("administrator and officer", "admin@demo.lionrock.invalid", "victoria peak ferry", true, &["admin", "officer"]),
];

pub(crate) async fn load(state: AppState) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    for (label, email, password, real_name, roles) in DEMO {
        let roles = roles.iter().map(|r| (*r).to_owned()).collect();
        match accounts::create_user(&state, email, password, real_name, roles).await {
            Ok(_) | Err(CreateUserError::Exists) => {}
            Err(e) => return Err(e.to_string()),
        }
        notes.push(format!("demo {label}: {email} / {password}"));
    }
    Ok(notes)
}
