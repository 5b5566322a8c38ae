//! The state of a watched function's build, read from cargo's JSON messages
//! (`--message-format json`) on cargo-lambda's stdout and its status lines on stderr.

use crate::logs::{FunctionLog, Stream};
use serde_json::Value;
use std::time::Instant;
use tokio::sync::watch;

/// Where the watched function's code stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    /// cargo is building it: the first build, or a rebuild after a save.
    Building,
    /// The last build succeeded; cargo-lambda runs it.
    Ready,
    /// The last build failed; nothing runs until a save fixes it.
    Failed {
        /// The compiler's first error, as rustc renders it.
        first_error: String,
    },
}

impl Build {
    /// Whether the function can take invocations (a build in progress delays them).
    pub fn serves(&self) -> bool {
        !matches!(self, Build::Failed { .. })
    }

    /// A few words for the devstack's summary.
    pub fn describe(&self) -> String {
        match self {
            Build::Building => "still building".to_owned(),
            Build::Ready => "built".to_owned(),
            Build::Failed { first_error } => format!(
                "DOES NOT BUILD: {}",
                first_error.lines().next().unwrap_or_default()
            ),
        }
    }
}

/// Follows one `cargo lambda watch` process's output.
pub(super) struct Tracker {
    binary: String,
    state: watch::Sender<Build>,
    log: FunctionLog,
    /// The first error of the build in progress.
    first_error: Option<String>,
    started: Instant,
    /// Builds whose end cargo has reported on stdout (`build-finished`)...
    finished_on_stdout: u64,
    /// ...and on stderr (`Finished`, or an `error` line). stdout and stderr are read
    /// apart, so a build's stderr can lag behind its end on stdout: a `Compiling` line
    /// read while this count is behind belongs to a build that has already ended.
    ended_on_stderr: u64,
}

impl Tracker {
    pub(super) fn new(binary: &str, log: FunctionLog) -> (Tracker, watch::Receiver<Build>) {
        let (state, rx) = watch::channel(Build::Building);
        log.note("INFO", "building with cargo lambda watch");
        let tracker = Tracker {
            binary: binary.to_owned(),
            state,
            log,
            first_error: None,
            started: Instant::now(),
            finished_on_stdout: 0,
            ended_on_stderr: 0,
        };
        (tracker, rx)
    }

    /// One line of cargo-lambda's stdout: a cargo message, or the function's own output.
    pub(super) fn stdout(&mut self, line: &str) {
        let message = line
            .starts_with("{\"reason\":")
            .then(|| serde_json::from_str::<Value>(line).ok())
            .flatten();
        let Some(message) = message else {
            self.log.line(Stream::Stdout, line);
            return;
        };
        match message["reason"].as_str() {
            Some("compiler-message") => {
                let diagnostic = &message["message"];
                if diagnostic["level"] == "error" {
                    self.building();
                    let rendered = diagnostic["rendered"].as_str().unwrap_or_default();
                    self.log.line(Stream::Stderr, rendered.trim_end());
                    if self.first_error.is_none() {
                        self.first_error = Some(rendered.trim_end().to_owned());
                    }
                }
            }
            Some("compiler-artifact") if message["fresh"] == false => self.building(),
            Some("build-finished") => {
                self.finished_on_stdout += 1;
                self.finished(message["success"] == true);
            }
            _ => {}
        }
    }

    /// One line of cargo-lambda's stderr: cargo's status lines, or the function's stderr.
    /// A `Compiling` line is the first sign of a rebuild, unless it is a late line of a
    /// build already over: taking that for a new build would hold every invocation for a
    /// build that never comes.
    pub(super) fn stderr(&mut self, line: &str) {
        let status = line.trim_start();
        if status.starts_with("Compiling ") && self.ended_on_stderr >= self.finished_on_stdout {
            self.building();
        }
        if status.starts_with("Finished ") || line.starts_with("error") {
            self.ended_on_stderr += 1;
        }
        self.log.line(Stream::Stderr, line);
    }

    fn building(&mut self) {
        if *self.state.borrow() != Build::Building {
            self.started = Instant::now();
            self.first_error = None;
            self.log.note("INFO", "source changed: rebuilding");
            self.state.send_replace(Build::Building);
        }
    }

