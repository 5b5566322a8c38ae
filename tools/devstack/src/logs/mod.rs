//! What the functions print, as people and tools need it: on the terminal one short,
//! aligned, coloured line per log event (or the raw JSON with `--raw-logs`), and every
//! line whole in `<work dir>/logs/<function>.log`. Secrets are masked in both.

mod mask;
mod pretty;

pub use pretty::Layout;

use anyhow::{Context as _, Result};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};

/// How function lines are shown on the terminal.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// `[binary] <the line as printed>`.
    Raw,
    /// One formatted line per log event.
    Pretty(Layout),
}

/// Which of a process's outputs a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where one function's output goes; cheap to clone.
#[derive(Clone)]
pub struct FunctionLog {
    inner: Arc<Inner>,
}

struct Inner {
    label: String,
    style: Style,
    file: Option<(PathBuf, Mutex<std::fs::File>)>,
}

impl fmt::Debug for FunctionLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionLog")
            .field("label", &self.inner.label)
            .field("style", &self.inner.style)
            .field("path", &self.path())
            .finish()
    }
}

impl FunctionLog {
    /// Lines shown raw with a `[label]` prefix and kept nowhere (the benchmark harness).
    pub fn passthrough(label: &str) -> FunctionLog {
        FunctionLog {
            inner: Arc::new(Inner {
                label: label.to_owned(),
                style: Style::Raw,
                file: None,
            }),
        }
    }

    /// Lines shown in `style` and kept in `<dir>/<label>.log` (emptied first: one run's).
    pub fn open(label: &str, style: Style, dir: &Path) -> Result<FunctionLog> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{label}.log"));
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(FunctionLog {
            inner: Arc::new(Inner {
                label: label.to_owned(),
                style,
                file: Some((path, Mutex::new(file))),
            }),
        })
    }

    /// The function's name on the terminal (its binary).
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The file every line is kept in, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.file.as_ref().map(|(p, _)| p.as_path())
    }

    /// One line the function printed.
    pub fn line(&self, stream: Stream, text: &str) {
        let masked = mask::line(text);
        if let Some((_, file)) = &self.inner.file {
            let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
            // A full disk must not take the function down with it.
            let _ = writeln!(f, "{masked}");
        }
        // Raw lines keep their stream; formatted ones are one stream for people to read,
        // stdout, so the devstack's stderr stays its own.
        let (shown, stream) = match self.inner.style {
            Style::Raw => (format!("[{}] {masked}", self.inner.label), stream),
            Style::Pretty(layout) => {
                let time = chrono::Local::now().format("%H:%M:%S%.3f").to_string();
                let line = pretty::format(&time, &self.inner.label, &masked, layout);
                (line, Stream::Stdout)
            }
        };
        // Output errors (a closed terminal) must not take the function down either.
        match stream {
            Stream::Stdout => {
                let _ = writeln!(std::io::stdout().lock(), "{shown}");
            }
            Stream::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{shown}");
            }
        }
    }

    /// A line from the devstack about this function (a build that failed or finished),
    /// shown and kept like the function's own.
    pub fn note(&self, level: &str, message: &str) {
        let line = serde_json::json!({"level": level, "message": message, "source": "devstack"});
        self.line(Stream::Stdout, &line.to_string());
    }
}

/// Calls `each` with every line a process writes (without its line ending; invalid UTF-8
/// replaced), until the stream ends.
pub async fn for_each_line(reader: impl AsyncRead + Unpin, mut each: impl FnMut(&str)) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => each(String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r'])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_kept_masked_in_the_functions_file() {
        let dir = std::env::temp_dir().join(format!("devstack-logs-{}", uuid::Uuid::new_v4()));
        let log = FunctionLog::open(
            "users-api",
            Style::Pretty(Layout {
                label_width: 9,
                colour: false,
            }),
            &dir,
        )
        .unwrap();
        log.line(
            Stream::Stdout,
            r#"{"level":"INFO","message":"user registered","email":"ada@example.com"}"#,
        );
        log.line(
            Stream::Stderr,
            "login with password=hunter2 for ada@example.com",
        );
        log.note("ERROR", "users-api does not build");
        let kept = std::fs::read_to_string(dir.join("users-api.log")).unwrap();
        let lines: Vec<&str> = kept.lines().collect();
        assert_eq!(lines.len(), 3, "{kept}");
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first["email"], "a***@example.com");
        assert_eq!(first["message"], "user registered");
        assert!(!kept.contains("ada@example.com"), "{kept}");
        assert_eq!(lines[1], "login with password=*** for a***@example.com");
        assert!(lines[2].contains(r#""source":"devstack""#), "{kept}");
        assert_eq!(log.path(), Some(dir.join("users-api.log").as_path()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
