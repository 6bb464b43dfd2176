//! Messages to an account holder: a fixed, translated notice or a one-time
//! code, to their e-mail address or mobile number, in their language.
//! Features put them in the outbox in their own transaction.

use platform::app::AppState;
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox::{Channel, Notification};

use crate::model::{self, Email, Identifier, OneTimeCode, Phone};
use crate::store::account;

/// A fixed, translated message to an address or number: an e-mail with
/// its subject, or an SMS with the body alone.
pub(crate) fn to_address(
    state: &AppState,
    lang: Lang,
    to: &Identifier,
    subject_key: &str,
    body: String,
) -> Notification {
    match to {
        Identifier::Email(email) => Notification {
            channel: Channel::Email,
            recipient: email.as_str().to_owned(),
            lang,
            subject: Some(state.catalog.text(lang, subject_key)),
            body,
            qr: None,
        },
        Identifier::Phone(phone) => Notification {
            channel: Channel::Sms,
            recipient: phone.as_str().to_owned(),
            lang,
            subject: None,
            body,
            qr: None,
        },
    }
}

/// Where an account's notices go: its e-mail address, else its mobile number.
pub(crate) fn contact(account: &account::Model) -> Result<Identifier, AppError> {
    match (&account.email, &account.phone) {
        (Some(email), _) => {
            Email::parse(email).map(Identifier::Email).map_err(|_| AppError::internal("stored e-mail address invalid"))
        }
        (None, Some(phone)) => Ok(Identifier::Phone(Phone::stored(phone))),
        (None, None) => Err(AppError::internal("account has neither e-mail address nor mobile number")),
    }
}

/// A fixed, translated security notice to an account holder.
pub(crate) fn to_holder(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    subject_key: &str,
    body_key: &str,
) -> Result<Notification, AppError> {
    Ok(to_address(state, lang, &contact(account)?, subject_key, state.catalog.text(lang, body_key)))
}

pub(crate) fn code_message(state: &AppState, lang: Lang, to: &Identifier, code: &OneTimeCode) -> Notification {
    let minutes = model::CODE_LIFETIME.whole_minutes().to_string();
    let body_key = match to {
        Identifier::Email(_) => "email-code-body",
        Identifier::Phone(_) => "sms-code-body",
    };
    let body = state.catalog.text_with(lang, body_key, &[("code", code.as_str()), ("minutes", &minutes)]);
    to_address(state, lang, to, "email-code-subject", body)
}

/// The language notices to `account` go out in when no request of theirs
/// chose one: the one they last signed in with, else the operator's default.
pub(crate) fn language(state: &AppState, account: &account::Model) -> Lang {
    account.lang.as_deref().and_then(Lang::parse).unwrap_or(state.config.locale.default)
}
