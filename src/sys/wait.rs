//! Waiting for a socket to become ready, against a monotonic deadline.
//!
//! `poll(2)` takes whole milliseconds; the time left is rounded up, never down, and a poll
//! that ends before the deadline (the kernel's own rounding, or `EINTR`) is simply issued
//! again with what is left, so no wait ends early and no signal cuts one short.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Instant;

/// What a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Data, a connection to accept, or end of stream (`POLLIN`).
    Read,
    /// Room to send, or a finished connect (`POLLOUT`).
    Write,
}

impl Interest {
    fn events(self) -> libc::c_short {
        match self {
            Interest::Read => libc::POLLIN,
            Interest::Write => libc::POLLOUT,
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
    let events = interest.events();
    loop {
        let ms = match deadline {
            None => -1,
            Some(d) => poll_ms(d.saturating_duration_since(Instant::now())),
        };
        let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
        // SAFETY: `pfd` is one valid pollfd that lives across the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        match n {
            -1 => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
            0 => {}
            _ => return Ok(Some(Readiness(pfd.revents))),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}

/// Milliseconds for `poll`, rounded up and capped at `i32::MAX` (the loop waits again).
fn poll_ms(left: std::time::Duration) -> libc::c_int {
    let ms = left.as_nanos().div_ceil(1_000_000);
    ms.min(libc::c_int::MAX as u128) as libc::c_int
}

#[cfg(test)]
mod tests {
    use super::poll_ms;
    use std::time::Duration;

    #[test]
    fn rounds_up_and_caps() {
        assert_eq!(poll_ms(Duration::ZERO), 0);
        assert_eq!(poll_ms(Duration::from_nanos(1)), 1);
        assert_eq!(poll_ms(Duration::from_micros(1500)), 2);
        assert_eq!(poll_ms(Duration::from_millis(7)), 7);
        assert_eq!(poll_ms(Duration::MAX), libc::c_int::MAX);
    }
}
