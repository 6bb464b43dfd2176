//! Demo accounts for `lionrock serve --demo`: a resident and an
//! administrator, with their sign-in details printed at start. Their
//! passwords are published, so they go only into a database that holds no
//! other account: demo mode can never open a backdoor into a real install.

use platform::app::AppState;

use crate::accounts::{self, CreateUserError};
use crate::store;

/// The domain of the demo accounts' addresses (reserved: it can't be real).
pub(crate) const DOMAIN: &str = "demo.lionrock.invalid";

/// (role label, e-mail, password, real name, roles)
const DEMO: [(&str, &str, &str, bool, &[&str]); 2] = [
    ("resident", "resident@demo.lionrock.invalid", "harbour tram lantern", false, &[]),
    ("administrator and officer", "admin@demo.lionrock.invalid", "victoria peak ferry", true, &["admin", "officer"]),
];

pub(crate) async fn load(state: AppState) -> Result<Vec<String>, String> {
    let emails: Vec<&str> = DEMO.iter().map(|(_, email, ..)| *email).collect();
    let others = store::count_accounts_except(&state.db, &emails).await.map_err(|e| e.to_string())?;
    if others > 0 {
        return Err(format!(
            "this database holds {others} account(s) besides the demo ones; demo accounts, whose passwords are \
             published, go only into a database of their own (choose another server.data_dir or database.url)"
        ));
    }
    let mut notes = Vec::new();
    for (label, email, password, real_name, roles) in DEMO {
        let officer = roles.contains(&"officer");
        let roles = roles.iter().map(|r| (*r).to_owned()).collect();
        let scopes = if officer { vec![crate::real_name::VERIFIER_SCOPE.to_owned()] } else { Vec::new() };
        let name = accounts::NewUser::Email(email);
        match accounts::store::create_user_named(&state, name, password, real_name, roles, scopes).await {
            Ok(_) | Err(CreateUserError::Exists) => {}
            Err(e) => return Err(e.to_string()),
        }
        notes.push(format!("demo {label}: {email} / {password}"));
    }
    Ok(notes)
}
