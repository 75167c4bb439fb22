//! Helpers shared by every integration test binary: loopback addresses on OS-assigned
//! ports, fixtures (a port nobody listens on, a full accept queue), timing checks, counting
//! descriptors, re-running one test in a child process of its own, SIGPIPE's default action,
//! the loopback interface's name, and (`trials`) the harness of the binaries whose tests need
//! external programs or root.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

pub mod program;
pub mod trials;

use std::ffi::CStr;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chapel_socket::{IpAddr, TcpConn, TcpListener, connect, listen};

/// Names the test a re-executed child process runs in its child role.
const CHILD_ENV: &str = "CHAPEL_SOCKET_TEST_CHILD";

/// How long a child process may run before it is killed and the test fails.
const CHILD_LIMIT: Duration = Duration::from_secs(30);

/// How much later than its timeout a timed wait may end on a loaded machine.
pub const SLACK: Duration = Duration::from_secs(2);

/// A generous bound for calls that should succeed at once.
pub const PATIENCE: f64 = 10.0;

/// `127.0.0.1:0` and `[::1]:0`: every test runs on both families, on OS-assigned ports.
pub fn loopbacks() -> [IpAddr; 2] {
    ["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()]
}

/// A listener on `any` (port 0), with Chapel's default backlog.
pub fn listener(any: &IpAddr) -> TcpListener {
    listen(any, true, chapel_socket::BACKLOG_DEFAULT).unwrap()
}

/// A connected pair on `any`: (listener, client end, server end).
pub fn pair(any: &IpAddr) -> (TcpListener, TcpConn, TcpConn) {
    let server = listener(any);
    let client = connect(&server.addr().unwrap(), PATIENCE).unwrap();
    let accepted = server.accept(PATIENCE).unwrap();
    (server, client, accepted)
}

/// A port of `any`'s family where nothing listens, and nothing can start listening while
/// this lives: a TCP socket is bound to it and never listens, so a connect to `addr` is
/// refused (`ECONNREFUSED`).
pub struct ClosedPort {
    _holder: socket2::Socket,
    pub addr: IpAddr,
}

/// A [`ClosedPort`] on `any`'s host (port 0: the OS picks it).
pub fn closed_port(any: &IpAddr) -> ClosedPort {
    let at = std::net::SocketAddr::from(*any);
    let holder = socket2::Socket::new(socket2::Domain::for_address(at), socket2::Type::STREAM, None).unwrap();
    holder.bind(&at.into()).unwrap();
    let addr = IpAddr::from(holder.local_addr().unwrap().as_socket().unwrap());
    ClosedPort { _holder: holder, addr }
}

/// Connects to `addr` with `timeout` until `wanted` connects have timed out (at most 64
/// tries), keeping the ones that got in. Each timed-out connect is checked: a `TimedOut`
/// error naming `addr`, never earlier than `timeout`.
pub fn connect_until_timeouts(addr: &IpAddr, timeout: f64, wanted: usize) -> Vec<TcpConn> {
    let mut kept = Vec::new();
    let mut timeouts = 0;
    for _ in 0..64 {
        let (result, elapsed) = timed(|| connect(addr, timeout));
        match result {
            Ok(conn) => kept.push(conn),
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
                assert_eq!(err.address(), Some(*addr));
                assert!(err.to_string().contains(&addr.to_string()), "{err}");
                assert_waited(elapsed, Duration::from_secs_f64(timeout), "connect to a full queue");
                timeouts += 1;
                if timeouts == wanted {
                    return kept;
                }
            }
        }
    }
    panic!("64 connects to {addr} with a full accept queue, only {timeouts} timed out");
}

/// A listener whose accept queue is full, with the connections that fill it: the kernel
/// drops the SYNs of any further connect, which can then only time out (or, without a
/// timeout, wait until the listener accepts one of `queued`).
pub struct FullQueue {
    pub listener: TcpListener,
    pub queued: Vec<TcpConn>,
}

impl FullQueue {
    pub fn addr(&self) -> IpAddr {
        self.listener.addr().unwrap()
    }
}

/// A [`FullQueue`] on `any` (port 0, address reuse on).
pub fn full_queue(any: &IpAddr) -> FullQueue {
    fill_queue(listen(any, true, 0).unwrap())
}

/// Fills the accept queue of `listener`, made with backlog 0 (Linux queues backlog + 1
/// connections): connects until one times out (200 ms).
pub fn fill_queue(listener: TcpListener) -> FullQueue {
    let queued = connect_until_timeouts(&listener.addr().unwrap(), 0.2, 1);
    FullQueue { listener, queued }
}

