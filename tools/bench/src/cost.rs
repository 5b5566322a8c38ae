//! What a million orders cost on AWS, from what the bench measured: each step of one
//! order's journey (placed, reserved, charged, confirmed, the customer told and reading
//! it) priced at the template's memory size with its measured duration, its DynamoDB
//! request units, its log volume, and the API Gateway, SNS and SQS requests around it.
//!
//! Lambda gives a function CPU in proportion to its memory, a whole vCPU at 1,769 MB; the
//! bench measures on a whole core. So a step's duration at a memory size is its time
//! waiting on AWS plus its own work stretched by that proportion, and the memory size
//! with the lowest cost follows from the same figures.

use crate::capacity::Units;
use crate::prices::{Prices, PRICE_DATE, REGION};
use crate::report::FunctionReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Memory at which Lambda gives a function one whole vCPU.
const FULL_VCPU_MB: f64 = 1769.0;

/// What Lambda itself writes to CloudWatch Logs per invocation: the START, END and REPORT
/// lines, the last with X-Ray's trace id since the template turns tracing on (about 60,
/// 50 and 200 bytes in Lambda's text format).
pub const PLATFORM_LOG_BYTES: f64 = 310.0;

/// Memory sizes the cost is worked out for (Lambda's smallest first).
pub const MEMORY_SIZES_MB: [u32; 5] = [128, 256, 512, 1024, 1769];

/// How a step is started, which decides what else it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// An API Gateway REST request.
    Api,
    /// A message an SQS event source mapping received and then deleted. Billed here as a
    /// batch of one (a ReceiveMessage and a DeleteMessageBatch per message), as at low
    /// traffic; full batches of ten cost a tenth of that.
    Queue,
    /// A DynamoDB stream record; Lambda's reads of the stream are not billed.
    Stream,
}

/// One step of an order's journey.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// What happens, for the table.
    pub what: &'static str,
    /// The function billed for it (its memory size).
    pub function: &'static str,
    /// The function and operation of the bench whose measurements stand for it.
    pub measured_as: (&'static str, &'static str),
    pub trigger: Trigger,
    /// SNS messages it publishes.
    pub publishes: u32,
}

const fn step(
    what: &'static str,
    function: &'static str,
    measured_as: (&'static str, &'static str),
    trigger: Trigger,
    publishes: u32,
) -> Step {
    Step {
        what,
        function,
        measured_as,
        trigger,
        publishes,
    }
}

const PLACE: (&str, &str) = ("OrdersApiFunction", "POST /v1/orders");
const READ: (&str, &str) = ("OrdersApiFunction", "GET /v1/orders/{id}");
const RESERVE: (&str, &str) = ("ProductsWorkerFunction", "OrderPlaced -> reserve stock");
const REQUEST_PAYMENT: (&str, &str) = ("OrdersWorkerFunction", "StockReserved -> request payment");
const CHARGE: (&str, &str) = ("PaymentsWorkerFunction", "PaymentRequested -> charge");
const TELL: (&str, &str) = ("NotificationsWorkerFunction", "OrderConfirmed -> inbox");
const PUBLISH: (&str, &str) = ("OrdersOutboxPublisherFunction", "outbox insert -> SNS");

/// One order, placed to confirmed, as the template deploys it. Every service's outbox
/// publisher is the same binary doing the same work, measured as the orders service's;
/// the orders worker's confirmation is a read and a transaction as its payment request
/// is, measured as that.
pub const ONE_ORDER: [Step; 12] = [
    step(
        "the customer places the order",
        "OrdersApiFunction",
        PLACE,
        Trigger::Api,
        0,
    ),
    step(
        "OrderPlaced published",
        "OrdersOutboxPublisherFunction",
        PUBLISH,
        Trigger::Stream,
        1,
    ),
    step(
        "stock reserved",
        "ProductsWorkerFunction",
        RESERVE,
        Trigger::Queue,
        0,
    ),
    step(
        "StockReserved published",
        "ProductsOutboxPublisherFunction",
        PUBLISH,
        Trigger::Stream,
        1,
    ),
    step(
        "payment requested",
        "OrdersWorkerFunction",
        REQUEST_PAYMENT,
        Trigger::Queue,
        0,
    ),
    step(
        "PaymentRequested published",
        "OrdersOutboxPublisherFunction",
        PUBLISH,
        Trigger::Stream,
        1,
    ),
    step(
        "card charged",
        "PaymentsWorkerFunction",
        CHARGE,
        Trigger::Queue,
        0,
    ),
    step(
        "PaymentSucceeded published",
        "PaymentsOutboxPublisherFunction",
        PUBLISH,
        Trigger::Stream,
        1,
    ),
    step(
        "order confirmed",
        "OrdersWorkerFunction",
        REQUEST_PAYMENT,
        Trigger::Queue,
        0,
    ),
    step(
        "OrderConfirmed published",
        "OrdersOutboxPublisherFunction",
        PUBLISH,
        Trigger::Stream,
        1,
    ),
    step(
        "the customer is told",
        "NotificationsWorkerFunction",
        TELL,
        Trigger::Queue,
        0,
    ),
    step(
        "the customer reads the order",
        "OrdersApiFunction",
        READ,
        Trigger::Api,
        0,
    ),
];

