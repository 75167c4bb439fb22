//! The syscall contract (`docs/SYSCALLS.md`), checked under `strace`: one test per row of
//! the document, named by the row, runs `examples/syscall_driver.rs` for that row under
//! `strace -f`, cuts out the acting thread's calls between the driver's BEGIN and END markers,
//! and asserts they are exactly the row's (names, flags, descriptors, order, count), along
//! with the operation's result and the change in open descriptors.
//!
//! The rows are read from the document, not listed here: this target has its own `main`
//! (`harness = false`, through `libtest-mimic`), which makes a test of each row, so
//! `cargo test --test syscalls -- accept/queued` runs one, and the output and summary line
//! are libtest's. A test checks that the driver's `--list` names the document's rows.
//!
//! Without a working `strace` the row tests are reported ignored, with the reason
//! (`support::trials`), except under `CI=true`, where they fail.
//!
//! With the `audit` feature the contract is checked both ways: each row's test runs the
//! driver with `--in-process`, so the same run is also recorded by `chapel_socket::audit`,
//! and the record must match the row as `strace`'s trace does and name the same calls in the
//! same order as `strace` saw; and each row that injects no fault also runs without `strace`
//! (`<row>/in-process`), so the contract holds where ptrace is forbidden too.

mod call;
mod contract;
mod support;
mod trace;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use contract::Row;
use libtest_mimic::{Arguments, Trial};
use support::trials::Need;

/// What a row's test needs: a `strace` that may trace here (a container may forbid ptrace).
const STRACE_THAT_TRACES: Need = Need::Runs { program: "strace", args: &["-qq", "-o", "/dev/null", "true"] };

/// How long one row may take under `strace`, setup included.
const ROW_LIMIT: Duration = Duration::from_secs(30);

/// The checks of the contract's machinery, then one test per row of the document.
fn main() {
    let args = Arguments::from_args();
    let checks: [(&str, fn()); 7] = [
        ("the_driver_and_the_document_name_the_same_rows", the_driver_and_the_document_name_the_same_rows),
        ("rustdoc_links_name_the_contracts_sections", rustdoc_links_name_the_contracts_sections),
        ("the_contract_keeps_its_promised_counts", the_contract_keeps_its_promised_counts),
        ("the_checker_rejects_any_change_to_a_row", the_checker_rejects_any_change_to_a_row),
        ("the_contract_parser_rejects_malformed_rows", the_contract_parser_rejects_malformed_rows),
        ("call::parses_strace_lines", call::parses_strace_lines),
        ("trace::cuts_the_acting_threads_region", trace::cuts_the_acting_threads_region),
    ];
    let checks = checks.into_iter().map(|(name, check)| {
        Trial::test(name, move || {
            check();
            Ok(())
        })
    });
    let rows =
        contract_rows().iter().map(|row| support::trials::needing(&row.id, &[STRACE_THAT_TRACES], || check_row(row)));
    libtest_mimic::run(&args, checks.chain(rows).chain(recorded_trials()).collect()).exit();
}

/// With the `audit` feature: the check of the record's matcher, and a test of each row that
/// injects no fault, run without `strace` and checked from the in-process record alone.
#[cfg(feature = "audit")]
fn recorded_trials() -> Vec<Trial> {
    let check = Trial::test("contract::recorded_calls_match_as_the_row_says", || {
        contract::recorded_calls_match_as_the_row_says();
        Ok(())
    });
    let rows = contract_rows().iter().filter(|row| row.inject.is_none()).map(|row| {
        Trial::test(format!("{}/in-process", row.id), move || {
            check_recorded_row(row);
            Ok(())
        })
    });
    std::iter::once(check).chain(rows).collect()
}

#[cfg(not(feature = "audit"))]
fn recorded_trials() -> Vec<Trial> {
    Vec::new()
}

