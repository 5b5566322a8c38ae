//! Command line of the bench.

use clap::Parser;
use std::path::PathBuf;

/// The command line as clap reads it; [`parse`] resolves its defaults into [`Args`].
#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Measures every function against a hello-world floor and a Node.js peer; writes benchmarks.md and benchmarks.json"
)]
struct Cli {
    /// Release binaries [default: <workspace>/target/release].
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// Where benchmarks.md and benchmarks.json go [default: <workspace>/docs].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Fresh processes per operation (at least 20 for the report).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    cold_starts: u32,
    /// Timed warm invocations per operation (at least 200 for the report).
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    warm: u32,
    /// Lines `<binary> <zip bytes>` from tools/bench/package-arm64.sh.
    #[arg(long, value_name = "FILE")]
    arm64_sizes: Option<PathBuf>,
}

/// Parsed arguments.
#[derive(Debug)]
pub struct Args {
    pub bin_dir: PathBuf,
    pub out_dir: PathBuf,
    pub cold_starts: usize,
    pub warm: usize,
    pub arm64_sizes: Option<PathBuf>,
}

/// Parses the arguments, the program name first; help and usage errors are clap's to
/// print (`Error::exit`).
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
    let cli = Cli::try_parse_from(argv)?;
    let root = moto_runner::workspace_root();
    Ok(Args {
        bin_dir: cli.bin_dir.unwrap_or_else(|| root.join("target/release")),
        out_dir: cli.out_dir.unwrap_or_else(|| root.join("docs")),
        cold_starts: cli.cold_starts as usize,
        warm: cli.warm as usize,
        arm64_sizes: cli.arm64_sizes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<Args, clap::Error> {
        parse(
            std::iter::once("bench")
                .chain(a.iter().copied())
                .map(str::to_owned),
        )
    }

    #[test]
    fn defaults_flags_and_refusals() {
        let d = p(&[]).unwrap();
        assert_eq!((d.cold_starts, d.warm), (20, 200));
        assert!(d.bin_dir.ends_with("target/release") && d.out_dir.ends_with("docs"));
        let a = p(&[
            "--bin-dir",
            "/b",
            "--out-dir=/o",
            "--cold-starts",
            "25",
            "--warm",
            "300",
        ])
        .unwrap();
        assert_eq!((a.bin_dir, a.out_dir), ("/b".into(), "/o".into()));
        assert_eq!((a.cold_starts, a.warm), (25, 300));
        for bad in [
            &["--warm", "0"][..],
            &["--cold-starts", "x"][..],
            &["--bogus"][..],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }
}
