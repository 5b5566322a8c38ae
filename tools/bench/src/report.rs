//! The report: docs/benchmarks.json (the model below, serialised) and docs/benchmarks.md
//! (tables, the budgets with PASS / FAIL, the chart).

use crate::capacity::Units;
use crate::cost::CostReport;
use crate::measure::{FunctionSamples, Kind};
use crate::scenarios::Role;
use crate::stats::Summary;
use serde::Serialize;
use std::fmt::Write as _;

const MIB: f64 = 1024.0 * 1024.0;

/// The whole report (schema 1).
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: u32,
    pub generated_at: String,
    pub machine: Machine,
    pub settings: Settings,
    pub functions: Vec<FunctionReport>,
    pub budgets: Vec<Budget>,
    pub cost: CostReport,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    /// Which CPUs the measured processes ran on.
    pub placement: String,
    pub kernel: String,
    pub rustc: String,
    pub node: String,
}

#[derive(Debug, Serialize)]
pub struct Settings {
    pub cold_starts: usize,
    pub warm_invokes: usize,
}

#[derive(Debug, Serialize)]
pub struct FunctionReport {
    pub name: String,
    pub role: Role,
    pub binary: String,
    pub init_ms: Option<Summary>,
    pub peak_rss_mib: Option<f64>,
    pub size: Size,
    pub ops: Vec<OpReport>,
}

#[derive(Debug, Serialize)]
pub struct Size {
    /// The release binary (stripped by the release profile); for the peer, its package.
    pub stripped_bytes: Option<u64>,
    pub zip_arm64_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct OpReport {
    pub name: String,
    pub kind: Kind,
    pub first_ms: Option<Summary>,
    pub warm_ms: Option<Summary>,
    pub aws_ms: Option<Summary>,
    pub overhead_ms: Option<Summary>,
    pub round_trips: Option<RoundTripReport>,
    /// DynamoDB request units per invocation (mean).
    pub dynamodb_units: Option<Units>,
}

#[derive(Debug, Serialize)]
pub struct RoundTripReport {
    pub calls: usize,
    pub depth: usize,
    pub operations: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Budget {
    pub budget: String,
    pub subject: String,
    pub limit: String,
    pub measured: String,
    pub pass: bool,
}

impl FunctionReport {
    pub fn new(
        name: &str,
        role: Role,
        binary: &str,
        samples: &FunctionSamples,
        op_names: &[(String, Kind)],
        size: Size,
    ) -> FunctionReport {
        let ops = op_names
            .iter()
            .zip(&samples.ops)
            .map(|((name, kind), s)| OpReport {
                name: name.clone(),
                kind: *kind,
                first_ms: Summary::of(&s.first),
                warm_ms: Summary::of(&s.warm),
                aws_ms: Summary::of(&s.aws),
                overhead_ms: Summary::of(&s.overhead),
                round_trips: s.typical_trips().map(|t| RoundTripReport {
                    calls: t.calls,
                    depth: t.depth,
                    operations: t.operations,
                }),
                dynamodb_units: s.mean_units(),
            })
            .collect();
        FunctionReport {
            name: name.to_owned(),
            role,
            binary: binary.to_owned(),
            init_ms: Summary::of(&samples.init),
            peak_rss_mib: samples.peak_rss_kib.map(|k| k as f64 / 1024.0),
            size,
            ops,
        }
    }
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / MIB)
}

/// Every performance budget, for every function it applies to.
pub fn budgets(functions: &[FunctionReport]) -> Vec<Budget> {
    let init_of = |role: Role| {
        functions
            .iter()
            .find(|f| f.role == role)
            .and_then(|f| f.init_ms)
            .map(|s| s.p50)
    };
    let (floor, peer) = (init_of(Role::Floor), init_of(Role::Peer));
    let mut out = Vec::new();
    let mut add = |budget: &str, subject: &str, limit: String, measured: String, pass: bool| {
        out.push(Budget {
            budget: budget.to_owned(),
            subject: subject.to_owned(),
            limit,
            measured,
            pass,
        })
    };
    for f in functions.iter().filter(|f| f.role == Role::Crabcart) {
        let name = f.name.as_str();
        if let (Some(init), Some(floor)) = (f.init_ms.map(|s| s.p50), floor) {
            add(
                "init p50 <= 2x the hello-world floor",
                name,
                ms(2.0 * floor),
                format!("{} ({:.2}x)", ms(init), init / floor),
                init <= 2.0 * floor,
            );
        }
        if let (Some(init), Some(peer)) = (f.init_ms.map(|s| s.p50), peer) {
            add(
                "init p50 >= 5x faster than the Node.js peer",
                name,
                ms(peer / 5.0),
                format!("{} ({:.1}x faster)", ms(init), peer / init),
                init * 5.0 <= peer,
            );
        }
        for op in &f.ops {
            if let Some(o) = op.overhead_ms {
                add(
                    "function overhead p99 <= 2 ms (warm, AWS time excluded)",
                    &format!("{name}: {}", op.name),
                    ms(2.0),
                    ms(o.p99),
                    o.p99 <= 2.0,
                );
            }
            if let Some(t) = &op.round_trips {
                if let Some((limit, pass)) = round_trip_target(name, &op.name, op.kind, t) {
                    add(
                        "AWS round trips",
                        &format!("{name}: {}", op.name),
                        limit,
                        format!("{} calls, depth {}", t.calls, t.depth),
                        pass,
                    );
                }
            }
        }
        if let Some(rss) = f.peak_rss_mib {
            add(
                "peak RSS <= 32 MiB",
                name,
                "32 MiB".to_owned(),
                format!("{rss:.1} MiB"),
                rss <= 32.0,
            );
        }
        if let Some(bytes) = f.size.stripped_bytes {
            add(
                "stripped binary <= 8 MiB",
                name,
                "8 MiB".to_owned(),
                mib(bytes),
                bytes as f64 <= 8.0 * MIB,
            );
        }
        if let Some(bytes) = f.size.zip_arm64_bytes {
            add(
                "arm64 zip <= 4 MiB",
                name,
                "4 MiB".to_owned(),
                mib(bytes),
                bytes as f64 <= 4.0 * MIB,
            );
        }
    }
    out
}

/// The round-trip targets: GET by id 1 call; a list 1 call per page; POST
/// /v1/orders at most 3 calls in at most 2 rounds; a saga step exactly one
/// TransactWriteItems.
fn round_trip_target(
    function: &str,
    op: &str,
    kind: Kind,
    t: &RoundTripReport,
) -> Option<(String, bool)> {
    let transactions = t
        .operations
        .iter()
        .filter(|o| o.ends_with(".TransactWriteItems"))
        .count();
    if op == "POST /v1/orders" {
        return Some((
            "<= 3 calls, depth <= 2".to_owned(),
            t.calls <= 3 && t.depth <= 2,
        ));
    }
    if kind == Kind::Read && op.starts_with("GET ") {
        let by_id = op.ends_with("}") || op.ends_with("/me");
        let limit = if by_id {
            "1 call (by id)"
        } else {
            "1 call per page"
        };
        return Some((limit.to_owned(), t.calls == 1));
    }
    let saga = ["ProductsWorker", "OrdersWorker", "PaymentsWorker"];
    if kind == Kind::Batch && saga.iter().any(|s| function.starts_with(s)) {
        return Some((
            "1 TransactWriteItems per saga step".to_owned(),
            transactions == 1,
        ));
    }
    None
}

/// docs/benchmarks.md.
pub fn markdown(report: &Report) -> String {
    let mut md = String::new();
    let m = &report.machine;
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `make bench` on {} ({}; {} cores, {}; Linux {}; {}; Node.js {}): {} cold starts per operation, {} warm invocations per operation. Do not edit: run `make bench`.\n",
        report.generated_at, m.cpu, m.cores, m.placement, m.kernel, m.rustc, m.node,
        report.settings.cold_starts, report.settings.warm_invokes
    );
    let _ = writeln!(md, "![Init, latency, memory and size](benchmarks.png)\n");

