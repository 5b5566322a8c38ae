//! devstack: the crabcart local cloud (moto + local Lambda Runtime API + local REST front),
//! provisioned from template.yaml (docs/devstack.md). A library so that other tools
//! (the benchmark harness) run functions under the same Runtime API.

pub mod apigw;
pub mod cli;
mod env_file;
pub mod functions;
pub mod lambda;
pub mod logs;
pub mod running;
pub mod seed;
pub mod sources;
pub mod storefront;
mod summary;
#[cfg(test)]
mod tests_moto;
#[cfg(test)]
mod testutil;
pub mod watched;

use anyhow::{Context as _, Result};
use lambda::FunctionPool;
use logs::{FunctionLog, Layout, Style};
use running::RunningFunction;
use stack_model::provision;
use stack_model::template::intrinsics::resolve_parameters;
use stack_model::template::{Context, Template};
use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;

/// Everything started so far, so that shutdown (normal, on error, or on a signal in the
/// middle of startup) stops exactly what runs.
struct Running {
    moto: Option<moto_runner::MotoServer>,
    functions: Vec<RunningFunction>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: watch::Sender<bool>,
    state_file: Option<PathBuf>,
}

impl Running {
    async fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        for f in self.functions.drain(..) {
            f.shutdown().await;
        }
        if let Some(mut m) = self.moto.take() {
            m.stop().await;
        }
        if let Some(p) = &self.state_file {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What stops the stack: Ctrl-C, SIGTERM, and (with --exit-on-stdin-eof) stdin closing,
/// which is how a test harness that dies without cleaning up still takes the stack along.
struct Signals {
    int: Signal,
    term: Signal,
    stdin_closed: Option<watch::Receiver<bool>>,
}

impl Signals {
    fn install(exit_on_stdin_eof: bool) -> Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            stdin_closed: exit_on_stdin_eof.then(watch_stdin),
        })
    }

    async fn recv(&mut self) -> &'static str {
        let stdin_closed = async {
            match &mut self.stdin_closed {
                Some(rx) => {
                    let _ = rx.wait_for(|closed| *closed).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
            _ = stdin_closed => "stdin closed",
        }
    }
}

fn watch_stdin() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    // A plain thread: tokio's stdin is a blocking thread anyway, and this one may block forever.
    std::thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
        let _ = tx.send(true);
    });
    rx
}

fn find_template(path: &Path, root: &Path) -> PathBuf {
    if path.is_relative() && !path.exists() && root.join(path).exists() {
        return root.join(path);
    }
    path.to_path_buf()
}

/// The two ports the devstack answers people on, bound before anything starts so that a
/// port in use fails at once.
struct Listeners {
    api: tokio::net::TcpListener,
    storefront: tokio::net::TcpListener,
}

async fn bind_api(port: u16) -> Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {port} on 127.0.0.1 is already in use (is another devstack running?); pass --api-port <other port>, or --api-port 0 for any free port"
        ),
        Err(e) => Err(e).with_context(|| format!("binding 127.0.0.1:{port} (--api-port)")),
    }
}

