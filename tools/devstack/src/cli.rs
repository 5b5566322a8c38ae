//! Command line.

use clap::Parser;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Environments per function and batches per queue at once, unless told otherwise: enough
/// for the saga's steps to overlap on a laptop without a process per core per function.
pub const DEFAULT_CONCURRENCY: u16 = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub template: PathBuf,
    pub api_port: u16,
    pub storefront_port: u16,
    /// None: `<workspace>/web`.
    pub storefront_dir: Option<PathBuf>,
    pub moto_port: u16,
    pub bin_dir: Option<PathBuf>,
    pub state_file: Option<PathBuf>,
    pub parameter_overrides: BTreeMap<String, String>,
    pub seed_catalog: bool,
    pub exit_on_stdin_eof: bool,
    /// None: `<workspace>/.devstack`.
    pub work_dir: Option<PathBuf>,
    /// Function logical ids or binary names, as given.
    pub watch: Vec<String>,
    pub raw_logs: bool,
    /// Execution environments each function may run at once, and batches each queue
    /// hands its function at once.
    pub concurrency: usize,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            template: PathBuf::from("template.yaml"),
            api_port: 3000,
            storefront_port: 8080,
            storefront_dir: None,
            moto_port: 0,
            bin_dir: None,
            state_file: None,
            parameter_overrides: BTreeMap::new(),
            seed_catalog: true,
            exit_on_stdin_eof: false,
            work_dir: None,
            watch: Vec::new(),
            raw_logs: false,
            concurrency: usize::from(DEFAULT_CONCURRENCY),
        }
    }
}

/// The command line as clap reads it; [`parse`] turns it into [`Args`].
#[derive(Debug, Parser)]
#[command(
    name = "devstack",
    about = "The crabcart local cloud (moto + local Lambda + local API Gateway), provisioned from template.yaml",
    after_help = "Environment:\n  \
CRABCART_ADMIN_PASSWORD  password of the seeded admin@example.com [default: Admin-Passw0rd!]\n  \
RUST_LOG                 when set, overrides the template's RUST_LOG for every function\n  \
DEVSTACK_LOG             log filter of the devstack itself [default: info]"
)]
struct Cli {
    /// SAM template to run.
    #[arg(long, value_name = "PATH", default_value = "template.yaml")]
    template: PathBuf,
    /// Port of the local REST API on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "PORT", default_value_t = 3000)]
    api_port: u16,
    /// Port of the storefront on 127.0.0.1, served as http://localhost:<port>, the origin
    /// the API's CORS answers name (0 = any free port).
    #[arg(long, value_name = "PORT", default_value_t = 8080)]
    storefront_port: u16,
    /// The storefront's static files [default: <workspace>/web].
    #[arg(long, value_name = "DIR")]
    storefront_dir: Option<PathBuf>,
    /// Port of the moto server on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    moto_port: u16,
    /// Where the function binaries are [default: <workspace>/target/debug].
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// Write URLs, ids and credentials as JSON here once ready (removed on exit).
    #[arg(long, value_name = "PATH")]
    state_file: Option<PathBuf>,
    /// Where each function's env file (env/<function>.env, for cargo lambda watch
    /// --env-file) and full JSON log (logs/<function>.log) go [default:
    /// <workspace>/.devstack].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Run these functions (logical id, binary or short name) under `cargo lambda watch`:
    /// rebuilt and restarted on every save, while the API, queues and streams keep sending
    /// them their invocations.
    #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',', value_parser = function_name)]
    watch: Vec<String>,
    /// Print the functions' JSON log lines as they are, instead of one short line per
    /// event.
    #[arg(long)]
    raw_logs: bool,
    /// Execution environments each function may run at once (each its own process,
    /// started when the others are busy), and batches each SQS queue delivers at once, as
    /// Lambda scales both. 1 runs one invocation of a function at a time.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Template parameter values, as `sam deploy --parameter-overrides` takes them
    /// (Key=Value or ParameterKey=K,ParameterValue=V).
    #[arg(long, value_name = "K=V", num_args = 1.., value_parser = parameter_override)]
    parameter_overrides: Vec<(String, String)>,
    /// Do not create the sample catalog.
    #[arg(long)]
    no_seed_catalog: bool,
    /// Shut down when stdin closes (test harnesses: the stack dies with them).
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

/// Parses the arguments, the program name first; help and usage errors are clap's to
/// print (`Error::exit`).
pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Args, clap::Error> {
    let cli = Cli::try_parse_from(argv)?;
    Ok(Args {
        template: cli.template,
        api_port: cli.api_port,
        storefront_port: cli.storefront_port,
        storefront_dir: cli.storefront_dir,
        moto_port: cli.moto_port,
        bin_dir: cli.bin_dir,
        state_file: cli.state_file,
        parameter_overrides: cli.parameter_overrides.into_iter().collect(),
        seed_catalog: !cli.no_seed_catalog,
        exit_on_stdin_eof: cli.exit_on_stdin_eof,
        work_dir: cli.work_dir,
        watch: cli.watch,
        raw_logs: cli.raw_logs,
        concurrency: usize::from(cli.concurrency),
    })
}

fn function_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("empty function name (a logical id or a binary name)".to_owned());
    }
    Ok(name.to_owned())
}

