//! Runtime API tests against a real runtime client (tests/fixtures/echo_runtime.py).

use super::*;
use serde_json::json;

pub(crate) fn echo_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/echo_runtime.py")
}

pub(crate) fn echo_spec(name: &str, timeout: Duration, env: &[(&str, &str)]) -> FunctionSpec {
    FunctionSpec {
        name: name.to_string(),
        binary: echo_fixture(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        timeout,
        memory_mb: 128,
        log: crate::logs::FunctionLog::passthrough(name),
    }
}

async fn echo(timeout: Duration) -> FunctionHandle {
    FunctionHandle::start(echo_spec("EchoFunction", timeout, &[]))
        .await
        .expect("start echo function")
}

#[tokio::test]
async fn invoke_echoes_with_runtime_headers() {
    let f = echo(Duration::from_secs(5)).await;
    let before = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let out = f.invoke(json!({"hello": "world"})).await.expect("invoke");
    let after = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(out["echo"], json!({"hello": "world"}));
    assert_eq!(
        out["functionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction"
    );
    let deadline = out["deadlineMs"].as_i64().unwrap();
    // The deadline is the pickup time plus the function timeout.
    assert!(
        deadline >= before + 5_000 && deadline <= after + 5_000,
        "deadline {deadline} not in [{before}+5s, {after}+5s]"
    );
    assert!(out["traceId"].as_str().unwrap().starts_with("Root=1-"));
    let second = f.invoke(json!({"n": 2})).await.expect("second invoke");
    assert_eq!(second["echo"], json!({"n": 2}));
    assert_ne!(out["requestId"], second["requestId"]);
    assert_eq!(
        out["pid"], second["pid"],
        "the same environment serves both"
    );
    f.shutdown().await;
}

#[tokio::test]
async fn function_error_is_reported() {
    let f = echo(Duration::from_secs(5)).await;
    match f.invoke(json!({"fail": "nope"})).await {
        Err(InvokeError::Function {
            error_type,
            error_message,
        }) => {
            assert_eq!(error_type, "TestError");
            assert_eq!(error_message, "nope");
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    // The environment survives a handled error.
    assert_eq!(
        f.invoke(json!({"ok": 1})).await.expect("after error")["echo"]["ok"],
        1
    );
    f.shutdown().await;
}

#[tokio::test]
async fn timeout_kills_and_restarts() {
    let f = echo(Duration::from_millis(700)).await;
    let first = f.invoke(json!({"x": 1})).await.expect("first");
    let started = Instant::now();
    match f.invoke(json!({"sleep": 5})).await {
        Err(InvokeError::Timeout) => {}
        other => panic!("expected timeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "timeout took {:?}",
        started.elapsed()
    );
    let after = f
        .invoke(json!({"x": 2}))
        .await
        .expect("invoke after timeout");
    assert_eq!(after["echo"]["x"], 2);
    assert_ne!(
        first["pid"], after["pid"],
        "a fresh process serves after a timeout"
    );
    f.shutdown().await;
}

#[tokio::test]
async fn crash_is_reported_and_restarted() {
    let f = echo(Duration::from_secs(5)).await;
    let first = f.invoke(json!({"x": 1})).await.expect("first");
    match f.invoke(json!({"crash": true})).await {
        Err(InvokeError::Crashed(msg)) => {
            assert!(msg.contains("exit status: 3"), "{msg}");
            assert!(msg.contains("crashing now"), "stderr tail missing: {msg}");
        }
        other => panic!("expected crash, got {other:?}"),
    }
    let after = f.invoke(json!({"x": 2})).await.expect("invoke after crash");
    assert_eq!(after["echo"]["x"], 2);
    assert_ne!(first["pid"], after["pid"]);
    f.shutdown().await;
}

#[tokio::test]
async fn concurrent_invokes_are_serialized_and_answered() {
    let f = echo(Duration::from_secs(5)).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            (i, f.invoke(json!({"i": i, "sleep": 0.02})).await)
        }));
    }
    let mut pids = std::collections::HashSet::new();
    for t in tasks {
        let (i, out) = t.await.unwrap();
        let out = out.expect("concurrent invoke");
        assert_eq!(out["echo"]["i"], i, "each caller gets its own answer");
        pids.insert(out["pid"].as_i64().unwrap());
    }
    assert_eq!(pids.len(), 1, "one execution environment");
    f.shutdown().await;
}

#[tokio::test]
async fn overlapping_invocations_get_environments_of_their_own_up_to_the_limit() {
    let pool = FunctionPool::start(echo_spec("EchoFunction", Duration::from_secs(5), &[]), 3)
        .await
        .expect("start echo pool");
    let calls = (0..9).map(|i| {
        let pool = pool.clone();
        tokio::spawn(async move { (i, pool.invoke(json!({"i": i, "sleep": 0.3})).await) })
    });
    let mut pids = std::collections::HashSet::new();
    for call in calls.collect::<Vec<_>>() {
        let (i, out) = call.await.unwrap();
        let out = out.expect("invoke in the pool");
        assert_eq!(out["echo"]["i"], i, "each caller gets its own answer");
        pids.insert(out["pid"].as_i64().unwrap());
    }
    assert_eq!(pids.len(), 3, "nine overlapping calls, three environments");
    assert_eq!(pool.environments(), 3);

    // One at a time, the warm environments are reused and no other starts.
    for i in 0..3 {
        let out = pool
            .invoke(json!({"i": i}))
            .await
            .expect("sequential invoke");
        assert!(pids.contains(&out["pid"].as_i64().unwrap()));
    }
    assert_eq!(pool.environments(), 3);
    pool.shutdown().await;
}

#[tokio::test]
async fn a_pool_of_one_serializes_like_one_environment() {
    let pool = FunctionPool::start(echo_spec("EchoFunction", Duration::from_secs(5), &[]), 1)
        .await
        .expect("start echo pool");
    let calls: Vec<_> = (0..4)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.invoke(json!({"i": i, "sleep": 0.02})).await })
        })
        .collect();
    let mut pids = std::collections::HashSet::new();
    for call in calls {
        pids.insert(
            call.await.unwrap().expect("invoke")["pid"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(pids.len(), 1);
    assert_eq!(pool.environments(), 1);
    pool.shutdown().await;
}

#[tokio::test]
async fn repeated_init_error_fails_invoke_with_init() {
    let f = FunctionHandle::start(echo_spec(
        "InitFailFunction",
        Duration::from_secs(3),
        &[("INIT_FAIL", "1")],
    ))
    .await
    .expect("spawning works even if init fails");
    match f.invoke(json!({})).await {
        Err(InvokeError::Init(msg)) => assert!(msg.contains("bad config"), "{msg}"),
        other => panic!("expected init error, got {other:?}"),
    }
    f.shutdown().await;
    assert!(matches!(
        f.invoke(json!({})).await,
        Err(InvokeError::Init(_))
    ));
}

#[tokio::test]
async fn shutdown_fails_in_flight_invocation() {
    let f = echo(Duration::from_secs(10)).await;
    // Warm up so the sleeping invocation is surely in flight, not queued, at shutdown.
    f.invoke(json!({})).await.expect("warm-up");
    let g = f.clone();
    let pending = tokio::spawn(async move { g.invoke(json!({"sleep": 5})).await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let started = Instant::now();
    f.shutdown().await;
    let res = pending.await.unwrap();
    assert!(matches!(res, Err(InvokeError::Crashed(_))), "{res:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn shutdown_never_answers_a_live_process_next() {
    // lambda_runtime panics on any answer to /next that is not an invocation, so a
    // stopping devstack must leave the long-poll pending until the process is killed.
    let errors = std::env::temp_dir().join(format!("next-errors-{}", uuid::Uuid::now_v7()));
    let errors_path = errors.to_string_lossy().into_owned();
    let f = FunctionHandle::start(echo_spec(
        "EchoFunction",
        Duration::from_secs(5),
        &[("NEXT_ERROR_FILE", &errors_path)],
    ))
    .await
    .expect("start echo function");
    f.invoke(json!({})).await.expect("warm-up");
    // Let the process get back into its /next long-poll.
    tokio::time::sleep(Duration::from_millis(300)).await;
    f.shutdown().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = std::fs::read_to_string(&errors).unwrap_or_default();
    let _ = std::fs::remove_file(&errors);
    assert_eq!(seen, "", "the process was answered while alive");
}

#[tokio::test]
async fn missing_binary_fails_start() {
    let mut spec = echo_spec("Missing", Duration::from_secs(1), &[]);
    spec.binary = PathBuf::from("/nonexistent/bootstrap");
    assert!(FunctionHandle::start(spec).await.is_err());
}

use std::time::SystemTime;

#[tokio::test]
async fn reports_time_each_invocation_and_the_init_of_a_fresh_process_only() {
    let f = echo(Duration::from_secs(5)).await;
    let (out, first) = f.invoke_reported(json!({"sleep": 0.05})).await;
    let out = out.expect("first invoke");
    let first = first.expect("a report of the first invocation");
    assert_eq!(json!(first.request_id), out["requestId"]);
    assert!(first.duration >= Duration::from_millis(50), "{first}");
    assert!(
        first.init_duration.is_some_and(|d| d > Duration::ZERO),
        "{first}"
    );
    assert!(first.max_memory_kib.is_some_and(|k| k > 0), "{first}");
    assert!(first.to_string().contains("Init Duration: "), "{first}");

    let (_, warm) = f.invoke_reported(json!({"n": 2})).await;
    let warm = warm.expect("a report of the warm invocation");
    assert_eq!(warm.init_duration, None, "{warm}");
    assert!(warm.duration < first.duration, "{warm} vs {first}");

    // A crashed environment is replaced; the replacement's first invocation has an init.
    let (crashed, report) = f.invoke_reported(json!({"crash": true})).await;
    assert!(
        matches!(crashed, Err(InvokeError::Crashed(_))),
        "{crashed:?}"
    );
    assert_eq!(report, None, "no REPORT for an invocation nobody answered");
    let (_, fresh) = f.invoke_reported(json!({"n": 3})).await;
    assert!(fresh.expect("report").init_duration.is_some());
    f.shutdown().await;
}
