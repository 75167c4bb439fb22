//! The handle every socket type holds: [`Sock`], a descriptor that may have been closed,
//! with its `SO_RCVTIMEO` bookkeeping; and what all the types do with their descriptor.
//!
//! Descriptor interop with no unchecked code at the caller's: [`try_as_fd`](crate::TcpConn::try_as_fd) on every
//! socket type lends the live descriptor to any `AsFd` API, and
//! [`set_nonblocking`](crate::TcpConn::set_nonblocking) on the connected and datagram types
//! puts a socket in the mode event loops drive. [`wait_readable`] and [`wait_writable`] wait
//! for any descriptor, a socket or not, in safe code.
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
//! ([`adoptable`]): a receive relies on the answers of the protocol it reads from. Out,
//! `TryFrom<…> for OwnedFd`, which a closed socket answers with the "closed" error. There is
//! no `IntoRawFd` (and so no `FromRawFd` to pair it): a closed socket has no descriptor, and
//! the trait's -1 would reach generic code that hands it to `OwnedFd::from_raw_fd`.
//!
//! ```compile_fail,E0599
//! use std::os::fd::IntoRawFd;
//! let (conn, _peer) = chapel_socket::UnixStream::pair().unwrap();
//! let raw = conn.into_raw_fd();
//! ```

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

use crate::consts::{SO_RCVTIMEO, SOL_SOCKET};
use crate::error::{Cause, Error, Op, Result, Target};
use crate::sys;
pub(crate) use crate::sys::socket::Want;
use crate::sys::wait::Interest;
use crate::timeout::Timeout;
use crate::wait::RecvTimer;

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
    /// What the kernel's `SO_RCVTIMEO` holds, and who may rely on it: one for the socket and
    /// all its `try_clone`s, as the kernel keeps one value for all their descriptors.
    pub(crate) timer: Arc<RecvTimer>,
}

impl Sock {
    /// A descriptor this crate just created.
    pub(crate) fn new(fd: OwnedFd) -> Sock {
        Sock { fd: Some(fd), timer: Arc::new(RecvTimer::new()) }
    }

    /// A descriptor made elsewhere, whose options this crate does not know and which other
    /// holders may change at any time.
    pub(crate) fn adopted(fd: OwnedFd) -> Sock {
        Sock { fd: Some(fd), timer: Arc::new(RecvTimer::adopted()) }
    }

    /// A second handle to the same socket (one `fcntl(F_DUPFD_CLOEXEC)`) that shares this
    /// one's bookkeeping, so both keep the one-syscall waits and stay exact.
    pub(crate) fn try_clone(&self) -> Result<Sock> {
        let fd = self.fd(Op::TryClone)?;
        let copy = sys::fd::duplicate(fd).map_err(Error::os(Op::TryClone, &Target::None))?;
        Ok(Sock { fd: Some(copy), timer: Arc::clone(&self.timer) })
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
    pub(crate) fn take(&mut self, op: Op) -> Result<OwnedFd> {
        let fd = self.fd.take().ok_or_else(|| Error::new(op, Target::None, Cause::Closed))?;
        self.timer
            .hand_over(|user| sys::opt::set_recv_timeout(fd.as_fd(), user))
            .map_err(|e| Error::new(op, Target::Opt(SOL_SOCKET, SO_RCVTIMEO), Cause::Os(e)))?;
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

/// The first step of every adoption (`TryFrom<OwnedFd>` and the `std` conversions): `fd`
/// back when the kernel says it is `want`'s kind of socket (`SO_DOMAIN`, `SO_TYPE`,
/// `SO_PROTOCOL`), otherwise an `InvalidInput` error naming what it is, the descriptor
/// closed. A receive relies on what it reads from: a TCP stream taken for a UDP socket would
/// have `MSG_TRUNC` discard its bytes, a Unix socket taken for one could pass it descriptors.
///
/// Syscalls ([contract](crate::syscalls#descriptor-interop)): `getsockopt` — 3 (2 where the
/// platform has no `SO_PROTOCOL`).
pub(crate) fn adoptable(fd: OwnedFd, want: Want) -> Result<OwnedFd> {
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

/// `try_as_fd` for a socket type, with an expression making one for its example; each type
/// invokes it in its own file, beside its struct.
macro_rules! try_as_fd {
    ($($ty:ident: $make:literal),* $(,)?) => {$(
        impl $ty {
            /// The live descriptor, borrowed: hand it to any API that takes `impl AsFd`
            /// (`BorrowedFd` is `AsFd`), or to `poll`/`epoll` through its raw number, all in
            /// safe code. The borrow keeps the socket open (`close` takes `&mut self`).
            ///
            /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
            ///
            /// # Errors
            /// A closed socket (the "closed" error), never a panic.
            ///
            /// ```
            /// use std::os::fd::{AsFd, AsRawFd};
            #[doc = $make]
            /// fn lend(fd: impl AsFd) -> i32 {
            ///     fd.as_fd().as_raw_fd()
            /// }
            /// assert!(lend(socket.try_as_fd()?) >= 0);
            /// // Any std API that takes a descriptor: a duplicate, here.
            /// let copy = socket.try_as_fd()?.try_clone_to_owned()?;
            /// assert_ne!(copy.as_raw_fd(), socket.try_as_fd()?.as_raw_fd());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn try_as_fd(&self) -> $crate::error::Result<::std::os::fd::BorrowedFd<'_>> {
                self.sock.fd($crate::error::Op::AsFd)
            }
        }
    )*};
}
pub(crate) use try_as_fd;

/// `set_nonblocking` for a socket type whose sends and receives go through the one wait
/// (invoked in its own file, beside its struct),
/// with lines making one (`socket`) and a receive on it that finds nothing (`nothing`).
macro_rules! set_nonblocking {
    ($($ty:ident: $make:literal, $nothing:literal);* $(;)?) => {$(
        impl $ty {
            /// Switches the socket to non-blocking mode (`true`) or back (one
            /// `ioctl(FIONBIO)`), for an event loop that waits for readiness itself (through
            /// [`try_as_fd`](Self::try_as_fd)).
            ///
            /// On a non-blocking socket an indefinite call (`INDEFINITE_TIMEOUT`, and
            /// `Read`/`Write`) never waits: when nothing is ready it is a `WouldBlock` error at
            /// once, what an event loop expects. A call with a timeout still waits for it,
            /// never relying on `SO_RCVTIMEO` (a non-blocking call ignores it): it tries with
            /// `MSG_DONTWAIT`, and on `EAGAIN` polls for what is left and tries again. A zero
            /// timeout is one try, then `TimedOut`. Back in blocking mode, timed receives
            /// wait inside one blocking call again.
            ///
            /// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ioctl(FIONBIO)` — 1.
            ///
            #[doc = man_links!(ioctl(2))]
            ///
            /// # Errors
            /// A closed socket; the kernel's error from `ioctl`.
            ///
            /// ```
            /// use chapel_socket::INDEFINITE_TIMEOUT;
            /// use std::io::ErrorKind;
            #[doc = $make]
            /// socket.set_nonblocking(true)?;
            #[doc = concat!("assert_eq!(", $nothing, ".unwrap_err().kind(), ErrorKind::WouldBlock);")]
            /// socket.set_nonblocking(false)?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn set_nonblocking(&self, nonblocking: bool) -> $crate::error::Result<()> {
                self.sock.set_nonblocking(nonblocking)
            }
        }
    )*};
}
pub(crate) use set_nonblocking;
