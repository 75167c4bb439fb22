//! [`RecvTimer`]: the crate's use of `SO_RCVTIMEO`, which lets a timed receive or accept wait
//! inside one blocking syscall, as `std::net` does, while keeping this crate's per-call,
//! never-early timeouts.
//!
//! The kernel keeps `SO_RCVTIMEO` in ticks and its timer wheel fires late by up to a step of
//! the wheel's level the timer lands on (a tick near, 8 ticks further, 64 further still), so
//! the crate arms it short of the caller's timeout, by [`margin`], and finishes whatever is
//! left with an exact wait. The socket
//! remembers what it armed and re-arms only when a call's timeout no longer suits it, so a
//! program that uses the same timeout again (the common case) pays one syscall per receive.
//!
//! `SO_RCVTIMEO` is one value per socket, so it changes only under an exclusive
//! [`claim`](RecvTimer::claim), while no call relies on it; a claim then becomes shared for the
//! wait itself. Calls on other threads whose timeouts the armed value suits as well
//! [`share`](RecvTimer::share) it and wait in the kernel too (threads serving one socket with
//! one timeout, as std's do, each woken for its own datagram); a call it does not suit takes
//! the try → wait → retry path, which ignores `SO_RCVTIMEO`, so every call keeps its own
//! timeout. A value the user sets through `set_sock_opt` is remembered as the
//! user's: indefinite calls wait with it in place, as in C, and `get_sock_opt` reports it.
//!
//! All of this is what one handle family (a socket and its `try_clone`s, which share one
//! timer) remembers of state the kernel keeps per open file description. The timer is made
//! only when the family first needs it ([`TimerSlot`](super::TimerSlot)): until then the
//! kernel holds nothing of the crate's and nothing of the user's set through it, and the
//! slot alone says what the timer would. It is trusted only
//! while nothing else can hold that description: a socket the crate made, in a process that
//! has not forked since ([`sys::fork`]), not handed over. Otherwise the timer is
//! [untrusted](RecvTimer::trusted): the crate neither changes `SO_RCVTIMEO` nor relies on it,
//! and every call waits with `MSG_DONTWAIT` and `ppoll`. A blocking call whose `EAGAIN` nothing
//! of this family explains (no value of the user's, too early for the armed one) shows another
//! holder, and makes the timer untrusted from then on.

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::sys;

/// `armed`: the kernel holds the user's value (nothing the crate armed).
const USERS: u64 = u64::MAX;
/// `user`: not known yet (an adopted descriptor), read from the kernel when first needed.
const UNKNOWN: u64 = u64::MAX;
/// `users`: one call holds the timer alone and may change what the kernel holds.
const EXCLUSIVE: usize = usize::MAX;
/// `epoch`: never trusted (adopted, handed over, or another holder seen).
pub(super) const UNTRUSTED: u64 = u64::MAX;

