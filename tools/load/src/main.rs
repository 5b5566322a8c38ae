//! `make load`: many shoppers at once against a devstack of its own, through its local
//! API Gateway, each order followed until the saga settles it; then every effect is
//! counted (tools/load/README.md). Writes docs/load.md and docs/load.json; exits 1 when
//! an order was lost or an effect is missing or repeated.

mod client;
mod effects;
mod invariants;
mod profile;
mod report;
mod run;

use anyhow::{bail, Context as _, Result};
use clap::Parser;
use report::{Percentiles, Report};
use run::{Plan, Shop};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the effects of settled orders (releases, refunds, notices) may take to land.
const EFFECTS_SETTLE: Duration = Duration::from_secs(120);

#[derive(Parser)]
#[command(
    name = "load",
    about = "Shoppers at once through the local cloud; the saga's invariants after."
)]
struct Cli {
    /// Shoppers at once.
    #[arg(long, default_value_t = 32)]
    shoppers: usize,
    /// Orders in all.
    #[arg(long, default_value_t = 300)]
    orders: usize,
    /// Products the orders are spread over.
    #[arg(long, default_value_t = 10)]
    products: usize,
    /// Units of each product (10 x 24 = 240 units for 300 one-unit orders).
    #[arg(long, default_value_t = 24)]
    stock: i64,
    /// Every n-th order pays with a card that is declined.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    decline_every: u64,
    /// Every n-th order is cancelled once confirmed.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    cancel_every: u64,
    /// Seconds an order may take to settle before it counts as lost.
    #[arg(long, default_value_t = 300)]
    settle_timeout: u64,
    /// Record where moto spends the shopping with py-spy, as a flame graph here.
    #[arg(long, value_name = "SVG")]
    profile_moto: Option<PathBuf>,
    /// Execution environments per function and pollers per queue in the devstack
    /// (its `--concurrency`; the devstack's default when absent).
    #[arg(long, value_name = "N")]
    concurrency: Option<u16>,
    /// Where the report goes (and its .json beside it).
    #[arg(long, default_value = "docs/load.md")]
    report: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let plan = Plan {
        shoppers: cli.shoppers,
        orders: cli.orders,
        products: cli.products.max(1),
        stock_per_product: cli.stock,
        decline_every: usize::try_from(cli.decline_every)?,
        cancel_every: usize::try_from(cli.cancel_every)?,
        settle_timeout: Duration::from_secs(cli.settle_timeout),
    };
    let report = load(plan, cli.profile_moto.as_deref(), cli.concurrency).await?;
    let json = cli.report.with_extension("json");
    std::fs::write(&cli.report, report::markdown(&report))
        .with_context(|| format!("writing {}", cli.report.display()))?;
    std::fs::write(&json, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", json.display()))?;
    println!("{}", report::markdown(&report));
    if !report.violations.is_empty() {
        bail!(
            "{} invariant(s) broken: see {}",
            report.violations.len(),
            cli.report.display()
        );
    }
    Ok(())
}

async fn load(
    plan: Plan,
    profile_moto: Option<&std::path::Path>,
    concurrency: Option<u16>,
) -> Result<Report> {
    eprintln!("load: starting a devstack of its own");
    let options = e2e::StackOptions {
        args: std::iter::once("--no-seed-catalog".to_owned())
            .chain(concurrency.map(|n| format!("--concurrency={n}")))
            .collect(),
        ..e2e::StackOptions::default()
    };
    let stack = e2e::Stack::start_with(options).map_err(anyhow::Error::msg)?;
    let shop = Arc::new(
        Shop::sign_in(
            client::Api::new(&stack.api_url),
            &stack.admin_email,
            &stack.admin_password,
        )
        .await?,
    );
    let products = shop.catalog(plan.products, plan.stock_per_product).await?;

    // One order alone first (it also waits for the price projection to know the
    // catalog): the latency a developer sees on an idle stack. Its unit is put back.
    eprintln!("load: one order alone");
    let lone_shopper = shop.shopper(usize::MAX).await?;
    let lone_plan = Plan {
        cancel_every: 1,
        decline_every: usize::MAX,
        ..plan.clone()
    };
    let lone = shop
        .order(
            &lone_plan,
            Instant::now(),
            (0, &lone_shopper),
            0,
            &products[0],
        )
        .await?;
    let lone_order_seconds = lone
        .settle_seconds
        .context("the lone order never settled")?;

    eprintln!("load: {} shoppers sign up", plan.shoppers);
    let mut shoppers = Vec::new();
    for n in 0..plan.shoppers {
        shoppers.push(shop.shopper(n).await?);
    }
    eprintln!(
        "load: {} orders from {} shoppers at once",
        plan.orders, plan.shoppers
    );
    let recording = profile_moto
        .map(|svg| profile::Recording::start(&stack.moto_url, svg))
        .transpose()?;
    let runs = run::shop(shop.clone(), &plan, shoppers.clone(), &products).await?;
    if let Some(recording) = recording {
        eprintln!("load: moto's profile: {}", recording.finish()?.display());
    }

    eprintln!("load: counting effects");
    let sqs = aws_sdk_sqs::Client::new(&moto_runner::sdk_config(&stack.moto_url).await);
    let queues = effects::dead_letter_queues(&stack.resources);
    let started = Instant::now();
    let violations = loop {
        let seen = effects::observe(&shop, &shoppers, &runs, &products, &sqs, &queues).await?;
        let found = invariants::violations(&runs, plan.stock_per_product, &seen);
        if found.is_empty() || started.elapsed() > EFFECTS_SETTLE {
            break found;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };

    let settled: Vec<f64> = runs.iter().filter_map(|r| r.settle_seconds).collect();
    let last_settled = runs
        .iter()
        .filter_map(|r| Some(r.placed_at + r.settle_seconds?))
        .fold(0.0, f64::max);
    let mut outcomes = std::collections::BTreeMap::new();
    for run in &runs {
        *outcomes.entry(report::outcome(run)).or_insert(0) += 1;
    }
    Ok(Report {
        written_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        machine: machine(),
        lone_order_seconds,
        wall_seconds: last_settled,
        orders_per_second: settled.len() as f64 / last_settled.max(f64::MIN_POSITIVE),
        settle: Percentiles::of(settled),
        seen: Percentiles::of(runs.iter().filter_map(|r| r.seen_seconds).collect()),
        post: Percentiles::of(runs.iter().map(|r| r.post_seconds).collect()),
        outcomes,
        violations,
        orders: runs,
        plan,
    })
}

/// The CPU model and the number of cores the load shared with the whole local cloud.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}; {cores} cores, shared by the shoppers, the functions and moto")
}
