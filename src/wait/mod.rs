//! The one wait every blocking call with a timeout runs: [`with_timeout`] (sends and
//! receives) and its try → `ppoll` → retry loop ([`poll_loop`]); the socket's `SO_RCVTIMEO`
//! record ([`RecvTimer`], `recv_timer.rs`), the slot a socket keeps it in until and once it
//! is made ([`TimerSlot`], `timer_slot.rs`), and listeners' waits ([`Acceptor`], `accept.rs`).

mod accept;
mod recv_timer;
mod timer_slot;

use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

pub(crate) use accept::Acceptor;
use recv_timer::RecvTimer;
pub(crate) use recv_timer::arm_for;
use recv_timer::{Claim, suits, timeout_nanos};
pub(crate) use timer_slot::TimerSlot;

use crate::error::Cause;
use crate::sys;
use crate::sys::MsgFlags;
use crate::sys::wait::{Interest, Stamp};
use crate::timeout::Timeout;

/// What an indefinite wait does when its call answers "would block" (`EAGAIN`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indefinite {
    /// The descriptor blocks, so `EAGAIN` comes from the socket's own `SO_RCVTIMEO` /
    /// `SO_SNDTIMEO`, or a non-blocking mode: it is the answer, as in C (a receive first asks
    /// whose it is: see [`blocked_until_users`]).
    Blocks,
    /// `EAGAIN` only means "not yet" (a listener): wait for readiness.
    Polls,
}

/// What a call waits for, and so how it may wait.
#[derive(Clone, Copy)]
pub(crate) enum Waits<'t> {
    /// A send: room to write (`POLLOUT`). The crate never times sends in the kernel.
    Send,
    /// A receive: data (`POLLIN`), timed by the socket's `SO_RCVTIMEO` where it can be.
    Recv(&'t TimerSlot),
    /// A receive from the error queue: it never blocks, and `POLLERR` says it is ready.
    ErrQueue,
    /// A receive of TCP's urgent byte (`MSG_OOB`): it never blocks either, and `POLLPRI`
    /// says the byte has arrived.
    Urgent,
}

/// What every step of a wait needs, carried as one value: the descriptor, the readiness it
/// waits for, and what `EAGAIN` means to an indefinite call.
#[derive(Clone, Copy)]
pub(crate) struct Waiter<'fd> {
    pub(crate) fd: BorrowedFd<'fd>,
    pub(crate) interest: Interest,
    pub(crate) indefinite: Indefinite,
}

/// How the try → wait → retry loop begins.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// With a try.
    Try,
    /// With a wait: the caller has just tried.
    Wait,
}

/// How long a call may still wait: until `deadline` (`None`: for ever), and what to report
/// when that passes.
#[derive(Clone, Copy)]
pub(crate) struct Until {
    pub(crate) deadline: Option<Instant>,
    /// The timeout, for the `TimedOut` error; `None` when the deadline is the user's own
    /// `SO_RCVTIMEO` standing in for an indefinite wait, which ends as `EAGAIN` does in C.
    timeout: Option<Timeout>,
}

impl Until {
    #[inline]
    pub(crate) fn new(timeout: Timeout) -> Until {
        Until { deadline: timeout.deadline(), timeout: Some(timeout) }
    }

    /// The wait of a call that started at `started`.
    pub(crate) fn since(started: Instant, timeout: Timeout) -> Until {
        Until { deadline: timeout.duration().and_then(|d| started.checked_add(d)), timeout: Some(timeout) }
    }

    /// No deadline, ending as `EAGAIN` would (never, unless the user's own value bounds it).
    fn never() -> Until {
        Until { deadline: None, timeout: None }
    }