/// Runs `row` without `strace`, recorded in-process, and checks it against the contract.
#[cfg(feature = "audit")]
fn check_recorded_row(row: &Row) {
    let mut cmd = Command::new(driver());
    cmd.arg("--in-process").arg(&row.id);
    let out = run(cmd);
    let recorded = check_outcome(row, &out);
    if let Err(diff) = contract::check_recorded(&row.steps, &recorded) {
        panic!("{}: the in-process record differs from docs/SYSCALLS.md\n{diff}", row.id);
    }
}

fn contract_rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| contract::rows(contract::DOCUMENT).unwrap_or_else(|e| panic!("docs/SYSCALLS.md: {e}")))
}

/// Runs `row` under strace and checks it against the contract.
fn check_row(row: &Row) {
    let id = row.id.as_str();
    let file =
        std::env::temp_dir().join(format!("chapel-syscalls-{}-{}.txt", std::process::id(), id.replace('/', "_")));
    let mut cmd = Command::new("strace");
    // -s 64: strings up to 64 bytes, so the longest marker is printed whole.
    cmd.args(["-f", "-qq", "-e", "signal=none", "-s", "64"]);
    if let Some(inject) = &row.inject {
        cmd.arg("-e").arg(format!("inject={}", either_poll(inject)));
    }
    cmd.arg("-o").arg(&file).arg(driver());
    if cfg!(feature = "audit") {
        cmd.arg("--in-process");
    }
    cmd.arg(id);
    let out = run(cmd);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    let recorded = check_outcome(row, &out);
    let calls = trace::region(&text, id).unwrap_or_else(|e| panic!("{id}: {e}"));
    if let Err(diff) = contract::check(&row.steps, &calls) {
        panic!("{id}: the syscalls differ from docs/SYSCALLS.md\n{diff}");
    }
    if cfg!(feature = "audit") {
        if let Err(diff) = contract::check_recorded(&row.steps, &recorded) {
            panic!("{id}: the in-process record differs from docs/SYSCALLS.md\n{diff}");
        }
        if let Err(diff) = contract::same_calls(&calls, &recorded) {
            panic!("{id}: the in-process record and strace disagree\n{diff}");
        }
    }
}

/// Checks the driver's run of `row` (its exit, the operation's result, the change in open
/// descriptors) and returns the calls it recorded in-process (`call …` lines, under
/// `--in-process`), in the contract's spelling.
fn check_outcome(row: &Row, out: &Output) -> Vec<call::Call> {
    let id = row.id.as_str();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{id}: the driver failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    let field = |key: &str| stdout.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).unwrap_or("(missing)");
    assert_eq!(field("outcome "), row.result, "{id}: the operation's result");
    let fds: i64 = field("fds ").trim_start_matches('+').parse().expect("the driver prints `fds N`");
    assert_eq!(fds, row.fds, "{id}: change in open descriptors");
    let lines = stdout.lines().filter_map(|l| l.strip_prefix("call "));
    lines.map(|l| call::canonical(call::parse(l).unwrap_or_else(|e| panic!("{id}: a recorded call: {e}")))).collect()
}

/// The contract's `poll` faults go to whichever of `poll`/`ppoll` the architecture has.
fn either_poll(inject: &str) -> String {
    match inject.strip_prefix("poll:") {
        Some(rest) => format!("?poll,?ppoll:{rest}"),
        None => inject.to_string(),
    }
}

/// Runs `cmd` to completion, killing it if it overruns `ROW_LIMIT`.
fn run(mut cmd: Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the driver (or strace) starts");
    let started = Instant::now();
    while child.try_wait().expect("waiting for strace").is_none() {
        if started.elapsed() > ROW_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} ran for more than {ROW_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("strace's output")
}

/// The driver example, built by `cargo test` next to this test's own binary
/// (`target/<profile>/examples/`); rebuilt here, with this test's features, if it is missing,
/// older than the sources or built with other features (`cargo test --test syscalls` does
/// not build examples).
fn driver() -> &'static Path {
    static DRIVER: OnceLock<PathBuf> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
        let driver = profile_dir.join("examples").join("syscall_driver");
        if !is_fresh(&driver) {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--quiet", "--example", "syscall_driver"]).current_dir(env!("CARGO_MANIFEST_DIR"));
            if cfg!(feature = "audit") {
                cmd.args(["--features", "audit"]);
            }
            if profile_dir.file_name().is_some_and(|p| p == "release") {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("cargo runs");
            assert!(status.success() && driver.exists(), "could not build {}: {status}", driver.display());
        }
        driver
    })
}

