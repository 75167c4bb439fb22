//! The syscall contract (`docs/SYSCALLS.md`), checked under `strace`: one test per row runs
//! `examples/syscall_driver.rs` for that row under `strace -f`, cuts out the acting thread's
//! calls between the driver's BEGIN and END markers, and asserts they are exactly the row's
//! (names, flags, descriptors, order, count), along with the operation's result and the
//! change in open descriptors.
//!
//! Without `strace` these tests print one line saying so and pass, except under `CI=true`,
//! where a missing `strace` fails them.

#[path = "syscalls/call.rs"]
mod call;
#[path = "syscalls/contract.rs"]
mod contract;
#[path = "syscalls/trace.rs"]
mod trace;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use contract::Row;

/// How long one row may take under `strace`, setup included.
const ROW_LIMIT: Duration = Duration::from_secs(30);

/// One test per row, so a broken row is named by its failing test.
macro_rules! rows {
    ($($test:ident => $row:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_row($row);
            }
        )*
        /// The rows the tests above cover.
        const TESTED_ROWS: &[&str] = &[$($row),*];
    };
}

rows! {
    listen => "listen",
    listen_ipv6 => "listen/ipv6",
    listen_in_use => "listen/in-use",
    listen_socket_fails => "listen/socket-fails",
    listen_bind_fails => "listen/bind-fails",
    accept_queued => "accept/queued",
    accept_wait => "accept/wait",
    accept_indefinite => "accept/indefinite",
    accept_timeout => "accept/timeout",
    accept_eintr => "accept/eintr",
    accept_closed => "accept/closed",
    listener_addr => "listener.addr",
    listener_set_nagle => "listener.set_nagle",
    listener_set_delay_ack => "listener.set_delay_ack",
    listener_close => "listener.close",
    listener_drop => "listener.drop",
    connect_indefinite => "connect/indefinite",
    connect_timeout => "connect/timeout",
    connect_refused => "connect/refused",
    connect_refused_timeout => "connect/refused-timeout",
    connect_expired => "connect/expired",
    connect_eintr => "connect/eintr",
    connect_socket_fails => "connect/socket-fails",
    connect_connect_fails => "connect/connect-fails",
    connect_host_numeric => "connect_host/numeric",
    connect_host_numeric_service => "connect_host/numeric-service",
    connect_host_localhost => "connect_host/localhost",
    connect_host_bad_service => "connect_host/bad-service",
    conn_recv_ready => "conn.recv/ready",
    conn_recv_wait => "conn.recv/wait",
    conn_recv_timeout => "conn.recv/timeout",
    conn_recv_indefinite => "conn.recv/indefinite",
    conn_recv_eintr => "conn.recv/eintr",
    conn_recv_eof => "conn.recv/eof",
    conn_read => "conn.read",
    conn_send_room => "conn.send/room",
    conn_send_full => "conn.send/full",
    conn_send_timeout => "conn.send/timeout",
    conn_send_epipe => "conn.send/epipe",
    conn_write => "conn.write",
    conn_shutdown => "conn.shutdown",
    conn_addr => "conn.addr",
    conn_set_nagle => "conn.set_nagle",
    conn_set_delay_ack => "conn.set_delay_ack",
    conn_close => "conn.close",
    conn_drop => "conn.drop",
    udp_new => "udp.new",
    udp_new_ipv6 => "udp.new/ipv6",
    udp_new_unspec => "udp.new/unspec",
    udp_send => "udp.send",
    udp_send_indefinite => "udp.send/indefinite",
    udp_send_wrong_family => "udp.send/wrong-family",
    udp_recv_ready => "udp.recv/ready",
    udp_recv_wait => "udp.recv/wait",
    udp_recv_timeout => "udp.recv/timeout",
    udp_recv_indefinite => "udp.recv/indefinite",
    udp_recv_eintr => "udp.recv/eintr",
    udp_recv_truncated => "udp.recv/truncated",
    udp_recv_into => "udp.recv_into",
    udp_recvfrom_ready => "udp.recvfrom/ready",
    udp_recvfrom_wait => "udp.recvfrom/wait",
    udp_recvfrom_timeout => "udp.recvfrom/timeout",
    udp_recv_from_into => "udp.recv_from_into",
    udp_addr => "udp.addr",
    udp_close => "udp.close",
    udp_drop => "udp.drop",
    bind => "bind",
    bind_in_use => "bind/in-use",
    set_sock_opt_int => "set_sock_opt/int",
    set_sock_opt_bytes => "set_sock_opt/bytes",
    set_sock_opt_null => "set_sock_opt/null",
    get_sock_opt_int => "get_sock_opt/int",
    get_sock_opt_bytes => "get_sock_opt/bytes",
    get_sock_opt_unknown => "get_sock_opt/unknown",
    get_peer_name => "get_peer_name",
    get_peer_name_unconnected => "get_peer_name/unconnected",
    get_sock_name => "get_sock_name",
    unix_bind_path => "unix.bind/path",
    unix_bind_abstract => "unix.bind/abstract",
    unix_bind_stale => "unix.bind/stale",
    unix_bind_too_long => "unix.bind/too-long",
    unix_accept_queued => "unix.accept/queued",
    unix_accept_wait => "unix.accept/wait",
    unix_accept_timeout => "unix.accept/timeout",
    unix_accept_closed => "unix.accept/closed",
    unix_connect_indefinite => "unix.connect/indefinite",
    unix_connect_timeout => "unix.connect/timeout",
    unix_connect_refused => "unix.connect/refused",
    unix_connect_no_file => "unix.connect/no-file",
    unix_pair => "unix.pair",
    unix_recv_ready => "unix.recv/ready",
    unix_recv_wait => "unix.recv/wait",
    unix_recv_timeout => "unix.recv/timeout",
    unix_read => "unix.read",
    unix_send_room => "unix.send/room",
    unix_send_timeout => "unix.send/timeout",
    unix_send_epipe => "unix.send/epipe",
    unix_write => "unix.write",
    unix_shutdown => "unix.shutdown",
    unix_local_addr => "unix.local_addr",
    unix_peer_addr => "unix.peer_addr",
    unix_peer_credentials => "unix.peer_credentials",
    unix_send_with_fds => "unix.send_with_fds",
    unix_recv_with_fds_ready => "unix.recv_with_fds/ready",
    unix_recv_with_fds_too_many => "unix.recv_with_fds/too-many",
    unix_recv_with_fds_truncated => "unix.recv_with_fds/truncated",
    unix_datagram_bind => "unix.datagram.bind",
    unix_datagram_unbound => "unix.datagram.unbound",
    unix_datagram_pair => "unix.datagram.pair",
    unix_datagram_connect => "unix.datagram.connect",
    unix_datagram_send_to => "unix.datagram.send_to",
    unix_datagram_send_to_refused => "unix.datagram.send_to/refused",
    unix_datagram_send => "unix.datagram.send",
    unix_datagram_recv_ready => "unix.datagram.recv/ready",
    unix_datagram_recv_timeout => "unix.datagram.recv/timeout",
    unix_datagram_recv_truncated => "unix.datagram.recv/truncated",
    unix_datagram_recv_from => "unix.datagram.recv_from",
    unix_listener_close => "unix.listener.close",
    unix_stream_drop => "unix.stream.drop",
    unix_datagram_close => "unix.datagram.close",
}

