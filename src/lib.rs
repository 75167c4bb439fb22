//! Chapel's `Socket` module in Rust, on raw libc calls: TCP listeners and connections, UDP
//! sockets, addresses, socket options and timeouts.
//!
//! Every item of Chapel's module has one counterpart here under its Rust name (`ipAddr` →
//! [`IpAddr`], `setSockOpt` → [`set_sock_opt`], `indefiniteTimeout` →
//! [`INDEFINITE_TIMEOUT`]); C names stay C ([`struct_timeval`], [`SO_REUSEADDR`]). Every
//! blocking call takes a timeout ([`Timeout`]: a `struct_timeval`, seconds as `f64`, or a
//! `Duration`), and every public operation documents the exact syscalls it makes — fewer than
//! `std::net` for the same work.
//!
//! ```
//! use chapel_socket::{connect, listen, IpAddr, IPFamily, BACKLOG_DEFAULT};
//! use std::io::{Read, Write};
//! let server = listen(&IpAddr::create("127.0.0.1", 0, IPFamily::IPv4)?, true, BACKLOG_DEFAULT)?;
//! let mut client = connect(&server.addr()?, 4.0)?;
//! let mut conn = server.accept(4.0)?;
//! client.write_all(b"hello")?;
//! let mut buf = [0; 5];
//! conn.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where things are
//!
//! - **Addresses**: [`IpAddr`] (Chapel's `ipAddr`), [`IPFamily`], [`UnixAddr`].
//! - **TCP**: [`listen`] → [`TcpListener`] → [`accept`](TcpListener::accept) → [`TcpConn`];
//!   [`connect()`], [`connect_host`]; [`TcpSocket`] to set options before `bind`/`connect`.
//! - **UDP**: [`UdpSocket`], with message and batch I/O ([`RecvBatch`], [`ControlMessage`]).
//! - **Unix-domain**: [`UnixListener`], [`UnixStream`], [`UnixDatagram`], descriptor passing
//!   and [`Credentials`].
//! - **Options**: Chapel's raw [`set_sock_opt`] / [`get_sock_opt`] on any socket, and typed
//!   ones by level ([`SocketOptions`]).
//! - **Timeouts and errors**: [`Timeout`] (what every blocking call takes), [`Error`] (names the
//!   operation, the address and the OS error).
//! - **Constants**: the C names and Chapel's constants, on the [`consts`] page (also at the
//!   crate root, as Chapel has them). [`consts::Ipv4Addr`] there is Chapel's
//!   `ipv4Addr`, a C `in_addr_t`, not [`std::net::Ipv4Addr`].
//! - **Pages**: [`chapel`] maps each Chapel item to its counterpart and says where the crate
//!   differs; [`syscalls`] is the syscall contract of every operation; [`from_std`] is a guide
//!   for `std::net` users.
//!
//! # One socket, many holders
//!
//! A timed receive or accept waits inside one blocking syscall, timed by an `SO_RCVTIMEO`
//! the crate arms itself, and a listener switches itself to blocking mode while one thread
//! accepts. The kernel keeps both per open file description, which a `dup`, a `fork`, a
//! descriptor passed over `SCM_RIGHTS` and a hand-over to other code all share. So the crate
//! changes them, and trusts what it remembers of them, only on a socket it alone holds: one
//! it made, in a process that has not forked since, not handed over. Everything else waits
//! exactly without relying on them, with `MSG_DONTWAIT` and `ppoll` (a syscall or two more
//! per wait):
//!
//! - a socket adopted from an `OwnedFd` or a std type, for as long as it lives;
//! - every socket that existed when the process forked, in the parent and in the child;
//! - a socket whose blocking call came back `EAGAIN` that nothing of the crate's explains
//!   (another holder's `SO_RCVTIMEO` or file mode): that call waits on, and the socket is
//!   not trusted again.
//!
//! `try_clone` (on every socket type) makes a handle that
//! shares the original's record, so clones keep the one-syscall waits. Handing a socket over
//! ([`OwnedFd`](std::os::fd::OwnedFd), a raw descriptor, a std type) gives it back as the
//! user left it: the user's own `SO_RCVTIMEO` (none unless set through
//! [`set_sock_opt`]) and, for a listener, blocking mode. The one change the crate makes to a
//! socket it does not alone hold: a timed accept makes a shared listener non-blocking, as
//! Linux has no other way to keep an accept's deadline.
//!
//! What the crate cannot see: another program that was given this process's descriptor
//! (over `SCM_RIGHTS`, or inherited by a child made without `fork`) writing `SO_RCVTIMEO`.
//! An early `EAGAIN` still heals; a value that makes a wait longer holds it past its
//! timeout.
//!
//! # Descriptors
//!
//! Every socket type holds its descriptor the same way, with the same calls on it:
//!
//! - `close` closes it (one `close(2)`) and reports the kernel's answer. The socket stays,
//!   closed: every later call, `close` included, is a "closed" error
//!   ([`Error::is_closed`]) that makes no syscall, never a second `close(2)` of a number that
//!   may be another file's by then. Dropping a socket closes it too, once.
//! - `socket_fd` (and `AsRawFd`) is the number, or -1 once closed, as Chapel's `socketFd`.
//! - `try_as_fd` lends the live descriptor to any API that takes `impl AsFd` (`poll`, `epoll`,
//!   a duplicate), in safe code: a `BorrowedFd` for as long as the socket is borrowed (so
//!   `close`, which takes `&mut self`, cannot run meanwhile), or the "closed" error. There is
//!   no `AsFd` impl, whose `as_fd` could neither fail nor give a closed socket's number.
//! - `try_clone` is a second handle to the same socket, its own descriptor (one
//!   `fcntl(F_DUPFD_CLOEXEC)`) sharing the original's record of `SO_RCVTIMEO` and the file
//!   mode, so calls on either keep the one-syscall waits and their exact timeouts (see above).
//! - `set_nonblocking` (on the connected and datagram types; one `ioctl(FIONBIO)`) puts the
//!   socket in the mode an event loop drives, which waits for readiness itself through
//!   `try_as_fd`. An indefinite call ([`INDEFINITE_TIMEOUT`], and `Read`/`Write`) then never
//!   waits: when nothing is ready it is a `WouldBlock` error at once. A call with a timeout
//!   still waits for it, never relying on `SO_RCVTIMEO` (a non-blocking call ignores it): it
//!   tries with `MSG_DONTWAIT`, and on `EAGAIN` polls for what is left and tries again; a zero
//!   timeout is one try, then `TimedOut`. Back in blocking mode, timed receives wait inside
//!   one blocking call again.
//! - Descriptors go in and out only fallibly. `TryFrom<OwnedFd>` (and `TryFrom` of the
//!   matching `std` type) asks the kernel what the descriptor is and refuses, closing it, one
//!   that is not the type's kind of socket; `TryFrom<…> for OwnedFd` (and for the `std` type)
//!   hands it over, or is the "closed" error. There is no `IntoRawFd`: a closed socket has no
//!   number to give.
#![deny(unsafe_code)]
#![deny(missing_docs)]

