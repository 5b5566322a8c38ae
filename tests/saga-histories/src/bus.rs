//! SNS and SQS as the saga sees them, in memory and at the mercy of the history's random
//! source: a published event reaches every queue whose filter policy takes its type, in
//! one to three copies (SNS and SQS deliver at least once); a queue hands out a random
//! batch of whatever is pending (no order is promised); a message that is not
//! acknowledged comes back later, and after `maxReceiveCount` receives it moves to the
//! queue's dead-letter queue.

use crate::wiring::{QueueWiring, Wiring};
use fastrand::Rng;
use shared::Envelope;
use std::collections::HashSet;

/// One SQS message: a copy of an event in one queue.
#[derive(Debug, Clone)]
pub struct Message {
    /// The event it carries (the raw-delivery body).
    pub envelope: Envelope,
    /// Receives so far.
    pub receive_count: u32,
    /// Receives that ended without an acknowledgement.
    pub failed_receives: u32,
    /// Of those, the ones an injected fault explains: the worker crashed, or the payment
    /// provider failed transiently for this message's order.
    pub injected_failures: u32,
}

impl Message {
    /// A copy of `envelope`, not received yet.
    pub fn new(envelope: Envelope) -> Self {
        Self {
            envelope,
            receive_count: 0,
            failed_receives: 0,
            injected_failures: 0,
        }
    }

    /// True when every failed receive of the message had an injected fault behind it: the
    /// only reason a message may be dead-lettered. A failure of the saga's own making (a
    /// step waiting for another, a race lost too often) is a bug the DLQ would hide.
    pub fn failed_only_by_injected_faults(&self) -> bool {
        self.failed_receives == self.injected_failures
    }
}

/// A queue with its pending messages and its dead-letter queue.
#[derive(Debug)]
pub struct Queue {
    /// The queue's wiring.
    pub wiring: QueueWiring,
    /// Messages waiting to be received, in no meaningful order.
    pub pending: Vec<Message>,
    /// Messages that failed `maxReceiveCount` receives.
    pub dead: Vec<Message>,
    /// Ids of the events the worker acknowledged at least one copy of.
    pub acknowledged: HashSet<String>,
}

/// Counts of what the bus did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BusCounts {
    /// Events published.
    pub published: u64,
    /// Messages enqueued (every copy of every event in every queue it is delivered to).
    pub enqueued: u64,
    /// Extra copies beyond the first, injected as duplicate deliveries.
    pub duplicates: u64,
    /// Messages handed to a worker (receives).
    pub received: u64,
    /// Receives that ended without an acknowledgement (failed or crashed).
    pub unacknowledged: u64,
    /// Messages moved to a dead-letter queue.
    pub dead_lettered: u64,
}

/// A batch received from one queue.
#[derive(Debug)]
pub struct Batch {
    /// Index of the queue in [`Bus::queues`].
    pub queue: usize,
    /// The messages, in the order the worker sees them.
    pub messages: Vec<Message>,
}

/// The in-memory SNS and SQS of one history.
#[derive(Debug)]
pub struct Bus {
    wiring: Wiring,
    /// Every queue that has a consumer.
    pub queues: Vec<Queue>,
    /// Every event published, in publication order.
    pub published: Vec<Envelope>,
    /// What the bus did so far.
    pub counts: BusCounts,
}

impl Bus {
    /// An empty bus over the template's wiring.
    pub fn new(wiring: Wiring) -> Self {
        let queues = wiring
            .queues
            .iter()
            .map(|q| Queue {
                wiring: q.clone(),
                pending: Vec::new(),
                dead: Vec::new(),
                acknowledged: HashSet::new(),
            })
            .collect();
        Self {
            wiring,
            queues,
            published: Vec::new(),
            counts: BusCounts::default(),
        }
    }

    /// The topic a table's outbox is published to; `None` for a table without a
    /// publisher (notifications emits nothing).
    pub fn topic_of_table(&self, table: &str) -> Option<&str> {
        self.wiring.topic_of_table.get(table).map(String::as_str)
    }

