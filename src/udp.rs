//! [`UdpSocket`], Chapel's `udpSocket`.

use std::os::fd::RawFd;

use crate::addr::IpAddr;
use crate::consts::c_int;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::family::IPFamily;
use crate::sock::{Indefinite, Sock, with_timeout};
use crate::sys;
use crate::sys::wait::Interest;
use crate::sys::{Domain, MsgFlags, SockType};
use crate::timeout::Timeout;

/// Chapel's `udpSocket`: a UDP socket, close-on-exec and blocking. It is unbound until
/// [`bind`](crate::bind) or its first [`send`](UdpSocket::send), when the kernel gives it a
/// free port (Chapel's "bound to any available port" is that). Dropping it closes it.
///
/// ```
/// use chapel_socket::{bind, get_sock_name, IpAddr, IPFamily, UdpSocket, INDEFINITE_TIMEOUT};
/// let receiver = UdpSocket::new(IPFamily::IPv4)?;
/// bind(&receiver, &"127.0.0.1:0".parse()?, true)?;
/// let sender = UdpSocket::new(IPFamily::IPv4)?;
/// sender.send(b"hello world!", &receiver.addr()?, INDEFINITE_TIMEOUT)?;
/// let (data, from) = receiver.recvfrom(40, 4.0, 0)?;
/// assert_eq!(data, b"hello world!");
/// // The first send bound the sender to a free port on every address (0.0.0.0).
/// assert_eq!(from.port(), get_sock_name(&sender)?.port());
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    pub(crate) sock: Sock,
}

impl UdpSocket {
    /// Chapel's `udpSocket.init(family)`: a new socket of `family` (IPv4 or IPv6).
    /// Syscalls ([contract](crate::syscalls#udpsocketnew)): `socket(family, SOCK_DGRAM|SOCK_CLOEXEC, 0)` — 1.
    ///
    #[doc = man_links!(socket(2))]
    ///
    /// # Errors
    /// `IPFamily::IPUnspec` (`InvalidInput`: a socket needs one family); the kernel's error from
    /// `socket` (such as `EMFILE`).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert!(UdpSocket::new(IPFamily::IPv6).is_ok());
    /// assert!(UdpSocket::new(IPFamily::IPUnspec).is_err());
    /// ```
    pub fn new(family: IPFamily) -> Result<UdpSocket> {
        let target = Target::Family(family);
        let domain = match family {
            IPFamily::IPv4 => Domain::Ipv4,
            IPFamily::IPv6 => Domain::Ipv6,
            IPFamily::IPUnspec => {
                return Err(Error::new(Op::Socket, target, Cause::Invalid("a UDP socket needs IPv4 or IPv6".into())));
            }
        };
        let fd = sys::socket::socket(domain, SockType::Datagram, false).map_err(Error::os(Op::Socket, &target))?;
        Ok(UdpSocket { sock: Sock::new(fd) })
    }