    headline(&mut md, report);

    let failed = report.budgets.iter().filter(|b| !b.pass).count();
    let _ = writeln!(
        md,
        "## Budgets: {} of {} pass\n",
        report.budgets.len() - failed,
        report.budgets.len()
    );
    let _ = writeln!(md, "| result | budget | subject | limit | measured |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for b in &report.budgets {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            if b.pass { "PASS" } else { "**FAIL**" },
            b.budget,
            b.subject,
            b.limit,
            b.measured
        );
    }

    let _ = writeln!(
        md,
        "\n## Init (exec to the first `/runtime/invocation/next`)\n"
    );
    let _ = writeln!(md, "| function | p50 | p90 | samples |");
    let _ = writeln!(md, "|---|---|---|---|");
    for f in &report.functions {
        if let Some(s) = f.init_ms {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                f.name,
                ms(s.p50),
                ms(s.p90),
                s.n
            );
        }
    }

    let _ = writeln!(
        md,
        "\n## Invocation latency (Runtime API: event handed over to response)\n"
    );
    let _ = writeln!(
        md,
        "| function | operation | first p50 | warm p50 | warm p99 | AWS p50 | AWS p99 | overhead p50 | overhead p99 |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
    let opt = |s: Option<Summary>, f: fn(&Summary) -> f64| s.map_or("-".to_owned(), |s| ms(f(&s)));
    for f in &report.functions {
        for op in f.ops.iter().filter(|op| op.warm_ms.is_some()) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                f.name,
                op.name,
                opt(op.first_ms, |s| s.p50),
                opt(op.warm_ms, |s| s.p50),
                opt(op.warm_ms, |s| s.p99),
                opt(op.aws_ms, |s| s.p50),
                opt(op.aws_ms, |s| s.p99),
                opt(op.overhead_ms, |s| s.p50),
                opt(op.overhead_ms, |s| s.p99),
            );
        }
    }

    let _ = writeln!(md, "\n## Memory and size\n");
    let _ = writeln!(md, "| function | binary | peak RSS | size | arm64 zip |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for f in &report.functions {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            f.name,
            f.binary,
            f.peak_rss_mib
                .map_or("-".to_owned(), |r| format!("{r:.1} MiB")),
            f.size.stripped_bytes.map_or("-".to_owned(), mib),
            f.size.zip_arm64_bytes.map_or("-".to_owned(), mib),
        );
    }

    let _ = writeln!(md, "\n## AWS round trips per operation\n");
    let _ = writeln!(
        md,
        "Counted where the calls leave the SDK client (a recording proxy per function): what most warm invocations made; depth is the longest chain of calls that each waited for the one before.\n"
    );
    let _ = writeln!(
        md,
        "| function | operation | calls | depth | calls made | DynamoDB RRU / WRU |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for f in report.functions.iter().filter(|f| f.role != Role::Floor) {
        for op in &f.ops {
            if let Some(t) = &op.round_trips {
                let units = op
                    .dynamodb_units
                    .map_or_else(|| "-".to_owned(), |u| format!("{} / {}", u.read, u.write));
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.name,
                    op.name,
                    t.calls,
                    t.depth,
                    t.operations.join(", "),
                    units
                );
            }
        }
    }
    crate::cost::markdown(&mut md, &report.cost);
    md.push_str(METHOD);
    md
}

