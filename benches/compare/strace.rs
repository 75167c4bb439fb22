//! Syscalls per op, counted by `strace -f -c` (all threads) on a child process that runs one
//! batch of a workload. Two batches of different sizes are counted and subtracted, so set-up,
//! thread start and process start-up cancel out and only the per-op calls remain.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Per-op syscall counts: the total and each syscall's share.
pub struct Counts {
    pub total: f64,
    pub by_name: Vec<(String, f64)>,
}

pub fn available() -> bool {
    Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// Counts `program args(n)` for `n` = `small` and `large` ops and returns the difference per op.
pub fn per_op(
    program: &Path,
    args: impl Fn(usize) -> Vec<String>,
    (small, large): (usize, usize),
    scratch: &Path,
) -> io::Result<Counts> {
    let a = count(program, &args(small), &scratch.join("strace-small.txt"))?;
    let b = count(program, &args(large), &scratch.join("strace-large.txt"))?;
    let ops = (large - small) as f64;
    let mut by_name: Vec<(String, f64)> = b
        .iter()
        .map(|(name, &calls)| (name.clone(), (calls as f64 - a.get(name).copied().unwrap_or(0) as f64) / ops))
        .filter(|(_, per_op)| *per_op >= 0.005)
        .collect();
    by_name.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    let total = (b.values().sum::<u64>() as f64 - a.values().sum::<u64>() as f64) / ops;
    Ok(Counts { total, by_name })
}

/// Calls per syscall name for one run.
fn count(program: &Path, args: &[String], out: &PathBuf) -> io::Result<BTreeMap<String, u64>> {
    let status = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(out)
        .arg("--")
        .arg(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!("strace {} {args:?} exited with {status}", program.display())));
    }
    Ok(parse(&std::fs::read_to_string(out)?))
}

/// Reads `strace -c`'s table: `% time  seconds  usecs/call  calls  [errors]  syscall`.
fn parse(table: &str) -> BTreeMap<String, u64> {
    table
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let name = *fields.last()?;
            let calls = fields.get(3)?.parse().ok()?;
            (fields.len() >= 5 && name != "total").then(|| (name.to_string(), calls))
        })
        .collect()
}