    /// Chapel's `udpSocket.close`: one `close`; later calls are "closed" errors that make no
    /// syscall (Chapel's own code closes twice; this never does).
    ///
    /// Syscalls ([contract](crate::syscalls#close-and-drop)): `close` — 1.
    ///
    #[doc = man_links!(close(2))]
    ///
    /// # Errors
    /// The socket was already closed; the kernel's error from `close` (the descriptor is released
    /// all the same).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let mut socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.close()?;
    /// assert!(socket.close().unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<()> {
        self.sock.close()
    }

    /// Chapel's `udpSocket.socketFd`: the descriptor, or -1 once closed.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert!(UdpSocket::new(IPFamily::IPv4)?.socket_fd() >= 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn socket_fd(&self) -> RawFd {
        self.sock.raw()
    }

    /// The socket's own address (`getsockname`, 1 syscall): port 0 until it is bound.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketaddr)): `getsockname` — 1.
    ///
    #[doc = man_links!(getsockname(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockname`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert_eq!(UdpSocket::new(IPFamily::IPv4)?.addr()?.to_string(), "0.0.0.0:0");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn addr(&self) -> Result<IpAddr> {
        crate::socket::get_sock_name(self)
    }

    /// Chapel's `udpSocket.recvfrom`: one datagram of at most `buffer_len` bytes and its
    /// sender, waiting at most `timeout`. `flags` go to the syscall as given (`MSG_PEEK`
    /// leaves the datagram queued). A longer datagram is an error of kind `InvalidData`
    /// naming both lengths and the sender, not a silent cut.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecvfrom)): as [`recv_from_into`](UdpSocket::recv_from_into).
    ///
    #[doc = man_links!(recvfrom(2), poll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_from_into`](UdpSocket::recv_from_into), and `InvalidInput` when `buffer_len` bytes
    /// cannot be allocated.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::io::ErrorKind;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.recvfrom(40, 0.01, 0).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recvfrom(&self, buffer_len: usize, timeout: impl Into<Timeout>, flags: c_int) -> Result<(Vec<u8>, IpAddr)> {
        let mut buf = buffer(Op::RecvFrom, buffer_len)?;
        let (n, from) = self.recv_from_into(&mut buf, timeout, flags)?;
        buf.truncate(n);
        Ok((buf, from))
    }

    /// Chapel's `udpSocket.recv`: one datagram of at most `buffer_len` bytes, waiting at most
    /// `timeout`; a longer one is an `InvalidData` error.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv)): as [`recv_into`](UdpSocket::recv_into).
    ///
    #[doc = man_links!(recv(2), poll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_into`](UdpSocket::recv_into), and `InvalidInput` when `buffer_len` bytes cannot be
    /// allocated.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"self", &socket.addr()?, 1.0)?;
    /// assert_eq!(socket.recv(40, 1.0)?, b"self");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv(&self, buffer_len: usize, timeout: impl Into<Timeout>) -> Result<Vec<u8>> {
        let mut buf = buffer(Op::Recv, buffer_len)?;
        let n = self.recv_into(&mut buf, timeout)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Chapel's `udpSocket.send`: sends `data` as one datagram to `address`, waiting at most
    /// `timeout` for buffer room; returns the bytes sent. Never raises SIGPIPE. A datagram
    /// nobody reads is still sent (UDP does not know).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketsend)):
    /// `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there is room (indefinite: one blocking
    /// `sendto(MSG_NOSIGNAL)`); otherwise `sendto → EAGAIN`, `poll([POLLOUT])`, `sendto`.
    ///
    #[doc = man_links!(sendto(2), poll(2), udp(7))]
    ///
    /// # Errors
    /// `TimedOut` when there was no buffer room within `timeout`; a closed socket; the kernel's
    /// error (an address of the other family is `EAFNOSUPPORT`/`EINVAL`; an earlier ICMP "port
    /// unreachable" can surface as `ConnectionRefused`), naming the address.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.send(b"hello world!", &"127.0.0.1:9".parse()?, 1.0)?, 12);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send(&self, data: &[u8], address: &IpAddr, timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::Send)?;
        let to = std::net::SocketAddr::from(*address);
        with_timeout(fd, Interest::Write, timeout.into(), Indefinite::Blocks, |flags| {
            sys::socket::send_to(fd, data, &to, flags)
        })
        .map_err(|cause| Error::new(Op::Send, Target::Addr(*address), cause))
    }

    /// `recvfrom` without allocating: the datagram goes into `buf`; returns its length and
    /// sender. A datagram longer than `buf` is an `InvalidData` error (its first `buf.len()`
    /// bytes are in `buf`; the error names the sender).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecvfrom)): datagram waiting —
    /// `recvfrom(MSG_DONTWAIT|MSG_TRUNC|flags)`, 1; nothing waiting — `recvfrom → EAGAIN`,
    /// `poll([POLLIN], ms)`, `recvfrom`; indefinite — one blocking `recvfrom(MSG_TRUNC|flags)`.
    ///
    /// An indefinite wait blocks in the kernel, so an `SO_RCVTIMEO` you set yourself ends it
    /// with `EAGAIN` (kind `WouldBlock`), as in C; so does a call that can never block, such
    /// as `MSG_ERRQUEUE` on an empty error queue.
    ///
    #[doc = man_links!(recvfrom(2), poll(2), udp(7))]
    ///
    /// # Errors
    /// `TimedOut` when no datagram came within `timeout`; `InvalidData` for a datagram longer than
    /// `buf`; a closed socket; the kernel's error; `WouldBlock` from an indefinite wait bounded by
    /// your own `SO_RCVTIMEO` or a call that cannot block.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"0123456789", &socket.addr()?, 1.0)?;
    /// let mut buf = [0; 4];
    /// let err = socket.recv_from_into(&mut buf, 1.0, 0).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// assert_eq!(&buf, b"0123");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_from_into(&self, buf: &mut [u8], timeout: impl Into<Timeout>, flags: c_int) -> Result<(usize, IpAddr)> {
        let fd = self.sock.fd(Op::RecvFrom)?;
        let capacity = buf.len();
        let (len, from) = with_timeout(fd, Interest::Read, timeout.into(), Indefinite::Blocks, |dontwait| {
            sys::socket::recv_from::<std::net::SocketAddr>(
                fd,
                buf,
                MsgFlags::user(flags).with(dontwait).with(MsgFlags::TRUNC),
            )
        })
        .map_err(|cause| Error::new(Op::RecvFrom, Target::None, cause))?;
        let from = from.map(IpAddr::from).ok_or_else(|| {
            Error::new(Op::RecvFrom, Target::None, Cause::Invalid("the sender has no IPv4 or IPv6 address".into()))
        })?;
        if len > capacity {
            return Err(Error::new(Op::RecvFrom, Target::Addr(from), Cause::Truncated { len, capacity }));
        }
        Ok((len, from))
    }

    /// `recv` without allocating: the datagram goes into `buf`; returns its length. A longer
    /// datagram is an `InvalidData` error (its first `buf.len()` bytes are in `buf`).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv)): as
    /// [`recv_from_into`](UdpSocket::recv_from_into), without asking for the sender.
    ///
    #[doc = man_links!(recv(2), poll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_from_into`](UdpSocket::recv_from_into).
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// bind(&socket, &"[::1]:0".parse()?, true)?;
    /// socket.send(b"abc", &socket.addr()?, 1.0)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(socket.recv_into(&mut buf, 1.0)?, 3);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_into(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::Recv)?;
        let capacity = buf.len();
        let len = with_timeout(fd, Interest::Read, timeout.into(), Indefinite::Blocks, |dontwait| {
            sys::socket::recv(fd, buf, dontwait.with(MsgFlags::TRUNC))
        })
        .map_err(|cause| Error::new(Op::Recv, Target::None, cause))?;
        if len > capacity {
            return Err(Error::new(Op::Recv, Target::None, Cause::Truncated { len, capacity }));
        }
        Ok(len)
    }
}

