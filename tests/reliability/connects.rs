//! Connects keep their deadline: a Unix stream connect to a full accept queue under SIGALRM
//! (once, periodically, in a storm; with and without `SA_RESTART`) neither ends early nor
//! starts its wait over; a timeout past the clock's reach waits as an indefinite one does;
//! the kernel-timed wait's last stretch is finished exactly; and with `EINTR` injected into
//! every `connect` (strace), both TCP's and Unix's time out at their deadline without
//! spinning. Tests whose regression would hang run in a child process killed after a few
//! seconds.

use std::io::ErrorKind;
use std::os::unix::thread::JoinHandleExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::trials::{STRACE, Test, trial};
use crate::support::{PATIENCE, SLACK, assert_waited, is_child, run_in_child_within, timed};
use chapel_socket::{Timeout, UnixAddr, UnixListener, UnixStream, connect, listen};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
pub const TESTS: &[Test] = &[
    trial!(unix_connect_one_sigalrm_restart),
    trial!(unix_connect_one_sigalrm_no_restart),
    trial!(unix_connect_periodic_sigalrm_restart),
    trial!(unix_connect_periodic_sigalrm_no_restart),
    trial!(unix_connect_sigalrm_storm),
    trial!(unix_connect_past_the_clock_waits),
    trial!(unix_connect_never_times_out_early),
    trial!(every_connect_interrupted, STRACE),
];

/// How long a child process may run before the test fails: its longest case waits 1 s.
const WATCHDOG: Duration = Duration::from_secs(10);

/// A Unix listener whose accept queue is full (a backlog of 0 holds one connection), so a
/// further connect waits until the listener accepts, with the connection that fills it.
struct FullUnixQueue {
    listener: UnixListener,
    name: UnixAddr,
    _queued: Vec<UnixStream>,
}

impl FullUnixQueue {
    fn new(tag: &str) -> FullUnixQueue {
        let name = UnixAddr::from_abstract(format!("chapel-connects-{}-{tag}", std::process::id())).unwrap();
        let listener = UnixListener::bind(&name, 0).unwrap();
        let mut queued = Vec::new();
        for _ in 0..8 {
            match UnixStream::connect(&name, 0.0) {
                Ok(conn) => queued.push(conn),
                Err(e) if e.kind() == ErrorKind::TimedOut => return FullUnixQueue { listener, name, _queued: queued },
                Err(e) => panic!("filling the queue of {name}: {e}"),
            }
        }
        panic!("8 connects and the queue of {name} is still not full");
    }
}

/// SIGALRMs the handler has seen.
static ALARMS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_alarm(_: libc::c_int) {
    ALARMS.fetch_add(1, Ordering::Relaxed);
}

/// Installs the SIGALRM handler, with `SA_RESTART` or without. Each case runs in a child
/// process of its own, so the two never meet.
fn install_sigalrm(restart: bool) {
    // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic, which is
    // async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = if restart { libc::SA_RESTART } else { 0 };
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()), 0);
    }
}

/// When the SIGALRMs come: the first at `first`, then every `every` until the connect ends.
#[derive(Clone, Copy)]
struct Alarms {
    first: Duration,
    every: Option<Duration>,
}

/// A `UnixStream::connect(timeout)` to a full queue on a thread of its own, sent SIGALRM
/// (to that thread, as `alarm()` reaches a single-threaded program) on `alarms`' schedule:
/// it times out no earlier than `timeout`, and never waits its time over after a signal.
fn unix_connect_under_sigalrm(restart: bool, alarms: Alarms, timeout: Duration) {
    install_sigalrm(restart);
    let full = FullUnixQueue::new("sigalrm");
    let name = full.name.clone();
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    let start = Instant::now();
    let waiter = thread::spawn(move || {
        let out = UnixStream::connect(&name, timeout);
        finished.store(true, Ordering::SeqCst);
        (out, start.elapsed())
    });
    let target = waiter.as_pthread_t();
    let mut next = Some(start + alarms.first);
    while !done.load(Ordering::SeqCst) {
        match next {
            Some(at) if Instant::now() >= at => {
                // SAFETY: `target` is a thread not yet joined, so its id is valid; SIGALRM has
                // a handler installed.
                assert_eq!(unsafe { libc::pthread_kill(target, libc::SIGALRM) }, 0);
                next = alarms.every.map(|every| at + every);
            }
            _ => thread::sleep(Duration::from_micros(200)),
        }
    }
    let (result, elapsed) = waiter.join().unwrap();
    let alarms_seen = ALARMS.load(Ordering::Relaxed);
    let what = format!("connect({timeout:?}) under SIGALRM, SA_RESTART {restart}, {alarms_seen} alarms");
    let err = result.err().unwrap_or_else(|| panic!("{what}: connected to a full queue"));
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{what}: {err}");
    assert!(alarms_seen >= 1, "{what}: no signal arrived during the wait");
    assert!(elapsed >= timeout, "{what}: ended after {elapsed:?}, early");
    // A wait started over after a signal would last until `first + timeout`: half of the
    // time to the first signal is slack enough for a loaded machine, and catches that.
    let bound = timeout + SLACK.min(alarms.first / 2).max(Duration::from_millis(100));
    assert!(elapsed < bound, "{what}: ended after {elapsed:?}");
    eprintln!("connects: {what}: timed out after {:.3} ms", elapsed.as_secs_f64() * 1e3);
}

