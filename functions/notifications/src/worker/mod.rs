//! notifications-worker: turns the events that matter to a user into one inbox entry
//! each (delivered through the configured channel), keeps users' contacts, and erases a
//! deleted user. Every step is idempotent on the event id and safe under reordering.

mod erase;
mod notify;

use crate::channel::Channel;
use crate::domain::{render, Contact, Email, EventId, OrderId, UserId};
use crate::store::{ContactStore, InboxStore, UserErasure};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::Client;
use lambda_runtime::LambdaEvent;
use notify::Notice;
use shared::consumer::{consume_batch, ConsumeError};
use shared::events::orders::{OrderCancelled, OrderConfirmed, OrderRejected};
use shared::events::payments::PaymentRefunded;
use shared::events::users::{UserDeleted, UserRegistered};
use shared::events::DecodeError;
use shared::metrics::Metrics;
use shared::{Envelope, Event};

/// Every event type the worker handles: what its queue's subscriptions must deliver
/// (checked against template.yaml's filter policies by the contract test).
pub const HANDLED_EVENT_TYPES: [&str; 6] = [
    UserRegistered::TYPE,
    UserDeleted::TYPE,
    OrderConfirmed::TYPE,
    OrderRejected::TYPE,
    OrderCancelled::TYPE,
    PaymentRefunded::TYPE,
];

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

    /// Handles one SQS batch, reporting the messages to retry.
    pub async fn handle_batch(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        // Boxed: an event's future (SDK calls inside the channel inside the handler) is
        // nested deeper than rustc's default limit for computing a future's layout.
        Ok(consume_batch(event, &self.metrics, |envelope| {
            Box::pin(self.handle_event(envelope))
        })
        .await)
    }

    async fn handle_event(&self, envelope: Envelope) -> Result<(), ConsumeError> {
        let poison = |e: DecodeError| ConsumeError::Poison(e.to_string());
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
        match envelope.event_type.as_str() {
            UserRegistered::TYPE => {
                let e: UserRegistered = envelope.decode().map_err(poison)?;
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
            UserDeleted::TYPE => {
                let e: UserDeleted = envelope.decode().map_err(poison)?;
                erase::erase(self, &user_id_of(&e.user_id)?, &e).await
            }
            OrderConfirmed::TYPE => {
                let e: OrderConfirmed = envelope.decode().map_err(poison)?;
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::order_confirmed(&e, name)
                })
                .await
            }
            OrderRejected::TYPE => {
                let e: OrderRejected = envelope.decode().map_err(poison)?;
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::order_rejected(&e, name)
                })
                .await
            }
            OrderCancelled::TYPE => {
                let e: OrderCancelled = envelope.decode().map_err(poison)?;
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::order_cancelled(&e, name)
                })
                .await
            }
            PaymentRefunded::TYPE => {
                let e: PaymentRefunded = envelope.decode().map_err(poison)?;
                check_order_id(&e.order_id)?;
                notify::notify(self, &notice(&e.user_id)?, None, |name| {
                    render::payment_refunded(&e, name)
                })
                .await
            }
            other => {
                // The subscriptions' filter policies deliver only HANDLED_EVENT_TYPES;
                // anything else is a misconfiguration, and retrying it would not help.
                tracing::warn!(
                    event_type = other,
                    "ignoring an event this worker does not handle"
                );
                Ok(())
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