fn contract_rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| contract::rows(contract::DOCUMENT).unwrap_or_else(|e| panic!("docs/SYSCALLS.md: {e}")))
}

/// Runs `row` under strace and checks it against the contract.
fn check_row(id: &str) {
    let Some(strace) = strace() else { return };
    let row = contract_rows().iter().find(|r| r.id == id).unwrap_or_else(|| panic!("docs/SYSCALLS.md has no row {id}"));
    let file =
        std::env::temp_dir().join(format!("chapel-syscalls-{}-{}.txt", std::process::id(), id.replace('/', "_")));
    let mut cmd = Command::new(strace);
    // -s 64: strings up to 64 bytes, so the longest marker is printed whole.
    cmd.args(["-f", "-qq", "-e", "signal=none", "-s", "64"]);
    if let Some(inject) = &row.inject {
        cmd.arg("-e").arg(format!("inject={}", either_poll(inject)));
    }
    cmd.arg("-o").arg(&file).arg(driver()).arg(id);
    let out = run(cmd);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{id}: the driver failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    let field = |key: &str| stdout.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).unwrap_or("(missing)");
    assert_eq!(field("outcome "), row.result, "{id}: the operation's result");
    let fds: i64 = field("fds ").trim_start_matches('+').parse().expect("the driver prints `fds N`");
    assert_eq!(fds, row.fds, "{id}: change in open descriptors");
    let calls = trace::region(&text, id).unwrap_or_else(|e| panic!("{id}: {e}"));
    if let Err(diff) = contract::check(&row.steps, &calls) {
        panic!("{id}: the syscalls differ from docs/SYSCALLS.md\n{diff}");
    }
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
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("strace starts");
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