/// Declares a test that runs `$body` in a child process of its own (a signal disposition
/// of its own, and killed by the watchdog if the wait never ends).
macro_rules! in_child {
    ($(#[$doc:meta])* $name:ident, $body:expr) => {
        $(#[$doc])*
        fn $name() {
            if is_child(concat!("connects::", stringify!($name))) {
                $body;
            } else {
                let out = run_in_child_within(&[], concat!("connects::", stringify!($name)), WATCHDOG);
                // The child's measurements, shown as the parent's (with `--nocapture`).
                out.lines().filter(|l| l.starts_with("connects: ")).for_each(|l| support::trials::note!("{l}"));
            }
        }
    };
}

const ONCE_AT_09: Alarms = Alarms { first: Duration::from_millis(900), every: None };
const EVERY_100MS: Alarms = Alarms { first: Duration::from_millis(100), every: Some(Duration::from_millis(100)) };
const STORM: Alarms = Alarms { first: Duration::from_millis(2), every: Some(Duration::from_millis(2)) };

in_child!(
    /// One SIGALRM at 0.9 s of a 1 s wait: the connect ends at 1 s, not 1.9 s.
    unix_connect_one_sigalrm_restart,
    unix_connect_under_sigalrm(true, ONCE_AT_09, Duration::from_secs(1))
);
in_child!(
    /// As [`unix_connect_one_sigalrm_restart`], the handler without `SA_RESTART`.
    unix_connect_one_sigalrm_no_restart,
    unix_connect_under_sigalrm(false, ONCE_AT_09, Duration::from_secs(1))
);
in_child!(
    /// SIGALRM every 100 ms during a 0.2 s wait: the connect ends at 0.2 s, not never.
    unix_connect_periodic_sigalrm_restart,
    unix_connect_under_sigalrm(true, EVERY_100MS, Duration::from_millis(200))
);
in_child!(
    /// As [`unix_connect_periodic_sigalrm_restart`], the handler without `SA_RESTART`.
    unix_connect_periodic_sigalrm_no_restart,
    unix_connect_under_sigalrm(false, EVERY_100MS, Duration::from_millis(200))
);
in_child!(
    /// SIGALRM every 2 ms during a 0.2 s wait: about a hundred interruptions, still 0.2 s.
    unix_connect_sigalrm_storm,
    unix_connect_under_sigalrm(false, STORM, Duration::from_millis(200))
);

in_child!(
    /// Timeouts too long for the clock (`Duration::MAX`, 1e300 s, `u64::MAX` s) wait as an
    /// indefinite one does, and one of 31 years (armed a day at a time) waits too: the
    /// connect goes through when the listener accepts, 300 ms later, instead of answering
    /// `WouldBlock` at once.
    unix_connect_past_the_clock_waits,
    for (label, timeout) in [
        ("Duration::MAX", Timeout::from(Duration::MAX)),
        ("1e300 s", Timeout::from(1e300)),
        ("u64::MAX s", Timeout::from(u64::MAX)),
        ("1e9 s", Timeout::from(1e9)),
    ] {
        let full = FullUnixQueue::new("past-the-clock");
        let listener = full.listener;
        let room = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            listener.accept(PATIENCE).map(|conn| (conn, listener))
        });
        let (result, elapsed) = timed(|| UnixStream::connect(&full.name, timeout));
        let conn = result.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(elapsed >= Duration::from_millis(300), "{label}: connected after {elapsed:?}, before there was room");
        drop((conn, room.join().unwrap().unwrap()));
    }
);

/// The timeouts whose overshoot is measured, with repetitions: below a few ticks the whole
/// wait is non-blocking tries; beyond, the kernel's `SO_SNDTIMEO` wait and then the tries.
const TIMEOUTS: [(Duration, usize); 7] = [
    (Duration::ZERO, 20),
    (Duration::from_micros(100), 20),
    (Duration::from_millis(1), 20),
    (Duration::from_millis(10), 10),
    (Duration::from_millis(33), 5),
    (Duration::from_millis(100), 3),
    (Duration::from_secs(1), 2),
];

