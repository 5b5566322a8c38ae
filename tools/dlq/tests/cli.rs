//! The real `dlq` binary against moto: the local cloud as the devstack provisions it from
//! template.yaml (found by `--local` with `--endpoint-url` or the devstack's state file),
//! and a CloudFormation stack reached with the standard credential chain, as in AWS.

mod support;

use serde_json::Value;
use stack_model::provision::{self, Clients};
use stack_model::template::intrinsics::resolve_parameters;
use stack_model::template::{Context, Template};
use std::collections::BTreeMap;
use std::path::PathBuf;
use support::*;

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// Runs the binary with only the environment given here (no profile of the machine).
async fn dlq(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dlq"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AWS_CONFIG_FILE", "/nonexistent/dlq-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/dlq-test-credentials",
        )
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The whole template in moto, as `make dev` provisions it.
async fn provision_like_make_dev(endpoint: &str) -> Clients {
    let template = Template::parse(dlq::topology::EMBEDDED_TEMPLATE).unwrap();
    let clients = Clients::new(&moto_runner::sdk_config(endpoint).await);
    let params = resolve_parameters(&template, &BTreeMap::new()).unwrap();
    let mut ctx = Context::new(&template, params);
    provision::register_serverless(&template, &mut ctx).unwrap();
    provision::provision_all(&template, &mut ctx, &clients)
        .await
        .unwrap();
    clients
}