    #[inline]
    pub(crate) fn passed(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    pub(crate) fn expired(&self) -> Cause {
        match self.timeout {
            Some(t) => Cause::TimedOut(t),
            None => Cause::Os(io::Error::from(io::ErrorKind::WouldBlock)),
        }
    }
}

/// Runs a send or receive `call` (given the flags to add) until it succeeds, fails, or
/// `timeout` runs out. `EINTR` never escapes, and no wait ends before the timeout.
///
/// A receive ([`Waits::Recv`]) passes its socket's timer: while no other thread relies on it,
/// the receive waits inside one blocking call, timed by an `SO_RCVTIMEO` armed a margin short
/// of the timeout (re-armed only when the timeout changes), and finishes any remainder with an
/// exact wait — one syscall per receive in steady state. Otherwise, and for sends, the call is
/// tried with `MSG_DONTWAIT` and, when it would block, the descriptor is polled and the call
/// tried again.
///
/// This front holds the steady states, inlined into every caller; everything else is out of
/// line in [`waiting`]:
/// - an indefinite call is made at once, blocking, when nothing stands in its way (a send,
///   or a receive whose socket holds no timeout at all, see [`RecvTimer::quiet`]);
/// - a timed send is tried once with `MSG_DONTWAIT`;
/// - a timed receive whose socket holds the value armed for this very timeout shares it,
///   reads the clock (the start its remainder is measured from) and makes the blocking call;
/// - any other timed receive whose wait would begin with a `MSG_DONTWAIT` try (nothing of
///   the crate's armed, or a socket the crate does not rely on whose hint says try first,
///   see [`RecvTimer::tries_first`]) makes that try here, so data already queued costs the
///   call alone; when it finds nothing, [`waiting_after_try`] goes on without a second try.
#[inline]
pub(crate) fn with_timeout<T>(
    fd: BorrowedFd<'_>,
    waits: Waits<'_>,
    timeout: Timeout,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let timeout = timeout.check()?;
    let w = Waiter { fd, interest: waits.interest(), indefinite: Indefinite::Blocks };
    match (timeout.duration(), waits) {
        // An indefinite send: `EAGAIN` is the answer (the user's SO_SNDTIMEO, or a
        // non-blocking descriptor), as in C.
        (None, Waits::Send | Waits::ErrQueue | Waits::Urgent) => match call(MsgFlags::NONE) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            done => return done.map_err(Cause::Os),
        },
        // An indefinite receive on a socket that holds no timeout. No lock is taken: a value
        // another thread arms meanwhile can only make this call answer `EAGAIN`, and then
        // the wait below takes over and blocks again. An `EAGAIN` that nothing of the crate's
        // explains is another holder's doing.
        (None, Waits::Recv(timer)) => {
            if let Some(arms) = timer.quiet() {
                match call(MsgFlags::NONE) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock && timer.armed_since(arms) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return another_holder(w, timer, call),
                    done => return done.map_err(Cause::Os),
                }
            }
        }
        (Some(_), Waits::Send | Waits::ErrQueue | Waits::Urgent) => return tried_then_polled(w, timeout, call),
        // A timed receive on a socket that holds the value armed for this very timeout.
        (Some(duration), Waits::Recv(timer)) => {
            if let Some(claim) = timer.share_armed_for(timeout_nanos(duration)) {
                let started = Stamp::now();
                return match call(MsgFlags::NONE) {
                    Ok(v) => Ok(v),
                    Err(e) => kernel_timed_out(w, claim, e, started, timeout, &mut call),
                };
            }
            // Every other timed receive whose wait would begin with a try begins with it
            // here: data already there costs the call alone.
            if timer.tries_first() {
                return match call(MsgFlags::DONTWAIT) {
                    Ok(v) => Ok(v),
                    Err(e) if is_retry(&e) => waiting_after_try(w, waits, timeout, call),
                    Err(e) => Err(Cause::Os(e)),
                };
            }
        }
    }
    waiting(w, waits, timeout, call)
}

impl Waits<'_> {
    /// The readiness a wait for this kind of call polls for.
    #[inline]
    fn interest(self) -> Interest {
        match self {
            Waits::Send => Interest::Write,
            Waits::Recv(_) => Interest::Read,
            Waits::ErrQueue => Interest::Error,
            Waits::Urgent => Interest::Urgent,
        }
    }
}

