//! The handle every socket type holds: [`Sock`], a descriptor that may have been closed,
//! with its `SO_RCVTIMEO` bookkeeping; what every type does with its descriptor; and, in
//! `io.rs`, the sends and receives the types share.
//!
//! What the types share is written once, here, and each type's public method is a short
//! forward with its own doc: `close` ([`Sock::close`]), `socket_fd` ([`Sock::raw`]),
//! `try_as_fd` ([`Sock::fd`] for `Op::AsFd`), `try_clone` ([`Sock::try_clone`], the type adding
//! what else it holds), `set_nonblocking` on the connected and datagram types
//! ([`Sock::set_nonblocking`]), adoption (`TryFrom<OwnedFd>`: [`Sock::adopt`]) and hand-over
//! (`TryFrom<…> for OwnedFd`: [`Sock::take`]); `recv`, `send` and `shutdown` in `io.rs`.
//! What these calls mean to a user, the same for every type, is stated once in the crate
//! doc's "Descriptors" section, which the methods' docs link to. [`wait_readable`] and
//! [`wait_writable`] wait for any descriptor, a socket or not, in safe code.
//!
//! There is no `AsFd` impl: a socket here can be closed and still exist (Chapel's `close()`
//! leaves the record alive), and `AsFd::as_fd` can neither fail nor hand out a closed
//! number, so it would have to panic. `try_as_fd` is the fallible borrow: a `BorrowedFd`
//! (itself `AsFd`) for as long as the socket is borrowed, which also keeps `close` (it takes
//! `&mut self`) from running while the borrow lives.
//!
//! Descriptors go in and out only fallibly. In, every type's `TryFrom<OwnedFd>` (and
//! `TryFrom` of the matching `std` type, whose own `From<OwnedFd>` takes any descriptor)
//! first checks with the kernel that the descriptor is that type's kind of socket
//! ([`Sock::adopt`]): a receive relies on the answers of the protocol it reads from. Out,
//! `TryFrom<…> for OwnedFd`, which a closed socket answers with the "closed" error. There is
//! no `IntoRawFd` (and so no `FromRawFd` to pair it): a closed socket has no descriptor, and
//! the trait's -1 would reach generic code that hands it to `OwnedFd::from_raw_fd`.
//!
//! ```compile_fail,E0599
//! use std::os::fd::IntoRawFd;
//! let (conn, _peer) = chapel_socket::UnixStream::pair().unwrap();
//! let raw = conn.into_raw_fd();
//! ```

mod io;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::consts::{SO_RCVTIMEO, SOL_SOCKET};
use crate::error::{Cause, Error, Op, Result, Target};
use crate::sys;
pub(crate) use crate::sys::socket::Want;
use crate::sys::wait::Interest;
use crate::timeout::Timeout;
use crate::wait::TimerSlot;

/// A socket's descriptor, or nothing once `close` has run: a closed socket answers every
/// call with a "closed" error and never touches its old number again. Every descriptor the
/// crate creates is put in one at once, so a drop, an error path's clean-up and `close` all
/// leave through the same single `close(2)` (a plain `OwnedFd` drop would add a debug-build
/// `fcntl` check before it).
///
/// `pub`, not `pub(crate)`, because the sealed trait behind [`AnySocket`](crate::AnySocket)
/// names it; its module is private, so nothing outside the crate can reach it.
#[allow(unreachable_pub)]
pub struct Sock {
    fd: Option<OwnedFd>,
    /// What the kernel's `SO_RCVTIMEO` holds, and who may rely on it: one record for the
    /// socket and all its `try_clone`s, as the kernel keeps one value for all their
    /// descriptors, made only when first needed (until then the slot holds the trust the
    /// socket was made with; see [`TimerSlot`]).
    pub(crate) timer: TimerSlot,
}

impl Sock {
    /// A descriptor this crate just created.
    #[inline]
    pub(crate) fn new(fd: OwnedFd) -> Sock {
        Sock { fd: Some(fd), timer: TimerSlot::made() }
    }