/// Per-socket `SO_RCVTIMEO` bookkeeping (one for a socket and its clones); see the module's
/// documentation.
///
/// **The invariant.** While the timer is [trusted](RecvTimer::trusted), `armed` (with
/// `armed_for`) says what the kernel's `SO_RCVTIMEO` holds: [`USERS`], the user's own value
/// (`user`, unless `user_pending` says it still waits to be applied), or microseconds the
/// crate armed. Who writes what:
/// - `armed`, `armed_for`, and the kernel's value itself: only a call holding the exclusive
///   claim (`users` == [`EXCLUSIVE`]), or [`hand_over`](RecvTimer::hand_over) once no call
///   holds any; so a call that holds a share relies on a value nobody changes under it.
/// - `user`, `user_pending`: [`set_user`](RecvTimer::set_user), under the claim when it can
///   take it, else leaving the value pending for the next claim.
/// - `arms`: counted up by [`Claim::arm`] before each `setsockopt`, read by a receive that
///   blocked without a share (see [`quiet`](RecvTimer::quiet)).
/// - `nonblocking`: the user's `set_nonblocking`; `epoch`: set at creation, then only ever
///   to [`UNTRUSTED`] ([`distrust`](RecvTimer::distrust)).
///
/// **When it exists.** A socket's timer is made on first need, by its
/// [`TimerSlot`](super::TimerSlot) (which says what for), with the fork count the slot took
/// when the crate made the socket, not the count when the timer is made: a socket made
/// before a fork is untrusted after it whenever its timer comes to be. Before that moment
/// the fields' values are the ones [`made`](RecvTimer::made) and
/// [`adopted`](RecvTimer::adopted) start with (nothing armed, no user value set through the
/// crate, not non-blocking, no call relying on it, no arm counted), because everything that
/// would change them makes the timer first; so a call that reads the slot without a timer
/// and one that reads the new timer agree. `try_clone` makes it too, so handles that share a
/// socket always share one timer.
///
/// **Why the orderings suffice.** Taking a claim or a share is a `SeqCst` read-modify-write
/// of `users`, and dropping one a `Release` store or decrement, so everything a claim wrote
/// (`armed`, `armed_for`, the user's value) is seen by whoever takes the next claim or share;
/// those fields can then be `Relaxed`. Trust is read with `SeqCst` after the claim or share is
/// taken, and `hand_over` distrusts with `SeqCst` before it counts `users`: of the two, one
/// sees the other (a call sees the distrust and relies on nothing, or the hand-over sees the
/// call and leaves the kernel alone). The fork count needs no ordering: a fork copies the
/// memory of the thread that forks, after its handler has run. `arms` is
/// `Release`/`Acquire`, so a receive that reads it after its call sees an arm made before
/// the kernel could have applied it. The two sentinels are `u64::MAX` for two different
/// fields: [`USERS`] in `armed`, [`UNKNOWN`] in `user`.
#[derive(Debug)]
pub(crate) struct RecvTimer {
    /// How many calls rely on what the kernel holds now, or [`EXCLUSIVE`].
    users: AtomicUsize,
    /// What the kernel holds: [`USERS`], or the microseconds the crate armed. Written only
    /// under an exclusive claim.
    armed: AtomicU64,
    /// The timeout, in nanoseconds, the armed value was computed for: a call with the same
    /// timeout shares it without working the margin out again. `u64::MAX` (which no timeout
    /// counts to) whenever `armed` is [`USERS`]: written with `armed`, under the same claim.
    armed_for: AtomicU64,
    /// The user's own value in microseconds, 0 for none (wait for ever), or [`UNKNOWN`].
    user: AtomicU64,
    /// The user set a value while a call held the claim: the kernel does not hold it yet.
    user_pending: AtomicBool,
    /// The user made the socket non-blocking through the crate: indefinite calls answer
    /// `WouldBlock` at once, and `SO_RCVTIMEO` cannot time its calls.
    nonblocking: AtomicBool,
    /// The process's fork count when the crate made the socket (taken then by its slot,
    /// however much later the timer is made), or [`UNTRUSTED`]: what the timer remembers is
    /// true only while this equals the count now.
    epoch: AtomicU64,
    /// How many times the crate has armed a value, counted before each `setsockopt`: a
    /// receive that blocked without a share tells by it whether its `EAGAIN` can have come
    /// from a value armed meanwhile.
    arms: AtomicUsize,
    /// On the poll path (a socket the crate does not rely on): the last timed receive found
    /// nothing when it tried, so the next one waits first. A hint: either order is exact.
    waits_first: AtomicBool,
}

impl RecvTimer {
    /// A timer for a socket this crate created under fork count `epoch` (its
    /// [`TimerSlot`](super::TimerSlot)'s, taken when the socket was made, whenever the timer
    /// itself is made), or [`UNTRUSTED`]: the kernel's value is the default, none, and
    /// nothing of the crate's is armed.
    pub(super) fn made(epoch: u64) -> RecvTimer {
        RecvTimer::with(0, epoch)
    }

    /// A timer for a socket made now, for the tests.
    #[cfg(test)]
    fn new() -> RecvTimer {
        RecvTimer::made(sys::fork::watched_epoch())
    }

    /// A timer for an adopted descriptor, whose `SO_RCVTIMEO` may have been set elsewhere and
    /// may be changed by other holders at any time: never trusted.
    pub(super) fn adopted() -> RecvTimer {
        RecvTimer::with(UNKNOWN, UNTRUSTED)
    }

