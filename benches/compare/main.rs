//! This crate against `std::net`, `socket2` and a C floor on the same loopback
//! workloads, in one process run. Each workload runs each implementation in turn, round after
//! round, in a rotating order (A B C D, B C D A, …), so drift of a shared machine hits all
//! alike. Prints median and 99th-percentile rates, ratios to std::net and to C, and syscalls
//! per op (`strace -f -c`, "n/a" without strace).
//!
//! `cargo bench --bench compare` (about 4 minutes on 2 cores);
//! `cargo bench --bench compare -- --quick` (CI: a few ops of each, seconds);
//! `--csv FILE` also writes the rows for scripts/plot_benchmarks.py; `--no-pin` lets the
//! threads run on any CPU (see `pin` for why the default is one).
//! `--count IMPL WORKLOAD OPS` runs one batch and nothing else (what strace counts);
//! `--only WORKLOAD` runs the full method on that workload alone; `--only W1,W2,…` on those,
//! in the full run's order (what a workload measures after others ran in the same process).
//! `--c-variant SPEC` (repeatable) adds a row `C[SPEC]` to each workload: benches/c/baseline.c
//! run with the variant `SPEC` (a comma-separated list of changes toward what chapel-socket
//! does: `kernel`, `timer`, `clocks=N`, `alloc`, `adopted`, `work=N`, `file`, `offset=N`; the C file
//! says what each does), in the same rotation as the others, and a table of every row
//! against each variant under the main one.
//! `--only scale_conns|scale_accept|scale_memory` runs one of the scale workloads (`scale`),
//! which the full and the quick run run after the others; `--csv FILE` writes their rows to
//! `FILE`'s sibling `*-scale.csv` (for scripts/plot_scale.py).
//! `--audit` (built with `--features audit`) sets a sink that takes every call chapel-socket
//! makes and drops it, so each of its calls is recorded (decoded, as `chapel_socket::audit`
//! shows it): the feature's cost per call, against the same run without the feature.

mod cbase;
mod clock;
mod ours;
mod pin;
mod report;
mod scale;
mod shared;
mod sock2;
mod stats;
mod stdnet;
mod strace;
mod workload;

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cbase::Baseline;
use report::Row;
use scale::Scale;
use shared::Workloads;
use workload::Workload;

/// The implementations compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imp {
    Ours,
    Std,
    Socket2,
    C,
    /// The C baseline with the `--c-variant` of this index (`c_variants`).
    CVariant(usize),
}

/// The `--c-variant` specs of this run, and each one's row name (`C[SPEC]`).
static C_VARIANTS: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();

fn c_variants() -> &'static [(String, &'static str)] {
    C_VARIANTS.get().map_or(&[], Vec::as_slice)
}

impl Imp {
    pub const ALL: [Imp; 4] = [Imp::Ours, Imp::Std, Imp::Socket2, Imp::C];

    pub fn name(self) -> &'static str {
        match self {
            Imp::Ours => "chapel-socket",
            Imp::Std => "std::net",
            Imp::Socket2 => "socket2",
            Imp::C => "C",
            Imp::CVariant(i) => c_variants()[i].1,
        }
    }

    /// The `--c-variant` spec of a C variant row.
    pub fn variant(self) -> Option<&'static str> {
        match self {
            Imp::CVariant(i) => Some(&c_variants()[i].0),
            _ => None,
        }
    }

    pub fn parse(name: &str) -> Option<Imp> {
        Imp::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// What `--only` picked: one of the main table's workloads or one of the scale ones.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    Workload(Workload),
    Scale(Scale),
}

/// A full run's batches last about this long each (calibrated on std::net).
const BATCH: Duration = Duration::from_millis(250);
/// Rounds of a full run: each implementation runs this many batches of each workload.
const ROUNDS: usize = 15;
/// Op counts of the two batches strace counts (full run, quick run).
const COUNT_OPS: (usize, usize) = (256, 1280);
const QUICK_COUNT_OPS: (usize, usize) = (64, 192);