/// All that `recv` gives until it gives 0 (the end of stream), each call into a buffer of
/// 64 KiB: `read_all(|buf| conn.recv(buf, PATIENCE))` reads a connection to its end, each
/// wait bounded. An error fails the test.
pub fn read_all(mut recv: impl FnMut(&mut [u8]) -> chapel_socket::Result<usize>) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0; 65536];
    loop {
        match recv(&mut buf).unwrap() {
            0 => return all,
            n => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// Python's `recv_all(s)`: all that socket `s` receives, to its end of stream.
pub const PY_RECV_ALL: &str = r#"
def recv_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
"#;

/// The library's side of a Python client (`client`) that sends `hello from python`, shuts
/// down its sending side and prints all it gets back: `conn`, its accepted connection, must
/// read just that (`recv` reads `conn`, each wait bounded), then answers `hello python at
/// {at}` and closes; the client must exit 0, having printed the answer.
pub fn answer_python_client<C>(
    conn: C,
    recv: impl Fn(&C, &mut [u8]) -> chapel_socket::Result<usize>,
    client: program::Program,
    at: &str,
) where
    for<'a> &'a C: Write,
{
    assert_eq!(read_all(|buf| recv(&conn, buf)), b"hello from python");
    (&conn).write_all(format!("hello python at {at}").as_bytes()).unwrap();
    drop(conn);
    let done = client.succeed();
    assert_eq!(String::from_utf8(done.stdout).unwrap(), format!("hello python at {at}"));
}

/// Runs `call`, returning its result and how long it took.
pub fn timed<T>(call: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = call();
    (out, start.elapsed())
}

/// A timed wait never ends before `timeout`, and ends within `SLACK` after it.
pub fn assert_waited(elapsed: Duration, timeout: Duration, what: &str) {
    assert!(elapsed >= timeout, "{what}: ended after {elapsed:?}, before its timeout of {timeout:?}");
    assert!(elapsed < timeout + SLACK, "{what}: took {elapsed:?} for a timeout of {timeout:?}");
}

/// Whether this process is the child re-executed for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Re-executes this test binary to run only `test`, in the child role, and checks that the
/// child ran that one test and it passed.
pub fn run_in_child(test: &str) {
    let (status, out) = child_outcome(test);
    assert!(status.success(), "the child running {test} failed ({status}):\n{out}");
    assert!(out.contains("1 passed"), "the child did not run {test}:\n{out}");
}

/// Re-executes this test binary to run only `test`, in the child role, and returns how the
/// child ended and its stdout and stderr. The child is killed if it outlives `CHILD_LIMIT`.
pub fn child_outcome(test: &str) -> (ExitStatus, String) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(CHILD_ENV, test);
    outcome_of(child, &format!("the child running {test}"))
}

/// Runs `command` with its stdout and stderr piped, and returns how it ended and its stdout
/// and stderr; `what` names it in panics. It is killed if it outlives `CHILD_LIMIT`.
fn outcome_of(command: Command, what: &str) -> (ExitStatus, String) {
    outcome_within(command, what, CHILD_LIMIT)
}

/// [`outcome_of`], killed if it outlives `limit`.
fn outcome_within(mut command: Command, what: &str, limit: Duration) -> (ExitStatus, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    // Read the output as it comes, so a full pipe never stalls the child.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            pipe.read_to_end(&mut text).map(|_| String::from_utf8_lossy(&text).into_owned())
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{what} was still running after {limit:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, stdout.join().unwrap().unwrap() + &stderr.join().unwrap().unwrap())
}

/// How many descriptors this process has open (Linux's `/proc/self/fd`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("read /proc/self/fd").count()
}

/// Runs `body` alone (one such body at a time in the process) and checks that it left no
/// descriptor open.
pub fn serial(body: impl FnOnce()) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _alone = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds();
    body();
    assert_eq!(open_fds(), before, "descriptors left open");
}