async fn local_url(sqs: &aws_sdk_sqs::Client, logical_id: &str) -> String {
    sqs.get_queue_url()
        .queue_name(dlq::target::local_queue_name(logical_id))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn against_the_local_cloud() {
    let endpoint = moto_runner::shared_endpoint();
    let sqs = provision_like_make_dev(endpoint).await.sqs;
    let dead = local_url(&sqs, "NotificationsDeadLetterQueue").await;
    let source = local_url(&sqs, "NotificationsQueue").await;
    let (confirmed_id, confirmed) = envelope("OrderConfirmed", "order-1");
    let (refunded_id, refunded) = envelope("PaymentRefunded", "order-2");
    send(&sqs, &dead, &confirmed, "OrderConfirmed").await;
    send(&sqs, &dead, &refunded, "PaymentRefunded").await;
    let local = ["--local", "--endpoint-url", endpoint];

    // list, as JSON
    let list = dlq(&[&local[..], &["list", "--json"]].concat(), &[]).await;
    assert_eq!(list.status, 0, "{}", list.stderr);
    let list = list.json();
    assert_eq!(list["target"], format!("the local cloud at {endpoint}"));
    let queues = list["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 8);
    let notifications = queues
        .iter()
        .find(|q| q["name"] == "notifications")
        .unwrap();
    assert_eq!(notifications["state"]["messages"], 2);
    assert_eq!(notifications["state"]["url"], dead.as_str());
    assert_eq!(notifications["source"]["kind"], "queue");
    assert_eq!(notifications["source"]["logical_id"], "NotificationsQueue");
    assert_eq!(notifications["source_state"]["url"], source.as_str());

    // inspect, as text, with the endpoint from the devstack's state file
    let dir = std::env::temp_dir().join(format!("dlq-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    std::fs::write(
        &state,
        serde_json::json!({"moto_url": endpoint}).to_string(),
    )
    .unwrap();
    let state_arg = state.to_string_lossy().into_owned();
    let inspect = dlq(
        &[
            "--local",
            "--state-file",
            &state_arg,
            "inspect",
            "notifications",
        ],
        &[],
    )
    .await;
    assert_eq!(inspect.status, 0, "{}", inspect.stderr);
    for expected in [
        "notifications (NotificationsDeadLetterQueue)",
        "2 shown, all left in the queue",
        "OrderConfirmed v1 from orders",
        "PaymentRefunded v1 from orders",
        &confirmed_id,
        &refunded_id,
        "correlation_id  order-1",
        "receives        1",
    ] {
        assert!(
            inspect.stdout.contains(expected),
            "{expected:?} in\n{}",
            inspect.stdout
        );
    }
    assert_eq!(depth(&sqs, &dead).await, 2);

    // a dry run, then the redrive
    let dry = dlq(
        &[
            &local[..],
            &["redrive", "notifications", "--dry-run", "--max", "1"],
        ]
        .concat(),
        &[],
    )
    .await;
    assert_eq!(dry.status, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains("would move 1 message(s) to NotificationsQueue (dry run: nothing changed)"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        (depth(&sqs, &dead).await, depth(&sqs, &source).await),
        (2, 0)
    );

    let redrive = dlq(
        &[&local[..], &["--json", "redrive", "notifications"]].concat(),
        &[],
    )
    .await;
    assert_eq!(redrive.status, 0, "{}", redrive.stderr);
    let redrive = redrive.json();
    assert_eq!(redrive["dry_run"], false);
    assert_eq!(redrive["outcome"]["moved"].as_array().unwrap().len(), 2);
    assert_eq!(redrive["outcome"]["failures"], serde_json::json!([]));
    assert_eq!(depth(&sqs, &dead).await, 0);
    let back = drain(&sqs, &source).await;
    let mut bodies: Vec<&str> = back.iter().map(|m| m.body().unwrap()).collect();
    let mut sent = vec![confirmed.as_str(), refunded.as_str()];
    bodies.sort_unstable();
    sent.sort_unstable();
    assert_eq!(bodies, sent);
    assert!(back
        .iter()
        .all(|m| attribute(m, "redrive_count") == Some(("Number", "1"))));

    // what cannot be done says why, with its exit status
    let outbox = dlq(&[&local[..], &["redrive", "users-outbox"]].concat(), &[]).await;
    assert_eq!(outbox.status, 1);
    assert!(
        outbox.stderr.contains("users-outbox cannot be redriven"),
        "{}",
        outbox.stderr
    );
    let usage = dlq(&["inspect"], &[]).await;
    assert_eq!(usage.status, 2);
    assert!(
        usage
            .stderr
            .contains("required arguments were not provided")
            && usage.stderr.contains("<QUEUE>"),
        "{}",
        usage.stderr
    );
    let missing: PathBuf = dir.join("missing.json");
    let no_state = dlq(
        &[
            "--local",
            "--state-file",
            &missing.to_string_lossy(),
            "list",
        ],
        &[],
    )
    .await;
    assert_eq!(no_state.status, 1);
    assert!(
        no_state.stderr.contains("--endpoint-url"),
        "{}",
        no_state.stderr
    );
    let help = dlq(&["--help"], &[]).await;
    assert!(
        help.status == 0
            && help.stdout.contains("Usage: dlq [OPTIONS] <COMMAND>")
            && help.stdout.contains("redrive"),
        "{}",
        help.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn against_a_cloudformation_stack_with_the_standard_credential_chain() {
    let endpoint = moto_runner::shared_endpoint();
    let config = moto().await;
    let stack = queue_stack(&config).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let dead = stack_queue_url(&config, &stack, "PaymentsDeadLetterQueue").await;
    let (id, body) = envelope("PaymentRequested", "order-3");
    send(&sqs, &dead, &body, "PaymentRequested").await;
    let credentials = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let aws = ["--stack", &stack, "--endpoint-url", endpoint];

    let with_region = [&credentials[..], &[("AWS_REGION", "us-east-1")]].concat();
    let inspect = dlq(
        &[&aws[..], &["--json", "inspect", "payments"]].concat(),
        &with_region,
    )
    .await;
    assert_eq!(inspect.status, 0, "{}", inspect.stderr);
    let inspect = inspect.json();
    assert_eq!(inspect["target"], format!("stack {stack} (us-east-1)"));
    assert_eq!(inspect["queue"]["state"]["url"], dead.as_str());
    let message = &inspect["messages"][0];
    assert_eq!(message["body"]["kind"], "event");
    assert_eq!(message["body"]["type"], "PaymentRequested");
    assert_eq!(message["body"]["id"], id.as_str());
    assert_eq!(message["body"]["correlation_id"], "order-3");
    assert_eq!(message["receive_count"], 1);

    let flag_region = dlq(
        &[&aws[..], &["--region", "us-east-1", "list"]].concat(),
        &credentials,
    )
    .await;
    assert_eq!(flag_region.status, 0, "{}", flag_region.stderr);
    assert!(flag_region
        .stdout
        .contains(&format!("dead-letter queues of stack {stack} (us-east-1)")));

    let no_region = dlq(&[&aws[..], &["list"]].concat(), &credentials).await;
    assert_eq!(no_region.status, 1);
    assert!(
        no_region.stderr.contains("no region"),
        "{}",
        no_region.stderr
    );
}