/// A "References" line of man-page links for a rustdoc comment:
/// `#[doc = man_links!(socket(2), bind(2))]`.
macro_rules! man_links {
    ($first:ident($first_section:literal) $(, $name:ident($section:literal))*) => {
        concat!("References: ", man_links!(@one $first $first_section) $(, ", ", man_links!(@one $name $section))*, ".")
    };
    (@one $name:ident $section:literal) => {
        concat!(
            "[`", stringify!($name), "(", $section, ")`](https://man7.org/linux/man-pages/man", $section, "/",
            stringify!($name), ".", $section, ".html)"
        )
    };
}

// The crate map, from the ground up (docs/ARCHITECTURE.md draws it, with the rules):
//   sys/          the only libc calls and FFI; imports nothing above it but consts.rs
//   consts.rs  error.rs  timeout.rs  addr/ (ip, unix, family)
//                 the vocabulary: C names, errors, timeouts, addresses
//   wait/         the one wait: with_timeout and its poll loop, RecvTimer (in its TimerSlot), listeners' Acceptor
//   handle/       Sock, the fd-or-closed every type holds, and the I/O the types share (io.rs);
//                 wait_readable, wait_writable
//   socket.rs     AnySocket, bind, get_sock_name;  options/ (raw, value, socket, ip, tcp): set/get_sock_opt,
//                 SocketOptions, IpOptions, TcpOptions
//   tcp/ udp/ unix/  the socket types, a file each
//   audit.rs      (feature `audit`) the public face of sys/audit.rs, the record of every call
// A file imports only from the lines above its own (and from its own folder); the
// vocabulary's files also name each other.
mod addr;
#[cfg(feature = "audit")]
pub mod audit;
pub mod consts;
mod error;
mod handle;
mod options;
mod socket;
#[allow(unsafe_code)]
mod sys;
mod tcp;
mod timeout;
mod udp;
mod unix;
mod wait;

pub use addr::{IPFamily, IpAddr, UnixAddr};
/// The C names (`SO_REUSEADDR`, `struct_timeval`…) and Chapel's constants, also at the
/// crate root, as Chapel has them; listed on the [`consts`] page rather than here.
#[doc(no_inline)]
pub use consts::*;
pub use error::{Error, Result};
pub use handle::{wait_readable, wait_writable};
pub use options::{
    IpOptions, SockOptValue, SocketOptions, TcpOptions, get_sock_opt, get_sock_opt_bytes, set_sock_opt,
    set_sock_opt_unchecked,
};
pub use socket::{AnySocket, Incoming, bind, get_sock_name};
pub use tcp::{Service, TcpConn, TcpListener, TcpSocket, connect, connect_host, get_peer_name, listen};
pub use timeout::Timeout;
pub use udp::UdpSocket;
#[cfg(has_mmsg)]
pub use udp::{
    ControlMessage, ControlMessages, DEFAULT_CONTROL_LEN, Datagram, RECV_BATCH_MAX, RecvBatch, RecvMeta,
    SEND_BATCH_MAX, SendMsg, control_messages,
};
pub use unix::{Credentials, MAX_FDS, ReceivedFds, UnixDatagram, UnixListener, UnixStream};

#[doc = include_str!("../docs/CHAPEL.md")]
pub mod chapel {}

#[doc = include_str!("../docs/SYSCALLS.md")]
pub mod syscalls {}

#[doc = include_str!("../docs/FROM_STD.md")]
pub mod from_std {}