    fn with(user: u64, epoch: u64) -> RecvTimer {
        RecvTimer {
            users: AtomicUsize::new(0),
            armed: AtomicU64::new(USERS),
            armed_for: AtomicU64::new(u64::MAX),
            user: AtomicU64::new(user),
            user_pending: AtomicBool::new(false),
            nonblocking: AtomicBool::new(false),
            epoch: AtomicU64::new(epoch),
            arms: AtomicUsize::new(0),
            waits_first: AtomicBool::new(false),
        }
    }

    /// Records the file mode the user asked for through the crate.
    pub(crate) fn set_nonblocking(&self, on: bool) {
        self.nonblocking.store(on, Ordering::Relaxed);
    }

    /// Whether the user asked for a non-blocking socket through the crate.
    #[inline]
    pub(crate) fn is_nonblocking(&self) -> bool {
        self.nonblocking.load(Ordering::Relaxed)
    }

    /// Whether a timed receive on the poll path should wait before it tries (the last one
    /// found nothing when it tried).
    #[inline]
    pub(crate) fn waits_first(&self) -> bool {
        self.waits_first.load(Ordering::Relaxed)
    }

    /// What the next timed receive on the poll path should do first: wait (`true`) or try.
    #[inline]
    pub(crate) fn set_waits_first(&self, wait: bool) {
        self.waits_first.store(wait, Ordering::Relaxed);
    }

    /// Whether what this timer remembers of the kernel's state is true: the crate made the
    /// socket, the process has not forked since, nobody else was seen holding it. One relaxed
    /// load of each count.
    #[inline]
    pub(crate) fn trusted(&self) -> bool {
        self.epoch.load(Ordering::Relaxed) == sys::fork::epoch()
    }

    /// Someone else may hold the socket (it was handed over, or a call saw another holder's
    /// doing): never rely on what the kernel holds again. `SeqCst`, so a call that takes a
    /// share after this sees it (see [`still_trusted`](RecvTimer::still_trusted)).
    pub(crate) fn distrust(&self) {
        self.epoch.store(UNTRUSTED, Ordering::SeqCst);
    }

    /// [`trusted`](RecvTimer::trusted), read after a claim or share was taken: with
    /// [`hand_over`](RecvTimer::hand_over)'s order (distrust, then count the users), either
    /// this sees the distrust or the hand-over sees this call and leaves the kernel alone.
    #[inline]
    fn still_trusted(&self) -> bool {
        self.epoch.load(Ordering::SeqCst) == sys::fork::epoch()
    }