    /// A descriptor made elsewhere, once the kernel says it is `want`'s kind of socket
    /// ([`adoptable`]): its options this crate does not know, and other holders may change
    /// them at any time.
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): `getsockopt` — 3 (2 where the
    /// platform has no `SO_PROTOCOL`).
    pub(crate) fn adopt(fd: OwnedFd, want: Want) -> Result<Sock> {
        let fd = adoptable(fd, want)?;
        Ok(Sock { fd: Some(fd), timer: TimerSlot::adopted() })
    }

    /// A second handle to the same socket (one `fcntl(F_DUPFD_CLOEXEC)`) that shares this
    /// one's bookkeeping (made now if it was not yet), so both keep the one-syscall waits and
    /// stay exact.
    pub(crate) fn try_clone(&self) -> Result<Sock> {
        let fd = self.fd(Op::TryClone)?;
        let copy = sys::fd::duplicate(fd).map_err(Error::os(Op::TryClone, &Target::None))?;
        Ok(Sock { fd: Some(copy), timer: self.timer.share_record() })
    }

    /// The descriptor, or the "closed" error for `op`.
    #[inline]
    pub(crate) fn fd(&self, op: Op) -> Result<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd).ok_or_else(|| Error::new(op, Target::None, Cause::Closed))
    }

    /// Chapel's `socketFd`: the number, or -1 once closed.
    #[inline]
    pub(crate) fn raw(&self) -> RawFd {
        self.fd.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Closes the descriptor once; closing again is an error, not a second `close(2)`.
    pub(crate) fn close(&mut self) -> Result<()> {
        let fd = self.fd.take().ok_or_else(|| Error::new(Op::Close, Target::None, Cause::Closed))?;
        sys::fd::close(fd).map_err(|e| Error::new(Op::Close, Target::None, Cause::Os(e)))
    }

    /// Switches the file to non-blocking mode or back (one `ioctl(FIONBIO)`). A non-blocking
    /// socket's calls never rely on `SO_RCVTIMEO` (a blocking call would return at once):
    /// timed ones take the try → `ppoll` → retry path, and indefinite ones answer
    /// `WouldBlock` at once when nothing is ready (they pass `MSG_DONTWAIT`, so a holder that
    /// makes the file blocking again cannot change that).
    pub(crate) fn set_nonblocking(&self, on: bool) -> Result<()> {
        let fd = self.fd(Op::SetNonblocking)?;
        sys::fd::set_nonblocking(fd, on).map_err(Error::os(Op::SetNonblocking, &Target::None))?;
        self.timer.set_nonblocking(on);
        Ok(())
    }

    /// Hands the descriptor over, leaving this socket closed (without closing it), with the
    /// user's own `SO_RCVTIMEO` back in the kernel if the crate had armed its own (one
    /// `setsockopt`, else none): the new holder gets the socket as the user left it. Handles
    /// cloned from this one stop relying on the kernel's state.
    pub(crate) fn take(&mut self) -> Result<OwnedFd> {
        let fd = self.fd.take().ok_or_else(|| Error::new(Op::IntoFd, Target::None, Cause::Closed))?;
        self.timer
            .hand_over(|user| sys::opt::set_recv_timeout(fd.as_fd(), user))
            .map_err(|e| Error::new(Op::IntoFd, Target::Opt(SOL_SOCKET, SO_RCVTIMEO), Cause::Os(e)))?;
        Ok(fd)
    }
}

impl std::fmt::Debug for Sock {
    /// The descriptor's number, or `closed`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fd {
            Some(fd) => write!(f, "{}", fd.as_raw_fd()),
            None => f.write_str("closed"),
        }
    }
}

impl Drop for Sock {
    /// One `close(2)`; its error has nowhere to go, as with any drop.
    fn drop(&mut self) {
        if let Some(fd) = self.fd.take() {
            let _ = sys::fd::close(fd);
        }
    }
}

/// Waits at most `timeout` until `fd` — any descriptor: a pipe, a terminal, a socket of
/// any library — can be read without blocking: data, its end (`POLLHUP`), or an error the
/// next read reports (`POLLERR`). For a program that inherits a non-blocking stdin (its
/// file shared with the parent, so switching it back to blocking would change the parent's
/// too): on `WouldBlock`, wait here and read again. A signal does not end the wait early.
/// Nothing here is Chapel's: see the README's "Beyond Chapel" (std has no counterpart;
/// `mio` and `polling` register descriptors in an event loop instead).
///
/// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ppoll([POLLIN])` for what is
/// left of `timeout` (for ever when it is indefinite) — 1.
///
#[doc = man_links!(ppoll(2))]
///
/// # Errors
/// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when `fd` was not ready
/// within `timeout`; the kernel's error from `ppoll`. The message names the descriptor
/// (`poll on fd 0: timed out after 1 s`).
///
/// ```
/// use chapel_socket::{wait_readable, wait_writable};
/// use std::io::{ErrorKind, Read, Write};
/// // Any descriptor: here std's, as a parent's pipe would be.
/// let (mut reader, mut writer) = std::os::unix::net::UnixStream::pair()?;
/// assert_eq!(wait_readable(&reader, 0.01).unwrap_err().kind(), ErrorKind::TimedOut);
/// wait_writable(&writer, 1.0)?;
/// writer.write_all(b"x")?;
/// wait_readable(&reader, 1.0)?;
/// assert_eq!(reader.read(&mut [0; 4])?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wait_readable(fd: impl AsFd, timeout: impl Into<Timeout>) -> Result<()> {
    wait_until_ready(fd.as_fd(), Interest::Read, timeout.into())
}

