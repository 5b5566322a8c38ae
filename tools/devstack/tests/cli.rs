//! The devstack binary as a user meets it: help, and clear errors (not panics) for what
//! it cannot run, all reported before moto is started.

use std::process::{Command, Output};

/// Runs the devstack with `args`, its storefront on any free port (these tests run at
/// once, and each would take 8080).
fn devstack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devstack"))
        .args(args)
        .args(["--storefront-port", "0"])
        .env("DEVSTACK_LOG", "warn")
        .output()
        .expect("run devstack")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

mod temp {
    /// A template file removed when dropped.
    pub struct TempTemplate(pub std::path::PathBuf);

    impl TempTemplate {
        pub fn new(body: &str) -> Self {
            let path = std::env::temp_dir().join(format!("devstack-cli-{}.yaml", uuid_like()));
            std::fs::write(&path, body).expect("write the template");
            Self(path)
        }

        pub fn arg(&self) -> &str {
            self.0.to_str().expect("utf-8 temp path")
        }
    }

    impl Drop for TempTemplate {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn uuid_like() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("{}-{nanos}", std::process::id())
    }
}

/// A template the devstack can run without any function binary.
const TOPIC_ONLY: &str = "Parameters:\n  Stage:\n    Type: String\n    Default: dev\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n";

#[test]
fn help_lists_the_options() {
    let out = devstack(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--api-port",
        "--state-file",
        "--parameter-overrides",
        "--watch",
        "--work-dir",
        "--raw-logs",
        "CRABCART_ADMIN_PASSWORD",
    ] {
        assert!(help.contains(flag), "help does not mention {flag}");
    }
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let out = devstack(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--bogus"), "{}", stderr(&out));
}

#[test]
fn a_resource_type_it_cannot_run_is_named() {
    let t = temp::TempTemplate::new("Resources:\n  Server:\n    Type: AWS::EC2::Instance\n");
    let out = devstack(&["--template", t.arg(), "--api-port", "0"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("Server") && err.contains("AWS::EC2::Instance"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_missing_template_is_explained() {
    let out = devstack(&[
        "--template",
        "/nonexistent/template.yaml",
        "--api-port",
        "0",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("/nonexistent/template.yaml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let t = temp::TempTemplate::new(TOPIC_ONLY);
    let out = devstack(&["--template", t.arg(), "--api-port", &port]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&port) && err.contains("in use"), "{err}");
}

#[test]
fn an_unknown_parameter_override_is_refused() {
    let t = temp::TempTemplate::new(TOPIC_ONLY);
    let out = devstack(&[
        "--template",
        t.arg(),
        "--parameter-overrides",
        "NoSuchParameter=1",
        "--api-port",
        "0",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("NoSuchParameter"), "{}", stderr(&out));
}

#[test]
fn watching_an_unknown_function_lists_the_known_ones() {
    let out = devstack(&["--watch", "orders-api,ordres-worker", "--api-port", "0"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("--watch ordres-worker"), "{err}");
    for known in [
        "orders-worker (OrdersWorkerFunction, binary orders-worker)",
        "users-outbox-publisher (UsersOutboxPublisherFunction, binary outbox-publisher)",
    ] {
        assert!(err.contains(known), "{known} is listed: {err}");
    }
    assert!(!err.contains("moto"), "reported before moto starts: {err}");
}