    /// The socket leaves this handle family (into an `OwnedFd`, a raw descriptor, a std
    /// type): the family's other handles stop relying on the kernel's state, and unless one
    /// of their calls relies on it right now, the kernel gets the user's own value back
    /// through `restore` (one `setsockopt`) if the crate had put another there. A call that
    /// relies on it keeps it: changing it under that call could hold the call past its
    /// deadline.
    pub(crate) fn hand_over(&self, restore: impl FnOnce(Option<Duration>) -> io::Result<()>) -> io::Result<()> {
        self.distrust();
        if self.users.load(Ordering::SeqCst) != 0 || !self.crate_armed() {
            return Ok(());
        }
        restore(self.user_value().flatten())?;
        self.armed.store(USERS, Ordering::Relaxed);
        self.armed_for.store(u64::MAX, Ordering::Relaxed);
        self.user_pending.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// Whether `SO_RCVTIMEO` never times this socket's calls: it is non-blocking, or
    /// untrusted.
    #[inline]
    pub(crate) fn is_poll_only(&self) -> bool {
        self.is_nonblocking() || !self.trusted()
    }

    /// When the kernel holds no timeout at all (none of the user's, none the crate armed) and
    /// the descriptor blocks, as last seen: the count of arms so far, for
    /// [`armed_since`](RecvTimer::armed_since). An indefinite receive may then block without
    /// a share: a value armed meanwhile can only make it answer `EAGAIN`, and the count tells
    /// that `EAGAIN` (wait again) from one nothing of the crate's explains (a value set
    /// behind its back, a descriptor made non-blocking: another holder's doing, after which
    /// the socket is no longer trusted and the receive waits on in `ppoll`).
    #[inline]
    pub(crate) fn quiet(&self) -> Option<usize> {
        let arms = self.arms.load(Ordering::Acquire);
        let quiet = self.armed.load(Ordering::Relaxed) == USERS
            && self.user.load(Ordering::Relaxed) == 0
            && !self.is_poll_only();
        quiet.then_some(arms)
    }

    /// Whether the crate has armed a value since [`quiet`](RecvTimer::quiet) counted `arms`.
    pub(crate) fn armed_since(&self, arms: usize) -> bool {
        self.arms.load(Ordering::Acquire) != arms
    }

    /// Whether a timed receive that cannot share the value armed for its timeout begins
    /// with a `MSG_DONTWAIT` try, whatever it does next: on the kernel-timed path when
    /// nothing of the crate's is armed (no value could serve the call without a try), on
    /// the poll path unless the hint says wait first. Read without a claim: a value armed
    /// meanwhile only costs the call its one try, which never waits.
    #[inline]
    pub(crate) fn tries_first(&self) -> bool {
        if self.is_poll_only() { !self.waits_first() } else { self.armed.load(Ordering::Relaxed) == USERS }
    }

    /// The right to change what the kernel holds, and then rely on it: `None` while any
    /// other call relies on it, or when the socket is poll-only.
    pub(crate) fn claim(&self) -> Option<Claim<'_>> {
        // Trust is read once the claim is taken, below.
        if self.is_nonblocking() {
            return None;
        }
        self.users.compare_exchange(0, EXCLUSIVE, Ordering::SeqCst, Ordering::Relaxed).ok()?;
        let claim = Claim { timer: self, exclusive: true };
        self.still_trusted().then_some(claim)
    }

    /// The right to rely on what the kernel holds, as it is, beside other calls doing the
    /// same: `Some` when `serves` says it serves this call (given the armed value, `None`
    /// for the user's own, and the timeout in nanoseconds it was armed for). Nobody can
    /// change it while the share is held.
    #[inline]
    pub(crate) fn share(&self, serves: impl FnOnce(Option<Duration>, u64) -> bool) -> Option<Claim<'_>> {
        let claim = self.shared()?;
        let kernel = match self.armed.load(Ordering::Relaxed) {
            USERS if self.user_pending.load(Ordering::Relaxed) => return None,
            USERS => None,
            micros => Some(Duration::from_micros(micros)),
        };
        serves(kernel, self.armed_for.load(Ordering::Relaxed)).then_some(claim)
    }

    /// [`share`](RecvTimer::share) for a timed call whose timeout is `timeout` nanoseconds
    /// (as [`timeout_nanos`] counts them): `Some` when the value in the kernel is the crate's,
    /// armed for this very timeout — the steady state of a timed receive. One check fewer
    /// than `share`: `armed_for` names a timeout only while `armed` holds the value armed for
    /// it (it is `u64::MAX`, which no timeout counts to, whenever the user's value is there).
    #[inline]
    pub(crate) fn share_armed_for(&self, timeout: u64) -> Option<Claim<'_>> {
        let claim = self.shared()?;
        let armed_for = self.armed_for.load(Ordering::Relaxed);
        debug_assert!(armed_for == u64::MAX || self.armed.load(Ordering::Relaxed) != USERS);
        (armed_for == timeout).then_some(claim)
    }

    /// A share of the timer, whatever it holds: `None` while a call holds it exclusively, or
    /// when the socket is poll-only.
    #[inline]
    fn shared(&self) -> Option<Claim<'_>> {
        // Trust is read once the share is taken, below.
        if self.is_nonblocking() {
            return None;
        }
        let mut users = self.users.load(Ordering::Relaxed);
        loop {
            if users == EXCLUSIVE || users == EXCLUSIVE - 1 {
                return None;
            }
            match self.users.compare_exchange_weak(users, users + 1, Ordering::SeqCst, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => users = now,
            }
        }
        let claim = Claim { timer: self, exclusive: false };
        self.still_trusted().then_some(claim)
    }

    /// The user's value as last set through the crate: `Some(None)` for none, `None` while
    /// unknown.
    pub(crate) fn user_value(&self) -> Option<Option<Duration>> {
        decode_user(self.user.load(Ordering::Relaxed))
    }

    /// Whether the kernel may hold something other than the user's value: one the crate
    /// armed, or the old value while the user's new one waits to be applied.
    pub(crate) fn crate_armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed) != USERS || self.user_pending.load(Ordering::Relaxed)
    }

    /// Records the user's `SO_RCVTIMEO` and hands it to the kernel through `set` — now when
    /// no call relies on the timer, or else leaving it to the next call that needs the user's
    /// value in place (an indefinite one), so a thread about to block never has its timeout
    /// changed under it.
    pub(crate) fn set_user(&self, value: Option<Duration>, set: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
        let micros = value.map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(UNKNOWN - 1).max(1));
        match self.claim() {
            Some(claim) => {
                set()?;
                self.user.store(micros, Ordering::Relaxed);
                claim.timer.armed.store(USERS, Ordering::Relaxed);
                claim.timer.armed_for.store(u64::MAX, Ordering::Relaxed);
                self.user_pending.store(false, Ordering::Relaxed);
                Ok(())
            }
            None if self.is_poll_only() => {
                set()?;
                self.user.store(micros, Ordering::Relaxed);
                Ok(())
            }
            None => {
                self.user.store(micros, Ordering::Relaxed);
                self.user_pending.store(true, Ordering::Relaxed);
                Ok(())
            }
        }
    }
}