/// What the bench measured of one operation, as the cost model needs it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Measured {
    /// Warm duration p50 on a whole core.
    pub duration_ms: f64,
    /// Of which waiting on AWS.
    pub aws_ms: f64,
    pub units: Units,
    /// What the function logs per invocation at the template's log level.
    pub log_bytes: f64,
}

/// One priced step.
#[derive(Debug, Clone, Serialize)]
pub struct StepCost {
    pub what: String,
    pub function: String,
    pub memory_mb: u32,
    pub billed_ms: f64,
    pub units: Units,
    pub log_bytes: f64,
    /// Dollars per order, by what is billed.
    pub dollars: Dollars,
}

/// Dollars, by service.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Dollars {
    pub lambda_compute: f64,
    pub lambda_requests: f64,
    pub api_gateway: f64,
    pub dynamodb: f64,
    pub sns: f64,
    pub sqs: f64,
    pub logs: f64,
}

impl Dollars {
    pub fn total(&self) -> f64 {
        self.lambda_compute
            + self.lambda_requests
            + self.api_gateway
            + self.dynamodb
            + self.sns
            + self.sqs
            + self.logs
    }

    fn add(&mut self, o: &Dollars) {
        self.lambda_compute += o.lambda_compute;
        self.lambda_requests += o.lambda_requests;
        self.api_gateway += o.api_gateway;
        self.dynamodb += o.dynamodb;
        self.sns += o.sns;
        self.sqs += o.sqs;
        self.logs += o.logs;
    }
}

/// The cost of a million orders.
#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    pub region: &'static str,
    pub price_date: &'static str,
    pub prices: Prices,
    pub steps: Vec<StepCost>,
    /// Dollars per million orders, by service.
    pub per_million: Dollars,
    /// Dollars per million orders with every function at each memory size.
    pub by_memory_mb: Vec<(u32, f64)>,
}

/// Billed milliseconds of an invocation at `memory_mb`: the time on AWS as measured, the
/// function's own work stretched by its share of a vCPU, rounded up to the millisecond.
pub fn billed_ms(m: &Measured, memory_mb: u32) -> f64 {
    let own = (m.duration_ms - m.aws_ms).max(0.0);
    let stretch = (FULL_VCPU_MB / f64::from(memory_mb)).max(1.0);
    (m.aws_ms + own * stretch).ceil()
}

fn price_step(step: &Step, m: &Measured, memory_mb: u32, p: &Prices) -> StepCost {
    let billed = billed_ms(m, memory_mb);
    let gb_seconds = billed / 1000.0 * f64::from(memory_mb) / 1024.0;
    let dollars = Dollars {
        lambda_compute: gb_seconds * p.lambda_gb_second,
        lambda_requests: p.lambda_request,
        api_gateway: if step.trigger == Trigger::Api {
            p.api_request
        } else {
            0.0
        },
        dynamodb: m.units.read * p.dynamodb_read_unit + m.units.write * p.dynamodb_write_unit,
        sns: f64::from(step.publishes) * p.sns_publish,
        sqs: if step.trigger == Trigger::Queue {
            2.0 * p.sqs_request
        } else {
            0.0
        },
        logs: (m.log_bytes + PLATFORM_LOG_BYTES) / 1e9 * p.logs_ingested_gb,
    };
    StepCost {
        what: step.what.to_owned(),
        function: step.function.to_owned(),
        memory_mb,
        billed_ms: billed,
        units: m.units,
        log_bytes: m.log_bytes,
        dollars,
    }
}