/// Resets SIGPIPE to its default (killing) action, as a plain C program has it. Rust's
/// runtime and the test harness ignore it, which would hide a write that raises it, so the
/// tests that look for one call this in a child process ([`run_in_child`]).
pub fn default_sigpipe() {
    // SAFETY: installing SIG_DFL for SIGPIPE passes no handler code and no pointers.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

/// The name of this machine's loopback interface (`lo` on Linux, `lo0` on the BSDs), found
/// at run time: the first interface `getifaddrs` reports with `IFF_LOOPBACK` set.
pub fn loopback_interface() -> String {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `list` is a valid place for the list's head; it is freed below.
    assert_eq!(unsafe { libc::getifaddrs(&mut list) }, 0, "getifaddrs: {}", std::io::Error::last_os_error());
    let mut name = None;
    let mut at = list;
    // Bounded: no machine has a million interface addresses.
    for _ in 0..1_000_000 {
        if at.is_null() {
            break;
        }
        // SAFETY: `at` is a non-null entry of the list getifaddrs returned, not yet freed;
        // its name is a NUL-terminated string.
        let entry = unsafe { &*at };
        if entry.ifa_flags & libc::IFF_LOOPBACK as libc::c_uint != 0 {
            // SAFETY: as above.
            name = Some(unsafe { CStr::from_ptr(entry.ifa_name) }.to_string_lossy().into_owned());
            break;
        }
        at = entry.ifa_next;
    }
    // SAFETY: `list` came from getifaddrs and is freed once; no reference into it remains.
    unsafe { libc::freeifaddrs(list) };
    name.expect("no interface has IFF_LOOPBACK set")
}

/// Whether this run is CI's (`CI=true`), where a test whose needs are missing fails instead
/// of being ignored ([`trials`]).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `program` is an executable file in a directory of `PATH`.
pub fn on_path(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Like [`child_outcome`], with the child started under `wrapper` (a program and its
/// arguments, such as `["strace", "-f", …]` or `["unshare", "--net"]`), which runs this test
/// binary in turn: `wrapper… <this binary> --exact <test> --nocapture --test-threads=1`, the
/// child role marked in the environment as for [`child_outcome`]. Bounded the same way.
pub fn child_outcome_under(wrapper: &[&str], test: &str) -> (ExitStatus, String) {
    assert!(!wrapper.is_empty(), "a wrapper names a program");
    child_outcome_within(wrapper, test, CHILD_LIMIT)
}

/// [`child_outcome_under`] with the child killed once it outlives `limit`, and an empty
/// `wrapper` for none: a watchdog of a few seconds for a test whose regression would be a
/// wait that never ends.
pub fn child_outcome_within(wrapper: &[&str], test: &str, limit: Duration) -> (ExitStatus, String) {
    let exe = std::env::current_exe().unwrap();
    let mut child = match wrapper.split_first() {
        Some((program, before)) => {
            let mut child = Command::new(program);
            child.args(before).arg(&exe);
            child
        }
        None => Command::new(&exe),
    };
    child.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(CHILD_ENV, test).stdin(Stdio::null());
    let runner = wrapper.first().unwrap_or(&"the test binary");
    outcome_within(child, &format!("{runner} running {test}"), limit)
}

/// Like [`run_in_child`], under `wrapper` ([`child_outcome_under`]); returns the child's
/// stdout and stderr.
pub fn run_in_child_under(wrapper: &[&str], test: &str) -> String {
    assert!(!wrapper.is_empty(), "a wrapper names a program");
    run_in_child_within(wrapper, test, CHILD_LIMIT)
}

/// Like [`run_in_child_under`], bounded by `limit` ([`child_outcome_within`]).
pub fn run_in_child_within(wrapper: &[&str], test: &str, limit: Duration) -> String {
    let (status, out) = child_outcome_within(wrapper, test, limit);
    let runner = wrapper.first().unwrap_or(&"the test binary");
    assert!(status.success(), "the child running {test} under {runner} failed ({status}):\n{out}");
    assert!(out.contains("1 passed"), "the child did not run {test}:\n{out}");
    out
}

/// A pipe (`pipe2`, close-on-exec): its read end and its write end, as files.
pub fn pipe() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` is a live array of the two ints pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0, "{}", std::io::Error::last_os_error());
    // SAFETY: pipe2 has just opened both descriptors, and nothing else owns them.
    unsafe { (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1])) }
}

/// Whether this process runs as root (effective uid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no arguments and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A `struct timeval` of `d` as the bytes `set_sock_opt` takes for `SO_RCVTIMEO`.
pub fn timeval_bytes(d: Duration) -> Vec<u8> {
    let tv = libc::timeval { tv_sec: d.as_secs() as libc::time_t, tv_usec: d.subsec_micros() as libc::suseconds_t };
    [&tv.tv_sec.to_ne_bytes()[..], &tv.tv_usec.to_ne_bytes()[..]].concat()
}

/// The `struct timeval` in `bytes` (as `get_sock_opt_bytes` returns one) as a `Duration`.
pub fn duration_of_timeval(bytes: &[u8]) -> Duration {
    let half = bytes.len() / 2;
    assert_eq!(half, std::mem::size_of::<libc::time_t>(), "not a struct timeval: {bytes:?}");
    let sec = libc::time_t::from_ne_bytes(bytes[..half].try_into().unwrap());
    let usec = libc::suseconds_t::from_ne_bytes(bytes[half..].try_into().unwrap());
    Duration::from_secs(sec as u64) + Duration::from_micros(usec as u64)
}

/// `O_NONBLOCK` of a descriptor's open file (`fcntl(F_GETFL)`).
pub fn is_nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: F_GETFL only reads the file's flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0, "fcntl(F_GETFL): {}", std::io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}