fn parameter_override(kv: &str) -> Result<(String, String), String> {
    let (k, v) = match kv.strip_prefix("ParameterKey=") {
        Some(rest) => rest
            .split_once(",ParameterValue=")
            .ok_or_else(|| format!("{kv:?}: expected ParameterKey=K,ParameterValue=V"))?,
        None => kv
            .split_once('=')
            .ok_or_else(|| format!("{kv:?}: expected Key=Value"))?,
    };
    if k.is_empty() {
        return Err(format!("{kv:?}: empty parameter name"));
    }
    Ok((k.to_owned(), v.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<Args, clap::Error> {
        parse(
            std::iter::once("devstack")
                .chain(a.iter().copied())
                .map(str::to_owned),
        )
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(p(&[]).unwrap(), Args::default());
        let a = p(&[
            "--template",
            "t.yaml",
            "--api-port=0",
            "--moto-port",
            "5000",
            "--parameter-overrides",
            "A=1",
            "B=x=y",
            "ParameterKey=C,ParameterValue=3",
            "--no-seed-catalog",
            "--exit-on-stdin-eof",
            "--state-file",
            "/tmp/s.json",
            "--watch",
            "orders-api, OrdersWorkerFunction",
            "--watch=users-api",
            "--work-dir",
            "/tmp/w",
            "--raw-logs",
        ])
        .unwrap();
        assert_eq!(a.template, PathBuf::from("t.yaml"));
        assert_eq!((a.api_port, a.moto_port), (0, 5000));
        assert_eq!(a.parameter_overrides["A"], "1");
        assert_eq!(a.parameter_overrides["B"], "x=y");
        assert_eq!(a.parameter_overrides["C"], "3");
        assert!(!a.seed_catalog);
        assert!(a.exit_on_stdin_eof);
        assert_eq!(a.state_file, Some(PathBuf::from("/tmp/s.json")));
        assert_eq!(a.watch, ["orders-api", "OrdersWorkerFunction", "users-api"]);
        assert_eq!(a.work_dir, Some(PathBuf::from("/tmp/w")));
        assert!(a.raw_logs);
        assert_eq!(
            p(&["--help"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(p(&["--api-port", "http"]).is_err());
        assert!(p(&["--api-port"]).is_err());
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--parameter-overrides"]).is_err());
        assert!(p(&["--parameter-overrides", "novalue"]).is_err());
        assert!(p(&["--watch"]).is_err());
        assert!(p(&["--watch", ","]).is_err());
    }
}