    fn finished(&mut self, success: bool) {
        let compiled = *self.state.borrow() == Build::Building;
        let next = if success {
            // A restart with nothing to compile (a change outside this binary's crates)
            // is not worth a line.
            if compiled {
                let took = self.started.elapsed().as_secs_f64();
                self.log.note(
                    "INFO",
                    &format!("built in {took:.1}s: the next invocation runs the new code"),
                );
            }
            Build::Ready
        } else {
            let first_error = self
                .first_error
                .take()
                .unwrap_or_else(|| "cargo build failed (no compiler error was reported)".into());
            let headline: Vec<&str> = first_error.lines().take(2).map(str::trim).collect();
            self.log.note(
                "ERROR",
                &format!(
                    "does not build; it answers 502 until a save fixes it \
                     (`cargo build --bin {}` shows every error): {}",
                    self.binary,
                    headline.join(" ")
                ),
            );
            Build::Failed { first_error }
        };
        self.state.send_replace(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> (Tracker, watch::Receiver<Build>) {
        Tracker::new("orders-api", FunctionLog::passthrough("orders-api"))
    }

    const ERROR: &str = r#"{"reason":"compiler-message","package_id":"orders","message":{"level":"error","message":"expected `;`","rendered":"error: expected `;`, found `}`\n --> functions/orders/src/bin/orders-api.rs:9:5\n"}}"#;
    const WARNING: &str = r#"{"reason":"compiler-message","message":{"level":"warning","rendered":"warning: unused"}}"#;

    #[test]
    fn a_build_is_ready_or_failed_with_the_first_compiler_error() {
        let (mut t, rx) = tracker();
        assert_eq!(
            *rx.borrow(),
            Build::Building,
            "the first build starts at once"
        );
        t.stdout(r#"{"reason":"compiler-artifact","fresh":true}"#);
        t.stdout(r#"{"reason":"build-finished","success":true}"#);
        t.stderr("    Finished `dev` profile [unoptimized] target(s) in 0.20s");
        assert_eq!(*rx.borrow(), Build::Ready);

        t.stderr("   Compiling orders v0.1.0 (/w/functions/orders)");
        assert_eq!(*rx.borrow(), Build::Building, "a save starts a rebuild");
        t.stdout(WARNING);
        t.stdout(ERROR);
        t.stdout(&ERROR.replace("expected `;`", "second"));
        t.stdout(r#"{"reason":"build-finished","success":false}"#);
        match &*rx.borrow() {
            Build::Failed { first_error } => {
                assert!(
                    first_error.starts_with("error: expected `;`"),
                    "{first_error}"
                );
                assert!(first_error.contains("orders-api.rs:9:5"), "{first_error}");
            }
            other => panic!("{other:?}"),
        }

        t.stdout(r#"{"reason":"compiler-artifact","fresh":false}"#);
        assert_eq!(*rx.borrow(), Build::Building);
        t.stdout(r#"{"reason":"build-finished","success":true}"#);
        assert_eq!(*rx.borrow(), Build::Ready, "the next save fixes it");
    }

    /// cargo-lambda's stdout and stderr are two pipes, read apart: a failed build's
    /// `Compiling` line can be read after its end on stdout.
    #[test]
    fn a_late_line_of_an_ended_build_starts_no_rebuild() {
        let (mut t, rx) = tracker();
        t.stdout(ERROR);
        t.stdout(r#"{"reason":"build-finished","success":false}"#);
        t.stderr("   Compiling orders v0.1.0 (/w/functions/orders)");
        assert!(
            matches!(*rx.borrow(), Build::Failed { .. }),
            "still failed: {:?}",
            *rx.borrow()
        );
        t.stderr("error: could not compile `orders` (bin \"orders-api\") due to 1 previous error");

        t.stderr("   Compiling orders v0.1.0 (/w/functions/orders)");
        assert_eq!(*rx.borrow(), Build::Building, "the save's rebuild");
        t.stdout(r#"{"reason":"build-finished","success":true}"#);
        assert_eq!(*rx.borrow(), Build::Ready);
        t.stderr("   Compiling orders v0.1.0 (/w/functions/orders)");
        assert_eq!(*rx.borrow(), Build::Ready, "late, after a success too");
    }

    #[test]
    fn the_functions_own_lines_do_not_move_the_build() {
        let (mut t, rx) = tracker();
        t.stdout(r#"{"reason":"build-finished","success":true}"#);
        t.stdout(r#"{"level":"INFO","message":"order placed","reason":"out_of_stock"}"#);
        t.stderr("thread 'main' panicked at src/main.rs:1:1");
        assert_eq!(*rx.borrow(), Build::Ready);
    }
}
