//! Command line of the bench.

use anyhow::{bail, Context as _, Result};
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: bench [--bin-dir DIR] [--out-dir DIR] [--cold-starts N] [--warm N]
             [--arm64-sizes FILE] [--arm64-note TEXT]

  --bin-dir       release binaries (default: <workspace>/target/release)
  --out-dir       where benchmarks.md and benchmarks.json go (default: <workspace>/docs)
  --cold-starts   fresh processes per operation, at least 20 for the report (default 20)
  --warm          timed warm invocations per operation, at least 200 (default 200)
  --arm64-sizes   lines `<binary> <zip bytes>` from tools/bench/package-arm64.sh
";

/// Parsed arguments.
#[derive(Debug)]
pub struct Args {
    pub bin_dir: PathBuf,
    pub out_dir: PathBuf,
    pub cold_starts: usize,
    pub warm: usize,
    pub arm64_sizes: Option<PathBuf>,
}

pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Args> {
    let root = moto_runner::workspace_root();
    let mut args = Args {
        bin_dir: root.join("target/release"),
        out_dir: root.join("docs"),
        cold_starts: 20,
        warm: 200,
        arm64_sizes: None,
    };
    let mut argv = argv.into_iter();
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin-dir" => args.bin_dir = value()?.into(),
            "--out-dir" => args.out_dir = value()?.into(),
            "--cold-starts" => args.cold_starts = value()?.parse().context("--cold-starts")?,
            "--warm" => args.warm = value()?.parse().context("--warm")?,
            "--arm64-sizes" => args.arm64_sizes = Some(value()?.into()),
            other => bail!("unknown argument {other}"),
        }
    }
    if args.cold_starts == 0 || args.warm == 0 {
        bail!("--cold-starts and --warm must be at least 1");
    }
    Ok(args)
}
