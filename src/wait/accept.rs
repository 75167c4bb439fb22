//! How a listener waits for a connection: [`Acceptor`], shared by every listener type.
//!
//! `accept4` has no per-call `MSG_DONTWAIT`: whether it blocks is the listener's file mode.
//! A listener starts non-blocking, so an accept with a connection queued is one `accept4`.
//! When an accept must wait and no other thread of this process is accepting, it switches the
//! listener to blocking (one `ioctl`, once) and waits inside `accept4`, timed by the
//! listener's `SO_RCVTIMEO` the way receives are ([`RecvTimer`](super::recv_timer)): an
//! accept loop then costs one syscall per connection, as std's does. A thread that arrives
//! while another is accepting switches the listener back to non-blocking (under a mutex, so
//! the two never disagree about the mode) and takes the try → poll → retry path, so neither
//! is ever blocked past its own deadline.
//!
//! The mode and `SO_RCVTIMEO` belong to the open file, which a `dup`ed or inherited
//! descriptor in another process shares. So all of the above holds only while the listener's
//! timer is [trusted](RecvTimer::trusted) (made by the crate, no fork since, not handed
//! over). A listener someone else may hold — adopted, or one that existed when the process
//! forked, in parent and child alike, as in a pre-fork server — never relies on either: a
//! timed accept makes it non-blocking (one `ioctl` per call: Linux has no per-call
//! non-blocking accept, and after a wake-up another holder may take the connection, so a
//! blocking `accept4` could wait for the next one) and takes the try → poll → retry path; an
//! indefinite accept takes the mode as it finds it and polls on `EAGAIN`. Making a shared
//! listener non-blocking is the one change the crate makes to a socket it does not alone
//! hold: every holder that accepts with a timeout or an event loop needs that mode, and one
//! that blocks in `accept4` without a timeout is not hurt by it (it waits as before, in
//! `ppoll` if it is this crate).

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::TimerSlot;
use super::recv_timer::{Claim, RecvTimer, arm_for, suits, timeout_nanos};
use super::{Indefinite, Start, Until, Waiter, poll_loop};
use crate::error::Cause;
use crate::sys;
use crate::sys::MsgFlags;
use crate::sys::wait::Interest;
use crate::timeout::Timeout;

/// A listener's accept state: its file mode, and how many calls are on the poll path.
#[derive(Debug, Default)]
pub(crate) struct Acceptor {
    mode: Mutex<Mode>,
    /// The user made the listener non-blocking (`set_nonblocking(true)`): an indefinite
    /// accept is one try, and the crate never switches the listener to blocking. Written
    /// under `mode`'s lock; read without it, since a call that reads it stale behaves as if it
    /// had started before the switch.
    user_nonblocking: AtomicBool,
    /// What `mode` says, for an indefinite accept that reads it without the lock: the crate
    /// set the listener blocking and no call is on the poll path. Written under `mode`'s lock
    /// whenever the mode changes ([`Acceptor::publish`]). A stale `true` costs one `accept4`
    /// that answers `EAGAIN` at once (a poller made it non-blocking); a stale `false`, the
    /// general path.
    idle_blocking: AtomicBool,
}

#[derive(Debug, Default)]
struct Mode {
    /// The crate set the mode (made the listener, or switched it): `blocking` says which.
    /// An adopted listener's mode is its own until a timed accept makes it non-blocking.
    set: bool,
    /// The listener is in blocking mode (switched by the fast path).
    blocking: bool,
    /// Calls now on the poll path, which need it non-blocking.
    pollers: usize,
}

impl Acceptor {
    /// The acceptor of a listener the crate made, non-blocking.
    pub(crate) fn made() -> Acceptor {
        Acceptor {
            mode: Mutex::new(Mode { set: true, blocking: false, pollers: 0 }),
            user_nonblocking: false.into(),
            idle_blocking: false.into(),
        }
    }

    /// Publishes `mode` (just changed, its lock held) for the lock-free check of
    /// [`accept`](Acceptor::accept)'s indefinite fast path.
    fn publish(&self, mode: &Mode) {
        self.idle_blocking.store(mode.set && mode.blocking && mode.pollers == 0, Ordering::Relaxed);
    }

    /// The user's `set_nonblocking`: `true` makes the listener non-blocking (one `ioctl`) and
    /// keeps it so, for an event loop: an indefinite accept is then one `accept4`, and
    /// `WouldBlock` when nothing is queued; a timed accept still waits, polling. `false` makes
    /// it blocking again (one `ioctl`) and gives the mode back to the accepts, which switch
    /// it as they need; while another thread's accept is polling, the listener stays
    /// non-blocking (that accept's retry must not block) and no `ioctl` is made.
    pub(crate) fn set_nonblocking(&self, fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
        let mut mode = self.mode();
        if on || mode.pollers == 0 {
            sys::fd::set_nonblocking(fd, on)?;
            mode.set = true;
            mode.blocking = !on;
            self.publish(&mode);
        }
        self.user_nonblocking.store(on, Ordering::Relaxed);
        Ok(())
    }

