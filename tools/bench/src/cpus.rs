//! CPU placement: on Lambda an execution environment has its own vCPUs, while here the
//! function shares the machine with moto and the harness. With two or more cores the
//! bench keeps itself (and moto, which inherits its mask) off the last core and runs each
//! measured process there alone, so a function's latency does not include their work.

use std::mem::MaybeUninit;

/// The CPUs this process may run on.
fn allowed() -> Vec<usize> {
    let mut set = MaybeUninit::<libc::cpu_set_t>::zeroed();
    // SAFETY: `set` is a zeroed cpu_set_t of the size passed; the kernel fills it.
    let ok = unsafe {
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set.as_mut_ptr())
    } == 0;
    if !ok {
        return Vec::new();
    }
    // SAFETY: sched_getaffinity succeeded, so `set` is initialised.
    let set = unsafe { set.assume_init() };
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Restricts `pid` (0: the calling thread) to `cpus`.
fn restrict(pid: libc::pid_t, cpus: &[usize]) -> std::io::Result<()> {
    let mut set = MaybeUninit::<libc::cpu_set_t>::zeroed();
    // SAFETY: zeroed is a valid empty set; every `cpu` came from `allowed`, so it is
    // below CPU_SETSIZE.
    let rc = unsafe {
        let set = set.as_mut_ptr();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut *set);
        }
        libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Where measured processes run.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// The core measured processes get to themselves, if the machine has two or more.
    pub subject_cpu: Option<usize>,
}

impl Placement {
    /// No pinning: for the processes that only build the bench's data.
    pub const UNPINNED: Placement = Placement { subject_cpu: None };

    /// Moves the calling thread off the last allowed core and returns that core. Call it
    /// first thing in `main`, before any thread or child process exists, so that every
    /// thread and child (moto) inherits the narrower mask.
    pub fn reserve_last_core() -> Placement {
        let cpus = allowed();
        let subject_cpu = match cpus.split_last() {
            Some((&last, rest)) if !rest.is_empty() => restrict(0, rest).ok().map(|()| last),
            _ => None,
        };
        Placement { subject_cpu }
    }

    /// Moves a freshly spawned measured process to its core. Its threads are created
    /// during init, after this, so they inherit it; the first instructions of the
    /// dynamic loader may still run on the harness's cores, for the floor and the
    /// functions alike.
    pub fn place(&self, pid: Option<u32>) {
        if let (Some(cpu), Some(pid)) = (self.subject_cpu, pid) {
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                if let Err(e) = restrict(pid, &[cpu]) {
                    tracing::warn!("could not move process {pid} to CPU {cpu}: {e}");
                }
            }
        }
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        match self.subject_cpu {
            Some(cpu) => format!(
                "each measured process alone on CPU {cpu}, moto and the harness on the others"
            ),
            None => "one core: measured processes share it with moto and the harness".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawned_process_is_placed_on_the_reserved_core() {
        let cpus = allowed();
        assert!(!cpus.is_empty(), "this process runs somewhere");
        let Some(&last) = cpus.last() else { return };
        let placement = Placement {
            subject_cpu: Some(last),
        };
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep runs");
        placement.place(Some(child.id()));
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .expect("the child's status");
        let _ = child.kill();
        let _ = child.wait();
        let line = status
            .lines()
            .find(|l| l.starts_with("Cpus_allowed_list:"))
            .expect("Cpus_allowed_list");
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(last.to_string().as_str())
        );
    }
}