fn decode_user(micros: u64) -> Option<Option<Duration>> {
    match micros {
        UNKNOWN => None,
        0 => Some(None),
        m => Some(Some(Duration::from_micros(m))),
    }
}

/// How far short of a timeout the crate arms `SO_RCVTIMEO`: two ticks (the kernel rounds the
/// value up to ticks, and the tick under way counts as one) and one step of the timer wheel's
/// level for that distance, which rounds the expiry up to its step. The wheel's levels
/// (Linux's `kernel/time/timer.c`): below 63 ticks one tick a step, then each level reaches
/// eight times as far in steps eight times as long. So three ticks below 63 ticks (252 ms at
/// HZ=250), ten up to 504 (40 ms up to 2 s), 66 up to 4032 (264 ms up to 16 s)… Measured at
/// HZ=250: up to 10.6 ms late below 256 ms, 31 ms up to 2 s, 202 ms beyond. The margin is
/// also the most an exact wait finishes, and that wait's own slack is a thousandth of its
/// length (at least 50 µs), so a margin that follows the wheel rather than the timeout keeps
/// long waits as precise as short ones.
///
/// `None` past the eighth level (about six days at HZ=250, a day and a half at HZ=1000): the
/// kernel clamps a timer that far to the wheel's reach and fires it early, which would read
/// as a descriptor that does not block. Such timeouts wait on the poll path.
pub(crate) fn margin(timeout: Duration) -> Option<Duration> {
    let tick = sys::wait::tick();
    let ticks = timeout.as_nanos() / tick.as_nanos().max(1);
    let (mut step, mut reach) = (1u32, 63u128);
    for _level in 0..8 {
        if ticks < reach {
            return Some(tick * (2 + step));
        }
        step *= 8;
        reach *= 8;
    }
    None
}

/// The value to arm for `timeout`, or `None` when the timeout is too short to gain from
/// `SO_RCVTIMEO` (less than a tick would be left) or past the timer wheel (see [`margin`]).
pub(crate) fn arm_for(timeout: Duration) -> Option<Duration> {
    margin(timeout).and_then(|m| timeout.checked_sub(m)).filter(|a| *a >= sys::wait::tick())
}

/// A timeout as the nanoseconds [`RecvTimer`] remembers it by, saturating at `u64::MAX - 1`:
/// never `u64::MAX`, which `armed_for` holds while no value of the crate's is armed.
#[inline]
pub(crate) fn timeout_nanos(timeout: Duration) -> u64 {
    u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX - 1)
}

