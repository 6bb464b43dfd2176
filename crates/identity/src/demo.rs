//! Demo accounts for `lionrock serve --demo`: a resident (real-name: their
//! identity document, `platform::demo::RESIDENT`, checked by the demo
//! officer), an administrator and officer, and a health officer holding
//! credentials' scopes, with their sign-in details printed at start. Their
//! passwords are published, so they go only into a database that holds no
//! other account: demo mode can never open a backdoor into a real install.

use platform::app::AppState;

use crate::accounts::{self, CreateUserError};
use crate::store;

/// The domain of the demo accounts' addresses (reserved: it can't be real).
pub(crate) const DOMAIN: &str = "demo.lionrock.invalid";

/// Credentials' officer scopes (its `issuance::HEALTH_RECORDS_SCOPE` and
/// `EXEMPTION_SCOPE`; identity names them without depending on the crate).
const HEALTH_OFFICER_SCOPES: &[&str] = &["health-records", "exemption-issuer"];

/// One demo account.
struct DemoAccount {
    label: &'static str,
    email: &'static str,
    password: &'static str,
    real_name: bool,
    roles: &'static [&'static str],
    scopes: &'static [&'static str],
}

const DEMO: [DemoAccount; 3] = [
    DemoAccount {
        label: "resident",
        email: "resident@demo.lionrock.invalid",
        password: "harbour tram lantern",
        real_name: false,
        roles: &[],
        scopes: &[],
    },
    DemoAccount {
        label: "administrator and officer",
        email: "admin@demo.lionrock.invalid",
        password: "victoria peak ferry",
        real_name: true,
        roles: &["admin", "officer"],
        scopes: &[crate::real_name::VERIFIER_SCOPE],
    },
    DemoAccount {
        label: "health officer (records and exemptions)",
        email: "health@demo.lionrock.invalid",
        password: "pok fu lam vaccine clinic",
        real_name: false,
        roles: &["officer"],
        scopes: HEALTH_OFFICER_SCOPES,
    },
];

pub(crate) async fn load(state: AppState) -> Result<Vec<String>, String> {
    let emails: Vec<&str> = DEMO.iter().map(|a| a.email).collect();
    let others = store::count_accounts_except(&state.db, &emails).await.map_err(|e| e.to_string())?;
    if others > 0 {
        return Err(format!(
            "this database holds {others} account(s) besides the demo ones; demo accounts, whose passwords are \
             published, go only into a database of their own (choose another server.data_dir or database.url)"
        ));
    }
    let mut notes = Vec::new();
    let mut created = Vec::new();
    for DemoAccount { label, email, password, real_name, roles, scopes } in DEMO {
        let roles = roles.iter().map(|r| (*r).to_owned()).collect();
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        let name = accounts::NewUser::Email(email);
        match accounts::store::create_user_named(&state, name, password, real_name, roles, scopes).await {
            Ok(account) => created.push(account.id),
            Err(CreateUserError::Exists) => created.push(String::new()),
            Err(e) => return Err(e.to_string()),
        }
        notes.push(format!("demo {label}: {email} / {password}"));
    }
    // The demo officer checks the resident's identity card, so the resident
    // is real-name and other domains find their records by the document.
    if let [resident, officer, ..] = created.as_slice()
        && !resident.is_empty()
        && !officer.is_empty()
    {
        verify_resident(&state, officer).await?;
    }
    Ok(notes)
}

async fn verify_resident(state: &AppState, officer: &str) -> Result<(), String> {
    use crate::real_name::{AccountRef, Outcome, Particulars, Source};
    let person = platform::demo::RESIDENT;
    let document = platform::ids::Document::parse("hkid", person.hkid, "").map_err(|e| format!("{e:?}"))?;
    let email = crate::model::Email::parse(DEMO[0].email).map_err(|e| format!("{e:?}"))?;
    let particulars = Particulars {
        name: format!("{} {}", person.family_name.to_uppercase(), person.given_name),
        birthdate: person.birth_date.to_owned(),
    };
    let who = AccountRef::Identifier(crate::model::Identifier::Email(email));
    match crate::real_name::store::verify(state, Source::Officer(officer), &who, &document, &particulars).await {
        Ok(Outcome::Verified | Outcome::AlreadyVerified) => Ok(()),
        Ok(other) => Err(format!("demo resident's document: {other:?}")),
        Err(e) => Err(e.to_string()),
    }
}
