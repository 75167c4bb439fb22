//! What works on all three socket types: [`AnySocket`], [`bind`], [`get_sock_name`], and
//! [`get_peer_name`] for connections.

use std::os::fd::BorrowedFd;

use crate::addr::IpAddr;
use crate::error::{Cause, Error, Result, Target};
use crate::sock::Sock;
use crate::sys;
use crate::tcp::{TcpConn, TcpListener};
use crate::udp::UdpSocket;

mod sealed {
    /// Gives the crate's free functions the descriptor of any of its socket types.
    pub trait Sealed {
        fn sock(&self) -> &crate::sock::Sock;
    }
}

/// The socket types the free functions take: [`TcpListener`], [`TcpConn`] and [`UdpSocket`]
/// (Chapel's `where t == udpSocket || t == tcpConn || t == tcpListener`). Sealed: no other
/// type can implement it.
pub trait AnySocket: sealed::Sealed {}

impl sealed::Sealed for TcpListener {
    fn sock(&self) -> &Sock {
        &self.sock
    }
}
impl sealed::Sealed for TcpConn {
    fn sock(&self) -> &Sock {
        &self.sock
    }
}
impl sealed::Sealed for UdpSocket {
    fn sock(&self) -> &Sock {
        &self.sock
    }
}
impl AnySocket for TcpListener {}
impl AnySocket for TcpConn {}
impl AnySocket for UdpSocket {}

/// The descriptor of `socket`, or the "closed" error for `op`.
pub(crate) fn fd_of<'s, S: AnySocket>(socket: &'s S, op: &'static str) -> Result<BorrowedFd<'s>> {
    sealed::Sealed::sock(socket).fd(op)
}

/// Chapel's `bind`: binds `socket` to `address`, with `SO_REUSEADDR` set to `reuse_addr`
/// first. The socket must not be bound yet.
///
/// Syscalls ([contract](crate::syscalls#bind)): `setsockopt(SOL_SOCKET, SO_REUSEADDR)`, `bind` — 2.
///
/// ```
/// use chapel_socket::{bind, IPFamily, UdpSocket};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
/// assert_ne!(socket.addr()?.port(), 0);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn bind<S: AnySocket>(socket: &S, address: &IpAddr, reuse_addr: bool) -> Result<()> {
    let fd = fd_of(socket, "bind")?;
    let at = Target::Addr(*address);
    sys::opt::set_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, reuse_addr.into())
        .map_err(Error::os("setsockopt", &at))?;
    sys::socket::bind(fd, &(*address).into()).map_err(Error::os("bind", &at))
}

/// Chapel's `getSockName`: the socket's own address.
/// Syscalls ([contract](crate::syscalls#get_sock_name)): `getsockname` — 1.
///
/// ```
/// use chapel_socket::{get_sock_name, listen};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// assert_eq!(get_sock_name(&server)?.host(), "127.0.0.1");
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_sock_name<S: AnySocket>(socket: &S) -> Result<IpAddr> {
    let fd = fd_of(socket, "getsockname")?;
    named(sys::socket::sock_name(fd), "getsockname")
}

/// Chapel's `getPeerName`: the address of the connection's other end. An unconnected socket
/// is an `ENOTCONN` error. Syscalls ([contract](crate::syscalls#get_peer_name)): `getpeername` — 1.
///
/// ```
/// use chapel_socket::{connect, get_peer_name, listen, INDEFINITE_TIMEOUT};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// assert_eq!(get_peer_name(&conn)?, server.addr()?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_peer_name(socket: &TcpConn) -> Result<IpAddr> {
    let fd = fd_of(socket, "getpeername")?;
    named(sys::socket::peer_name(fd), "getpeername")
}

fn named(found: std::io::Result<Option<std::net::SocketAddr>>, op: &'static str) -> Result<IpAddr> {
    match found {
        Ok(Some(a)) => Ok(a.into()),
        Ok(None) => Err(Error::new(op, Target::None, Cause::Invalid("not an IPv4 or IPv6 socket".into()))),
        Err(e) => Err(Error::new(op, Target::None, Cause::Os(e))),
    }
}