/// Whether `armed`, in the kernel now, serves a call that wants `want` armed: no longer than
/// `want` (so the wait never ends late) and at least half of it (so a timeout that shrinks a
/// little from call to call does not re-arm each time).
pub(crate) fn suits(armed: Duration, want: Duration) -> bool {
    armed <= want && want <= armed * 2
}

/// A call's reliance on the socket's `SO_RCVTIMEO`: exclusive (it may change it) or shared.
pub(crate) struct Claim<'t> {
    timer: &'t RecvTimer,
    exclusive: bool,
}

impl Claim<'_> {
    /// Lets other calls that the armed value serves share it, now that this one is done
    /// changing it.
    pub(crate) fn downgrade(&mut self) {
        if self.exclusive {
            self.timer.users.store(1, Ordering::Release);
            self.exclusive = false;
        }
    }

    /// Makes a shared claim exclusive again when no other call shares it (nobody can join
    /// while it is); whether this claim is exclusive now.
    pub(crate) fn upgrade(&mut self) -> bool {
        if !self.exclusive
            && self.timer.users.compare_exchange(1, EXCLUSIVE, Ordering::SeqCst, Ordering::Relaxed).is_ok()
        {
            self.exclusive = true;
        }
        self.exclusive
    }

    /// Arms `value` (one `setsockopt`), whole microseconds as `SO_RCVTIMEO` takes them.
    /// Exclusive claims only, so only on a trusted socket, whose user value is known.
    pub(crate) fn arm(&self, fd: BorrowedFd<'_>, value: Duration, timeout: u64) -> io::Result<()> {
        debug_assert!(self.exclusive, "arming under a shared claim");
        let micros = u64::try_from(value.as_micros()).unwrap_or(USERS - 1).max(1);
        self.timer.arms.fetch_add(1, Ordering::Release);
        sys::opt::set_recv_timeout(fd, Some(Duration::from_micros(micros)))?;
        self.timer.armed.store(micros, Ordering::Relaxed);
        self.timer.armed_for.store(timeout, Ordering::Relaxed);
        Ok(())
    }

    /// Puts the user's value in the kernel (one `setsockopt`) when the crate had armed its
    /// own or the user's came while another call held the claim, so an indefinite call waits
    /// as the user asked.
    pub(crate) fn restore_user(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        debug_assert!(self.exclusive, "restoring under a shared claim");
        let timer = self.timer;
        if timer.armed.load(Ordering::Relaxed) == USERS && !timer.user_pending.load(Ordering::Relaxed) {
            return Ok(());
        }
        let user = decode_user(timer.user.load(Ordering::Relaxed)).flatten();
        sys::opt::set_recv_timeout(fd, user)?;
        timer.armed.store(USERS, Ordering::Relaxed);
        timer.armed_for.store(u64::MAX, Ordering::Relaxed);
        timer.user_pending.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// The armed value, when the crate's is in place.
    pub(crate) fn armed(&self) -> Option<Duration> {
        match self.timer.armed.load(Ordering::Relaxed) {
            USERS => None,
            micros => Some(Duration::from_micros(micros)),
        }
    }

    /// Another holder's doing was seen: stop relying on `SO_RCVTIMEO` for this socket.
    pub(crate) fn give_up(&self) {
        self.timer.distrust();
    }
}

