//! Identity's side of the platform's people service, as another domain
//! (booking) calls it through `state.contracts`: who an account may act for
//! (its holder and its dependants, with their birth date, names and checked
//! document), nobody else's, and where its notices go.

use platform::both_backends;
use platform::contracts::{Contact, PersonId};
use platform::i18n::Lang;
use platform::ids::Document;
use platform::outbox::Channel;
use platform::principal::AccountId;
use platform::testkit::{Backend, TestApp};

use crate::support::*;

async fn account(app: &TestApp, email: &str) -> (AccountId, PersonId) {
    let email = identity::model::Email::parse(email).unwrap();
    let account = identity::store::account_by_email(app.db(), &email).await.unwrap().unwrap();
    (AccountId(account.id.parse().unwrap()), PersonId(account.person_id.parse().unwrap()))
}

fn date(s: &str) -> time::Date {
    time::Date::parse(s, &time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

async fn a_guardian_acts_for_themselves_and_their_dependants_only(backend: Backend) {
    let app = spawn(backend).await;
    let people = app.state.contracts.people().unwrap();
    let parent = registered(&app, "guardian@example.org").await;
    let added = parent
        .post_form(
            "/en/account/dependants",
            &[("name", "CHAN Siu Ming"), ("name_zh", "陳小明"), ("birthdate", "2018-06-01"), ("relation", "child")],
        )
        .await;
    assert_eq!(added.status(), 303);
    verify_identity(&app, "guardian@example.org").await;
    let (parent_account, parent_person) = account(&app, "guardian@example.org").await;

    let all = people.people_acted_for(&app.state, &parent_account).await.unwrap();
    assert_eq!(all.len(), 2, "the holder, then their dependant");
    let (me, child) = (&all[0], &all[1]);
    assert_eq!((me.id, me.holder), (parent_person, true));
    assert_eq!((me.name.as_deref(), me.birthdate), (Some("CHAN Tai Man"), Some(date("1980-01-02"))));
    let document = Document::parse("hkid", "A123456(3)", "").unwrap();
    let checked = me.checked.as_ref().expect("the holder's checked document");
    assert_eq!(checked.document_index, document.index(&app.state.keys));
    assert_eq!(checked.masked_document, document.masked());
    assert!(!child.holder);
    assert_eq!((child.name.as_deref(), child.name_zh.as_deref()), (Some("CHAN Siu Ming"), Some("陳小明")));
    assert_eq!(child.shown_name(Lang::ZhHk), Some("陳小明"));
    assert_eq!(child.birthdate, Some(date("2018-06-01")));
    assert_eq!(child.checked, None, "no document was checked for the child");

    // One person at a time, as a booking form names them.
    assert_eq!(people.acts_for(&app.state, &parent_account, &child.id).await.unwrap().as_ref(), Some(child));
    assert_eq!(people.acts_for(&app.state, &parent_account, &parent_person).await.unwrap().as_ref(), Some(me));

    // Nobody else acts for them; and nobody acts for a stranger.
    registered(&app, "stranger@example.org").await;
    let (stranger, stranger_person) = account(&app, "stranger@example.org").await;
    assert_eq!(people.acts_for(&app.state, &stranger, &child.id).await.unwrap(), None);
    assert_eq!(people.acts_for(&app.state, &stranger, &parent_person).await.unwrap(), None);
    assert_eq!(people.acts_for(&app.state, &parent_account, &stranger_person).await.unwrap(), None);
    let only_self = people.people_acted_for(&app.state, &stranger).await.unwrap();
    assert_eq!(only_self.len(), 1);
    assert_eq!((only_self[0].id, only_self[0].holder, &only_self[0].name), (stranger_person, true, &None));
    let nobody = AccountId::new();
    assert!(people.people_acted_for(&app.state, &nobody).await.unwrap().is_empty());
    assert_eq!(people.acts_for(&app.state, &nobody, &child.id).await.unwrap(), None);

    // Notices go to the account's address, in its language.
    let contact = people.contact(&app.state, &parent_account).await.unwrap().unwrap();
    let expected = Contact { channel: Channel::Email, recipient: "guardian@example.org".to_owned(), lang: Lang::En };
    assert!(contact == expected, "{contact:?}");
    assert!(people.contact(&app.state, &nobody).await.unwrap().is_none());
    // As before: the holder's checked document by account.
    let by_account = people.checked_person(&app.state, &parent_account).await.unwrap();
    assert_eq!(by_account.as_ref(), Some(checked));
}
both_backends!(a_guardian_acts_for_themselves_and_their_dependants_only);