    /// Publishes `envelope` to `topic`: each subscribed queue whose filter takes its type
    /// gets one copy, or, as `duplicate_copies` decides, up to two more.
    pub fn publish(&mut self, topic: &str, envelope: Envelope, rng: &mut Rng) {
        let targets: Vec<String> = self
            .wiring
            .queues_for(topic, &envelope.event_type)
            .map(str::to_owned)
            .collect();
        for target in targets {
            let Some(queue) = self.queues.iter_mut().find(|q| q.wiring.queue == target) else {
                panic!("{target} is subscribed to {topic} but has no consumer");
            };
            let copies = duplicate_copies(rng);
            self.counts.enqueued += copies;
            self.counts.duplicates += copies - 1;
            for _ in 0..copies {
                queue.pending.push(Message::new(envelope.clone()));
            }
        }
        self.counts.published += 1;
        self.published.push(envelope);
    }

    /// True while any queue has a message waiting.
    pub fn has_pending(&self) -> bool {
        self.queues.iter().any(|q| !q.pending.is_empty())
    }

    /// Receives a batch of random size (up to the queue's batch size) of random pending
    /// messages from a random non-empty queue.
    pub fn receive(&mut self, rng: &mut Rng) -> Option<Batch> {
        let ready: Vec<usize> = (0..self.queues.len())
            .filter(|&i| !self.queues[i].pending.is_empty())
            .collect();
        let queue = *ready.get(rng.usize(..ready.len().max(1)))?;
        let q = &mut self.queues[queue];
        let size = rng.usize(1..=q.wiring.batch_size.min(q.pending.len()));
        let mut messages = Vec::with_capacity(size);
        for _ in 0..size {
            let mut message = q.pending.swap_remove(rng.usize(..q.pending.len()));
            message.receive_count += 1;
            messages.push(message);
        }
        self.counts.received += size as u64;
        Some(Batch { queue, messages })
    }

    /// Settles a batch: the messages at `unacknowledged` (indexes into the batch) become
    /// visible again, or move to the dead-letter queue once received `maxReceiveCount`
    /// times; the rest are deleted. `injected` says, per unacknowledged message, whether
    /// an injected fault explains its failure.
    pub fn settle(&mut self, batch: Batch, unacknowledged: &[(usize, bool)]) {
        let q = &mut self.queues[batch.queue];
        for (i, mut message) in batch.messages.into_iter().enumerate() {
            let Some(&(_, injected)) = unacknowledged.iter().find(|(u, _)| *u == i) else {
                q.acknowledged.insert(message.envelope.id);
                continue;
            };
            message.failed_receives += 1;
            message.injected_failures += u32::from(injected);
            self.counts.unacknowledged += 1;
            if message.receive_count >= q.wiring.max_receive_count {
                self.counts.dead_lettered += 1;
                q.dead.push(message);
            } else {
                q.pending.push(message);
            }
        }
    }

    /// Every dead-lettered message, with its queue's logical id.
    pub fn dead_letters(&self) -> impl Iterator<Item = (&str, &Message)> {
        self.queues
            .iter()
            .flat_map(|q| q.dead.iter().map(|m| (q.wiring.queue.as_str(), m)))
    }

    /// The dead letters whose event the queue's worker never acknowledged in any copy:
    /// work left undone until someone redrives them. (A dead-lettered duplicate of an
    /// event handled through another copy changes nothing.)
    pub fn unhandled_dead_letters(&self) -> impl Iterator<Item = (&str, &Message)> {
        self.queues.iter().flat_map(|q| {
            q.dead
                .iter()
                .filter(|m| !q.acknowledged.contains(&m.envelope.id))
                .map(|m| (q.wiring.queue.as_str(), m))
        })
    }
}