fn headline(md: &mut String, report: &Report) {
    let init = |role: Role| {
        report
            .functions
            .iter()
            .filter(|f| f.role == role)
            .filter_map(|f| f.init_ms.map(|s| s.p50))
            .collect::<Vec<f64>>()
    };
    let (ours, floor, peer) = (init(Role::Crabcart), init(Role::Floor), init(Role::Peer));
    let slowest = ours.iter().copied().fold(f64::NAN, f64::max);
    if let (Some(floor), Some(peer)) = (floor.first(), peer.first()) {
        if !slowest.is_nan() {
            let _ = writeln!(
                md,
                "**Headline:** the slowest crabcart function starts in {} (p50), {:.2}x the hello-world floor ({}) and {:.0}x faster than the Node.js 20 peer ({}).\n",
                ms(slowest),
                slowest / floor,
                ms(*floor),
                peer / slowest,
                ms(*peer)
            );
        }
    }
}

const METHOD: &str = "
## How it is measured

- Every function is its release binary (`cargo build --release`, the workspace's release
  profile) run under the devstack's Lambda Runtime API, the same code `make dev` uses,
  with the environment the template gives it and its AWS endpoint pointed at moto
  through a recording proxy of its own.
- **Init**: from the exec of the binary to its first `GET /runtime/invocation/next`,
  which is when Lambda's Init Duration ends: the runtime, tracing, the SDK config and
  every client are built by then. Each sample is a fresh process. Cold starts go in
  rounds, one per operation of every subject in turn (floor, functions, peer), so that
  the machine's drift and the leftovers of the previous invocation (moto's work, the
  teardown of the previous process) reach all of them alike.
- **Placement**: on a machine with two or more cores, moto (the AWS side) runs on the
  other cores and the measured processes run on the last one with the harness (its
  Runtime API and the recording proxy, which work while the function waits on them),
  as a Lambda execution environment has vCPUs of its own with its Runtime API inside;
  the header says how this run was placed.
- **First**: the first invocation of each fresh process (its connection to the endpoint
  is opened then). **Warm**: one process, a few discarded invocations, then the timed
  series. Both are the Runtime API's view, as Lambda's Duration: from handing the event
  over at `/next` to the `/response`.
- **AWS**: the time the invocation's calls spent at the proxy (moto's answer plus one
  loopback hop; overlapping calls count once). **Overhead** = warm - AWS: the
  function's own work, which is what the 2 ms budget is about.
- **Peak RSS**: `VmHWM` of the warm process after its series.
- **Size**: the stripped release binary; the arm64 zip is what `cargo lambda build
  --arm64 --output-format zip` makes, when its toolchain (cargo-lambda and zig from
  PyPI, the aarch64 Rust target) is installed. For the Node.js peer, the size is its
  package (code and node_modules).
- The floor is `benches/floor` (hello world on `lambda_runtime`); the peer is
  `benches/peers/node-get-product` (Node.js 20, AWS SDK v3, the same GetItem as
  GET /v1/products/{id}, a minimal runtime loop, which flatters it).
- Operations timed: one read and one write route per API function (payments and
  notifications have read routes only) and a one-message batch per worker. Every other
  route has its AWS calls counted over three warm invocations; POST /v1/auth/confirm is
  not, as the local cloud confirms users at sign-up and there is no code to send.
- Events are built as their sources build them: API Gateway proxy events by the
  devstack's builder with the claims its Cognito authorizer passes, SQS and stream
  batches of one fresh message. The data they need is made first through the functions
  themselves.
";