/// [`with_timeout`] past its steady states: kept out of line, so they inline into every
/// caller.
#[inline(never)]
fn waiting<T>(
    w: Waiter<'_>,
    waits: Waits<'_>,
    timeout: Timeout,
    call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    waiting_from(w, waits, timeout, Start::Try, call)
}

/// [`waiting`] for a timed receive the front has just tried with `MSG_DONTWAIT` and found
/// nothing (or was interrupted): the wait goes on from there. (A function of its own, so
/// `waiting`'s call in every caller keeps its arguments in registers.)
#[cold]
#[inline(never)]
fn waiting_after_try<T>(
    w: Waiter<'_>,
    waits: Waits<'_>,
    timeout: Timeout,
    call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    waiting_from(w, waits, timeout, Start::Wait, call)
}

/// The body of [`waiting`] and [`waiting_after_try`], beginning as `start` says.
#[inline(always)]
fn waiting_from<T>(
    w: Waiter<'_>,
    waits: Waits<'_>,
    timeout: Timeout,
    start: Start,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let timer = match waits {
        Waits::Recv(slot) if slot.is_poll_only() && timeout.is_indefinite() => {
            return indefinite_unrelied(w, slot, call);
        }
        Waits::Recv(slot) if slot.is_poll_only() => return polled_receive(w, slot, timeout, start, call),
        // The kernel-timed path: the socket's record, made now if this is its first.
        Waits::Recv(slot) if !slot.is_poll_only() => slot.record(),
        _ => return tried_then_polled(w, timeout, call),
    };
    match kernel_timed(w, timer, timeout, start, &mut call) {
        Next::Done(result) => result,
        Next::TryFirst => poll_loop(w, Until::new(timeout), start, MsgFlags::DONTWAIT, call),
        Next::Busy if timeout.is_indefinite() => {
            // Other calls rely on an SO_RCVTIMEO of the crate's: poll instead of blocking,
            // bounded by the user's own value as a blocking call would have been.
            let user = timer.user_value().flatten();
            let until = Until { deadline: user.and_then(|d| Instant::now().checked_add(d)), timeout: None };
            poll_loop(Waiter { indefinite: Indefinite::Polls, ..w }, until, Start::Try, MsgFlags::DONTWAIT, call)
        }
        Next::Busy => poll_loop(w, Until::new(timeout), start, MsgFlags::DONTWAIT, call),
    }
}

/// A send, or a receive that cannot rely on `SO_RCVTIMEO`: one try before anything else (so
/// a call that has room or data costs no clock read), then the poll loop. The deadline is
/// taken after the try, which can only make the wait end later. An indefinite call blocks in
/// its try, and its `EAGAIN` is the answer (the user's own timeout, or a non-blocking
/// descriptor), as in C.
#[inline]
fn tried_then_polled<T>(
    w: Waiter<'_>,
    timeout: Timeout,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let flags = if timeout.is_indefinite() { MsgFlags::NONE } else { MsgFlags::DONTWAIT };
    match call(flags) {
        Ok(v) => Ok(v),
        Err(e)
            if e.kind() == io::ErrorKind::WouldBlock
                && timeout.is_indefinite()
                && w.indefinite == Indefinite::Blocks =>
        {
            Err(Cause::Os(e))
        }
        Err(e) if is_retry(&e) => poll_loop(w, Until::new(timeout), Start::Wait, flags, call),
        Err(e) => Err(Cause::Os(e)),
    }
}