/// Prices `journey` with `measured` (by the function and operation of the bench) and each
/// function's template memory size; an error names what was not measured.
pub fn of_journey(
    journey: &[Step],
    measured: &BTreeMap<(String, String), Measured>,
    memory_mb: &BTreeMap<String, u32>,
    prices: &Prices,
) -> Result<CostReport, String> {
    let find = |s: &Step| {
        let key = (s.measured_as.0.to_owned(), s.measured_as.1.to_owned());
        measured
            .get(&key)
            .copied()
            .ok_or_else(|| format!("{}: {} was not measured", s.measured_as.0, s.measured_as.1))
    };
    let mut steps = Vec::new();
    let mut per_order = Dollars::default();
    for s in journey {
        let memory = *memory_mb
            .get(s.function)
            .ok_or_else(|| format!("{} is not in the template", s.function))?;
        let priced = price_step(s, &find(s)?, memory, prices);
        per_order.add(&priced.dollars);
        steps.push(priced);
    }
    let mut by_memory_mb = Vec::new();
    for size in MEMORY_SIZES_MB {
        let mut total = 0.0;
        for s in journey {
            total += price_step(s, &find(s)?, size, prices).dollars.total();
        }
        by_memory_mb.push((size, total * 1e6));
    }
    let per_million = Dollars {
        lambda_compute: per_order.lambda_compute * 1e6,
        lambda_requests: per_order.lambda_requests * 1e6,
        api_gateway: per_order.api_gateway * 1e6,
        dynamodb: per_order.dynamodb * 1e6,
        sns: per_order.sns * 1e6,
        sqs: per_order.sqs * 1e6,
        logs: per_order.logs * 1e6,
    };
    Ok(CostReport {
        region: REGION,
        price_date: PRICE_DATE,
        prices: *prices,
        steps,
        per_million,
        by_memory_mb,
    })
}

/// The measurements of every operation of the report, by function and operation.
pub fn measured_ops(
    functions: &[FunctionReport],
    log_bytes: &BTreeMap<(String, String), f64>,
) -> BTreeMap<(String, String), Measured> {
    let mut measured = BTreeMap::new();
    for f in functions {
        for op in &f.ops {
            let (Some(warm), Some(aws)) = (op.warm_ms, op.aws_ms) else {
                continue;
            };
            let key = (f.name.clone(), op.name.clone());
            measured.insert(
                key.clone(),
                Measured {
                    duration_ms: warm.p50,
                    aws_ms: aws.p50,
                    units: op.dynamodb_units.unwrap_or_default(),
                    log_bytes: log_bytes.get(&key).copied().unwrap_or(0.0),
                },
            );
        }
    }
    measured
}

fn dollars(v: f64) -> String {
    format!("${v:.2}")
}