/// How many copies of an event a queue gets: mostly one, sometimes two or three.
fn duplicate_copies(rng: &mut Rng) -> u64 {
    match rng.u8(0..10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wiring::Subscription;
    use std::collections::BTreeMap;

    fn one_queue_bus() -> Bus {
        Bus::new(Wiring {
            topic_of_table: BTreeMap::from([("T".to_owned(), "Topic".to_owned())]),
            subscriptions: vec![Subscription {
                topic: "Topic".to_owned(),
                queue: "Q".to_owned(),
                event_types: vec!["Wanted".to_owned()],
            }],
            queues: vec![QueueWiring {
                queue: "Q".to_owned(),
                consumer: "q-worker".to_owned(),
                table: "T".to_owned(),
                batch_size: 10,
                max_receive_count: 3,
            }],
        })
    }

    fn envelope(event_type: &str) -> Envelope {
        serde_json::from_value(serde_json::json!({
            "id": shared::ids::new_id(), "type": event_type, "version": 1, "source": "test",
            "time": "2026-01-01T00:00:00.000Z", "correlation_id": "c", "data": {}
        }))
        .unwrap()
    }

    #[test]
    fn the_filter_decides_which_events_are_queued_and_copies_are_counted() {
        let mut bus = one_queue_bus();
        let mut rng = Rng::with_seed(7);
        for _ in 0..20 {
            bus.publish("Topic", envelope("Wanted"), &mut rng);
        }
        bus.publish("Topic", envelope("Unwanted"), &mut rng);
        let c = bus.counts;
        assert_eq!(c.published, 21);
        assert_eq!(bus.queues[0].pending.len() as u64, c.enqueued);
        assert_eq!(c.enqueued, 20 + c.duplicates);
        assert!(c.duplicates > 0, "20 events without a duplicate");
        assert!(bus.queues[0]
            .pending
            .iter()
            .all(|m| m.envelope.event_type == "Wanted"));
    }

    #[test]
    fn a_message_failing_max_receive_count_times_is_dead_lettered_and_others_deleted() {
        let mut bus = one_queue_bus();
        let mut rng = Rng::with_seed(1);
        let poison = envelope("Wanted");
        bus.queues[0].pending.push(Message::new(poison.clone()));
        for receive in 1..=3 {
            let batch = bus.receive(&mut rng).expect("the message is pending");
            assert_eq!(batch.messages[0].receive_count, receive);
            // The second failure is not explained by an injected fault.
            bus.settle(batch, &[(0, receive != 2)]);
        }
        assert!(!bus.has_pending());
        assert_eq!(bus.queues[0].dead.len(), 1);
        let dead = bus.dead_letters().next().unwrap().1;
        assert_eq!(dead.envelope.id, poison.id);
        assert_eq!((dead.failed_receives, dead.injected_failures), (3, 2));
        assert!(!dead.failed_only_by_injected_faults());
        assert_eq!(
            (
                bus.counts.received,
                bus.counts.unacknowledged,
                bus.counts.dead_lettered
            ),
            (3, 3, 1)
        );

        bus.publish("Topic", envelope("Wanted"), &mut rng);
        while let Some(batch) = bus.receive(&mut rng) {
            bus.settle(batch, &[]);
        }
        assert!(!bus.has_pending());
        assert_eq!(bus.queues[0].dead.len(), 1);
        assert_eq!(bus.unhandled_dead_letters().count(), 1);

        // A dead-lettered copy of an event another copy of which was handled.
        let twice = envelope("Wanted");
        for copy in [true, false] {
            bus.queues[0].pending.push(Message {
                receive_count: if copy { 0 } else { 2 },
                ..Message::new(twice.clone())
            });
        }
        while let Some(batch) = bus.receive(&mut rng) {
            let failed: Vec<(usize, bool)> = (0..batch.messages.len())
                .filter(|&i| batch.messages[i].receive_count == 3)
                .map(|i| (i, true))
                .collect();
            bus.settle(batch, &failed);
        }
        assert_eq!(bus.queues[0].dead.len(), 2);
        assert_eq!(bus.unhandled_dead_letters().count(), 1);
    }
}