/// A timed receive that cannot rely on `SO_RCVTIMEO` (someone else may hold the socket, or
/// it is non-blocking): the call with `MSG_DONTWAIT` and `ppoll` to the deadline, in the
/// order the socket's last such receive points to. After one that found its data when it
/// tried, try first: one syscall when the data is there. After one that found nothing, wait
/// first: `ppoll`, then the call, with no try that answers `EAGAIN` (a request/response's
/// receive, asked before its data can have come). A wait that returns within
/// [`READY_AT_ONCE`] found the data there already, and the next receive tries first again.
/// The first such receive that has to wait makes the socket's record, to keep the hint in.
/// `start` is [`Start::Wait`] when the caller has just tried (and found nothing).
#[inline(never)]
fn polled_receive<T>(
    w: Waiter<'_>,
    slot: &TimerSlot,
    timeout: Timeout,
    start: Start,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let Some(timer) = slot.get().filter(|timer| start == Start::Try && timer.waits_first()) else {
        if start == Start::Try {
            match call(MsgFlags::DONTWAIT) {
                Ok(v) => return Ok(v),
                Err(e) if is_retry(&e) => {}
                Err(e) => return Err(Cause::Os(e)),
            }
        }
        slot.record().set_waits_first(true);
        return poll_loop(w, Until::new(timeout), Start::Wait, MsgFlags::DONTWAIT, call);
    };
    // One poll for the whole timeout (asked without another clock read: the deadline is
    // `timeout` from `started`, moments ago), then the try; the deadline as an `Instant`
    // only when that is not the end of it, for the poll loop, which waits for what is left.
    let started = Stamp::now();
    let mut left = timeout.duration();
    if left.is_some_and(|d| d.as_secs() >= FAR_OFF_SECS) {
        // A deadline past what an `Instant` holds is none: the poll waits for ever.
        left = Until::since(started.instant(), timeout).deadline.and(left);
    }
    match sys::wait::poll_once(w.fd, w.interest, left) {
        Ok(Some(_)) => {
            if started.elapsed() < READY_AT_ONCE {
                timer.set_waits_first(false);
            }
            match call(MsgFlags::DONTWAIT) {
                Ok(v) => return Ok(v),
                Err(e) if is_retry(&e) => {}
                Err(e) => return Err(Cause::Os(e)),
            }
        }
        // Nothing yet (the poll asked short of a long timeout, or ended early), or a signal.
        Ok(None) => {}
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => return Err(Cause::Os(e)),
    }
    poll_loop(w, Until::since(started.instant(), timeout), Start::Wait, MsgFlags::DONTWAIT, call)
}

/// Timeouts from this many seconds on (146 billion years) may overflow an `Instant`
/// deadline, which then means none: [`polled_receive`] asks.
const FAR_OFF_SECS: u64 = 1 << 62;

/// A `ppoll` that returns this soon did not sleep: the readiness was there when it was
/// asked. One that sleeps takes at least two context switches and the peer's work between
/// them (3–5 µs for a loopback reply on one CPU of the bench machine); one that does not, a
/// syscall's cost (under 1 µs). Only a hint rides on it, so a wrong guess costs one syscall.
const READY_AT_ONCE: Duration = Duration::from_micros(2);

/// What came of the kernel-timed attempt.
enum Next<T> {
    /// The call's outcome.
    Done(std::result::Result<T, Cause>),
    /// Not attempted (the timeout is too short to gain, or too long for the timer wheel):
    /// try, then wait.
    TryFirst,
    /// Not attempted: other calls rely on an `SO_RCVTIMEO` that does not serve this one.
    Busy,
}