/// The docs/benchmarks.md section.
pub fn markdown(md: &mut String, cost: &CostReport) {
    let pm = &cost.per_million;
    let _ = writeln!(md, "\n## Cost per million orders\n");
    let _ = writeln!(
        md,
        "**{} per million orders** placed and confirmed, on demand in {} at the prices of {} (`tools/bench/src/prices.rs`), computed from the measurements above: each step at its function's template memory size.\n",
        dollars(pm.total()),
        cost.region,
        cost.price_date
    );
    let _ = writeln!(md, "| | per million orders |\n|---|---|");
    for (name, v) in [
        ("DynamoDB (on-demand request units)", pm.dynamodb),
        ("API Gateway (REST requests)", pm.api_gateway),
        ("CloudWatch Logs (ingested)", pm.logs),
        ("SQS (requests)", pm.sqs),
        ("Lambda (requests)", pm.lambda_requests),
        ("SNS (publishes)", pm.sns),
        ("Lambda (GB-seconds, arm64)", pm.lambda_compute),
    ] {
        let _ = writeln!(md, "| {name} | {} |", dollars(v));
    }
    let _ = writeln!(md, "| **total** | **{}** |\n", dollars(pm.total()));
    let _ = writeln!(
        md,
        "| step | function | memory | billed | DynamoDB RRU / WRU | log bytes | $ per million |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for s in &cost.steps {
        let _ = writeln!(
            md,
            "| {} | {} | {} MB | {} ms | {} / {} | {:.0} | {} |",
            s.what,
            s.function,
            s.memory_mb,
            s.billed_ms,
            s.units.read,
            s.units.write,
            s.log_bytes + PLATFORM_LOG_BYTES,
            dollars(s.dollars.total() * 1e6)
        );
    }
    let _ = writeln!(
        md,
        "\nEvery function at one memory size (the functions' own work stretched to Lambda's share of a vCPU, {FULL_VCPU_MB} MB being one):\n"
    );
    let _ = writeln!(md, "| memory | $ per million orders |\n|---|---|");
    for (mb, total) in &cost.by_memory_mb {
        let _ = writeln!(md, "| {mb} MB | {} |", dollars(*total));
    }
    let _ = writeln!(
        md,
        "\nWhat is counted: a step's billed duration (rounded up to the millisecond) and request; the API Gateway request of each API step; the DynamoDB units of its calls as DynamoDB bills them on demand (`tools/bench/src/capacity.rs`: items sized from the calls, one more write per index an item is in, an update or delete sized as its table's largest item); one SNS publish per event; a ReceiveMessage and a DeleteMessageBatch per queued message (batches of one, as at low traffic); its log lines at the template's log level plus Lambda's {PLATFORM_LOG_BYTES} bytes of START, END and REPORT. Not counted: storage, stream reads by Lambda (free), SNS deliveries to SQS (free), X-Ray traces (sampled), Cognito (billed per monthly active user), KMS (AWS-managed keys) and free tiers."
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::US_EAST_1;

    fn measured(duration_ms: f64, aws_ms: f64, read: f64, write: f64) -> Measured {
        Measured {
            duration_ms,
            aws_ms,
            units: Units { read, write },
            log_bytes: 690.0,
        }
    }

    #[test]
    fn work_stretches_with_less_memory_and_waiting_does_not() {
        let m = measured(3.0, 2.0, 0.0, 0.0);
        assert_eq!(billed_ms(&m, 1769), 3.0);
        assert_eq!(billed_ms(&m, 3538), 3.0, "no faster than a whole core");
        // 2 ms waiting + 1 ms of work at 1769/128 = 13.8 -> 15.8, billed 16.
        assert_eq!(billed_ms(&m, 128), 16.0);
    }

    #[test]
    fn a_journey_is_priced_step_by_step_and_per_million() {
        let journey = [
            step("place", "Api", ("Api", "POST"), Trigger::Api, 0),
            step("publish", "Pub", ("Pub", "stream"), Trigger::Stream, 1),
            step("work", "Worker", ("Worker", "batch"), Trigger::Queue, 0),
        ];
        let key = |f: &str, o: &str| (f.to_owned(), o.to_owned());
        let measured = BTreeMap::from([
            (key("Api", "POST"), measured(12.0, 11.0, 1.0, 4.0)),
            (key("Pub", "stream"), measured(5.0, 4.5, 0.0, 0.0)),
            (key("Worker", "batch"), measured(8.0, 7.0, 0.5, 6.0)),
        ]);
        let memory = BTreeMap::from([
            ("Api".to_owned(), 256),
            ("Pub".to_owned(), 256),
            ("Worker".to_owned(), 256),
        ]);
        let cost = of_journey(&journey, &measured, &memory, &US_EAST_1).unwrap();
        let pm = &cost.per_million;
        assert!((pm.api_gateway - 3.50).abs() < 1e-9);
        assert!((pm.lambda_requests - 0.60).abs() < 1e-9);
        assert!((pm.sns - 0.50).abs() < 1e-9);
        assert!((pm.sqs - 0.80).abs() < 1e-9);
        // 10 WRU x $0.625 + 1.5 RRU x $0.125 per million
        assert!((pm.dynamodb - (6.25 + 0.1875)).abs() < 1e-9);
        // 3 x 1000 bytes per order = 3 GB per million at $0.50
        assert!((pm.logs - 1.5).abs() < 1e-9);
        // billed: 11 + 1 x 6.91 = 18; 4.5 + 0.5 x 6.91 = 8; 7 + 6.91 = 14 -> 40 ms x 0.25 GB
        let gb_s = 0.040 * 0.25;
        assert!((pm.lambda_compute - gb_s * 0.000_013_333_4 * 1e6).abs() < 1e-9);
        assert_eq!(cost.by_memory_mb.len(), MEMORY_SIZES_MB.len());
        let at_256 = cost
            .by_memory_mb
            .iter()
            .find(|(mb, _)| *mb == 256)
            .unwrap()
            .1;
        assert!((at_256 - pm.total()).abs() < 1e-9);
    }

    #[test]
    fn an_unmeasured_step_is_named() {
        let err = of_journey(
            &ONE_ORDER,
            &BTreeMap::new(),
            &BTreeMap::from([("OrdersApiFunction".to_owned(), 256)]),
            &US_EAST_1,
        )
        .unwrap_err();
        assert_eq!(err, "OrdersApiFunction: POST /v1/orders was not measured");
    }
}
