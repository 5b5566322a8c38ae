//! notifications-worker: turns the events that matter to a user into one inbox entry
//! each (delivered through the configured channel), keeps users' contacts, and erases a
//! deleted user. Every step is idempotent on the event id and safe under reordering.

mod erase;
mod notify;

use crate::channel::Channel;
use crate::domain::{render, Contact, Email, EventId, OrderId, UserId};
use crate::store::{ContactStore, InboxStore, UserErasure};
use aws_sdk_dynamodb::Client;
use notify::Notice;
use shared::consumer::{ConsumeError, Consumer};
use shared::events::orders::{OrderCancelled, OrderConfirmed, OrderRejected};
use shared::events::payments::PaymentRefunded;
use shared::events::users::{UserDeleted, UserRegistered};
use shared::metrics::Metrics;
use shared::Envelope;

shared::event_set! {
    /// What notifications-worker consumes: the events a user is told about, and the
    /// account events that keep (or erase) their contact.
    pub enum Consumed {
        UserRegistered(UserRegistered),
        UserDeleted(UserDeleted),
        OrderConfirmed(OrderConfirmed),
        OrderRejected(OrderRejected),
        OrderCancelled(OrderCancelled),
        PaymentRefunded(PaymentRefunded),
    }
}

/// What the worker works with, built once per execution environment.
pub struct Worker<C> {
    inbox: InboxStore,
    contacts: ContactStore,
    erasure: UserErasure,
    channel: C,
    metrics: Metrics,
}

impl<C: Channel> Worker<C> {
    /// A worker over the notifications table, delivering through `channel`, writing its
    /// metrics to stdout.
    pub fn new(client: Client, table: String, channel: C) -> Self {
        Self {
            inbox: InboxStore::new(client.clone(), table.clone()),
            contacts: ContactStore::new(client.clone(), table.clone()),
            erasure: UserErasure::new(client, table),
            channel,
            metrics: Metrics::stdout(crate::SERVICE),
        }
    }

    /// The same worker counting its business metrics into `metrics` (tests record them).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }
}

impl<C: Channel> Consumer for Worker<C> {
    type Events = Consumed;

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    async fn handle(&self, envelope: &Envelope, event: Consumed) -> Result<(), ConsumeError> {
        let event_id = EventId::parse(&envelope.id).ok_or_else(|| {
            ConsumeError::Poison(format!("event id {:?} is not a UUID", envelope.id))
        })?;
        let notice = |user_id: &str| -> Result<Notice, ConsumeError> {
            Ok(Notice {
                event_id: event_id.clone(),
                time: envelope.time,
                user: user_id_of(user_id)?,
            })
        };
        match event {
            Consumed::UserRegistered(e) => {
                let notice = notice(&e.user_id)?;
                let email = Email::parse(&e.email).map_err(|_| {
                    ConsumeError::Poison(format!(
                        "user {}: the registered email is not an address",
                        notice.user.as_str()
                    ))
                })?;
                let contact = Contact::new(notice.user.clone(), email, &e.name);
                notify::notify(self, &notice, Some(&contact), |_| render::welcome(&e)).await
            }
            Consumed::UserDeleted(e) => erase::erase(self, &user_id_of(&e.user_id)?, &e).await,
            Consumed::OrderConfirmed(e) => {
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::order_confirmed(&e, name)
                })
                .await
            }
            Consumed::OrderRejected(e) => {
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::order_rejected(&e, name)
                })
                .await
            }
            Consumed::OrderCancelled(e) => {
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::order_cancelled(&e, name)
                })
                .await
            }
            Consumed::PaymentRefunded(e) => {
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::payment_refunded(&e, name)
                })
                .await
            }
        }
    }
}

fn user_id_of(raw: &str) -> Result<UserId, ConsumeError> {
    UserId::parse(raw).ok_or_else(|| ConsumeError::Poison(format!("user id {raw:?} is not a UUID")))
}

/// A message must name a real order: garbage in the id is a poison message.
fn check_order_id(raw: &str) -> Result<(), ConsumeError> {
    OrderId::parse(raw)
        .map(|_| ())
        .ok_or_else(|| ConsumeError::Poison(format!("order id {raw:?} is not a UUID")))
}