/// Waits at most `timeout` until `fd` — any descriptor — can be written without blocking:
/// room, or an error or hang-up the next write reports. For a program that inherits a
/// non-blocking stdout: on `WouldBlock`, wait here and write again. As
/// [`wait_readable`], which shows both.
///
/// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ppoll([POLLOUT])` for what is
/// left of `timeout` — 1.
///
#[doc = man_links!(ppoll(2))]
///
/// # Errors
/// As [`wait_readable`].
pub fn wait_writable(fd: impl AsFd, timeout: impl Into<Timeout>) -> Result<()> {
    wait_until_ready(fd.as_fd(), Interest::Write, timeout.into())
}

/// [`wait_readable`] and [`wait_writable`]: `ppoll` until `fd` is ready for `interest`.
fn wait_until_ready(fd: BorrowedFd<'_>, interest: Interest, timeout: Timeout) -> Result<()> {
    let target = Target::Fd(fd.as_raw_fd());
    let timeout = timeout.check().map_err(|nan| Error::new(Op::Poll, target.clone(), nan.into()))?;
    match sys::wait::wait(fd, interest, timeout.deadline()).map_err(Error::os(Op::Poll, &target))? {
        Some(_) => Ok(()),
        None => Err(Error::new(Op::Poll, target, Cause::TimedOut(timeout))),
    }
}

/// The first step of every adoption ([`Sock::adopt`]): `fd` back when the kernel says it is
/// `want`'s kind of socket (`SO_DOMAIN`, `SO_TYPE`, `SO_PROTOCOL`), otherwise an
/// `InvalidInput` error naming what it is, the descriptor closed. A receive relies on what it
/// reads from: a TCP stream taken for a UDP socket would have `MSG_TRUNC` discard its bytes, a
/// Unix socket taken for one could pass it descriptors.
fn adoptable(fd: OwnedFd, want: Want) -> Result<OwnedFd> {
    let cause = match crate::sys::socket::check_kind(fd.as_fd(), want) {
        Ok(()) => return Ok(fd),
        Err(e) if e.raw_os_error().is_none() => Cause::Invalid(e.to_string()),
        Err(e) => Cause::Os(e),
    };
    // One `close(2)`, as every descriptor the crate closes; the refusal is the error to
    // report, and the descriptor is released whatever `close` says.
    let _ = crate::sys::fd::close(fd);
    Err(Error::new(Op::FromFd, Target::None, cause))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use crate::{IpAddr, TcpConn, connect, listen, set_sock_opt};

    fn has_record(conn: &TcpConn) -> bool {
        conn.sock.timer.get().is_some()
    }

    #[test]
    fn a_connection_that_only_connects_sends_and_reads_makes_no_record() {
        let server = listen(&"127.0.0.1:0".parse::<IpAddr>().unwrap(), true, 4).unwrap();
        let addr = server.addr().unwrap();
        let mut client = connect(&addr, 2.0).unwrap();
        let mut accepted = server.accept(2.0).unwrap();
        client.write_all(b"ping").unwrap();
        accepted.send(b"pong", 2.0).unwrap();
        let mut buf = [0; 4];
        accepted.read_exact(&mut buf).unwrap();
        client.read_exact(&mut buf).unwrap();
        assert!(!has_record(&client) && !has_record(&accepted), "connect, accept, send, indefinite read");
        drop(accepted);
        assert_eq!(client.read(&mut buf).unwrap(), 0, "the EOF");
        assert!(!has_record(&client));
        assert!(server.sock.timer.get().is_some(), "the listener's timed accept armed its record");

        // What does make it: a timed receive, a clone (which shares it), the user's value.
        let timed = connect(&addr, 2.0).unwrap();
        let _peer = server.accept(2.0).unwrap();
        assert!(timed.recv(&mut buf, 0.05).is_err());
        assert!(has_record(&timed));
        let cloned = connect(&addr, 2.0).unwrap();
        let copy = cloned.try_clone().unwrap();
        assert!(std::ptr::eq(cloned.sock.timer.get().unwrap(), copy.sock.timer.get().unwrap()));
        let user = connect(&addr, 2.0).unwrap();
        set_sock_opt(&user, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &crate::sys::opt::timeval_bytes(None)[..]).unwrap();
        assert!(has_record(&user));
    }
}
