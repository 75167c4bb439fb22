//! Waiting for a socket to become ready, against a monotonic deadline, to the nanosecond where
//! the platform has `ppoll(2)` (a `timespec`), else to the millisecond with `poll(2)` rounded
//! up. A wait that ends before the deadline (`EINTR`, the kernel's rounding) is issued again
//! with what is left, so no wait ends early and no signal cuts one short. Deadlines are
//! `Instant`s (`CLOCK_MONOTONIC`), never a coarse clock, which can read a tick behind.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Data, a connection to accept, or end of stream (`POLLIN`).
    Read,
    /// Room to send, or a finished connect (`POLLOUT`).
    Write,
    /// Only what is always reported: an error or a hang-up (`POLLERR`, `POLLHUP`), which is
    /// how the error queue (`MSG_ERRQUEUE`) says it has an entry.
    Error,
    /// Urgent data (`POLLPRI`): TCP's out-of-band byte has arrived.
    Urgent,
}

impl Interest {
    fn events(self) -> libc::c_short {
        match self {
            Interest::Read => libc::POLLIN,
            Interest::Write => libc::POLLOUT,
            Interest::Error => 0,
            Interest::Urgent => libc::POLLPRI,
        }
    }
}

/// What the kernel reported: the events asked for, or an error or hang-up (always reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Readiness(libc::c_short);

impl Readiness {
    /// `POLLERR` or `POLLHUP`: the socket has a pending error or its connection is gone.
    pub(crate) fn is_error_or_hangup(self) -> bool {
        self.0 & (libc::POLLERR | libc::POLLHUP) != 0
    }
}

/// Polls `fd` for `interest` until it is ready (`Some`) or `deadline` has passed (`None`).
/// `deadline: None` waits for ever. At least one poll is always made, so a deadline already
/// past still reports readiness that is there now.
pub(crate) fn wait(fd: BorrowedFd<'_>, interest: Interest, deadline: Option<Instant>) -> io::Result<Option<Readiness>> {
    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events: interest.events(), revents: 0 };
    loop {
        match poll_until(std::slice::from_mut(&mut pfd), deadline) {
            Ok(0) => {}
            Ok(_) => return Ok(Some(Readiness(pfd.revents))),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}

/// One poll of `fd` for `interest` that ends within `timeout` from now (or earlier, see
/// [`first_part`]; `None`: for ever): the readiness, or `None` when it ended with nothing.
/// The first poll of a wait whose deadline is `timeout` from a moment just passed, asked for
/// without reading the clock (what is left is all of it, give or take the nanoseconds
/// since, so it ends no earlier than the deadline); `EINTR` is the caller's to retry
/// against its deadline.
pub(crate) fn poll_once(
    fd: BorrowedFd<'_>,
    interest: Interest,
    timeout: Option<Duration>,
) -> io::Result<Option<Readiness>> {
    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events: interest.events(), revents: 0 };
    match poll_for(std::slice::from_mut(&mut pfd), timeout.map(first_part))? {
        0 => Ok(None),
        _ => Ok(Some(Readiness(pfd.revents))),
    }
}

/// Sleeps for `d` (a poll of no descriptors: one syscall, the same precision as a wait).
/// An interrupted sleep ends early; callers check their deadline after it.
pub(crate) fn pause(d: Duration) {
    let _ = poll_until(&mut [], Instant::now().checked_add(d));
}

/// Paces the retries of a call that keeps failing at once without having waited: an
/// `EINTR` on every try (a signal storm, a tracer's injected fault), or a connect that the
/// kernel reports hung up before it began. The first retry comes at once; after a second
/// quick failure in a row, sleeps of 1 ms doubling to 10 ms come between the tries, never
/// past the deadline, so such a loop costs a few syscalls per 10 ms instead of a core.
pub(crate) struct Pacer {
    /// When the try now failing began (when the last retry was let go).
    tried_at: Instant,
    /// How many tries in a row failed within [`Pacer::QUICK`].
    quick: u32,
}

impl Pacer {
    /// A failure this soon after its try began cannot have waited for anything: under a
    /// tracer a try of two or three syscalls still takes less, and a signal storm that
    /// interrupts real waits spaces its failures further apart.
    const QUICK: Duration = Duration::from_millis(1);
    /// The longest sleep between tries.
    const LONGEST: Duration = Duration::from_millis(10);

