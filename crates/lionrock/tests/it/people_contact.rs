//! The People contract's `contact`, as identity answers it to other
//! domains (booking writes confirmations and reminders there): the
//! account's verified e-mail address, else its verified mobile number, in
//! the language of its last sign-in; nothing for an unverified account.

use platform::both_backends;
use platform::i18n::Lang;
use platform::outbox::Channel;
use platform::principal::AccountId;
use platform::testkit::{Backend, TestApp};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

async fn account(app: &TestApp, id: &str, active: bool) -> AccountId {
    let id = identity::model::Identifier::parse(id, &["852".to_owned()]).unwrap();
    let new = identity::store::NewAccount {
        id: &id,
        password_hash: None,
        active,
        real_name: false,
        roles: vec!["resident".to_owned()],
        scopes: Vec::new(),
    };
    let made = identity::store::create_account(app.db(), new).await.unwrap();
    AccountId(made.id.parse().unwrap())
}

async fn identity_says_where_to_write_to_an_account_holder(backend: Backend) {
    let app = TestApp::builder().module(identity::module()).backend(backend).spawn().await;
    let people = app.state.contracts.people().unwrap();

    let mail = account(&app, "chan@example.org", true).await;
    let contact = people.contact(&app.state, &mail).await.unwrap().unwrap();
    assert_eq!((contact.channel, contact.recipient.as_str()), (Channel::Email, "chan@example.org"));
    assert_eq!(contact.lang, app.state.config.locale.default);
    identity::store::account::ActiveModel {
        id: Set(mail.to_string()),
        lang: Set(Some(Lang::ZhHk.tag().to_owned())),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    assert_eq!(people.contact(&app.state, &mail).await.unwrap().unwrap().lang, Lang::ZhHk);

    let phone = account(&app, "+85291234567", true).await;
    let contact = people.contact(&app.state, &phone).await.unwrap().unwrap();
    assert_eq!((contact.channel, contact.recipient.as_str()), (Channel::Sms, "+85291234567"));

    let pending = account(&app, "pending@example.org", false).await;
    assert!(people.contact(&app.state, &pending).await.unwrap().is_none(), "not verified");
    assert!(people.contact(&app.state, &AccountId::new()).await.unwrap().is_none(), "no such account");
}
both_backends!(identity_says_where_to_write_to_an_account_holder);