/// A zeroed receive buffer, or an error (not an abort) when `len` cannot be allocated.
fn buffer(op: Op, len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| Error::new(op, Target::None, Cause::Invalid(format!("cannot allocate a {len}-byte buffer"))))?;
    buf.resize(len, 0);
    Ok(buf)
}

impl From<std::os::fd::OwnedFd> for UdpSocket {
    /// Adopts a datagram socket as it is.
    fn from(fd: std::os::fd::OwnedFd) -> UdpSocket {
        UdpSocket { sock: Sock::new(fd) }
    }
}

impl From<std::net::UdpSocket> for UdpSocket {
    fn from(socket: std::net::UdpSocket) -> UdpSocket {
        UdpSocket::from(std::os::fd::OwnedFd::from(socket))
    }
}

impl TryFrom<UdpSocket> for std::os::fd::OwnedFd {
    type Error = Error;

    /// The descriptor, unless the socket was closed.
    fn try_from(mut socket: UdpSocket) -> Result<std::os::fd::OwnedFd> {
        socket.sock.take(Op::IntoFd)
    }
}

impl TryFrom<UdpSocket> for std::net::UdpSocket {
    type Error = Error;

    fn try_from(socket: UdpSocket) -> Result<std::net::UdpSocket> {
        std::os::fd::OwnedFd::try_from(socket).map(std::net::UdpSocket::from)
    }
}