/// `strace`, or `None` (after one line on stderr) when this machine has none that works.
/// Under `CI=true` a missing strace is a failure, not a skip.
fn strace() -> Option<&'static str> {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let works = Command::new("strace").args(["-qq", "-o", "/dev/null", "true"]).output();
        let why = match works {
            Ok(o) if o.status.success() => return Ok(()),
            Ok(o) => format!("strace cannot trace here: {}", String::from_utf8_lossy(&o.stderr).trim()),
            Err(e) => format!("strace not found ({e})"),
        };
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(why);
        }
        // Straight to stderr: the test harness captures print macros, not this.
        let _ = writeln!(
            std::io::stderr(),
            "tests/syscalls.rs: the syscall-contract tests were skipped: {why} (ci/install.sh installs it)"
        );
        Err(String::new())
    });
    match found {
        Ok(()) => Some("strace"),
        Err(why) if why.is_empty() => None,
        Err(why) => panic!("CI=true and {why}: the syscall contract cannot be checked"),
    }
}

/// The driver example, built by `cargo test` next to this test's own binary
/// (`target/<profile>/examples/`); rebuilt here if it is missing or older than the sources
/// (`cargo test --test syscalls` does not build examples).
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
            if profile_dir.file_name().is_some_and(|p| p == "release") {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("cargo runs");
            assert!(status.success() && driver.exists(), "could not build {}: {status}", driver.display());
        }
        driver
    })
}

/// Whether `driver` exists and is newer than every source it is built from.
fn is_fresh(driver: &Path) -> bool {
    let Ok(built) = driver.metadata().and_then(|m| m.modified()) else { return false };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = ["src", "examples/syscall_driver.rs", "build.rs", "Cargo.toml"].map(|p| root.join(p));
    sources.iter().all(|p| newest(p) <= built)
}

fn newest(path: &Path) -> SystemTime {
    let own = path.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    let children = std::fs::read_dir(path).into_iter().flatten().flatten().map(|e| newest(&e.path()));
    children.fold(own, SystemTime::max)
}

#[test]
fn every_contract_row_has_a_test_and_a_driver_case() {
    let documented = sorted(contract_rows().iter().map(|r| r.id.as_str()));
    assert_eq!(sorted(TESTED_ROWS.iter().copied()), documented, "docs/SYSCALLS.md's rows and this file's tests differ");
    let out = Command::new(driver()).arg("--list").output().expect("the driver runs");
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
#[test]
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

#[test]
fn the_contract_keeps_its_promised_counts() {
    let count = |id: &str| contract_rows().iter().find(|r| r.id == id).map(|r| r.steps.len());
    assert_eq!(count("connect/timeout"), Some(4));
    assert_eq!(count("accept/queued"), Some(1));
    assert_eq!(count("udp.recv/ready"), Some(1));
    assert_eq!(count("conn.send/room"), Some(1));
    assert_eq!(count("udp.send"), Some(1));
}

/// The checker itself: a trace of `connect` with a timeout passes, and the same trace with
/// one call added, removed, reordered, with other flags, or with a second close, fails.
#[test]
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
}

#[test]
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