/// One receive timed by the kernel's `SO_RCVTIMEO`: sharing what is armed when it serves this
/// call, else arming under an exclusive claim (and then sharing it). `start` as [`waiting`]'s.
fn kernel_timed<T>(
    w: Waiter<'_>,
    timer: &RecvTimer,
    timeout: Timeout,
    start: Start,
    call: &mut impl FnMut(MsgFlags) -> io::Result<T>,
) -> Next<T> {
    let Some(duration) = timeout.duration() else {
        // Indefinite: the user's SO_RCVTIMEO (none, unless they set one) bounds the call.
        let claim = match timer.share(|armed, _| armed.is_none()) {
            Some(claim) => claim,
            None => {
                let Some(mut claim) = timer.claim() else { return Next::Busy };
                if let Err(e) = claim.restore_user(w.fd) {
                    return Next::Done(Err(Cause::Os(e)));
                }
                claim.downgrade();
                claim
            }
        };
        let started = Instant::now();
        let result = loop {
            match call(MsgFlags::NONE) {
                Ok(v) => break Ok(v),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        drop(claim);
        return Next::Done(match result {
            Ok(v) => Ok(v),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                blocked_until_users(w, timer.user_value(), || timer.distrust(), started, e, call)
            }
            Err(e) => Err(Cause::Os(e)),
        });
    };
    let Some(want) = arm_for(duration) else { return Next::TryFirst };
    let claim = match timer.share(|armed, _| armed.is_some_and(|a| suits(a, want))) {
        Some(claim) => claim,
        None => {
            let Some(mut claim) = timer.claim() else { return Next::Busy };
            // (A call that held the timer a moment ago may have armed what this one wants.)
            if !claim.armed().is_some_and(|armed| suits(armed, want)) {
                // Data may be there already: take it without touching SO_RCVTIMEO (unless
                // the caller has just tried).
                if start == Start::Try {
                    match call(MsgFlags::DONTWAIT) {
                        Ok(v) => return Next::Done(Ok(v)),
                        Err(e) if is_retry(&e) => {}
                        Err(e) => return Next::Done(Err(Cause::Os(e))),
                    }
                }
                if claim.arm(w.fd, want, timeout_nanos(duration)).is_err() {
                    drop(claim);
                    return Next::Done(poll_loop(w, Until::new(timeout), Start::Wait, MsgFlags::DONTWAIT, call));
                }
            }
            claim.downgrade();
            claim
        }
    };
    let started = Stamp::now();
    Next::Done(match call(MsgFlags::NONE) {
        Ok(v) => Ok(v),
        Err(e) => kernel_timed_out(w, claim, e, started, timeout, call),
    })
}

/// A receive that blocked under `claim` since `started` and failed with `e`: when that is
/// `SO_RCVTIMEO` running out short of the deadline (`EAGAIN`) or a signal, an exact wait for
/// what is left, and the retry.
#[cold]
#[inline(never)]
fn kernel_timed_out<T>(
    w: Waiter<'_>,
    claim: Claim<'_>,
    e: io::Error,
    started: Stamp,
    timeout: Timeout,
    call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let started = started.instant();
    match e.kind() {
        io::ErrorKind::WouldBlock => {
            // SO_RCVTIMEO fires no earlier than a tick before what was armed, and no later
            // than the margin after it; an EAGAIN well outside that shows another holder's
            // doing (another value, another file mode).
            if let Some(armed) = claim.armed() {
                let elapsed = started.elapsed();
                if elapsed < armed.saturating_sub(sys::wait::tick() * 2) || elapsed > armed * 2 + FAR_PAST {
                    claim.give_up();
                }
            }
        }
        io::ErrorKind::Interrupted => {}
        _ => return Err(Cause::Os(e)),
    }
    drop(claim);
    poll_loop(w, Until::since(started, timeout), Start::Wait, MsgFlags::DONTWAIT, call)
}

/// How far past twice what it armed an `EAGAIN` must come to show another holder's value (a
/// loaded machine can be that late in running the thread again).
const FAR_PAST: Duration = Duration::from_millis(100);

/// An indefinite receive that cannot rely on `SO_RCVTIMEO` (the socket is non-blocking, or
/// someone else may hold it). Non-blocking at the user's request: one try with
/// `MSG_DONTWAIT`, and `WouldBlock` is the answer. Otherwise one blocking call, which in
/// steady state is all it takes; an `EAGAIN` from it is the user's own value running out, or
/// else another holder's doing, and then the call waits on.
#[cold]
#[inline(never)]
fn indefinite_unrelied<T>(
    w: Waiter<'_>,
    slot: &TimerSlot,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let flags = if slot.is_nonblocking() { MsgFlags::DONTWAIT } else { MsgFlags::NONE };
    let started = Instant::now();
    loop {
        match call(flags) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && flags == MsgFlags::NONE => {
                return blocked_until_users(w, slot.user_value(), || slot.distrust(), started, e, call);
            }
            done => return done.map_err(Cause::Os),
        }
    }
}

