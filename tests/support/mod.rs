//! Helpers shared by the integration tests: loopback addresses on OS-assigned ports, timing
//! checks, and re-running one test in a child process of its own.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

pub mod program;

use std::io::Read;
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

/// An address of `any`'s family where nothing listens: a listener's port, just closed.
pub fn closed_port(any: &IpAddr) -> IpAddr {
    let mut server = listen(any, false, 1).unwrap();
    let address = server.addr().unwrap();
    server.close().unwrap();
    address
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
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the output as it comes, so a full pipe never stalls the child.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).map(|_| text)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > CHILD_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the child running {test} was still running after {CHILD_LIMIT:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, stdout.join().unwrap().unwrap() + &stderr.join().unwrap().unwrap())
}

/// How many descriptors this process has open (Linux's `/proc/self/fd`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
