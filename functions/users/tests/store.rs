//! The DynamoDB adapter against moto, on a table with the template's key schema: profiles
//! and the events written with them through the outbox.

mod support;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use shared::events::users::{UserDeleted, UserProfileUpdated, UserRegistered};
use shared::outbox::{ENVELOPE_ATTRIBUTE, EVENT_TYPE_ATTRIBUTE, OUTBOX_PK_PREFIX};
use shared::store::StoreError;
use shared::Envelope;
use std::collections::HashSet;
use users::domain::{DisplayName, Email, Profile, UserId};
use users::store::ProfileStore;
use users::SERVICE;

/// A fresh users table and a store over it.
struct TestTable {
    client: aws_sdk_dynamodb::Client,
    name: String,
    store: ProfileStore,
}

impl TestTable {
    async fn new() -> Self {
        let client = aws_sdk_dynamodb::Client::new(&support::aws().await);
        let name = support::create_users_table(&client).await;
        let store = ProfileStore::new(client.clone(), name.clone());
        Self {
            client,
            name,
            store,
        }
    }

    /// Every outbox item of the table, as (event_type attribute, envelope).
    async fn outbox(&self) -> Vec<(String, Envelope)> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.name)
                .filter_expression("begins_with(PK, :prefix)")
                .expression_attribute_values(
                    ":prefix",
                    AttributeValue::S(OUTBOX_PK_PREFIX.to_owned()),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan the outbox");
            for item in out.items.unwrap_or_default() {
                let text = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .unwrap_or_else(|| panic!("outbox item without string {name}: {item:?}"))
                        .clone()
                };
                let envelope =
                    Envelope::parse(&text(ENVELOPE_ATTRIBUTE)).expect("outbox envelope is JSON");
                assert_eq!(
                    text("PK"),
                    format!("{OUTBOX_PK_PREFIX}{}", envelope.id),
                    "outbox key is the event id"
                );
                items.push((text(EVENT_TYPE_ATTRIBUTE), envelope));
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    /// The one outbox item of type `T`; fails if there is none or more than one.
    async fn only_event<T: shared::Event>(&self) -> Envelope {
        let mut of_type: Vec<_> = self
            .outbox()
            .await
            .into_iter()
            .filter(|(t, _)| t == T::TYPE)
            .collect();
        assert_eq!(
            of_type.len(),
            1,
            "expected exactly one {} in the outbox",
            T::TYPE
        );
        let (_, envelope) = of_type.remove(0);
        assert_eq!(
            envelope.event_type,
            T::TYPE,
            "event_type attribute and envelope type agree"
        );
        envelope
    }
}

fn profile(name: &str, created_at: DateTime<Utc>) -> Profile {
    let id = uuid::Uuid::now_v7().to_string();
    Profile::register(
        UserId::new(&id),
        Email::parse(&format!("user.{id}@example.com")).unwrap(),
        DisplayName::parse(name).unwrap(),
        created_at,
    )
}

fn registered(p: &Profile) -> Envelope<UserRegistered> {
    Envelope::new(
        SERVICE,
        p.id.as_str(),
        UserRegistered {
            user_id: p.id.as_str().to_owned(),
            email: p.email.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            registered_at: p.created_at,
        },
    )
}

fn updated(p: &Profile) -> Envelope<UserProfileUpdated> {
    Envelope::new(
        SERVICE,
        p.id.as_str(),
        UserProfileUpdated {
            user_id: p.id.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            updated_at: p.updated_at,
        },
    )
}

fn deleted(id: &UserId) -> Envelope<UserDeleted> {
    Envelope::new(
        SERVICE,
        id.as_str(),
        UserDeleted {
            user_id: id.as_str().to_owned(),
            deleted_at: shared::time::now(),
        },
    )
}

#[tokio::test]
async fn a_created_profile_is_read_back_and_announced_once() {
    let table = TestTable::new().await;
    let ann = profile("Ann", shared::time::now());
    let event = registered(&ann);

    table.store.create(&ann, &event).await.unwrap();

    assert_eq!(table.store.get(&ann.id).await.unwrap(), Some(ann.clone()));
    let outbox = table.outbox().await;
    assert_eq!(
        outbox.len(),
        1,
        "one UserRegistered and nothing else: {outbox:?}"
    );
    let published = table.only_event::<UserRegistered>().await;
    assert_eq!(published.id, event.id);
    assert_eq!(published.decode::<UserRegistered>().unwrap(), event.data);
    assert_eq!(published.data["user_id"], ann.id.as_str());
}

#[tokio::test]
async fn registering_an_existing_id_again_changes_nothing() {
    let table = TestTable::new().await;
    let ann = profile("Ann", shared::time::now());
    table.store.create(&ann, &registered(&ann)).await.unwrap();

    let impostor = Profile::register(
        ann.id.clone(),
        Email::parse("impostor@example.com").unwrap(),
        DisplayName::parse("Impostor").unwrap(),
        shared::time::now(),
    );
    let err = table
        .store
        .create(&impostor, &registered(&impostor))
        .await
        .unwrap_err();

    assert!(matches!(err, StoreError::ConditionFailed), "{err:?}");
    assert_eq!(
        table.store.get(&ann.id).await.unwrap(),
        Some(ann),
        "the first profile stays"
    );
    assert_eq!(
        table.outbox().await.len(),
        1,
        "the refused registration emitted no event"
    );
}