    fn mode(&self) -> MutexGuard<'_, Mode> {
        // The mode is two plain fields, consistent after any panic.
        self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `accept` (one `accept4`) until it returns a connection, fails, or `timeout` runs
    /// out; `EINTR` never escapes, and no wait ends early.
    ///
    /// Inline, the steady state of an indefinite accept loop: the listener blocks, nobody
    /// polls, and the kernel holds no receive timeout (none armed, none of the user's), so one
    /// blocking `accept4` is the wait, with no lock and no claim on the timer. A timeout another
    /// call arms meanwhile, or a poller's switch to non-blocking, can only make it answer
    /// `EAGAIN`; that, and a signal's `EINTR`, go on to the general path, as a first try would.
    #[inline]
    pub(crate) fn accept<T>(
        &self,
        fd: BorrowedFd<'_>,
        slot: &TimerSlot,
        timeout: Timeout,
        mut accept: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Cause> {
        if timeout.is_indefinite()
            && self.idle_blocking.load(Ordering::Relaxed)
            && !self.user_nonblocking.load(Ordering::Relaxed)
            && slot.quiet().is_some()
        {
            match accept() {
                Ok(v) => return Ok(v),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
                Err(e) => return Err(Cause::Os(e)),
            }
        }
        self.general(fd, slot, timeout, accept)
    }

    /// Every accept but [`accept`](Acceptor::accept)'s inline steady state.
    #[inline(never)]
    fn general<T>(
        &self,
        fd: BorrowedFd<'_>,
        slot: &TimerSlot,
        timeout: Timeout,
        mut accept: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Cause> {
        let timeout = timeout.check()?;
        let until = Until::new(timeout);
        if self.user_nonblocking.load(Ordering::Relaxed) && (timeout.is_indefinite() || slot.trusted()) {
            return self.nonblocking(fd, timeout, until, accept);
        }
        if !slot.trusted() {
            return self.shared(fd, timeout, until, accept);
        }
        // The listener's record, made by its first accept on this path.
        let timer = slot.record();
        let want = timeout.duration().map(arm_for);
        let Some(mut claim) = timer.claim() else {
            // Another accept holds the timer. When what it armed serves this one too, wait
            // beside it in `accept4`: the kernel hands each connection to one blocked
            // accept, where `ppoll` would wake every waiter for it.
            return match self.share_blocking(timer, want) {
                Some(share) => self.blocked(fd, share, until, accept),
                None => self.poll_path(fd, until, Start::Try, accept),
            };
        };
        if !self.mode().blocking {
            match accept() {
                Ok(v) => return Ok(v),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
                Err(e) => return Err(Cause::Os(e)),
            }
            if until.passed() {
                return Err(until.expired());
            }
            // A timeout that cannot be armed, or another caller polling: wait on the poll path.
            if want == Some(None) || !self.switch_to_blocking(fd).map_err(Cause::Os)? {
                drop(claim);
                return self.poll_path(fd, until, Start::Wait, accept);
            }
        } else if want == Some(None) {
            // Blocking, and the timeout cannot be armed: a blocking accept4 would wait as
            // long as SO_RCVTIMEO holds (an earlier call's timeout, or for ever), so try and
            // wait on the poll path, which makes the listener non-blocking first.
            drop(claim);
            return self.poll_path(fd, until, Start::Try, accept);
        }
        match want {
            None => claim.restore_user(fd).map_err(Cause::Os)?,
            Some(Some(w)) if !claim.armed().is_some_and(|armed| suits(armed, w)) => {
                claim.arm(fd, w, timeout.duration().map_or(u64::MAX - 1, timeout_nanos)).map_err(Cause::Os)?
            }
            Some(_) => {}
        }
        claim.downgrade();
        self.blocked(fd, claim, until, accept)
    }

    /// A share of `timer` for a blocking `accept4` beside the accept that armed it: when what
    /// the kernel holds serves `want` (the user's own value for an indefinite accept, an
    /// armed one that [`suits`] this timeout) and the listener blocks with nobody polling.
    fn share_blocking<'t>(&self, timer: &'t RecvTimer, want: Option<Option<Duration>>) -> Option<Claim<'t>> {
        let share = match want {
            None => timer.share(|armed, _| armed.is_none()),
            Some(Some(w)) => timer.share(|armed, _| armed.is_some_and(|a| suits(a, w))),
            Some(None) => None,
        }?;
        let mode = self.mode();
        (mode.blocking && mode.pollers == 0).then_some(share)
    }

