//! What the numbers were measured on.

use crate::cpus::Placement;
use crate::report::Machine;
use std::process::Command;

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

pub fn describe(placement: &Placement) -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    Machine {
        cpu,
        // Not available_parallelism: the bench has narrowed its own mask (src/cpus.rs).
        // SAFETY: sysconf has no preconditions.
        cores: usize::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }).unwrap_or(1),
        placement: placement.describe(),
        kernel: first_line("uname", &["-r"]),
        rustc: first_line("rustc", &["--version"]),
        node: first_line("node", &["--version"]),
    }
}
