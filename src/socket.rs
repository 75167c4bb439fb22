//! What works on all three socket types: [`AnySocket`], [`bind`], [`get_sock_name`] (and
//! [`get_peer_name`](crate::get_peer_name) for connections, in `tcp/conn.rs`); and on both
//! listener types, [`Incoming`].

use std::os::fd::BorrowedFd;

use crate::addr::IpAddr;
use crate::consts::{SO_REUSEADDR, SOL_SOCKET};
use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::Sock;
use crate::sys;

pub(crate) mod sealed {
    /// Gives the crate's free functions the descriptor of any of its socket types.
    pub trait Sealed {
        fn sock(&self) -> &crate::handle::Sock;
    }
}

/// The socket types the free functions take: [`TcpListener`], [`TcpConn`] and [`UdpSocket`]
/// (Chapel's `where t == udpSocket || t == tcpConn || t == tcpListener`), and the Unix-domain
/// [`UnixListener`], [`UnixStream`] and [`UnixDatagram`] (for the socket options; `bind`,
/// `get_sock_name` and `get_peer_name` take IP addresses, so on those they are errors).
/// Sealed: no other type can implement it.
///
/// [`TcpListener`]: crate::TcpListener
/// [`TcpConn`]: crate::TcpConn
/// [`UdpSocket`]: crate::UdpSocket
/// [`UnixListener`]: crate::UnixListener
/// [`UnixStream`]: crate::UnixStream
/// [`UnixDatagram`]: crate::UnixDatagram
pub trait AnySocket: sealed::Sealed {}

/// What every socket type is: one of [`AnySocket`], and `AsRawFd` over its [`Sock`]. A new
/// socket type (a struct with a `sock: Sock` field) names itself here in its own file,
/// beside its struct: `crate::socket::socket_types!(Type);`.
macro_rules! socket_types {
    ($($ty:ty),*) => {$(
        impl $crate::socket::sealed::Sealed for $ty {
            fn sock(&self) -> &$crate::handle::Sock {
                &self.sock
            }
        }

        impl $crate::socket::AnySocket for $ty {}

        impl ::std::os::fd::AsRawFd for $ty {
            /// The descriptor, or -1 once closed (as Chapel's `socketFd`).
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                self.sock.raw()
            }
        }
    )*};
}

pub(crate) use socket_types;

/// The [`Sock`] inside `socket`.
pub(crate) fn sock_of<S: AnySocket>(socket: &S) -> &Sock {
    sealed::Sealed::sock(socket)
}

/// The descriptor of `socket`, or the "closed" error for `op`.
pub(crate) fn fd_of<'s, S: AnySocket>(socket: &'s S, op: Op) -> Result<BorrowedFd<'s>> {
    sealed::Sealed::sock(socket).fd(op)
}

/// Chapel's `bind`: binds `socket` to `address`, with `SO_REUSEADDR` set to `reuse_addr`
/// first. The socket must not be bound yet.
///
/// Syscalls ([contract](crate::syscalls#bind)): `setsockopt(SOL_SOCKET, SO_REUSEADDR)`, `bind` — 2.
///
#[doc = man_links!(setsockopt(2), bind(2))]
///
/// # Errors
/// A closed socket; the kernel's error from `setsockopt` or `bind` (`AddrInUse`, `EINVAL` for a
/// socket already bound, `EAFNOSUPPORT` for the other family), naming the address.
///
/// ```
/// use chapel_socket::{bind, IPFamily, UdpSocket};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
/// assert_ne!(socket.addr()?.port(), 0);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn bind<S: AnySocket>(socket: &S, address: &IpAddr, reuse_addr: bool) -> Result<()> {
    bind_reusing(fd_of(socket, Op::Bind)?, address, reuse_addr)
}

/// `setsockopt(SO_REUSEADDR)` then `bind`: Chapel's `bind`, and the middle of `listen`.
pub(crate) fn bind_reusing(fd: BorrowedFd<'_>, address: &IpAddr, reuse_addr: bool) -> Result<()> {
    let at = Target::Addr(*address);
    sys::opt::set_int(fd, SOL_SOCKET, SO_REUSEADDR, reuse_addr.into()).map_err(Error::os(Op::SetSockOpt, &at))?;
    sys::socket::bind(fd, &std::net::SocketAddr::from(*address)).map_err(Error::os(Op::Bind, &at))
}

/// Chapel's `getSockName`: the socket's own address.
/// Syscalls ([contract](crate::syscalls#get_sock_name)): `getsockname` — 1.
///
#[doc = man_links!(getsockname(2))]
///
/// # Errors
/// A closed socket; the kernel's error from `getsockname`.
///
/// ```
/// use chapel_socket::{get_sock_name, listen};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// assert_eq!(get_sock_name(&server)?.host(), "127.0.0.1");
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_sock_name<S: AnySocket>(socket: &S) -> Result<IpAddr> {
    let fd = fd_of(socket, Op::GetSockName)?;
    named(sys::socket::sock_name(fd), Op::GetSockName)
}

/// An address-returning call's answer as an [`IpAddr`], its error named after `op`.
pub(crate) fn named(found: std::io::Result<Option<std::net::SocketAddr>>, op: Op) -> Result<IpAddr> {
    match found {
        Ok(Some(a)) => Ok(a.into()),
        Ok(None) => Err(Error::new(op, Target::None, Cause::Invalid("not an IPv4 or IPv6 socket".into()))),
        Err(e) => Err(Error::new(op, Target::None, Cause::Os(e))),
    }
}

/// The connections a listener accepts, one [`accept`](crate::TcpListener::accept) with
/// [`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT) per item: what
/// [`TcpListener::incoming`](crate::TcpListener::incoming) and
/// [`UnixListener::incoming`](crate::UnixListener::incoming) return. It never ends by itself;
/// each item is a connection or that accept's error.
#[derive(Debug)]
pub struct Incoming<'a, L> {
    listener: &'a L,
}

impl<'a, L> Incoming<'a, L> {
    pub(crate) fn new(listener: &'a L) -> Incoming<'a, L> {
        Incoming { listener }
    }

    pub(crate) fn listener(&self) -> &'a L {
        self.listener
    }
}