#[tokio::test]
async fn a_rename_is_stored_and_announced() {
    let table = TestTable::new().await;
    let registered_at = shared::time::now() - Duration::hours(1);
    let ann = profile("Ann", registered_at);
    table.store.create(&ann, &registered(&ann)).await.unwrap();

    let renamed = ann
        .clone()
        .rename(DisplayName::parse("Ann Lee").unwrap(), shared::time::now());
    let event = updated(&renamed);
    table.store.update(&renamed, &event).await.unwrap();

    let stored = table
        .store
        .get(&ann.id)
        .await
        .unwrap()
        .expect("profile still there");
    assert_eq!(stored.name.as_str(), "Ann Lee");
    assert_eq!(stored.updated_at, renamed.updated_at);
    assert!(stored.updated_at > ann.updated_at);
    assert_eq!(
        stored.created_at, registered_at,
        "a rename keeps the registration time"
    );
    assert_eq!(stored.email, ann.email);
    let published = table.only_event::<UserProfileUpdated>().await;
    assert_eq!(published.id, event.id);
    assert_eq!(
        published.decode::<UserProfileUpdated>().unwrap(),
        event.data
    );
    assert_eq!(published.data["user_id"], ann.id.as_str());
    assert_eq!(
        table.outbox().await.len(),
        2,
        "UserRegistered and UserProfileUpdated"
    );
}

#[tokio::test]
async fn renaming_a_deleted_profile_neither_resurrects_it_nor_emits() {
    let table = TestTable::new().await;
    let ghost = profile("Ghost", shared::time::now());

    let renamed = ghost.rename(DisplayName::parse("Boo").unwrap(), shared::time::now());
    let err = table
        .store
        .update(&renamed, &updated(&renamed))
        .await
        .unwrap_err();

    assert!(matches!(err, StoreError::ConditionFailed), "{err:?}");
    assert_eq!(table.store.get(&renamed.id).await.unwrap(), None);
    assert!(table.outbox().await.is_empty());
}

#[tokio::test]
async fn a_deleted_profile_is_gone_and_announced() {
    let table = TestTable::new().await;
    let ann = profile("Ann", shared::time::now());
    table.store.create(&ann, &registered(&ann)).await.unwrap();

    let event = deleted(&ann.id);
    table.store.delete(&ann.id, &event).await.unwrap();

    assert_eq!(table.store.get(&ann.id).await.unwrap(), None);
    let (listed, _) = table.store.list(10, None).await.unwrap();
    assert!(
        listed.is_empty(),
        "a deleted user is not listed: {listed:?}"
    );
    let published = table.only_event::<UserDeleted>().await;
    assert_eq!(published.id, event.id);
    assert_eq!(published.data["user_id"], ann.id.as_str());

    // A repeated deletion is refused (the API answers 404) and announces nothing.
    let err = table
        .store
        .delete(&ann.id, &deleted(&ann.id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed), "{err:?}");
    assert_eq!(
        table.outbox().await.len(),
        2,
        "UserRegistered and one UserDeleted"
    );
}

#[tokio::test]
async fn an_unknown_id_has_no_profile() {
    let table = TestTable::new().await;
    let known = profile("Ann", shared::time::now());
    table
        .store
        .create(&known, &registered(&known))
        .await
        .unwrap();

    let unknown = UserId::new(uuid::Uuid::now_v7().to_string());
    assert_eq!(table.store.get(&unknown).await.unwrap(), None);
}

#[tokio::test]
async fn the_listing_pages_through_every_profile_newest_first() {
    let table = TestTable::new().await;
    let start = shared::time::now() - Duration::days(1);
    // Registered out of order; two share a millisecond and straddle a page boundary
    // (3rd and 4th newest), where paging must neither repeat nor skip one.
    let offsets = [0, 5, 1, 3, 6, 3, 2];
    let mut profiles = Vec::new();
    for (i, minutes) in offsets.into_iter().enumerate() {
        let p = profile(&format!("User {i}"), start + Duration::minutes(minutes));
        table.store.create(&p, &registered(&p)).await.unwrap();
        profiles.push(p);
    }

    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = table.store.list(3, cursor).await.unwrap();
        pages.push(page);
        cursor = next;
        if cursor.is_none() {
            break;
        }
        assert!(pages.len() < 10, "the listing does not end");
    }

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(
        sizes,
        [3, 3, 1],
        "pages of at most 3; the outbox items are not listed"
    );
    let listed: Vec<Profile> = pages.into_iter().flatten().collect();
    let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no profile twice: {ids:?}");
    let expected: HashSet<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(unique, expected, "every profile listed");
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at),
        "newest first: {:?}",
        listed.iter().map(|p| p.created_at).collect::<Vec<_>>()
    );
    assert_eq!(
        listed[0], profiles[4],
        "the newest registration comes first, whole"
    );
}