/// A Unix connect to a full queue never times out before its timeout, at every length, and
/// ends close after it (the overshoot's median is printed; only `SLACK` is asserted).
fn unix_connect_never_times_out_early() {
    let full = FullUnixQueue::new("early");
    for (timeout, reps) in TIMEOUTS {
        let mut over = Vec::with_capacity(reps);
        for _ in 0..reps {
            let (result, elapsed) = timed(|| UnixStream::connect(&full.name, timeout));
            assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut, "{timeout:?}");
            assert_waited(elapsed, timeout, &format!("unix connect of {timeout:?} to a full queue"));
            over.push(elapsed - timeout);
        }
        over.sort();
        let median = over[over.len() / 2].as_secs_f64() * 1e3;
        support::trials::note!("connects: unix connect {timeout:>9?} n={reps:<2} overshoot median {median:.3} ms");
    }
}

/// The child's half of [`every_connect_interrupted`].
const EINTR_TEST: &str = "connects::every_connect_interrupted";
const EINTR_TIMEOUT: Duration = Duration::from_millis(500);

/// This thread's CPU time so far (user and system).
fn thread_cpu() -> Duration {
    // SAFETY: a zeroed rusage is valid; getrusage writes into the live local.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, &mut usage), 0);
        usage
    };
    let time = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Connects (TCP and Unix) to listeners with room, every `connect` failed by strace with
/// `EINTR` before the kernel sees it; prints `eintr: <family> <kind> <seconds> <cpu seconds>`.
fn interrupted_connects() {
    let tcp = listen(&"127.0.0.1:0".parse().unwrap(), true, 16).unwrap();
    let tcp_at = tcp.addr().unwrap();
    let name = UnixAddr::from_abstract(format!("chapel-connects-{}-eintr", std::process::id())).unwrap();
    let _unix = UnixListener::bind(&name, 16).unwrap();
    for family in ["tcp", "unix"] {
        let cpu = thread_cpu();
        let (result, elapsed) = timed(|| match family {
            "tcp" => connect(&tcp_at, EINTR_TIMEOUT).map(drop),
            _ => UnixStream::connect(&name, EINTR_TIMEOUT).map(drop),
        });
        let cpu = thread_cpu() - cpu;
        let kind = result.map_or_else(|e| format!("{:?}", e.kind()), |()| "Ok".into());
        eprintln!("eintr: {family} {kind} {:.6} {:.6}", elapsed.as_secs_f64(), cpu.as_secs_f64());
    }
}

/// `EINTR` on every `connect` (strace injects it before the kernel sees the call): TCP's and
/// Unix's connects each end `TimedOut` at their deadline, never earlier, and pace their
/// retries (a few dozen tries, under 5 % of a core) instead of spinning.
fn every_connect_interrupted() {
    if is_child(EINTR_TEST) {
        interrupted_connects();
        return;
    }
    // --seccomp-bpf: only connect stops the child, so the other calls keep their timing.
    let wrapper = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect", "-e", "inject=connect:error=EINTR"];
    let out = run_in_child_within(&wrapper, EINTR_TEST, Duration::from_secs(20));
    let injected = |family: &str| {
        out.lines().filter(|l| l.contains(family) && l.contains("= -1 EINTR") && l.ends_with("(INJECTED)")).count()
    };
    let mut cases = 0;
    for line in out.lines().filter_map(|l| l.strip_prefix("eintr: ")) {
        let words: Vec<&str> = line.split(' ').collect();
        let [family, kind, secs, cpu] = words[..] else { panic!("{line:?}") };
        let (elapsed, cpu) =
            (Duration::from_secs_f64(secs.parse().unwrap()), Duration::from_secs_f64(cpu.parse().unwrap()));
        assert_eq!(kind, "TimedOut", "{family}:\n{out}");
        assert_waited(elapsed, EINTR_TIMEOUT, &format!("{family} connect with every connect interrupted"));
        assert!(cpu * 20 <= elapsed, "{family}: {cpu:?} of CPU in {elapsed:?}, more than 5 %");
        let tries = injected(if family == "tcp" { "AF_INET" } else { "AF_UNIX" });
        assert!((2..500).contains(&tries), "{family}: {tries} injected EINTRs:\n{out}");
        support::trials::note!(
            "connects: {family} with every connect interrupted: {tries} tries, {cpu:?} CPU in {elapsed:?}"
        );
        cases += 1;
    }
    assert_eq!(cases, 2, "{out}");
}
