//! One history's crabcart: fresh tables on the shared moto (built from template.yaml),
//! the four saga workers in-process, each on a DynamoDB client with its own
//! [`CrashSwitch`], payments charging through the simulator behind a [`LedgerProvider`],
//! notifications with no channel, and the orders API's route table for placing and
//! cancelling orders as a signed-in user would.

use crate::crash::{CrashInterceptor, CrashSwitch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use lambda_runtime::LambdaEvent;
use notifications::channel::DisabledChannel;
use payments::provider::{
    Charge, ChargeRequest, PaymentProvider, ProviderError, Refund, RefundRequest, SimulatedProvider,
};
use serde_json::Value;
use shared::consumer::handle_batch;
use shared::http::Router;
use shared::outbox::{ENVELOPE_ATTRIBUTE, OUTBOX_PK_PREFIX};
use shared::Envelope;
use stack_model::fixtures::api::{send, Call, Caller};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// The tables of the saga's services, by logical id.
pub const TABLES: [&str; 4] = [
    "ProductsTable",
    "OrdersTable",
    "PaymentsTable",
    "NotificationsTable",
];

const CURSOR_KEY: &[u8] = b"saga-histories-cursor-signing-key";

/// A charge or refund the payments worker asked the provider for.
#[derive(Debug, Clone)]
pub struct ProviderCall {
    /// The idempotency key it carried.
    pub key: String,
    /// The amount in minor units.
    pub amount: u64,
    /// True for a charge, false for a refund.
    pub charge: bool,
}

/// The simulator as the payments worker sees it: every call is recorded, and none gets
/// through once the worker's process has crashed.
pub struct LedgerProvider {
    /// The simulator, whose counters say what was charged and refunded per key.
    pub simulator: SimulatedProvider,
    crash: Arc<CrashSwitch>,
    calls: Mutex<Vec<ProviderCall>>,
    transient_failures: Mutex<HashMap<String, u32>>,
}

impl LedgerProvider {
    fn record(&self, call: ProviderCall) -> Result<(), ProviderError> {
        if self.crash.crashed() {
            return Err(ProviderError::Transient("the caller crashed".to_owned()));
        }
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
        Ok(())
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<ProviderCall> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Transient failures the simulator answered under `key` so far (the injected
    /// failures of `pm_card_error`).
    pub fn transient_failures_for(&self, key: &str) -> u32 {
        self.transient_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .copied()
            .unwrap_or(0)
    }

    fn count<T>(&self, key: &str, answer: Result<T, ProviderError>) -> Result<T, ProviderError> {
        if let Err(ProviderError::Transient(_)) = &answer {
            *self
                .transient_failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.to_owned())
                .or_default() += 1;
        }
        answer
    }
}

impl PaymentProvider for LedgerProvider {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError> {
        self.record(ProviderCall {
            key: request.idempotency_key.clone(),
            amount: request.amount.amount,
            charge: true,
        })?;
        self.count(
            &request.idempotency_key,
            self.simulator.charge(request).await,
        )
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, ProviderError> {
        self.record(ProviderCall {
            key: request.idempotency_key.clone(),
            amount: request.amount.amount,
            charge: false,
        })?;
        self.count(
            &request.idempotency_key,
            self.simulator.refund(request).await,
        )
    }
}

/// What an API call answered.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
}

/// The services of one history.
pub struct Stack {
    /// A client without crashes, for setup and for reading the outcome.
    pub client: Client,
    /// Table name by logical id.
    pub tables: BTreeMap<&'static str, String>,
    /// The crash switch of each worker, by its binary name.
    pub switches: BTreeMap<&'static str, Arc<CrashSwitch>>,
    /// The provider the payments worker charges through.
    pub provider: Arc<LedgerProvider>,
    products: products::worker::Worker,
    orders: orders::worker::Worker,
    expiry: orders::expiry::Expiry,
    payments: payments::worker::Worker<Arc<LedgerProvider>>,
    notifications: notifications::worker::Worker<DisabledChannel>,
    orders_app: Arc<orders::App>,
    orders_routes: Router<orders::App>,
}

impl Stack {
    /// Creates the tables and builds the workers and the orders API over them.
    pub async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = Client::new(&aws);
        let mut tables = BTreeMap::new();
        for logical_id in TABLES {
            let name = stack_model::fixtures::create_table(&client, logical_id).await;
            tables.insert(logical_id, name);
        }
        let switches: BTreeMap<&'static str, Arc<CrashSwitch>> = [
            "products-worker",
            "orders-worker",
            "payments-worker",
            "notifications-worker",
        ]
        .into_iter()
        .map(|worker| (worker, CrashSwitch::new()))
        .collect();
        let crashing_client = |worker: &str| {
            let config = aws_sdk_dynamodb::config::Builder::from(&aws)
                .interceptor(CrashInterceptor(Arc::clone(&switches[worker])))
                .build();
            Client::from_conf(config)
        };
        let provider = Arc::new(LedgerProvider {
            simulator: SimulatedProvider::new(),
            crash: Arc::clone(&switches["payments-worker"]),
            calls: Mutex::new(Vec::new()),
            transient_failures: Mutex::new(HashMap::new()),
        });
        let config = shared::config::ListingApiConfig {
            table_name: tables["OrdersTable"].clone(),
            cursor_signing_key: CURSOR_KEY.to_vec(),
        };
        Self {
            products: products::worker::Worker::new(
                crashing_client("products-worker"),
                tables["ProductsTable"].clone(),
            ),
            orders: orders::worker::Worker::new(
                crashing_client("orders-worker"),
                tables["OrdersTable"].clone(),
            ),
            // A deadline of zero: the history decides when it passes.
            expiry: orders::expiry::Expiry::new(
                client.clone(),
                tables["OrdersTable"].clone(),
                chrono::Duration::zero(),
            ),
            payments: payments::worker::Worker::new(
                crashing_client("payments-worker"),
                tables["PaymentsTable"].clone(),
                Arc::clone(&provider),
            ),
            notifications: notifications::worker::Worker::new(
                crashing_client("notifications-worker"),
                tables["NotificationsTable"].clone(),
                DisabledChannel,
            ),
            orders_app: Arc::new(orders::App::new(&aws, config)),
            orders_routes: orders::api::router(),
            provider,
            switches,
            tables,
            client,
        }
    }

    /// The name of the table with this logical id.
    pub fn table(&self, logical_id: &str) -> &str {
        &self.tables[logical_id]
    }

    /// One run of the expiry sweep with the deadline passed for every order placed so far.
    pub async fn sweep_expired(&self) -> orders::expiry::SweepReport {
        self.expiry
            .sweep(chrono::Utc::now())
            .await
            .expect("the expiry sweep lists the open orders")
    }

    /// Invokes the worker `consumer` (its binary name) with an SQS batch.
    pub async fn invoke(
        &self,
        consumer: &str,
        batch: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        match consumer {
            "products-worker" => handle_batch(&self.products, batch).await,
            "orders-worker" => handle_batch(&self.orders, batch).await,
            "payments-worker" => handle_batch(&self.payments, batch).await,
            "notifications-worker" => handle_batch(&self.notifications, batch).await,
            other => panic!("template.yaml names a consumer this harness does not run: {other}"),
        }
    }

    /// Every outbox envelope of a table (by logical id) whose id is not in `seen`, oldest
    /// first; adds them to `seen`.
    pub async fn new_outbox_events(
        &self,
        table: &str,
        seen: &mut std::collections::HashSet<String>,
    ) -> Vec<Envelope> {
        let mut fresh = Vec::new();
        for item in self.scan(table, OUTBOX_PK_PREFIX).await {
            let json = item[ENVELOPE_ATTRIBUTE]
                .as_s()
                .expect("an outbox item holds its envelope");
            let envelope = Envelope::parse(json).expect("an outbox envelope parses");
            if seen.insert(envelope.id.clone()) {
                fresh.push(envelope);
            }
        }
        // Ids are time-ordered: the order the events were written in.
        fresh.sort_by(|a, b| a.id.cmp(&b.id));
        fresh
    }

    /// Every item of a table (by logical id) whose partition key starts with `pk_prefix`.
    pub async fn scan(&self, table: &str, pk_prefix: &str) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(self.table(table))
                .filter_expression("begins_with(PK, :prefix)")
                .expression_attribute_values(":prefix", AttributeValue::S(pk_prefix.to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap_or_else(|e| panic!("scan {table}: {e:?}"));
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    /// POST /v1/orders as `user`, with a fresh Idempotency-Key.
    pub async fn place_order(&self, user: &str, body: &Value) -> Answer {
        let call = Call::new("POST", "/v1/orders", "/v1/orders")
            .header("Idempotency-Key", &shared::ids::new_id())
            .json(body);
        self.call_orders_api(user, call).await
    }

    /// POST /v1/orders/{id}/cancel as `user`.
    pub async fn cancel_order(&self, user: &str, order_id: &str) -> Answer {
        let path = format!("/v1/orders/{order_id}/cancel");
        self.call_orders_api(user, Call::new("POST", "/v1/orders/{id}/cancel", path))
            .await
    }

    async fn call_orders_api(&self, user: &str, call: Call) -> Answer {
        let caller = Caller {
            sub: user.to_owned(),
            email: format!("{user}@example.com"),
            admin: false,
        };
        let reply = send(&self.orders_routes, &self.orders_app, Some(&caller), &call).await;
        let body = match reply.body.as_str() {
            "" => Value::Null,
            text => serde_json::from_str(text).unwrap_or(Value::String(text.to_owned())),
        };
        Answer {
            status: reply.status,
            body,
        }
    }

    /// Deletes the history's tables.
    pub async fn delete_tables(&self) {
        for name in self.tables.values() {
            // A table left behind only costs moto memory until the test binary exits.
            let _ = self.client.delete_table().table_name(name).send().await;
        }
    }
}