/// An indefinite receive whose blocking call, made at `started`, answered `EAGAIN` (`e`),
/// on a socket whose user value is `user` (as [`RecvTimer::user_value`]). With a value of
/// the user's (set through the crate) that has run out, that is the answer, as in C; short of
/// it, or with none, another holder made the call end (its `SO_RCVTIMEO`, a non-blocking
/// mode): the socket is no longer trusted (`distrust`), and the call waits for the rest of
/// the user's value, or for ever.
#[cold]
#[inline(never)]
fn blocked_until_users<T>(
    w: Waiter<'_>,
    user: Option<Option<Duration>>,
    distrust: impl FnOnce(),
    started: Instant,
    e: io::Error,
    call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let user = user.flatten();
    if let Some(user) = user {
        if started.elapsed() + sys::wait::tick() * 2 >= user {
            return Err(Cause::Os(e));
        }
    }
    distrust();
    let until = Until { deadline: user.and_then(|d| started.checked_add(d)), timeout: None };
    poll_loop(Waiter { indefinite: Indefinite::Polls, ..w }, until, Start::Wait, MsgFlags::DONTWAIT, call)
}

/// An indefinite receive on a quiet socket (no timeout in the kernel of the crate's or the
/// user's) whose blocking call answered `EAGAIN` with no value armed meanwhile: someone
/// else holds the socket. It stops being trusted, and the call waits for ever.
#[cold]
#[inline(never)]
fn another_holder<T>(
    w: Waiter<'_>,
    timer: &TimerSlot,
    call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    timer.distrust();
    poll_loop(Waiter { indefinite: Indefinite::Polls, ..w }, Until::never(), Start::Wait, MsgFlags::DONTWAIT, call)
}

/// `EAGAIN` or `EINTR`: try again after a wait.
fn is_retry(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

/// How long a wake-up may take and still count as "the readiness was already there".
const AT_ONCE: Duration = Duration::from_micros(50);
/// The longest sleep between tries once readiness the call cannot use keeps waking the wait.
const MAX_BACKOFF: Duration = Duration::from_millis(10);

/// The try → wait → retry loop: `call` with `flags`, and on `EAGAIN` or `EINTR` a wait for
/// `w.interest` until `until`, beginning as `start` says.
///
/// A wait that wakes at once and whose retry still finds nothing is woken by readiness the
/// call cannot use (a datagram under `MSG_ERRQUEUE`, an error-queue entry under a plain
/// receive, an `EINTR` on every try). After three in a row the loop sleeps between tries,
/// from 1 ms doubling to 10 ms (never past the deadline), instead of spinning.
#[cold]
#[inline(never)]
pub(crate) fn poll_loop<T>(
    w: Waiter<'_>,
    until: Until,
    start: Start,
    flags: MsgFlags,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let mut woke_at_once = false;
    let mut useless = 0u32;
    let mut tries = start == Start::Try;
    loop {
        if tries {
            match call(flags) {
                Ok(v) => return Ok(v),
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        && flags == MsgFlags::NONE
                        && until.deadline.is_none()
                        && w.indefinite == Indefinite::Blocks =>
                {
                    return Err(Cause::Os(e));
                }
                Err(e) if is_retry(&e) => {
                    useless = if woke_at_once { useless + 1 } else { 0 };
                }
                Err(e) => return Err(Cause::Os(e)),
            }
        }
        tries = true;
        // One clock read serves the deadline check and the start of the wait.
        let asked = Instant::now();
        if until.deadline.is_some_and(|d| asked >= d) {
            return Err(until.expired());
        }
        if useless >= 3 {
            let backoff = Duration::from_millis(1 << (useless - 3).min(4)).min(MAX_BACKOFF);
            let left = until.deadline.map_or(backoff, |d| d.saturating_duration_since(asked));
            sys::wait::pause(backoff.min(left));
            woke_at_once = true;
            continue;
        }
        match sys::wait::wait(w.fd, w.interest, until.deadline).map_err(Cause::Os)? {
            None => return Err(until.expired()),
            Some(_) => woke_at_once = asked.elapsed() < AT_ONCE,
        }
    }
}