    /// One blocking `accept4` under `claim`, whose `SO_RCVTIMEO` serves this call; then, when
    /// it ends short of the deadline (the value's margin, a signal, a poller that switched the
    /// mode), the wait for what is left. Alone, that is `ppoll` and a retry in the mode as it
    /// is (a retry can block only while nobody else accepts). Beside other blocked accepts it
    /// is the poll path, which makes the listener non-blocking: the connection `ppoll` saw
    /// may go to one of them, and a blocking retry would then wait past this deadline.
    fn blocked<T>(
        &self,
        fd: BorrowedFd<'_>,
        mut claim: Claim<'_>,
        until: Until,
        mut accept: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Cause> {
        match accept() {
            Ok(v) => Ok(v),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                if claim.upgrade() {
                    let result = poll_loop(listening(fd), until, Start::Wait, MsgFlags::NONE, |_| accept());
                    drop(claim);
                    result
                } else {
                    drop(claim);
                    self.poll_path(fd, until, Start::Wait, accept)
                }
            }
            Err(e) => Err(Cause::Os(e)),
        }
    }

    /// An accept on a listener the user made non-blocking: an indefinite one is one try (a
    /// signal's `EINTR` tried again), a timed one polls for its deadline.
    #[cold]
    #[inline(never)]
    fn nonblocking<T>(
        &self,
        fd: BorrowedFd<'_>,
        timeout: Timeout,
        until: Until,
        mut accept: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Cause> {
        if !timeout.is_indefinite() {
            return self.poll_path(fd, until, Start::Try, accept);
        }
        loop {
            match accept() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return result.map_err(Cause::Os),
            }
        }
    }

    /// Switches the listener to blocking unless a caller is on the poll path or the user made
    /// it non-blocking; whether it is blocking now.
    fn switch_to_blocking(&self, fd: BorrowedFd<'_>) -> io::Result<bool> {
        let mut mode = self.mode();
        if mode.pollers > 0 || self.user_nonblocking.load(Ordering::Relaxed) {
            return Ok(false);
        }
        sys::fd::set_nonblocking(fd, false)?;
        mode.set = true;
        mode.blocking = true;
        self.publish(&mode);
        Ok(true)
    }

    /// An accept on a listener someone else may hold (see the module's documentation).
    #[cold]
    #[inline(never)]
    fn shared<T>(
        &self,
        fd: BorrowedFd<'_>,
        timeout: Timeout,
        until: Until,
        mut accept: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Cause> {
        if !timeout.is_indefinite() {
            let mut mode = self.mode();
            sys::fd::set_nonblocking(fd, true).map_err(Cause::Os)?;
            mode.set = true;
            mode.blocking = false;
            self.publish(&mode);
        }
        poll_loop(listening(fd), until, Start::Try, MsgFlags::NONE, |_| accept())
    }

    /// Gives the listener the blocking mode a std user expects, for a hand-over (one `ioctl`;
    /// none when the crate never set the mode, or knows it blocks already, or the user made it
    /// non-blocking, which it stays); `trusted` says whether what this acceptor remembers of
    /// the mode is true.
    pub(crate) fn hand_over(&self, fd: BorrowedFd<'_>, trusted: bool) -> io::Result<()> {
        let mut mode = self.mode();
        if mode.set && !(trusted && mode.blocking) && !self.user_nonblocking.load(Ordering::Relaxed) {
            sys::fd::set_nonblocking(fd, false)?;
            mode.blocking = true;
            self.publish(&mode);
        }
        Ok(())
    }

    /// The try → poll → retry path, with the listener non-blocking for as long as it runs.
    fn poll_path<T>(
        &self,
        fd: BorrowedFd<'_>,
        until: Until,
        start: Start,
        mut accept: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Cause> {
        {
            let mut mode = self.mode();
            if mode.blocking {
                sys::fd::set_nonblocking(fd, true).map_err(Cause::Os)?;
                mode.blocking = false;
            }
            mode.pollers += 1;
            self.publish(&mode);
        }
        let result = poll_loop(listening(fd), until, start, MsgFlags::NONE, |_| accept());
        let mut mode = self.mode();
        mode.pollers -= 1;
        self.publish(&mode);
        drop(mode);
        result
    }
}

/// A listener's wait: readable means a connection is queued, and `EAGAIN` only "not yet".
fn listening(fd: BorrowedFd<'_>) -> Waiter<'_> {
    Waiter { fd, interest: Interest::Read, indefinite: Indefinite::Polls }
}