    /// A pacer for a try that begins now.
    pub(crate) fn new() -> Pacer {
        Pacer { tried_at: Instant::now(), quick: 0 }
    }

    /// Before the next try: sleeps when this failure and the one before came at once, at
    /// most until `deadline` (`None`: no deadline). A signal can end the sleep early, which
    /// only brings the next try (and its deadline check) forward.
    pub(crate) fn before_retry(&mut self, deadline: Option<Instant>) {
        let now = Instant::now();
        self.quick = if now.duration_since(self.tried_at) < Pacer::QUICK { self.quick + 1 } else { 0 };
        if self.quick >= 2 {
            let sleep = Duration::from_millis(1 << (self.quick - 2).min(4)).min(Pacer::LONGEST);
            pause(deadline.map_or(sleep, |d| sleep.min(d.saturating_duration_since(now))));
        }
        self.tried_at = Instant::now();
    }
}

/// A reading of the clock [`Instant`] reads, for the start of a timed receive that waits in
/// the kernel: taken before the blocking call (so a wait it must finish is measured from no
/// later than the call's start) and read again only when the call did not succeed, through
/// [`Stamp::instant`]. On Linux it is one `clock_gettime(CLOCK_MONOTONIC)` (std's clock for
/// `Instant`; the vDSO, no syscall) and a check of its result, without `Instant::now`'s
/// checks of the value around it; elsewhere an `Instant`.
#[derive(Clone, Copy)]
pub(crate) struct Stamp(
    #[cfg(any(target_os = "linux", target_os = "android"))] libc::timespec,
    #[cfg(not(any(target_os = "linux", target_os = "android")))] Instant,
);

impl Stamp {
    /// Now.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline]
    pub(crate) fn now() -> Stamp {
        let mut ts = std::mem::MaybeUninit::<libc::timespec>::uninit();
        // SAFETY: `ts` is live room for a timespec, which the call writes.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr()) } != 0 {
            no_clock();
        }
        // SAFETY: the call succeeded, so it wrote the timespec.
        Stamp(unsafe { ts.assume_init() })
    }

    /// Now.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    #[inline]
    pub(crate) fn now() -> Stamp {
        Stamp(Instant::now())
    }

    /// The time since this reading (0 should the clock read earlier, which it cannot).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[inline]
    // `time_t` and `c_long` are 32 bits on some targets: widened to 64 there.
    #[allow(clippy::useless_conversion)]
    pub(crate) fn elapsed(self) -> Duration {
        let (Stamp(then), Stamp(now)) = (self, Stamp::now());
        // Both readings are non-negative with `tv_nsec` under a second, so neither difference
        // overflows, and 64-bit nanoseconds hold 292 years of uptime.
        let secs = i64::from(now.tv_sec) - i64::from(then.tv_sec);
        let nanos = i64::from(now.tv_nsec) - i64::from(then.tv_nsec);
        Duration::from_nanos(u64::try_from(secs.saturating_mul(1_000_000_000).saturating_add(nanos)).unwrap_or(0))
    }

    /// The time since this reading.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    #[inline]
    pub(crate) fn elapsed(self) -> Duration {
        self.0.elapsed()
    }

    /// The moment of this reading as an `Instant`, or a moment a few nanoseconds after it
    /// (never before): the time since it, read from the same clock, taken off an `Instant`
    /// read after that. So a deadline counted from it never comes early.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn instant(self) -> Instant {
        let Stamp(then) = self;
        let Stamp(now) = Stamp::now();
        let instant = Instant::now();
        let nanos = |ts: libc::timespec| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec);
        let since = u64::try_from(nanos(now) - nanos(then)).unwrap_or(0);
        instant.checked_sub(Duration::from_nanos(since)).unwrap_or(instant)
    }

    /// The moment of this reading as an `Instant`.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn instant(self) -> Instant {
        self.0
    }
}

/// `clock_gettime(CLOCK_MONOTONIC)` failed, which it cannot: as std's `Instant::now`, a panic.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[cold]
#[inline(never)]
fn no_clock() -> ! {
    panic!("clock_gettime(CLOCK_MONOTONIC) failed: {}", io::Error::last_os_error())
}

/// Waits longer than this end in two polls when nothing comes: see [`first_part`].
const SPLIT_PAST: Duration = Duration::from_millis(200);

