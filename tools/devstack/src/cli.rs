//! Command line.

use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const USAGE: &str = "\
devstack: the crabcart local cloud (moto + local Lambda + local API Gateway), provisioned from template.yaml

USAGE:
    devstack [OPTIONS]

OPTIONS:
    --template PATH                 SAM template to run [default: template.yaml]
    --api-port PORT                 port of the local REST API on 127.0.0.1 (0 = any free port) [default: 3000]
    --moto-port PORT                port of the moto server on 127.0.0.1 (0 = any free port) [default: 0]
    --bin-dir DIR                   where the function binaries are [default: <workspace>/target/debug]
    --state-file PATH               write URLs, ids and credentials as JSON here once ready (removed on exit)
    --work-dir DIR                  where each function's env file (env/<function>.env, for cargo lambda
                                    watch --env-file) and full JSON log (logs/<function>.log) go
                                    [default: <workspace>/.devstack]
    --watch NAME[,NAME...]          run these functions (logical id, binary or short name) under
                                    `cargo lambda watch`: rebuilt and restarted on every save, while
                                    the API, queues and streams keep sending them their invocations
    --raw-logs                      print the functions' JSON log lines as they are, instead of one
                                    short line per event
    --parameter-overrides K=V ...   template parameter values (as sam deploy --parameter-overrides)
    --no-seed-catalog               do not create the sample catalog
    --exit-on-stdin-eof             shut down when stdin closes (test harnesses: the stack dies with them)
    -h, --help                      print this help

ENVIRONMENT:
    CRABCART_ADMIN_PASSWORD         password of the seeded admin@example.com [default: Admin-Passw0rd!]
    RUST_LOG                        when set, overrides the template's RUST_LOG for every function
    DEVSTACK_LOG                    log filter of the devstack itself [default: info]
";

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub template: PathBuf,
    pub api_port: u16,
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
}

impl Default for Args {
    fn default() -> Self {
        Args {
            template: PathBuf::from("template.yaml"),
            api_port: 3000,
            moto_port: 0,
            bin_dir: None,
            state_file: None,
            parameter_overrides: BTreeMap::new(),
            seed_catalog: true,
            exit_on_stdin_eof: false,
            work_dir: None,
            watch: Vec::new(),
            raw_logs: false,
        }
    }
}

/// `None` means help was asked for.
pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Option<Args>> {
    let mut args = Args::default();
    let mut it = argv.into_iter().peekable();
    while let Some(raw) = it.next() {
        // Accept --flag=value as well as --flag value.
        let (flag, inline) = match raw.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (raw.clone(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().ok_or_else(|| anyhow!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--template" => args.template = PathBuf::from(value("--template")?),
            "--api-port" => args.api_port = port(&value("--api-port")?, "--api-port")?,
            "--moto-port" => args.moto_port = port(&value("--moto-port")?, "--moto-port")?,
            "--bin-dir" => args.bin_dir = Some(PathBuf::from(value("--bin-dir")?)),
            "--state-file" => args.state_file = Some(PathBuf::from(value("--state-file")?)),
            "--no-seed-catalog" => args.seed_catalog = false,
            "--exit-on-stdin-eof" => args.exit_on_stdin_eof = true,
            "--work-dir" => args.work_dir = Some(PathBuf::from(value("--work-dir")?)),
            "--raw-logs" => args.raw_logs = true,
            "--watch" => {
                let names = value("--watch")?;
                let before = args.watch.len();
                args.watch.extend(
                    names
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned),
                );
                if args.watch.len() == before {
                    bail!("--watch needs at least one function name (a logical id or binary name)");
                }
            }
            "--parameter-overrides" => {
                let mut any = false;
                if let Some(v) = inline.clone() {
                    add_override(&mut args, &v)?;
                    any = true;
                }
                // Like sam: every following K=V word belongs to this flag.
                while let Some(next) = it.peek() {
                    if next.starts_with("--") {
                        break;
                    }
                    let next = it.next().unwrap_or_default();
                    add_override(&mut args, &next)?;
                    any = true;
                }
                if !any {
                    bail!("--parameter-overrides needs at least one Key=Value");
                }
            }
            other => bail!("unknown argument {other:?} (see devstack --help)"),
        }
    }
    Ok(Some(args))
}

fn add_override(args: &mut Args, kv: &str) -> Result<()> {
    // sam also accepts ParameterKey=K,ParameterValue=V.
    let (k, v) = if let Some(rest) = kv.strip_prefix("ParameterKey=") {
        let (k, v) = rest.split_once(",ParameterValue=").ok_or_else(|| {
            anyhow!("--parameter-overrides {kv:?}: expected ParameterKey=K,ParameterValue=V")
        })?;
        (k, v)
    } else {
        kv.split_once('=')
            .ok_or_else(|| anyhow!("--parameter-overrides {kv:?}: expected Key=Value"))?
    };
    if k.is_empty() {
        bail!("--parameter-overrides {kv:?}: empty parameter name");
    }
    args.parameter_overrides.insert(k.to_owned(), v.to_owned());
    Ok(())
}

fn port(s: &str, flag: &str) -> Result<u16> {
    s.parse()
        .map_err(|_| anyhow!("{flag} {s:?} is not a port number (0-65535)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<Option<Args>> {
        parse(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(p(&[]).unwrap().unwrap(), Args::default());
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
        .unwrap()
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
        assert!(p(&["--help"]).unwrap().is_none());
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
