//! Runs the whole bench on one CPU. On a VM, a thread that wakes a peer sleeping on another
//! (idle, halted) vCPU pays tens of microseconds for the wake-up; whether two threads share a
//! CPU is the scheduler's whim, so unpinned round trips jump between ~4 µs and ~70 µs per
//! batch, which drowns every difference between implementations. Pinned, every
//! implementation's client and server threads (and the C baseline, which inherits the
//! affinity) take turns on one CPU, and what differs is the work each does per op.
//!
//! Pinning is done by running this program again under `taskset -c CPU` (util-linux), so the
//! bench needs no `unsafe`; `PIN_ENV` tells the second run that it is the pinned one.

use std::process::{Command, ExitCode};

const PIN_ENV: &str = "CHAPEL_BENCH_CPU";

/// The CPU this run is pinned to, if it is the pinned run.
pub fn current() -> Option<String> {
    std::env::var(PIN_ENV).ok()
}

/// Runs this program with `args` pinned to the highest CPU it may use, and returns that run's
/// exit code; `None` (run unpinned here) when already pinned or when `taskset` cannot pin.
pub fn rerun_pinned(args: &[String]) -> Option<ExitCode> {
    if current().is_some() {
        return None;
    }
    let cpu = highest_allowed_cpu()?;
    let exe = std::env::current_exe().ok()?;
    // A taskset that cannot pin (missing, or not allowed) must not pass for a failed bench.
    if !Command::new("taskset").arg("-c").arg(cpu.to_string()).arg("true").status().is_ok_and(|s| s.success()) {
        eprintln!("compare: taskset cannot pin to CPU {cpu}; running unpinned");
        return None;
    }
    match Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .arg(exe)
        .args(args)
        .env(PIN_ENV, cpu.to_string())
        .status()
    {
        Ok(status) => Some(ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8))),
        Err(e) => {
            eprintln!("compare: taskset failed ({e}); running unpinned");
            None
        }
    }
}

/// From `Cpus_allowed_list` in /proc/self/status (`0-3,6`).
fn highest_allowed_cpu() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
    list.trim().split(',').filter_map(|range| range.rsplit('-').next()?.trim().parse().ok()).max()
}