impl Drop for Claim<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.exclusive {
            self.timer.users.store(0, Ordering::Release);
        } else {
            self.timer.users.fetch_sub(1, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_cover_ticks_and_the_wheel() {
        let tick = sys::wait::tick();
        assert_eq!(margin(Duration::from_micros(1)), Some(tick * 3));
        assert_eq!(margin(tick * 62), Some(tick * 3));
        assert_eq!(margin(tick * 63), Some(tick * 10), "the second level: 8-tick steps");
        assert_eq!(margin(tick * 503), Some(tick * 10));
        assert_eq!(margin(tick * 504), Some(tick * 66));
        assert_eq!(margin(tick * 4032), Some(tick * 514));
        let last_reach = 63 << 21;
        assert_eq!(margin(tick * (last_reach - 1)), Some(tick * (2 + (1 << 21))));
        assert_eq!(margin(tick * last_reach), None, "past the wheel: the poll path");
        assert_eq!(margin(Duration::MAX), None);
        assert_eq!(arm_for(Duration::MAX), None);
        assert_eq!(arm_for(tick * 3), None);
        assert_eq!(arm_for(tick * 4), Some(tick));
        assert_eq!(arm_for(tick * 250), Some(tick * 240));
    }

    #[test]
    fn one_exclusive_claim_or_many_shares() {
        let timer = RecvTimer::new();
        let mut first = timer.claim().unwrap();
        assert!(timer.claim().is_none());
        assert!(timer.share(|_, _| true).is_none(), "no share beside an exclusive claim");
        first.downgrade();
        let second = timer.share(|armed, _| armed.is_none()).expect("the user's value serves");
        assert!(timer.share(|_, _| false).is_none(), "a share it does not serve");
        assert!(timer.claim().is_none(), "no change while calls rely on it");
        drop((first, second));
        assert!(timer.claim().is_some());
        timer.set_nonblocking(true);
        assert!(timer.claim().is_none());
        assert!(timer.share(|_, _| true).is_none());
        timer.set_nonblocking(false);
        assert!(timer.trusted());
        timer.distrust();
        assert!(timer.claim().is_none(), "an untrusted timer is never changed");
        assert!(timer.share(|_, _| true).is_none(), "nor relied on");
        assert!(timer.quiet().is_none());
        assert!(!RecvTimer::adopted().trusted());
    }

    #[test]
    fn only_the_value_armed_for_a_timeout_is_shared_by_it() {
        let timer = RecvTimer::new();
        let two = Duration::from_secs(2);
        assert!(timer.share_armed_for(timeout_nanos(two)).is_none(), "nothing armed");
        assert!(timer.share_armed_for(u64::MAX - 1).is_none());
        let claim = timer.claim().unwrap();
        timer.armed.store(1_900_000, Ordering::Relaxed);
        timer.armed_for.store(timeout_nanos(two), Ordering::Relaxed);
        drop(claim);
        let shared = timer.share_armed_for(timeout_nanos(two)).expect("armed for 2 s");
        assert!(timer.share_armed_for(timeout_nanos(two + Duration::from_nanos(1))).is_none());
        drop(shared);
        // The user's value replaces it: no timeout matches any more.
        timer.set_user(None, || Ok(())).unwrap();
        assert_eq!(timer.armed_for.load(Ordering::Relaxed), u64::MAX);
        assert!(timer.share_armed_for(timeout_nanos(two)).is_none());
        assert_eq!(timeout_nanos(Duration::MAX), u64::MAX - 1, "never the sentinel");
    }

    #[test]
    fn suits_between_half_and_whole() {
        let second = Duration::from_secs(1);
        assert!(suits(second, second));
        assert!(suits(second, Duration::from_millis(1999)));
        assert!(!suits(second, Duration::from_millis(999)), "would end late");
        assert!(!suits(second, Duration::from_millis(2001)), "would wake far too early");
        let timer = RecvTimer::new();
        let claim = timer.claim().unwrap();
        assert_eq!(claim.armed(), None, "nothing armed yet");
        timer.armed.store(1_000_000, Ordering::Relaxed);
        assert_eq!(claim.armed(), Some(second));
    }

    #[test]
    fn the_users_value_is_kept_apart() {
        let timer = RecvTimer::new();
        assert_eq!(timer.user_value(), Some(None));
        let held = timer.claim().unwrap();
        let mut called = false;
        timer
            .set_user(Some(Duration::from_millis(5)), || {
                called = true;
                Ok(())
            })
            .unwrap();
        assert!(!called, "a claimed timer defers the setsockopt");
        assert_eq!(timer.user_value(), Some(Some(Duration::from_millis(5))));
        drop(held);
        timer
            .set_user(None, || {
                called = true;
                Ok(())
            })
            .unwrap();
        assert!(called);
        assert!(!timer.crate_armed());
        assert_eq!(RecvTimer::adopted().user_value(), None);
    }
}
