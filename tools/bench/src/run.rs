//! One bench run: the stack, the world, every scenario measured in turn, the report.

use crate::cli::Args;
use crate::cost;
use crate::cpus::Placement;
use crate::measure::{cold_starts, warm_series, FunctionSamples, Protocol};
use crate::prices;
use crate::report::{self, FunctionReport, Report, Settings, Size};
use crate::scenarios::{self, Role, Scenario};
use crate::stack::{Stack, Subject};
use crate::world::World;
use anyhow::{Context as _, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Invocations discarded before each warm series.
const WARMUP: usize = 3;
/// Invocations discarded, then measured, for the log volume of an operation.
const LOG_WARMUP: usize = 2;
const LOG_SAMPLES: usize = 20;

pub async fn run(args: Args, placement: Placement) -> Result<()> {
    let root = moto_runner::workspace_root();
    let protocol = Protocol {
        cold_starts: args.cold_starts,
        warmup: WARMUP,
        warm: args.warm,
    };
    let arm64 = arm64_sizes(args.arm64_sizes.as_deref())?;
    tracing::info!("starting moto and provisioning template.yaml");
    let stack = Stack::start(&root, &args.bin_dir, &placement).await?;
    // The saga step consumes one PENDING order per invocation, the cancel route a few;
    // two spare.
    let orders = protocol.cold_starts
        + protocol.warmup
        + protocol.warm
        + crate::world::SPARES
        + 2
        + LOG_WARMUP
        + LOG_SAMPLES;
    tracing::info!("building the data: two users, a product, {orders} orders");
    let world = World::build(&stack, orders).await?;
    stack.measure_items().await?;

    let mut all = vec![scenarios::floor(&args.bin_dir, &world)];
    all.extend(scenarios::functions(&stack, &world, &args.bin_dir)?);
    all.push(scenarios::node_peer(&root, &stack, &world)?);

    let mut subjects = Vec::with_capacity(all.len());
    for scenario in &all {
        subjects.push(Subject::new(scenario.spec.clone(), &stack).await?);
    }
    let mut samples: Vec<_> = all
        .iter()
        .map(|s| FunctionSamples::new(s.ops.len()))
        .collect();
    // Round by round rather than subject by subject: the machine drifts (other work, CPU
    // frequency), and a drift then reaches the floor and every function alike instead of
    // landing on whichever was being measured.
    tracing::info!(
        "{} rounds of cold starts over {} subjects",
        protocol.cold_starts,
        all.len()
    );
    for _ in 0..protocol.cold_starts {
        for ((scenario, subject), samples) in all.iter_mut().zip(&subjects).zip(&mut samples) {
            cold_starts(subject, &mut scenario.ops, samples)
                .await
                .with_context(|| format!("cold starts of {}", scenario.name))?;
        }
    }
    for ((scenario, subject), samples) in all.iter_mut().zip(&subjects).zip(&mut samples) {
        tracing::info!("warm series of {}", scenario.name);
        warm_series(subject, &mut scenario.ops, protocol, samples)
            .await
            .with_context(|| format!("warm series of {}", scenario.name))?;
    }

    tracing::info!("log volume of an order's steps at the template's log level");
    let log_dir = std::env::temp_dir().join(format!("crabcart-bench-logs-{}", std::process::id()));
    let log_bytes = log_volume(&stack, &mut all, &log_dir).await;
    let _ = std::fs::remove_dir_all(&log_dir);
    let log_bytes = log_bytes?;

    let mut functions = Vec::new();
    for (scenario, samples) in all.iter().zip(&samples) {
        let binary = scenario
            .artifact
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let size = Size {
            stripped_bytes: size_of(&scenario.artifact),
            zip_arm64_bytes: (scenario.role == Role::Crabcart)
                .then(|| arm64.get(&binary).copied())
                .flatten(),
        };
        let ops: Vec<_> = scenario
            .ops
            .iter()
            .map(|o| (o.name.clone(), o.kind))
            .collect();
        functions.push(FunctionReport::new(
            &scenario.name,
            scenario.role,
            &binary,
            samples,
            &ops,
            size,
        ));
    }

    let memory_mb = cost::ONE_ORDER
        .iter()
        .map(|step| {
            Ok((
                step.function.to_owned(),
                stack.spec(step.function)?.memory_mb,
            ))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let cost = cost::of_journey(
        &cost::ONE_ORDER,
        &cost::measured_ops(&functions, &log_bytes),
        &memory_mb,
        &prices::US_EAST_1,
    )
    .map_err(anyhow::Error::msg)?;
    let report = Report {
        schema: 1,
        generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        machine: crate::machine::describe(&placement),
        settings: Settings {
            cold_starts: protocol.cold_starts,
            warm_invokes: protocol.warm,
        },
        budgets: report::budgets(&functions),
        functions,
        cost,
    };
    std::fs::create_dir_all(&args.out_dir)?;
    let json = args.out_dir.join("benchmarks.json");
    std::fs::write(&json, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", json.display()))?;
    let md = args.out_dir.join("benchmarks.md");
    std::fs::write(&md, report::markdown(&report))
        .with_context(|| format!("writing {}", md.display()))?;
    let failed: Vec<_> = report.budgets.iter().filter(|b| !b.pass).collect();
    for b in &failed {
        tracing::warn!(
            "FAIL {} ({}): {} against {}",
            b.budget,
            b.subject,
            b.measured,
            b.limit
        );
    }
    tracing::info!(
        "wrote {} and {}: {} of {} budgets pass",
        md.display(),
        json.display(),
        report.budgets.len() - failed.len(),
        report.budgets.len()
    );
    Ok(())
}

/// Bytes each operation of an order's journey logs per invocation, run as deployed (the
/// template's log level) in a process of its own, by function and operation.
async fn log_volume(
    stack: &Stack,
    all: &mut [Scenario],
    dir: &Path,
) -> Result<BTreeMap<(String, String), f64>> {
    let mut bytes = BTreeMap::new();
    for scenario in all.iter_mut().filter(|s| s.role == Role::Crabcart) {
        let journey_ops: Vec<usize> = scenario
            .ops
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                cost::ONE_ORDER
                    .iter()
                    .any(|s| s.measured_as == (scenario.name.as_str(), op.name.as_str()))
            })
            .map(|(i, _)| i)
            .collect();
        if journey_ops.is_empty() {
            continue;
        }
        let spec = stack.deployed_spec(&scenario.name, dir)?;
        let log = spec
            .log
            .path()
            .map(Path::to_path_buf)
            .context("a log file")?;
        let subject = Subject::new(spec, stack).await?;
        let running = subject.start().await?;
        for i in journey_ops {
            let op = &mut scenario.ops[i];
            for _ in 0..LOG_WARMUP {
                running.invoke((op.next_event)()?).await?;
            }
            let before = settled_size(&log).await;
            for _ in 0..LOG_SAMPLES {
                running.invoke((op.next_event)()?).await?;
            }
            let after = settled_size(&log).await;
            bytes.insert(
                (scenario.name.clone(), op.name.clone()),
                after.saturating_sub(before) as f64 / LOG_SAMPLES as f64,
            );
        }
        running.stop().await;
    }
    Ok(bytes)
}

/// A log file's size once the lines of the last invocation have reached it.
async fn settled_size(path: &Path) -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Bytes of a file, or of every file under a directory.
fn size_of(path: &Path) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return Some(meta.len());
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path).ok()? {
        total += size_of(&entry.ok()?.path()).unwrap_or(0);
    }
    Some(total)
}

/// `<binary> <bytes>` lines written by tools/bench/package-arm64.sh.
fn arm64_sizes(path: Option<&Path>) -> Result<BTreeMap<String, u64>> {
    let Some(path) = path else {
        return Ok(BTreeMap::new());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (bin, bytes) = l
                .split_once(' ')
                .with_context(|| format!("{}: `{l}` is not `<binary> <bytes>`", path.display()))?;
            Ok((bin.to_owned(), bytes.trim().parse()?))
        })
        .collect()
}
