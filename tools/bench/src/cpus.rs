//! CPU placement. On Lambda, a function and its Runtime API share an execution
//! environment with vCPUs of its own, and AWS answers from elsewhere. Here moto plays
//! AWS, so with two or more cores the bench keeps moto on the others and runs itself
//! (the Runtime API, the recording proxy) and every measured process on the last one:
//! nothing moto does competes with a function for its core, and the harness's own work
//! happens while the function waits on it.

use std::mem::MaybeUninit;

/// The CPUs this thread may run on.
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

/// Restricts the thread `tid` (0: the calling thread) to `cpus`.
fn restrict(tid: libc::pid_t, cpus: &[usize]) -> std::io::Result<()> {
    let mut set = MaybeUninit::<libc::cpu_set_t>::zeroed();
    // SAFETY: zeroed is a valid empty set; every `cpu` came from `allowed`, so it is
    // below CPU_SETSIZE.
    let rc = unsafe {
        let set = set.as_mut_ptr();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut *set);
        }
        libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Which cores the AWS side and the measured side run on.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The core of the bench and the measured processes, with the cores left to moto;
    /// None on a one-core machine, where everything shares it.
    split: Option<(usize, Vec<usize>)>,
}

impl Placement {
    /// Moves the calling thread to the last allowed core. Call it first thing in `main`,
    /// before any thread or child process exists: they all inherit it, moto included,
    /// until `confine_aws` moves moto to the other cores.
    pub fn split_cores() -> Placement {
        let cpus = allowed();
        let split = match cpus.split_last() {
            Some((&last, rest)) if !rest.is_empty() => {
                restrict(0, &[last]).ok().map(|()| (last, rest.to_vec()))
            }
            _ => None,
        };
        Placement { split }
    }

    /// Moves every thread of the process `pid` (moto) to the cores other than the
    /// measured one; threads it starts later inherit that from the thread starting them.
    pub fn confine_aws(&self, pid: Option<u32>) {
        let (Some((_, aws)), Some(pid)) = (&self.split, pid) else {
            return;
        };
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return;
        };
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            if let Err(e) = restrict(tid, aws) {
                tracing::warn!("could not move moto's thread {tid}: {e}");
            }
        }
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        match &self.split {
            Some((measured, _)) => {
                format!("the functions and the harness on CPU {measured}, moto on the others")
            }
            None => "one core: the functions share it with moto and the harness".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed_list(pid: u32) -> String {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .expect("Cpus_allowed_list")
            .trim()
            .to_owned()
    }

    #[test]
    fn the_aws_process_is_moved_off_the_measured_core() {
        let cpus = allowed();
        let Some((&last, rest)) = cpus.split_last() else {
            panic!("this process runs somewhere")
        };
        if rest.is_empty() {
            return; // one core: nothing to split
        }
        let placement = Placement {
            split: Some((last, rest.to_vec())),
        };
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep runs");
        placement.confine_aws(Some(child.id()));
        let list = allowed_list(child.id());
        let _ = child.kill();
        let _ = child.wait();
        let cpus: Vec<usize> = list
            .split(',')
            .flat_map(|r| match r.split_once('-') {
                Some((a, b)) => (a.parse().unwrap_or(0)..=b.parse().unwrap_or(0)).collect(),
                None => vec![r.parse().unwrap_or(usize::MAX)],
            })
            .collect();
        assert_eq!(cpus, rest, "moto runs on every core but the measured one");
    }
}