/// Whether `driver` exists, is newer than every source it is built from, and has this
/// test's features (`syscall_driver --features`; a driver from before it printed them has
/// none).
fn is_fresh(driver: &Path) -> bool {
    let Ok(built) = driver.metadata().and_then(|m| m.modified()) else { return false };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = ["src", "examples/syscall_driver.rs", "build.rs", "Cargo.toml"].map(|p| root.join(p));
    let features =
        Command::new(driver).arg("--features").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let ours = if cfg!(feature = "audit") { "audit" } else { "" };
    sources.iter().all(|p| newest(p) <= built) && features.is_ok_and(|f| f.trim() == ours)
}

fn newest(path: &Path) -> SystemTime {
    let own = path.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    let children = std::fs::read_dir(path).into_iter().flatten().flatten().map(|e| newest(&e.path()));
    children.fold(own, SystemTime::max)
}

/// The driver's table (`syscall_driver --list`) and the document name the same rows.
fn the_driver_and_the_document_name_the_same_rows() {
    let documented = sorted(contract_rows().iter().map(|r| r.id.as_str()));
    let out = Command::new(driver()).arg("--list").output().expect("the driver runs");
    assert!(out.status.success(), "syscall_driver --list failed: {}", out.status);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(sorted(listed.lines()), documented, "the driver's rows and docs/SYSCALLS.md's differ");
}

fn sorted<'a>(rows: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut rows: Vec<_> = rows.collect();
    rows.sort_unstable();
    rows
}

/// Every rustdoc link into the contract (`crate::syscalls#anchor`) names a section heading
/// of `docs/SYSCALLS.md` (by rustdoc's anchor rule), and every section is linked.
fn rustdoc_links_name_the_contracts_sections() {
    let anchor = |heading: &str| -> String {
        let keep = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
        heading
            .chars()
            .filter_map(|c| if keep(c) { Some(c.to_ascii_lowercase()) } else { (c == ' ').then_some('-') })
            .collect()
    };
    let sections: Vec<String> = contract::DOCUMENT.lines().filter_map(|l| l.strip_prefix("## ")).map(anchor).collect();
    let mut linked = Vec::new();
    let mut files = vec![PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(path) = files.pop() {
        match std::fs::read_dir(&path) {
            Ok(dir) => files.extend(dir.flatten().map(|e| e.path())),
            Err(_) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                const LINK: &str = "crate::syscalls#";
                for (at, _) in text.match_indices(LINK) {
                    let name: String = text[at + LINK.len()..].chars().take_while(|&c| c != ')').collect();
                    assert!(
                        sections.contains(&name),
                        "{}: no section of docs/SYSCALLS.md has anchor #{name}",
                        path.display()
                    );
                    linked.push(name);
                }
            }
        }
    }
    for section in sections.iter().filter(|s| *s != "how-to-read-a-row") {
        assert!(linked.contains(section), "no rustdoc links to docs/SYSCALLS.md#{section}");
    }
}

fn the_contract_keeps_its_promised_counts() {
    let count = |id: &str| contract_rows().iter().find(|r| r.id == id).map(|r| r.steps.len());
    assert_eq!(count("connect/timeout"), Some(4));
    // Chapel's one-call forms, rebuilt on TcpSocket, keep their counts.
    assert_eq!(count("listen"), Some(4));
    assert_eq!(count("connect/indefinite"), Some(2));
    // Three buffers, one syscall.
    assert_eq!(count("conn.write_vectored"), Some(1));
    assert_eq!(count("accept/queued"), Some(1));
    assert_eq!(count("udp.recv/ready"), Some(1));
    assert_eq!(count("conn.send/room"), Some(1));
    assert_eq!(count("udp.send"), Some(1));
    // Waits in steady state: one blocking syscall, as std's.
    for steady in ["accept/steady", "accept/steady-indefinite", "conn.recv/steady", "udp.recv/steady"] {
        assert_eq!(count(steady), Some(1), "{steady}");
    }
}