/// What to ask the kernel for when `left` remains: all of it, or for a long wait, all but a
/// five-hundredth. The kernel lets a poll's timer fire late by a thousandth of what it asks
/// (up to 100 ms; Linux's `select_estimate_accuracy`), 1 ms on a 1 s wait. Asked short, the
/// first poll ends before the deadline even with that slack, and [`wait`]'s loop asks again
/// for the few milliseconds left, whose slack is the thread's default 50 µs: a timed-out
/// wait of any length overshoots by tens of microseconds, at the cost of a second poll on
/// waits past [`SPLIT_PAST`] that time out.
fn first_part(left: Duration) -> Duration {
    if left > SPLIT_PAST { left - left / 500 } else { left }
}

/// One `ppoll`/`poll` of `fds` that ends by `deadline` (or earlier, see [`first_part`]); the
/// number of ready descriptors.
fn poll_until(fds: &mut [libc::pollfd], deadline: Option<Instant>) -> io::Result<usize> {
    poll_for(fds, deadline.map(|d| first_part(d.saturating_duration_since(Instant::now()))))
}

/// One `ppoll` of `fds` for at most `left` (`None`: for ever); the number of ready
/// descriptors.
#[cfg(has_ppoll)]
fn poll_for(fds: &mut [libc::pollfd], left: Option<Duration>) -> io::Result<usize> {
    let ts = left.map(|left| {
        // Seconds beyond `time_t` are for ever in practice; cap rather than wrap.
        let tv_sec = libc::time_t::try_from(left.as_secs()).unwrap_or(libc::time_t::MAX);
        libc::timespec { tv_sec, tv_nsec: left.subsec_nanos().into() }
    });
    #[cfg(not(has_direct_io))]
    let ts_ptr = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // Where Linux numbers the calls (`has_direct_io`), straight to the kernel through
    // `syscall(2)`, past glibc's pthread-cancellation bookkeeping, as the plain sends and
    // receives go; the kernel sees the call glibc would make (a null mask of 8 bytes). The
    // kernel writes what is left of the timeout back into the timespec, so it gets a copy of
    // its own, as glibc's wrapper gives it.
    #[cfg(has_direct_io)]
    let mut left = ts;
    #[cfg(has_direct_io)]
    // SAFETY: `fds` is a valid array of `fds.len()` pollfds and the timespec pointer is null
    // or points at `left`, a live local the kernel may write (the kernel's layout where Linux
    // has `has_direct_io`: 64-bit `time_t`); both outlive the call, and a null signal mask
    // changes nothing.
    let n = super::cvt(unsafe {
        let left = left.as_mut().map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
        libc::syscall(libc::SYS_ppoll, fds.as_mut_ptr(), fds.len() as libc::nfds_t, left, std::ptr::null::<u8>(), 8)
    });
    #[cfg(not(has_direct_io))]
    // SAFETY: `fds` is a valid array of `fds.len()` pollfds and `ts_ptr` is null or points at
    // a live timespec; both outlive the call, and a null signal mask changes nothing.
    let n = super::cvt(unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ts_ptr, std::ptr::null()) });
    audit!("ppoll", &n, |a| {
        let timeout = ts.map(|t| format!("{{tv_sec={}, tv_nsec={}}}", t.tv_sec, t.tv_nsec));
        let result = super::audit::result_of(&n);
        a.pollfds(fds, &result).raw(fds.len()).raw(timeout.as_deref().unwrap_or("NULL")).raw("NULL").raw(8)
    });
    n.map(|n| n as usize)
}

/// One `poll` of `fds` for at most `left` (`None`: for ever), in whole milliseconds rounded
/// up.
#[cfg(not(has_ppoll))]
fn poll_for(fds: &mut [libc::pollfd], left: Option<Duration>) -> io::Result<usize> {
    let ms = left.map_or(-1, poll_ms);
    // SAFETY: `fds` is a valid array of `fds.len()` pollfds that outlives the call.
    let n = super::cvt(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) });
    audit!("poll", &n, |a| a.pollfds(fds, &super::audit::result_of(&n)).raw(fds.len()).raw(ms));
    n.map(|n| n as usize)
}

/// Milliseconds for `poll`, rounded up and capped at `i32::MAX` (the loop waits again).
#[cfg(not(has_ppoll))]
fn poll_ms(left: Duration) -> libc::c_int {
    let ms = left.as_nanos().div_ceil(1_000_000);
    ms.min(libc::c_int::MAX as u128) as libc::c_int
}

