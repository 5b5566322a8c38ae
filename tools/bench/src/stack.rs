//! The AWS side of the bench: moto provisioned from template.yaml exactly as the devstack
//! does it, and each function run under the devstack's Runtime API behind its own
//! recording AWS proxy. No pollers, no REST front: the bench hands every event to the
//! function itself, so nothing else runs while an invocation is timed.

use crate::aws_proxy::{time_in_aws, AwsProxy, RoundTrips};
use crate::capacity::{self, Tables, Units};
use crate::cpus::Placement;
use anyhow::{bail, Context as _, Result};
use devstack::functions::{self, FunctionPlan};
use devstack::lambda::{FunctionHandle, FunctionSpec};
use devstack::logs::{FunctionLog, Style};
use moto_runner::MotoServer;
use serde_json::Value;
use stack_model::provision::{self, Clients};
use stack_model::template::intrinsics::resolve_parameters;
use stack_model::template::{Context, Template};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// moto with every template resource, and the plans of every function.
pub struct Stack {
    _moto: MotoServer,
    pub moto_url: String,
    pub clients: Clients,
    pub ctx: Context,
    plans: Vec<FunctionPlan>,
    /// The functions as deployed: the template's log level (the bench's are quieter).
    deployed: Vec<FunctionPlan>,
    /// Each table's indexes and, once the data is written, its largest item.
    pub tables: Arc<Tables>,
}

impl Stack {
    /// Starts moto and provisions the template; functions run from `bin_dir`.
    pub async fn start(root: &Path, bin_dir: &Path, placement: &Placement) -> Result<Stack> {
        let template = Template::load(&root.join("template.yaml"))?;
        functions::check_functions(&template, bin_dir)?;
        let params = resolve_parameters(&template, &BTreeMap::new())?;
        let mut ctx = Context::new(&template, params);
        provision::register_serverless(&template, &mut ctx)?;
        let python = moto_runner::ensure_venv(root).await?;
        let moto = MotoServer::start(&python, 0).await?;
        placement.confine_aws(moto.pid());
        let moto_url = moto.url.clone();
        let clients = Clients::new(&moto_runner::sdk_config(&moto_url).await);
        provision::provision_all(&template, &mut ctx, &clients).await?;
        let runtime = functions::Runtime {
            bin_dir,
            moto_url: &moto_url,
            rust_log: Some("warn".to_owned()),
        };
        let plans = functions::plan_all(&template, &ctx, &runtime)?;
        let deployed = functions::plan_all(
            &template,
            &ctx,
            &functions::Runtime {
                rust_log: None,
                ..runtime
            },
        )?;
        let tables = Arc::new(Tables {
            index_keys: index_keys(&clients.dynamodb).await?,
            ..Tables::default()
        });
        Ok(Stack {
            _moto: moto,
            moto_url,
            clients,
            ctx,
            plans,
            deployed,
            tables,
        })
    }

    /// Notes the largest item of every table, for the writes the proxies cannot size.
    pub async fn measure_items(&self) -> Result<()> {
        let mut largest = BTreeMap::new();
        for table in self.tables.index_keys.keys() {
            let mut start = None;
            loop {
                let page = self
                    .clients
                    .dynamodb
                    .scan()
                    .table_name(table)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .with_context(|| format!("scanning {table}"))?;
                for item in page.items() {
                    let bytes = capacity::item_bytes(&item_json(item));
                    let entry = largest.entry(table.clone()).or_insert(0);
                    *entry = bytes.max(*entry);
                }
                start = page.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        *self
            .tables
            .largest_item_bytes
            .write()
            .unwrap_or_else(|e| e.into_inner()) = largest;
        Ok(())
    }

    /// The spec of a template function as deployed (its template log level), its log
    /// kept in `<dir>/<function>.log`.
    pub fn deployed_spec(&self, logical_id: &str, dir: &Path) -> Result<FunctionSpec> {
        let mut spec = self
            .deployed
            .iter()
            .find(|p| p.logical_id == logical_id)
            .map(|p| p.spec.clone())
            .with_context(|| format!("no function {logical_id} in template.yaml"))?;
        spec.log = FunctionLog::open(logical_id, Style::Raw, dir)?;
        Ok(spec)
    }

    /// The spec of a template function, as the devstack would run it.
    pub fn spec(&self, logical_id: &str) -> Result<FunctionSpec> {
        self.plans
            .iter()
            .find(|p| p.logical_id == logical_id)
            .map(|p| p.spec.clone())
            .with_context(|| format!("no function {logical_id} in template.yaml"))
    }
}

/// One invocation, as the bench sees it.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The function's answer.
    pub output: Value,
    /// Runtime API: /next handed the event -> /response.
    pub duration: Duration,
    /// Exec -> first /next, on a process's first invocation.
    pub init: Option<Duration>,
    /// Time covered by the invocation's AWS calls.
    pub aws: Duration,
    pub trips: RoundTrips,
    /// DynamoDB request units of the invocation's calls.
    pub units: Units,
    pub max_memory_kib: Option<u64>,
}

/// A function (or a floor / peer binary) with its own AWS proxy; each `start` is a fresh
/// execution environment.
pub struct Subject {
    spec: FunctionSpec,
    proxy: AwsProxy,
}

impl Subject {
    /// `spec` with its AWS endpoint moved behind a fresh recording proxy.
    pub async fn new(mut spec: FunctionSpec, stack: &Stack) -> Result<Subject> {
        let proxy = AwsProxy::start(&stack.moto_url, stack.tables.clone()).await?;
        spec.env
            .insert("AWS_ENDPOINT_URL".to_owned(), proxy.url.clone());
        Ok(Subject { spec, proxy })
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Starts a new process (a cold execution environment).
    pub async fn start(&self) -> Result<Running<'_>> {
        let handle = FunctionHandle::start(self.spec.clone())
            .await
            .with_context(|| format!("starting {}", self.spec.binary.display()))?;
        Ok(Running {
            handle,
            proxy: &self.proxy,
        })
    }
}

/// A started process of a `Subject`.
pub struct Running<'a> {
    handle: FunctionHandle,
    proxy: &'a AwsProxy,
}