/// The checker itself: a trace of `connect` with a timeout passes, and the same trace with
/// one call added, removed, reordered, with other flags, or with a second close, fails.
fn the_checker_rejects_any_change_to_a_row() {
    let row = contract_rows().iter().find(|r| r.id == "connect/timeout").unwrap();
    let good = [
        "socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, IPPROTO_IP) = 4",
        "connect(4, {sa_family=AF_INET, sin_port=htons(4242), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINPROGRESS (Operation now in progress)",
        "poll([{fd=4, events=POLLOUT}], 1, 4000) = 1 ([{fd=4, revents=POLLOUT}])",
        "ioctl(4, FIONBIO, [0]) = 0",
    ];
    let check = |lines: &[&str]| {
        let calls: Vec<_> = lines.iter().map(|l| call::canonical(call::parse(l).unwrap())).collect();
        contract::check(&row.steps, &calls)
    };
    check(&good).unwrap();
    let mut added = good.to_vec();
    added.insert(2, "getsockname(4, {sa_family=AF_INET}, [128 => 16]) = 0");
    assert!(check(&added).is_err(), "an added call");
    assert!(check(&good[..3]).is_err(), "a removed call");
    assert!(check(&[good[0], good[2], good[1], good[3]]).is_err(), "a reordered pair");
    assert!(check(&[good[0].replace("|SOCK_CLOEXEC", "").as_str(), good[1], good[2], good[3]]).is_err(), "a lost flag");
    assert!(check(&[good[0], good[1], &good[2].replace("4000", "4001"), good[3]]).is_err(), "a longer wait");
    assert!(check(&[good[0], good[1], good[2], &good[3].replace("(4,", "(5,")]).is_err(), "another descriptor");
    let mut closed_twice = good.to_vec();
    closed_twice.extend(["close(4) = 0", "close(4) = -1 EBADF (Bad file descriptor)"]);
    assert!(check(&closed_twice).is_err(), "extra closes");
    a_maybe_step_is_one_call_or_none();
}

/// A `?call` step matches that call or nothing, never two of it or another call.
fn a_maybe_step_is_one_call_or_none() {
    let rows = contract::rows("| `x` | path | | `listen(fd, 1) = 0` → `?close(fd) = 0` | ok | 0 |\n").unwrap();
    let check = |lines: &[&str]| {
        let calls: Vec<_> = lines.iter().map(|l| call::canonical(call::parse(l).unwrap())).collect();
        contract::check(&rows[0].steps, &calls)
    };
    check(&["listen(4, 1) = 0", "close(4) = 0"]).unwrap();
    check(&["listen(4, 1) = 0"]).unwrap();
    assert!(check(&["listen(4, 1) = 0", "close(4) = 0", "close(4) = 0"]).is_err(), "twice");
    assert!(check(&["listen(4, 1) = 0", "close(5) = 0"]).is_err(), "another descriptor");
    assert!(check(&["listen(4, 1) = 0", "shutdown(4, SHUT_WR) = 0"]).is_err(), "another call");
}

fn the_contract_parser_rejects_malformed_rows() {
    let table = |cell: &str| format!("| `x` | path | | {cell} | ok | 0 |\n");
    assert!(contract::rows(&table("`close(fd) = 0` → `listen(fd, 1) = 0`")).is_ok());
    assert!(contract::rows(&table("(none)")).is_ok_and(|r| r[0].steps.is_empty()));
    assert!(contract::rows(&table("`close(fd) = 0` and then `listen(fd, 1) = 0`")).is_err(), "stray text");
    assert!(contract::rows(&table("`close(fd) = 0")).is_err(), "unbalanced backtick");
    assert!(contract::rows(&table("`close(fd)`")).is_err(), "no result");
    assert!(contract::rows("| `x` | too | few |\n").is_err());
    assert!(contract::rows(&format!("{}{}", table("(none)"), table("(none)"))).is_err(), "a duplicate row");
}