struct Options {
    quick: bool,
    csv: Option<PathBuf>,
    /// `--only`'s workloads; `None`: all of them.
    only: Option<Vec<Only>>,
    audit: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--count") {
        return count_mode(&args[at + 1..]);
    }
    if let Some(at) = args.iter().position(|a| a == "--scale-count") {
        return scale::count_mode(&args[at + 1..]);
    }
    if let Some(at) = args.iter().position(|a| a == "--scale-memory") {
        return scale::memory_child(&args[at + 1..]);
    }
    let mut options = Options { quick: false, csv: None, only: None, audit: false };
    let mut pinned = true;
    let mut variants = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--csv" => options.csv = it.next().map(PathBuf::from),
            "--no-pin" => pinned = false,
            "--c-variant" => match it.next() {
                Some(spec) if !spec.is_empty() => {
                    let name: &'static str = Box::leak(format!("C[{spec}]").into_boxed_str());
                    variants.push((spec.clone(), name));
                }
                _ => {
                    eprintln!("compare: --c-variant takes a variant of benches/c/baseline.c (kernel, timer, work=N…)");
                    return ExitCode::from(2);
                }
            },
            "--audit" if cfg!(feature = "audit") => options.audit = true,
            "--audit" => {
                eprintln!("compare: --audit needs the bench built with --features audit");
                return ExitCode::from(2);
            }
            "--only" => match it.next().and_then(|list| {
                list.split(',')
                    .map(|w| Workload::parse(w).map(Only::Workload).or_else(|| Scale::parse(w).map(Only::Scale)))
                    .collect::<Option<Vec<Only>>>()
            }) {
                Some(w) => options.only = Some(w),
                None => {
                    eprintln!("compare: --only takes a workload name (or several, comma-separated)");
                    return ExitCode::from(2);
                }
            },
            // cargo bench passes --bench to a harness-less bench.
            "--bench" => {}
            other => {
                eprintln!(
                    "compare: unknown argument {other:?} (expected --quick, --csv FILE, --no-pin, --only WORKLOAD|scale_conns|scale_accept|scale_memory, --c-variant SPEC, --audit)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let _ = C_VARIANTS.set(variants);
    if pinned && let Some(code) = pin::rerun_pinned(&args) {
        return code;
    }
    watchdog(if options.quick { Duration::from_secs(120) } else { Duration::from_secs(600) });
    if options.audit {
        record_every_call();
    }
    match run_all(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--audit`: every call chapel-socket makes is recorded and given to a sink that drops it.
#[cfg(feature = "audit")]
fn record_every_call() {
    chapel_socket::audit::set_sink(Some(|call: &chapel_socket::audit::Call| {
        std::hint::black_box(call);
    }));
}

/// Without the feature `--audit` is refused on the command line.
#[cfg(not(feature = "audit"))]
fn record_every_call() {}

/// Ends the process if a blocked peer would otherwise hang it (a lost datagram, a bug).
fn watchdog(limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("compare: still running after {limit:?}; giving up");
        std::process::exit(3);
    });
}

/// `--count IMPL WORKLOAD OPS`: one batch, for strace to count.
fn count_mode(args: &[String]) -> ExitCode {
    let parsed = match args {
        [imp, w, n] => Imp::parse(imp).zip(Workload::parse(w)).zip(n.parse().ok()),
        _ => None,
    };
    let Some(((imp, w), n)) = parsed else {
        eprintln!("compare: --count takes IMPL WORKLOAD OPS");
        return ExitCode::from(2);
    };
    watchdog(Duration::from_secs(60));
    match run_rust(imp, w, n) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {} {}: {e}", imp.name(), w.name());
            ExitCode::FAILURE
        }
    }
}

fn run_rust(imp: Imp, w: Workload, n: usize) -> io::Result<Vec<f64>> {
    match imp {
        Imp::Ours => ours::Ours::run(w, n),
        Imp::Std => stdnet::StdNet::run(w, n),
        Imp::Socket2 => sock2::Socket2::run(w, n),
        Imp::C | Imp::CVariant(_) => Err(io::Error::other("the C baseline is a separate program")),
    }
}

fn run(imp: Imp, w: Workload, n: usize, c: Option<&Baseline>) -> io::Result<Vec<f64>> {
    match (imp, c) {
        (Imp::C, Some(c)) => c.run(w, n, None),
        (Imp::CVariant(_), Some(c)) => c.run(w, n, imp.variant()),
        (Imp::C | Imp::CVariant(_), None) => Err(io::Error::other("no C baseline (cc failed)")),
        _ => run_rust(imp, w, n),
    }
}

/// Ops per batch: a std::net batch of `probe_ops` measures the rate (and warms up).
fn calibrate(w: Workload) -> io::Result<usize> {
    let start = Instant::now();
    stdnet::StdNet::run(w, w.probe_ops())?;
    let per_op = start.elapsed().as_secs_f64() / w.probe_ops() as f64;
    Ok(w.ops((BATCH.as_secs_f64() / per_op) as usize))
}

fn run_all(options: &Options) -> io::Result<bool> {
    let started = Instant::now();
    let baseline = Baseline::build().map_err(|e| eprintln!("compare: C baseline unavailable: {e}")).ok();
    let imps: Vec<Imp> = Imp::ALL.into_iter().filter(|&i| i != Imp::C || baseline.is_some()).collect();
    // The main table's implementations and, with a baseline, each C variant asked for.
    let with_variants: Vec<Imp> =
        imps.iter().copied().chain((0..c_variants().len()).map(Imp::CVariant).filter(|_| baseline.is_some())).collect();
    let rounds = if options.quick { 1 } else { ROUNDS };
    let placement = pin::current().map_or("unpinned".to_string(), |cpu| format!("pinned to CPU {cpu}"));
    let mode = if options.quick { "quick" } else { "full" };
    let audit = if options.audit { ", audit: every chapel-socket call recorded" } else { "" };
    println!("# chapel-socket compare ({mode} mode{audit}, {placement}): {}", machine());
    let mut rows = Vec::new();
    let mut batch_ops = Vec::new();
    let mut ok = true;
    for w in Workload::ALL
        .into_iter()
        .filter(|w| options.only.as_ref().is_none_or(|only| only.contains(&Only::Workload(*w))))
    {
        let n = if options.quick { w.quick_ops() } else { calibrate(w)? };
        batch_ops.push(format!("{} {n}", w.name()));
        eprintln!("compare: {} — {rounds} rounds of {n} ops", w.name());
        // batches[imp][round]: one batch's samples, or None when it failed.
        let imps = &with_variants;
        let mut batches: Vec<Vec<Option<Vec<f64>>>> = vec![Vec::new(); imps.len()];
        for round in 0..rounds {
            for k in 0..imps.len() {
                let at = (round + k) % imps.len();
                if batches[at].iter().any(Option::is_none) {
                    batches[at].push(None);
                    continue;
                }
                match run(imps[at], w, n, baseline.as_ref()) {
                    Ok(s) => batches[at].push(Some(s)),
                    Err(e) => {
                        eprintln!("compare: {} {} failed: {e}", imps[at].name(), w.name());
                        batches[at].push(None);
                        ok = false;
                    }
                }
            }
        }
        for (imp, batches) in imps.iter().zip(batches) {
            let round_medians =
                batches.iter().map(|b| b.clone().and_then(stats::summarize).map(|s| s.median)).collect();
            let all: Vec<f64> = batches.into_iter().flatten().flatten().collect();
            rows.push(Row {
                workload: w,
                imp: *imp,
                samples: all.len(),
                summary: stats::summarize(all),
                round_medians,
                syscalls: None,
            });
        }
    }
    let sizes = if options.quick { &scale::QUICK } else { &scale::FULL };
    let which = |s: Scale| options.only.as_ref().is_none_or(|only| only.contains(&Only::Scale(s)));
    let scaled = scale::run(which, &imps, sizes, baseline.as_ref());
    ok &= scaled.ok;
    let timed = started.elapsed();
    count_syscalls(&mut rows, options, baseline.as_ref());
    if !rows.is_empty() {
        println!("# {rounds} round(s); ops per batch: {}", batch_ops.join(", "));
        println!("{}", report::table(&rows));
        if !c_variants().is_empty() {
            println!("# against the C variants (median of per-round ratios, round IQR; above 1.00 is faster):");
            println!("{}", report::against_variants(&rows));
        }
        println!("# syscalls per op (both ends; strace -f -c, difference of two batch sizes):");
        println!("{}", report::breakdown(&rows));
    }
    if !scaled.rows.is_empty() || !scaled.memory.is_empty() {
        println!("# how cost grows (scale workloads; {placement})");
        print!("{}", scale::tables(&scaled, sizes));
    }
    println!(
        "# timed part {:.0} s, total {:.0} s; load average now {}",
        timed.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        load()
    );
    if let Some(path) = &options.csv {
        if !rows.is_empty() {
            report::write_csv(&rows, path)?;
        }
        if !scaled.rows.is_empty() || !scaled.memory.is_empty() {
            scale::write_csv(&scaled, &scale_csv(path))?;
        }
    }
    Ok(ok)
}

/// Where `--csv FILE` puts the scale rows: `FILE`'s stem with `-scale`, beside it.
fn scale_csv(path: &std::path::Path) -> PathBuf {
    let stem = path.file_stem().map_or_else(|| "bench".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}-scale.csv"))
}

/// Fills in syscalls per op where strace works; leaves "n/a" otherwise.
fn count_syscalls(rows: &mut [Row], options: &Options, c: Option<&Baseline>) {
    if !strace::available() {
        eprintln!("compare: strace not found; syscalls per op are n/a");
        return;
    }
    let sizes = if options.quick { QUICK_COUNT_OPS } else { COUNT_OPS };
    let scratch = std::env::temp_dir().join(format!("chapel-bench-strace-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        return eprintln!("compare: cannot make {}: {e}", scratch.display());
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return eprintln!("compare: cannot find this program for strace: {e}"),
    };
    for row in rows.iter_mut() {
        let (w, imp) = (row.workload, row.imp);
        // Two different sizes even where a chunk is large (`UdpBatchRecv`'s 128 in quick mode).
        let small = w.ops(sizes.0);
        let sizes = (small, w.ops(sizes.1).max(small + w.chunk()));
        let counted = match (imp, c) {
            (Imp::C | Imp::CVariant(_), Some(c)) => strace::per_op(
                c.exe(),
                |n| [w.name().to_string(), n.to_string()].into_iter().chain(imp.variant().map(String::from)).collect(),
                sizes,
                &scratch,
            ),
            (Imp::C | Imp::CVariant(_), None) => continue,
            _ => strace::per_op(
                &exe,
                |n| vec!["--count".into(), imp.name().into(), w.name().into(), n.to_string()],
                sizes,
                &scratch,
            ),
        };
        match counted {
            Ok(counts) => row.syscalls = Some(counts),
            Err(e) => eprintln!("compare: counting {} {}: {e}", imp.name(), w.name()),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// CPU model, the machine's CPU count (not just the pinned one) and kernel, for the header.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|l| l.trim_start_matches([' ', '\t', ':']));
    let cores = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} × {cores}, Linux {}, load average {}", model.unwrap_or("unknown CPU"), kernel.trim(), load())
}

fn load() -> String {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    avg.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}