/// Runs the local cloud until a signal (or stdin closing) stops it.
pub async fn run(args: cli::Args) -> Result<()> {
    let mut signals = Signals::install(args.exit_on_stdin_eof)?;
    let root = moto_runner::workspace_root();
    let template_path = find_template(&args.template, &root);
    let template = Template::load(&template_path)?;

    // Everything that can be checked without moto is checked first: a typo should not
    // cost a moto start.
    provision::check_supported(&template)?;
    apigw::check_apis(&template)?;
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| functions::default_bin_dir(&root));
    let watched = functions::watched(&template, &args.watch)?;
    functions::check_functions(&template, &bin_dir)?;
    let api_listener = bind_api(args.api_port).await?;
    let storefront_listener = storefront::bind(args.storefront_port).await?;
    let overrides = storefront::with_origin(
        &template,
        &args.parameter_overrides,
        &storefront::origin(&storefront_listener)?,
    );
    let params = resolve_parameters(&template, &overrides)?;
    let mut ctx = Context::new(&template, params);
    provision::register_serverless(&template, &mut ctx)?;

    let python = moto_runner::ensure_venv(&root).await?;
    tracing::info!("starting moto");
    let (stop, _) = watch::channel(false);
    let mut running = Running {
        moto: None,
        functions: vec![],
        tasks: vec![],
        stop,
        state_file: None,
    };
    let started = tokio::select! {
        r = startup(&args, &template, &mut ctx, &bin_dir, &python, &watched, Listeners { api: api_listener, storefront: storefront_listener }, &mut running) => Some(r),
        sig = signals.recv() => {
            tracing::info!("{sig} during startup; stopping");
            None
        }
    };
    match started {
        None => {
            running.shutdown().await;
            Ok(())
        }
        Some(Err(e)) => {
            running.shutdown().await;
            Err(e)
        }
        Some(Ok(())) => {
            let sig = signals.recv().await;
            tracing::info!("{sig}: stopping pollers, functions and moto");
            running.shutdown().await;
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn startup(
    args: &cli::Args,
    template: &Template,
    ctx: &mut Context,
    bin_dir: &Path,
    python: &Path,
    watched: &BTreeSet<String>,
    listeners: Listeners,
    running: &mut Running,
) -> Result<()> {
    let moto = moto_runner::MotoServer::start(python, args.moto_port).await?;
    let moto_url = moto.url.clone();
    running.moto = Some(moto);
    tracing::info!(url = %moto_url, "moto is up; provisioning from {}", "the template");

    let clients = provision::Clients::new(&moto_runner::sdk_config(&moto_url).await);
    provision::provision_all(template, ctx, &clients).await?;

    let rt = functions::Runtime {
        bin_dir,
        moto_url: &moto_url,
        rust_log: std::env::var("RUST_LOG").ok().filter(|v| !v.is_empty()),
    };
    let mut plans = functions::plan_all(template, ctx, &rt)?;
    let work_dir = args
        .work_dir
        .clone()
        .unwrap_or_else(|| moto_runner::workspace_root().join(".devstack"));
    let (log_dir, env_dir) = (work_dir.join("logs"), work_dir.join("env"));
    let style = log_style(args.raw_logs, &plans);
    let mut env_files = HashMap::new();
    for p in &mut plans {
        p.spec.log = FunctionLog::open(&p.label, style, &log_dir)?;
        env_files.insert(
            p.logical_id.clone(),
            env_file::write(&env_dir, &p.label, &p.spec.env)?,
        );
    }
    let setup = if watched.is_empty() {
        None
    } else {
        Some(watched::Setup {
            cargo_lambda: watched::ensure_cargo_lambda(&moto_runner::workspace_root(), python)
                .await?,
            workspace: template_dir(&args.template),
        })
    };

    let mut handles: HashMap<String, RunningFunction> = HashMap::new();
    for p in &plans {
        let started = match (&setup, watched.contains(&p.logical_id)) {
            (Some(setup), true) => watched::WatchedFunction::start(
                &p.spec,
                &p.binary,
                &env_files[&p.logical_id],
                watched::warm_up_event(p),
                setup,
            )
            .await
            .map(RunningFunction::Watched),
            _ => FunctionPool::start(p.spec.clone(), args.concurrency)
                .await
                .map(RunningFunction::Local),
        };
        let h = started.with_context(|| {
            format!(
                "starting function {} ({})",
                p.logical_id,
                p.spec.binary.display()
            )
        })?;
        running.functions.push(h.clone());
        handles.insert(p.logical_id.clone(), h);
    }
    let builds = first_builds(&handles).await;
    // A watched function that does not build answers 502 until it is fixed; the rest of
    // the stack comes up anyway, without what needed it.
    let broken = builds
        .iter()
        .find(|(_, b)| !b.serves())
        .map(|(id, _)| id.clone());

    let invoke_handles = Arc::new(handles.clone());
    let invoker: apigw::Invoker = Arc::new(move |function: &str, event| {
        let h = invoke_handles.get(function).cloned();
        let function = function.to_owned();
        Box::pin(async move {
            match h {
                Some(h) => h.invoke(event).await,
                None => Err(lambda::InvokeError::Init(format!(
                    "function {function} is not running"
                ))),
            }
        })
    });
    let verifier = apigw::auth::Verifier::new(&moto_url);
    let front = apigw::build_front(template, ctx, &plans, verifier, invoker)?;
    let has_register = front.has_route("POST", "/v1/auth/register");
    let has_products = front.has_route("POST", "/v1/products");
    let api_url = format!("http://{}", listeners.api.local_addr()?);
    let route_count = front.routes.len();
    running.tasks.push(apigw::serve(
        listeners.api,
        Arc::new(front),
        running.stop.subscribe(),
    ));
    tracing::info!(url = %api_url, routes = route_count, "REST front is up");
    let storefront_url = storefront::origin(&listeners.storefront)?;
    running.tasks.push(storefront::serve(
        listeners.storefront,
        args.storefront_dir
            .clone()
            .unwrap_or_else(|| storefront::default_dir(&moto_runner::workspace_root())),
        api_url.clone(),
        running.stop.subscribe(),
    ));

    for p in &plans {
        let Some(h) = handles.get(&p.logical_id) else {
            continue;
        };
        for s in &p.sqs {
            running.tasks.push(sources::spawn_sqs_poller(
                clients.sqs.clone(),
                s.clone(),
                h.clone(),
                args.concurrency,
                running.stop.subscribe(),
            ));
        }
        for s in &p.streams {
            running.tasks.push(sources::spawn_stream_poller(
                clients.streams.clone(),
                clients.sqs.clone(),
                s.clone(),
                h.clone(),
                running.stop.subscribe(),
            ));
        }
        for s in &p.schedules {
            running.tasks.push(sources::spawn_schedule(
                s.clone(),
                h.clone(),
                running.stop.subscribe(),
            ));
        }
    }

    let password = seed::admin_password();
    let seeded = seed::seed_admin(ctx, &clients, &api_url, has_register, &password).await;
    match (seeded, &broken) {
        (Ok(()), _) => {}
        (Err(e), Some(id)) => {
            tracing::warn!("the admin is not seeded ({id} does not build): {e:#}")
        }
        (Err(e), None) => return Err(e.context("seeding the admin user")),
    }
    let state = summary::State::new(
        api_url,
        storefront_url,
        moto_url,
        seed::ADMIN_EMAIL,
        password.clone(),
        &ctx.resources,
    );
    let token = match &state.user_pool_client_id {
        Some(client) => seed::admin_id_token(&clients, client, &password)
            .await
            .map_err(|e| tracing::warn!("the seeded admin cannot log in: {e:#}"))
            .ok(),
        None => None,
    };
    let catalog = match (args.seed_catalog, has_products, token) {
        (false, _, _) => "skipped (--no-seed-catalog)".to_owned(),
        (true, false, _) => "skipped: the template has no POST /v1/products route".to_owned(),
        (true, true, None) => "skipped: the admin could not log in".to_owned(),
        (true, true, Some(token)) => match seed::seed_catalog(&state.api_url, &token).await {
            Ok(count) => format!("{count} products"),
            Err(e) => match &broken {
                Some(id) => format!("skipped: {id} does not build ({e:#})"),
                None => return Err(e.context("seeding the sample catalog")),
            },
        },
    };
    tracing::info!("sample catalog {catalog}");

    if let Some(path) = &args.state_file {
        summary::write_state(path, &state)?;
        running.state_file = Some(path.clone());
    }
    let fns: Vec<summary::Function> = plans
        .iter()
        .map(|p| summary::Function {
            logical_id: p.logical_id.clone(),
            label: p.label.clone(),
            runs: match builds.get(&p.logical_id) {
                Some(build) => format!("cargo lambda watch ({})", build.describe()),
                None => p.spec.binary.display().to_string(),
            },
        })
        .collect();
    summary::print(&state, template, &fns, &catalog, &log_dir, &env_dir);
    Ok(())
}

/// How function output is shown: raw on request, else formatted, coloured on a terminal.
fn log_style(raw: bool, plans: &[functions::FunctionPlan]) -> Style {
    if raw {
        return Style::Raw;
    }
    Style::Pretty(Layout {
        label_width: plans.iter().map(|p| p.label.len()).max().unwrap_or(0),
        colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    })
}

/// The directory `cargo lambda watch` works in: the template's, where its CodeUri points.
fn template_dir(template: &Path) -> PathBuf {
    let root = moto_runner::workspace_root();
    let path = find_template(template, &root);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Waits for the first build of every watched function (they build at once, in parallel
/// and one after another on cargo's lock) and returns how each went.
async fn first_builds(
    functions: &HashMap<String, RunningFunction>,
) -> HashMap<String, watched::Build> {
    let waits = functions.iter().filter_map(|(id, f)| match f {
        RunningFunction::Watched(w) => {
            Some(async move { (id.clone(), w.first_build(watched::FIRST_BUILD_LIMIT).await) })
        }
        RunningFunction::Local(_) => None,
    });
    let mut builds = HashMap::new();
    for wait in waits.collect::<Vec<_>>() {
        let (id, build) = wait.await;
        builds.insert(id, build);
    }
    builds
}
