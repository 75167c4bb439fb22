//! Descriptor interop with no unchecked code at the caller's: [`try_as_fd`](crate::TcpConn::try_as_fd) on every
//! socket type lends the live descriptor to any `AsFd` API, and
//! [`set_nonblocking`](crate::TcpConn::set_nonblocking) on the connected and datagram types
//! puts a socket in the mode event loops drive.
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

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Cause, Error, Op, Result, Target};
pub(crate) use crate::sys::socket::Want;

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

/// `try_as_fd` for each socket type, with an expression making one for its example.
macro_rules! try_as_fd {
    ($($ty:ident: $make:literal),* $(,)?) => {$(
        impl crate::$ty {
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
            pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
                self.sock.fd(Op::AsFd)
            }
        }
    )*};
}

try_as_fd!(
    TcpListener: r#"let socket = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;"#,
    TcpConn: r#"let server = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;
let socket = chapel_socket::connect(&server.addr()?, 4)?;"#,
    TcpSocket: "let socket = chapel_socket::TcpSocket::v4()?;",
    UdpSocket: "let socket = chapel_socket::UdpSocket::new(chapel_socket::IPFamily::IPv4)?;",
    UnixListener: r#"let name = chapel_socket::UnixAddr::from_abstract(format!("try-as-fd-{}", std::process::id()))?;
let socket = chapel_socket::UnixListener::bind(&name, 4)?;"#,
    UnixStream: "let (socket, _peer) = chapel_socket::UnixStream::pair()?;",
    UnixDatagram: "let socket = chapel_socket::UnixDatagram::unbound()?;",
);

/// `set_nonblocking` for the socket types whose sends and receives go through the one wait,
/// with lines making one (`socket`) and a receive on it that finds nothing (`nothing`).
macro_rules! set_nonblocking {
    ($($ty:ident: $make:literal, $nothing:literal);* $(;)?) => {$(
        impl crate::$ty {
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
            pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
                self.sock.set_nonblocking(nonblocking)
            }
        }
    )*};
}

set_nonblocking!(
    TcpConn: "let server = chapel_socket::listen(&\"127.0.0.1:0\".parse()?, true, 16)?;
let socket = chapel_socket::connect(&server.addr()?, 4)?;",
        "socket.recv(&mut [0; 8], INDEFINITE_TIMEOUT)";
    UdpSocket: "let socket = chapel_socket::UdpSocket::new(chapel_socket::IPFamily::IPv4)?;",
        "socket.recv_into(&mut [0; 8], INDEFINITE_TIMEOUT)";
    UnixStream: "let (socket, _peer) = chapel_socket::UnixStream::pair()?;",
        "socket.recv(&mut [0; 8], INDEFINITE_TIMEOUT)";
    UnixDatagram: "let (socket, _peer) = chapel_socket::UnixDatagram::pair()?;",
        "socket.recv(&mut [0; 8], INDEFINITE_TIMEOUT)";
);