impl Running<'_> {
    /// Invokes once and fails unless the function answered with success: a 2xx for an API
    /// event, no failed record for a batch.
    pub async fn invoke(&self, event: Value) -> Result<Sample> {
        self.proxy.take();
        self.proxy.take_units();
        let (output, report) = self.handle.invoke_reported(event).await;
        let calls = self.proxy.take();
        let units = self.proxy.take_units();
        let output = output.map_err(|e| anyhow::anyhow!("{}: {e}", self.handle.name()))?;
        check_success(self.handle.name(), &output)?;
        let report = report.context("the Runtime API filed no report")?;
        Ok(Sample {
            output,
            duration: report.duration,
            init: report.init_duration,
            aws: time_in_aws(&calls),
            trips: RoundTrips::of(&calls),
            units,
            max_memory_kib: report.max_memory_kib,
        })
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}

fn check_success(function: &str, output: &Value) -> Result<()> {
    if let Some(status) = output.get("statusCode").and_then(Value::as_u64) {
        if !(200..300).contains(&status) {
            bail!("{function} answered {status}: {}", output["body"]);
        }
    }
    if let Some(failed) = output.get("batchItemFailures").and_then(Value::as_array) {
        if !failed.is_empty() {
            bail!("{function} failed records: {failed:?}");
        }
    }
    Ok(())
}

/// Each table's global secondary indexes, as the key attributes of each.
async fn index_keys(
    dynamodb: &aws_sdk_dynamodb::Client,
) -> Result<BTreeMap<String, Vec<Vec<String>>>> {
    let mut tables = BTreeMap::new();
    let listed = dynamodb
        .list_tables()
        .send()
        .await
        .context("listing tables")?;
    for name in listed.table_names() {
        let described = dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .with_context(|| format!("describing {name}"))?;
        let indexes = described
            .table()
            .map(|t| t.global_secondary_indexes())
            .unwrap_or_default()
            .iter()
            .map(|index| {
                index
                    .key_schema()
                    .iter()
                    .map(|k| k.attribute_name().to_owned())
                    .collect()
            })
            .collect();
        tables.insert(name.clone(), indexes);
    }
    Ok(tables)
}

/// An SDK item as the wire's JSON (`{"PK": {"S": "..."}}`), to be sized like one.
fn item_json(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn value(v: &A) -> Value {
        match v {
            A::S(s) => serde_json::json!({"S": s}),
            A::N(n) => serde_json::json!({"N": n}),
            A::B(b) => serde_json::json!({"B": "x".repeat(b.as_ref().len() * 4 / 3)}),
            A::Bool(b) => serde_json::json!({"BOOL": b}),
            A::Null(_) => serde_json::json!({"NULL": true}),
            A::Ss(v) => serde_json::json!({"SS": v}),
            A::Ns(v) => serde_json::json!({"NS": v}),
            A::L(v) => serde_json::json!({"L": v.iter().map(value).collect::<Vec<_>>()}),
            A::M(m) => {
                serde_json::json!({"M": m.iter().map(|(k, v)| (k.clone(), value(v))).collect::<serde_json::Map<_, _>>()})
            }
            _ => serde_json::json!({"NULL": true}),
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}
