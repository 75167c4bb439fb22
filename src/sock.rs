//! What the three socket types share: an fd that may have been closed, and the
//! try-then-wait loop every blocking call with a timeout runs.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Instant;

use crate::error::{Cause, Error, Op, Result, Target};
use crate::sys;
use crate::sys::MsgFlags;
use crate::sys::wait::Interest;
use crate::timeout::Timeout;

/// A socket's descriptor, or nothing once `close` has run: a closed socket answers every
/// call with a "closed" error and never touches its old number again. Every descriptor the
/// crate creates is put in one at once, so a drop, an error path's clean-up and `close` all
/// leave through the same single `close(2)` (a plain `OwnedFd` drop would add a debug-build
/// `fcntl` check before it).
///
/// `pub`, not `pub(crate)`, because the sealed trait behind [`AnySocket`](crate::AnySocket)
/// names it; its module is private, so nothing outside the crate can reach it.
#[allow(unreachable_pub)]
pub struct Sock(Option<OwnedFd>);

impl Sock {
    pub(crate) fn new(fd: OwnedFd) -> Sock {
        Sock(Some(fd))
    }

    /// The descriptor, or the "closed" error for `op`.
    pub(crate) fn fd(&self, op: Op) -> Result<BorrowedFd<'_>> {
        self.0.as_ref().map(AsFd::as_fd).ok_or_else(|| Error::new(op, Target::None, Cause::Closed))
    }

    /// Chapel's `socketFd`: the number, or -1 once closed.
    pub(crate) fn raw(&self) -> RawFd {
        self.0.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Closes the descriptor once; closing again is an error, not a second `close(2)`.
    pub(crate) fn close(&mut self) -> Result<()> {
        let fd = self.0.take().ok_or_else(|| Error::new(Op::Close, Target::None, Cause::Closed))?;
        sys::fd::close(fd).map_err(|e| Error::new(Op::Close, Target::None, Cause::Os(e)))
    }

    /// Hands the descriptor over, leaving this socket closed (without closing it).
    pub(crate) fn take(&mut self, op: Op) -> Result<OwnedFd> {
        self.0.take().ok_or_else(|| Error::new(op, Target::None, Cause::Closed))
    }
}

impl std::fmt::Debug for Sock {
    /// The descriptor's number, or `closed`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(fd) => write!(f, "{}", fd.as_raw_fd()),
            None => f.write_str("closed"),
        }
    }
}

impl Drop for Sock {
    /// One `close(2)`; its error has nowhere to go, as with any drop.
    fn drop(&mut self) {
        if let Some(fd) = self.0.take() {
            let _ = sys::fd::close(fd);
        }
    }
}

/// What an indefinite wait does when its call answers "would block" (`EAGAIN`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indefinite {
    /// The descriptor blocks, so `EAGAIN` comes from the socket's own `SO_RCVTIMEO` /
    /// `SO_SNDTIMEO` (or an adopted non-blocking descriptor): it is the answer, as in C.
    Blocks,
    /// The descriptor is non-blocking by design (a listener): wait for readiness.
    Polls,
}

/// Runs `call` (given the flags to add: `MSG_DONTWAIT` when the wait is bounded) until it
/// succeeds, fails, or `timeout` runs out. The call is tried first; only when it would block
/// is the fd polled for `interest`, and then it is tried again. `EINTR` resumes, and a wake-up
/// with nothing to do waits again for the time left.
///
/// An indefinite wait makes the plain blocking call, so the common case is one syscall; what
/// it does on `EAGAIN` is `indefinite`'s to say.
pub(crate) fn with_timeout<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    timeout: Timeout,
    indefinite: Indefinite,
    mut call: impl FnMut(MsgFlags) -> io::Result<T>,
) -> std::result::Result<T, Cause> {
    let flags = if timeout.is_indefinite() { MsgFlags::NONE } else { MsgFlags::DONTWAIT };
    let mut deadline = None;
    loop {
        match call(flags) {
            Ok(v) => return Ok(v),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    && timeout.is_indefinite()
                    && indefinite == Indefinite::Blocks =>
            {
                return Err(Cause::Os(e));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Readiness the call cannot use (a queued datagram under MSG_ERRQUEUE) wakes
                // every poll at once: without this check the loop would spin for ever.
                if deadline.flatten().is_some_and(|d| Instant::now() >= d) {
                    return Err(Cause::TimedOut(timeout));
                }
                let until = *deadline.get_or_insert_with(|| timeout.deadline());
                if sys::wait::wait(fd, interest, until).map_err(Cause::Os)?.is_none() {
                    return Err(Cause::TimedOut(timeout));
                }
            }
            Err(e) => return Err(Cause::Os(e)),
        }
    }
}