/// The kernel's timer tick (`clock_getres(CLOCK_MONOTONIC_COARSE)`: 4 ms at HZ=250), the
/// unit in which it keeps `SO_RCVTIMEO`; asked once per process (a vDSO call on Linux, no
/// syscall). 10 ms where the clock is missing.
pub(crate) fn tick() -> Duration {
    static TICK: OnceLock<Duration> = OnceLock::new();
    *TICK.get_or_init(|| {
        let mut res = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        #[cfg(has_coarse_clock)]
        let clock = libc::CLOCK_MONOTONIC_COARSE;
        #[cfg(not(has_coarse_clock))]
        let clock = libc::CLOCK_MONOTONIC;
        // SAFETY: `res` is a live timespec the call writes.
        let ok = unsafe { libc::clock_getres(clock, &mut res) } == 0;
        let tick = Duration::new(res.tv_sec.max(0) as u64, res.tv_nsec.clamp(0, 999_999_999) as u32);
        if ok && tick >= Duration::from_micros(100) { tick } else { Duration::from_millis(10) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_waits_ask_short_of_their_slack() {
        assert_eq!(first_part(Duration::from_millis(200)), Duration::from_millis(200));
        let second = Duration::from_secs(1);
        let asked = first_part(second);
        // The kernel may add a thousandth of what it is asked: still short of the deadline.
        assert!(asked + asked / 1000 < second, "{asked:?}");
        assert_eq!(second - asked, Duration::from_millis(2));
    }

    #[cfg(not(has_ppoll))]
    #[test]
    fn rounds_up_and_caps() {
        assert_eq!(poll_ms(Duration::ZERO), 0);
        assert_eq!(poll_ms(Duration::from_nanos(1)), 1);
        assert_eq!(poll_ms(Duration::from_micros(1500)), 2);
        assert_eq!(poll_ms(Duration::MAX), libc::c_int::MAX);
    }

    #[test]
    fn waits_never_end_early() {
        let sock =
            super::super::socket::socket(super::super::Domain::Ipv4, super::super::SockType::Datagram, false).unwrap();
        use std::os::fd::AsFd;
        for micros in [0, 150, 1500, 20_000] {
            let start = Instant::now();
            let deadline = start + Duration::from_micros(micros);
            assert_eq!(wait(sock.as_fd(), Interest::Read, Some(deadline)).unwrap(), None);
            assert!(Instant::now() >= deadline, "{micros} µs ended early");
        }
        let start = Instant::now();
        pause(Duration::from_micros(700));
        assert!(start.elapsed() >= Duration::from_micros(700));
    }

    #[test]
    fn quick_failures_are_paced_and_never_past_the_deadline() {
        // Eight failures at once: the first retry goes at once, then 1 + 2 + 4 + 8 + 10 + 10 +
        // 10 ms (at least 15 even if a preemption longer than a millisecond restarts the count).
        let mut pacer = Pacer::new();
        let start = Instant::now();
        for _ in 0..8 {
            pacer.before_retry(None);
        }
        assert!(start.elapsed() >= Duration::from_millis(15), "paced only {:?}", start.elapsed());
        assert!(pacer.quick > 0);
        // A failure after a real wait starts the count over: no sleep before its retry.
        pause(Pacer::QUICK);
        pacer.before_retry(None);
        assert_eq!(pacer.quick, 0);
        // Past the deadline the pacer sleeps no more: two hundred quick retries would take
        // two seconds of 10 ms sleeps.
        let deadline = Instant::now() + Duration::from_millis(5);
        let mut pacer = Pacer::new();
        for _ in 0..200 {
            pacer.before_retry(Some(deadline));
        }
        assert!(Instant::now() < deadline + Duration::from_secs(1), "slept past the deadline");
    }

    #[test]
    fn a_stamps_instant_is_never_before_it() {
        let before = Instant::now();
        let stamp = Stamp::now();
        let after = Instant::now();
        pause(Duration::from_millis(2));
        let at = stamp.instant();
        assert!(at >= before, "a deadline counted from it could come early");
        assert!(at <= after + Duration::from_millis(50), "{:?} late", at.duration_since(after));
    }

    #[test]
    fn the_tick_is_plausible() {
        assert!((Duration::from_micros(100)..=Duration::from_millis(100)).contains(&tick()));
    }
}
