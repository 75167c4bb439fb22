//! [`UdpSocket`], Chapel's `udpSocket`; its message and batch I/O in `msg.rs`, its options
//! (the IP level, multicast, the receive switches) in `options.rs`.

#[cfg(has_mmsg)]
mod msg;
mod options;

use std::os::fd::{BorrowedFd, RawFd};

use crate::addr::IPFamily;
use crate::addr::IpAddr;
use crate::consts::c_int;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::sys;
use crate::sys::{Domain, MsgFlags, SockType};
use crate::timeout::Timeout;
use crate::wait::{Waits, with_timeout};

#[cfg(has_mmsg)]
pub use msg::{
    ControlMessage, ControlMessages, DEFAULT_CONTROL_LEN, Datagram, RECV_BATCH_MAX, RecvBatch, RecvMeta,
    SEND_BATCH_MAX, SendMsg, control_messages,
};

/// Chapel's `udpSocket`: a UDP socket, close-on-exec and blocking. It is unbound until
/// [`bind`](crate::bind) or its first [`send`](UdpSocket::send), when the kernel gives it a
/// free port (Chapel's "bound to any available port" is that). Dropping it closes it.
///
/// Its [`send`](UdpSocket::send), [`recv`](UdpSocket::recv) and
/// [`recvfrom`](UdpSocket::recvfrom) are Chapel's, not std's: `send` names the destination
/// (std's `send_to`), `recv` and `recvfrom` take a length and return a new `Vec`. The
/// buffer-filling receives std users know are [`recv_into`](UdpSocket::recv_into) (std's
/// `recv` on a connected socket) and [`recv_from_into`](UdpSocket::recv_from_into) (std's
/// `recv_from`); a connected socket sends with [`send_connected`](UdpSocket::send_connected)
/// (std's `send`). Every one takes a timeout. The `std::net` → crate table is the
/// [`from_std`](crate::from_std) page.
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

crate::socket::socket_types!(UdpSocket);

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

    /// A second handle to this socket, as std's `try_clone`, sharing its record of the
    /// socket (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#one-socket-many-holders)): `fcntl(F_DUPFD_CLOEXEC)` — 1.
    ///
    #[doc = man_links!(fcntl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error (`EMFILE` when the descriptor table is full).
    ///
    /// ```
    /// let socket = chapel_socket::UdpSocket::new(chapel_socket::IPFamily::IPv4)?;
    /// let clone = socket.try_clone()?;
    /// assert_ne!(clone.socket_fd(), socket.socket_fd());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<UdpSocket> {
        Ok(UdpSocket { sock: self.sock.try_clone()? })
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

    /// The live descriptor, borrowed, for any API that takes `impl AsFd`, in safe code; the
    /// borrow keeps the socket open (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// A closed socket (the "closed" error), never a panic.
    ///
    /// ```
    /// use chapel_socket::{wait_writable, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// wait_writable(socket.try_as_fd()?, 1)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
        self.sock.fd(Op::AsFd)
    }

    /// Switches the socket to non-blocking mode (`true`) or back, for an event loop:
    /// indefinite calls then answer `WouldBlock` at once when nothing is ready, timed ones
    /// still wait their timeout (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ioctl(FIONBIO)` — 1.
    ///
    #[doc = man_links!(ioctl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `ioctl`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket, INDEFINITE_TIMEOUT};
    /// use std::io::ErrorKind;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_nonblocking(true)?;
    /// let err = socket.recv_into(&mut [0; 8], INDEFINITE_TIMEOUT).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// socket.set_nonblocking(false)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.sock.set_nonblocking(nonblocking)
    }

    /// Chapel's `udpSocket.close`: one `close`; later calls are "closed" errors that make no
    /// syscall (Chapel's own code closes twice; this never does; see
    /// [descriptors](crate#descriptors)).
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
    /// leaves the datagram queued; a `MSG_TRUNC` is not passed on, see below). A longer
    /// datagram is an error of kind `InvalidData` naming the buffer's length and the sender,
    /// not a silent cut.
    ///
    /// The buffer is what can arrive at most: `buffer_len` bytes, or 65,535 (the most a UDP
    /// datagram can carry) when `buffer_len` is larger, so a huge `buffer_len` costs no more
    /// than that. Nothing is zero-filled: the kernel writes the datagram into fresh memory,
    /// and the bytes kept are the ones it says it wrote. That count is the call's result only
    /// without `MSG_TRUNC` (with it, a peek offset, `SO_PEEK_OFF`, makes the kernel copy fewer
    /// bytes than it reports), so the receive asks for one byte more than the buffer instead:
    /// if that byte comes, the datagram was longer.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecvfrom)): as [`recv_from_into`](UdpSocket::recv_from_into),
    /// each `recvfrom` asking for `buffer_len + 1` bytes (at most 65,536) without `MSG_TRUNC`.
    ///
    #[doc = man_links!(recvfrom(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_from_into`](UdpSocket::recv_from_into) (a truncated datagram's error says
    /// it was longer than the buffer, not by how much), and `OutOfMemory` when the buffer
    /// cannot be allocated.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::io::ErrorKind;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.recvfrom(40, 0.01, 0).unwrap_err().kind(), ErrorKind::TimedOut);
    /// // A huge length allocates 64 KiB, not 2 GiB, and a zero timeout returns at once.
    /// assert_eq!(socket.recvfrom(1 << 31, 0.0, 0).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recvfrom(&self, buffer_len: usize, timeout: impl Into<Timeout>, flags: c_int) -> Result<(Vec<u8>, IpAddr)> {
        let fd = self.sock.fd(Op::RecvFrom)?;
        let timeout = timeout.into();
        let mut buf = Vec::new();
        let capacity = buffer_len.min(MAX_DATAGRAM);
        let (cut, from) = self
            .wait(fd, timeout, MsgFlags::user(flags), |flags| {
                sys::socket::recv_from_appending(fd, &mut buf, capacity, flags)
            })
            .map_err(|cause| self.error(Op::RecvFrom, None, cause))?;
        let from = self.sender(from)?;
        if cut {
            return Err(self.error(Op::RecvFrom, Some(from), Cause::Truncated { len: None, capacity }));
        }
        Ok((buf, from))
    }

    /// Chapel's `udpSocket.recv`: one datagram of at most `buffer_len` bytes, waiting at most
    /// `timeout`; a longer one is an `InvalidData` error.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv)): as [`recv_into`](UdpSocket::recv_into),
    /// each `recvfrom` asking for `buffer_len + 1` bytes (at most 65,536) without `MSG_TRUNC`.
    ///
    #[doc = man_links!(recv(2), ppoll(2), udp(7))]
    ///
    /// The buffer is what can arrive at most, as for [`recvfrom`](UdpSocket::recvfrom): a
    /// huge `buffer_len` allocates 65,536 bytes (the most a datagram carries and the probe
    /// byte that tells a longer one), and nothing is zero-filled.
    ///
    /// # Errors
    /// As [`recv_into`](UdpSocket::recv_into) (a truncated datagram's error says it was
    /// longer than the buffer, not by how much), and `OutOfMemory` when the buffer cannot be
    /// allocated.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"self", &socket.addr()?, 1.0)?;
    /// assert_eq!(socket.recv(40, 1.0)?, b"self");
    /// socket.send(b"whole", &socket.addr()?, 1.0)?;
    /// assert_eq!(socket.recv(usize::MAX, 1.0)?, b"whole");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv(&self, buffer_len: usize, timeout: impl Into<Timeout>) -> Result<Vec<u8>> {
        let fd = self.sock.fd(Op::Recv)?;
        let timeout = timeout.into();
        let mut buf = Vec::new();
        let capacity = buffer_len.min(MAX_DATAGRAM);
        let cut = self
            .wait(fd, timeout, MsgFlags::NONE, |flags| sys::socket::recv_appending(fd, &mut buf, capacity, flags))
            .map_err(|cause| self.error(Op::Recv, None, cause))?;
        if cut {
            return Err(self.error(Op::Recv, None, Cause::Truncated { len: None, capacity }));
        }
        Ok(buf)
    }

    /// Chapel's `udpSocket.send`: sends `data` as one datagram to `address`, waiting at most
    /// `timeout` for buffer room; returns the bytes sent. Never raises SIGPIPE. A datagram
    /// nobody reads is still sent (UDP does not know).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketsend)):
    /// `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there is room (indefinite: one blocking
    /// `sendto(MSG_NOSIGNAL)`); otherwise `sendto → EAGAIN`, `ppoll([POLLOUT])`, `sendto`.
    ///
    #[doc = man_links!(sendto(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before the `sendto`; `TimedOut` when there was no buffer
    /// room within `timeout`; a closed socket; the kernel's error (an address of the other family
    /// is `EAFNOSUPPORT`/`EINVAL`; an earlier ICMP "port unreachable" can surface as
    /// `ConnectionRefused`). The message names the socket's own address (one `getsockname` on
    /// the error path) and the destination.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.send(b"hello world!", &"127.0.0.1:9".parse()?, 1.0)?, 12);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send(&self, data: &[u8], address: &IpAddr, timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::Send)?;
        let timeout = timeout.into();
        let to = address.as_socket_addr();
        with_timeout(fd, Waits::Send, timeout, |flags| sys::socket::send_to_ip(fd, data, to, flags))
            .map_err(|cause| self.error(Op::Send, Some(*address), cause))
    }

    /// `recvfrom` without allocating: the datagram goes into `buf`; returns its length and
    /// sender. A datagram longer than `buf` is an `InvalidData` error (its first `buf.len()`
    /// bytes are in `buf`; the error names the sender).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecvfrom)): in steady state (the timeout
    /// of the last call that waited, or close to it) one blocking
    /// `recvfrom(MSG_TRUNC|flags)`, timed by the `SO_RCVTIMEO` the crate armed; with a new
    /// timeout, `recvfrom(MSG_DONTWAIT|MSG_TRUNC|flags)` — 1 when a datagram is there — else
    /// `setsockopt(SO_RCVTIMEO)` and the blocking `recvfrom`. A wait the kernel ends short of
    /// the deadline is finished by `ppoll` and `recvfrom(MSG_DONTWAIT)`. While another thread
    /// receives on the same socket: `recvfrom(MSG_DONTWAIT) → EAGAIN`, `ppoll`, `recvfrom`.
    /// Indefinite: one blocking `recvfrom` (after a `setsockopt` that puts your own
    /// `SO_RCVTIMEO` back, if a timed call had armed the crate's).
    ///
    /// With `MSG_PEEK` among `flags` each of those calls is a `recvmsg` instead, without
    /// `MSG_TRUNC`, whose second `iovec` is one probe byte after `buf`: the socket may have a
    /// peek offset (`SO_PEEK_OFF`), from which the kernel copies while `MSG_TRUNC` would have
    /// it report the whole datagram's length. The length returned is then the count of bytes
    /// it wrote, and a truncation (the probe byte came) is an error that says the datagram
    /// was longer than `buf`, not by how much.
    ///
    /// A pending socket error (an ICMP "port unreachable" for an earlier send) is reported by
    /// the receive, as the kernel does. With `MSG_ERRQUEUE` the wait is for the error queue
    /// (`POLLERR`): a queued ordinary datagram does not end it, and the call never spins on
    /// readiness it cannot use. An indefinite wait blocks in the kernel, so an `SO_RCVTIMEO`
    /// you set through [`set_sock_opt`](crate::set_sock_opt) ends it with `EAGAIN` (kind
    /// `WouldBlock`), as in C; so does an indefinite `MSG_ERRQUEUE` receive on an empty queue.
    ///
    #[doc = man_links!(recvfrom(2), recvmsg(2), ppoll(2), setsockopt(2), udp(7))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when no datagram came
    /// within `timeout`; `InvalidData` for a datagram longer than `buf`; a closed socket; the
    /// kernel's error; `WouldBlock` from an indefinite wait bounded by your own `SO_RCVTIMEO` (set
    /// through [`set_sock_opt`](crate::set_sock_opt)) or on a socket you made non-blocking. The message names the socket's own address (one `getsockname` on
    /// the error path) and, for a truncated datagram, its sender.
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
        let timeout = timeout.into();
        let capacity = buf.len();
        let flags = MsgFlags::user(flags);
        if flags.peeks() {
            return self.peek_from_into(fd, Op::RecvFrom, buf, timeout, flags);
        }
        let mut from = sys::socket::Sender::new();
        let room = &mut from;
        let len = self
            .wait(fd, timeout, flags, move |flags| sys::socket::recv_from_ip(fd, buf, room, flags))
            .map_err(|cause| self.error(Op::RecvFrom, None, cause))?;
        let from = self.sender(from.ip())?;
        if len > capacity {
            return Err(self.error(Op::RecvFrom, Some(from), Cause::Truncated { len: Some(len), capacity }));
        }
        Ok((len, from))
    }

    /// `recv` without allocating: the datagram goes into `buf`; returns its length. A longer
    /// datagram is an `InvalidData` error (its first `buf.len()` bytes are in `buf`).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv)): as
    /// [`recv_from_into`](UdpSocket::recv_from_into), without asking for the sender.
    ///
    #[doc = man_links!(recv(2), ppoll(2), udp(7))]
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
        self.sock.recv_datagram(buf, timeout.into(), || self.target(None))
    }

    /// [`recv_from_into`](UdpSocket::recv_from_into) under `MSG_PEEK`: the socket may have a
    /// peek offset (`SO_PEEK_OFF`), from which the kernel copies while `MSG_TRUNC` would
    /// report the datagram's whole length, so the receive goes without it, as a `recvmsg`
    /// with a probe byte after `buf` that tells a longer datagram (and [`peek_from`]'s, with
    /// `op` its errors' operation).
    ///
    /// [`peek_from`]: UdpSocket::peek_from
    fn peek_from_into(
        &self,
        fd: BorrowedFd<'_>,
        op: Op,
        buf: &mut [u8],
        timeout: Timeout,
        flags: MsgFlags,
    ) -> Result<(usize, IpAddr)> {
        let capacity = buf.len();
        let (len, cut, from) = self
            .wait(fd, timeout, flags, |flags| sys::socket::recv_from_probing::<std::net::SocketAddr>(fd, buf, flags))
            .map_err(|cause| self.error(op, None, cause))?;
        let from = self.sender(from)?;
        if cut {
            return Err(self.error(op, Some(from), Cause::Truncated { len: None, capacity }));
        }
        Ok((len, from))
    }

    /// How every receive waits: `call` gets the caller's `flags` with `MSG_TRUNC` (so a cut
    /// datagram is seen) and whatever the wait adds. Timed by the socket's `SO_RCVTIMEO`,
    /// except under `MSG_ERRQUEUE`: the error queue never blocks, and `POLLERR` says it is
    /// ready.
    pub(crate) fn wait<T>(
        &self,
        fd: BorrowedFd<'_>,
        timeout: Timeout,
        flags: MsgFlags,
        mut call: impl FnMut(MsgFlags) -> std::io::Result<T>,
    ) -> std::result::Result<T, Cause> {
        let waits = match flags.reads_error_queue() {
            false => Waits::Recv(&self.sock.timer),
            true => Waits::ErrQueue,
        };
        let flags = flags.with(MsgFlags::TRUNC);
        with_timeout(fd, waits, timeout, |wait| call(flags.with(wait)))
    }

    /// The sender a receive reported, or the error for one that is not IPv4/IPv6.
    #[inline]
    fn sender(&self, from: Option<std::net::SocketAddr>) -> Result<IpAddr> {
        match from {
            Some(from) => Ok(IpAddr::from(from)),
            None => {
                Err(self.error(Op::RecvFrom, None, Cause::Invalid("the sender has no IPv4 or IPv6 address".into())))
            }
        }
    }

    /// The error `op` failed with, naming this socket's own address (one `getsockname`, on
    /// error paths only) and `peer` when there is one.
    #[cold]
    #[inline(never)]
    pub(crate) fn error(&self, op: Op, peer: Option<IpAddr>, cause: Cause) -> Error {
        Error::new(op, self.target(peer), cause)
    }

    /// The target of this socket's errors: its own address (one `getsockname`, on error paths
    /// only) and `peer` when there is one.
    #[cold]
    #[inline(never)]
    fn target(&self, peer: Option<IpAddr>) -> Target {
        match (crate::socket::get_sock_name(self).ok(), peer) {
            (Some(local), Some(peer)) => Target::Between { local, peer },
            (Some(local), None) => Target::Local(local),
            (None, Some(peer)) => Target::Addr(peer),
            (None, None) => Target::None,
        }
    }
}

/// The most a UDP datagram can carry (its length field is 16 bits), so the most a receive
/// buffer ever needs.
const MAX_DATAGRAM: usize = 65_535;

impl TryFrom<std::os::fd::OwnedFd> for UdpSocket {
    type Error = Error;

    /// Adopts a UDP socket as it is, once the kernel says it is one (`SOCK_DGRAM` in
    /// `AF_INET`/`AF_INET6`, protocol UDP: three `getsockopt`s). Anything else is an
    /// `InvalidInput` error naming what it is, and the descriptor is closed: the receives
    /// rely on UDP's answers (a TCP stream given `MSG_TRUNC` discards its bytes, a Unix
    /// socket can carry descriptors).
    ///
    /// ```
    /// use chapel_socket::UdpSocket;
    /// use std::os::fd::OwnedFd;
    /// let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(UdpSocket::try_from(OwnedFd::from(udp)).is_ok());
    /// let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let err = UdpSocket::try_from(OwnedFd::from(tcp)).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(fd: std::os::fd::OwnedFd) -> Result<UdpSocket> {
        Ok(UdpSocket { sock: Sock::adopt(fd, Want::Udp)? })
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = Error;

    /// See `TryFrom<OwnedFd>`: std's own `From<OwnedFd>` takes any descriptor.
    fn try_from(socket: std::net::UdpSocket) -> Result<UdpSocket> {
        UdpSocket::try_from(std::os::fd::OwnedFd::from(socket))
    }
}

impl TryFrom<UdpSocket> for std::os::fd::OwnedFd {
    type Error = Error;

    /// The descriptor, unless the socket was closed.
    fn try_from(mut socket: UdpSocket) -> Result<std::os::fd::OwnedFd> {
        socket.sock.take()
    }
}

impl TryFrom<UdpSocket> for std::net::UdpSocket {
    type Error = Error;

    fn try_from(socket: UdpSocket) -> Result<std::net::UdpSocket> {
        std::os::fd::OwnedFd::try_from(socket).map(std::net::UdpSocket::from)
    }
}

/// Beyond Chapel: a connected UDP socket, which talks to one peer only.
impl UdpSocket {
    /// Connects the socket to `address`: from now on the kernel delivers only datagrams
    /// from `address` (others are dropped before any receive sees them),
    /// [`send_connected`](UdpSocket::send_connected) sends there, and an ICMP "port
    /// unreachable" for a send comes back as a `ConnectionRefused` error on a later call.
    /// [`recv`](UdpSocket::recv), [`recv_into`](UdpSocket::recv_into) and
    /// [`recvfrom`](UdpSocket::recvfrom) work as before, on the peer's datagrams only. An
    /// unbound socket is bound to a free port first, by the kernel. Connecting again
    /// replaces the peer. No handshake: nothing is sent, so this never waits.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketconnect)): `connect` — 1.
    ///
    #[doc = man_links!(connect(2), udp(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error (`EAFNOSUPPORT`/`EINVAL` for an address of the
    /// other family, `ENETUNREACH`), naming the address.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let (a, b) = (UdpSocket::new(IPFamily::IPv4)?, UdpSocket::new(IPFamily::IPv4)?);
    /// bind(&a, &"127.0.0.1:0".parse()?, true)?;
    /// bind(&b, &"127.0.0.1:0".parse()?, true)?;
    /// a.connect(&b.addr()?)?;
    /// assert_eq!(a.peer_addr()?, b.addr()?);
    /// a.send_connected(b"hi", 1)?;
    /// assert_eq!(b.recv(16, 1)?, b"hi");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn connect(&self, address: &IpAddr) -> Result<()> {
        let at = Target::Addr(*address);
        let fd = self.sock.fd(Op::Connect)?;
        sys::socket::connect(fd, &std::net::SocketAddr::from(*address)).map_err(Error::os(Op::Connect, &at))?;
        Ok(())
    }

    /// The peer of a [`connect`](UdpSocket::connect)ed socket (`getpeername`).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketconnect)): `getpeername` — 1.
    ///
    #[doc = man_links!(getpeername(2))]
    ///
    /// # Errors
    /// A closed socket; `ENOTCONN` (`NotConnected`) when it is not connected.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// socket.connect(&"127.0.0.1:9".parse()?)?;
    /// assert_eq!(socket.peer_addr()?.to_string(), "127.0.0.1:9");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peer_addr(&self) -> Result<IpAddr> {
        let fd = self.sock.fd(Op::GetPeerName)?;
        match sys::socket::peer_name::<std::net::SocketAddr>(fd) {
            Ok(Some(peer)) => Ok(peer.into()),
            Ok(None) => Err(self.error(Op::GetPeerName, None, Cause::Invalid("the peer is not IPv4 or IPv6".into()))),
            Err(e) => Err(self.error(Op::GetPeerName, None, Cause::Os(e))),
        }
    }

    /// Sends `data` as one datagram to the peer of a [`connect`](UdpSocket::connect)ed
    /// socket, waiting at most `timeout` for buffer room; returns the bytes sent. Never
    /// raises SIGPIPE.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketconnect)):
    /// `sendto(fd, data, len, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0)` — 1 (indefinite: one
    /// blocking `sendto(MSG_NOSIGNAL)`); without room, `sendto → EAGAIN`, `ppoll([POLLOUT])`,
    /// `sendto`, as [`send`](UdpSocket::send).
    ///
    #[doc = man_links!(send(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before the `sendto`; `TimedOut`; a closed socket;
    /// `EDESTADDRREQ` (`errno-89`) when the socket is not connected; `ConnectionRefused` when
    /// an earlier datagram drew an ICMP "port unreachable". The message names the socket's own
    /// address (one `getsockname` on the error path).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert!(socket.send_connected(b"nowhere", 1).is_err()); // not connected
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_connected(&self, data: &[u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send(Op::Send, MsgFlags::NONE, data, timeout.into(), || self.target(None))
    }

    /// The next datagram into `buf`, waiting at most `timeout`, but left queued (`MSG_PEEK`):
    /// the next receive returns it again; returns the bytes copied. A longer datagram is an
    /// `InvalidData` error (its first `buf.len()` bytes are in `buf`, and it stays queued).
    /// std's and socket2's `peek`, with a timeout; on a [`connect`](UdpSocket::connect)ed
    /// socket it sees the peer's datagrams only, on any other the next from anyone.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocket-peek)): as
    /// [`recv_from_into`](UdpSocket::recv_from_into) given `MSG_PEEK`: `recvmsg(MSG_PEEK)`
    /// with a probe byte past `buf` (so the length is what the kernel copied, even from a
    /// peek offset), `recvmsg(MSG_PEEK|MSG_DONTWAIT)` — 1 when a datagram is there.
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_from_into`](UdpSocket::recv_from_into), with op `recv(MSG_PEEK)` (a
    /// truncated datagram's error says it was longer than `buf`, not by how much).
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"hello", &socket.addr()?, 1)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(socket.peek(&mut buf, 1)?, 5);
    /// assert_eq!(socket.recv_into(&mut buf, 1)?, 5); // still there
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.peek_from(buf, timeout).map(|(len, _)| len)
    }

    /// [`peek`](UdpSocket::peek) with the sender. std's and socket2's `peek_from`, with a
    /// timeout (and `recv_from_into(buf, timeout, MSG_PEEK)` under its Chapel name).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocket-peek)): as [`peek`](UdpSocket::peek).
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`peek`](UdpSocket::peek); a truncated datagram's error names its sender.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"hi", &socket.addr()?, 1)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(socket.peek_from(&mut buf, 1)?, (2, socket.addr()?));
    /// assert_eq!(socket.recv_from_into(&mut buf, 1, 0)?, (2, socket.addr()?));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peek_from(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<(usize, IpAddr)> {
        let fd = self.sock.fd(Op::Peek)?;
        self.peek_from_into(fd, Op::Peek, buf, timeout.into(), MsgFlags::PEEK)
    }

    /// Sends the buffers `bufs`, joined in order, as one datagram to the peer of a
    /// [`connect`](UdpSocket::connect)ed socket, with one `sendmsg`, waiting at most
    /// `timeout` for buffer room; returns the bytes sent. socket2's `send_vectored`, with a
    /// timeout. At most 1,024 buffers (`IOV_MAX`): the datagram is what they hold.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocket-vectored-io)):
    /// `sendmsg(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there is room (indefinite: one blocking
    /// `sendmsg(MSG_NOSIGNAL)`); otherwise `sendmsg → EAGAIN`, `ppoll([POLLOUT])`, `sendmsg`.
    ///
    #[doc = man_links!(sendmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`send_connected`](UdpSocket::send_connected), with op `sendmsg`.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// use std::io::IoSlice;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.connect(&socket.addr()?)?;
    /// assert_eq!(socket.send_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")], 1)?, 8);
    /// assert_eq!(socket.recv(16, 1)?, b"headbody"); // one datagram
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_vectored(&self, bufs: &[std::io::IoSlice<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send_vectored(bufs, None, timeout.into(), || self.target(None))
    }

    /// Sends the buffers `bufs`, joined in order, as one datagram to `address`, with one
    /// `sendmsg`, waiting at most `timeout` for buffer room; returns the bytes sent.
    /// socket2's `send_to_vectored`, with a timeout (and the destination before it, as in
    /// Chapel's [`send`](UdpSocket::send)).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocket-vectored-io)): as
    /// [`send_vectored`](UdpSocket::send_vectored), with the address.
    ///
    #[doc = man_links!(sendmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`send`](UdpSocket::send), with op `sendmsg`.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// use std::io::IoSlice;
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// bind(&socket, &"[::1]:0".parse()?, true)?;
    /// let parts = [IoSlice::new(b"a"), IoSlice::new(b"bc")];
    /// assert_eq!(socket.send_to_vectored(&parts, &socket.addr()?, 1)?, 3);
    /// assert_eq!(socket.recv(16, 1)?, b"abc");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_to_vectored(
        &self,
        bufs: &[std::io::IoSlice<'_>],
        address: &IpAddr,
        timeout: impl Into<Timeout>,
    ) -> Result<usize> {
        let to = std::net::SocketAddr::from(*address);
        self.sock.send_vectored(bufs, Some(&to), timeout.into(), || self.target(Some(*address)))
    }

    /// One datagram scattered over `bufs`, filling each in turn, with one `recvmsg`, waiting
    /// at most `timeout`; returns its length. A datagram longer than the buffers together is
    /// an `InvalidData` error naming both lengths (the buffers hold its first bytes), not a
    /// silent cut. socket2's `recv_vectored`, with a timeout (which returns the cut flag
    /// instead). At most 1,024 buffers are used (`IOV_MAX`).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocket-vectored-io)): the receives' wait, as
    /// [`recv_from_into`](UdpSocket::recv_from_into) with `recvmsg`:
    /// `recvmsg(MSG_DONTWAIT|MSG_TRUNC|MSG_CMSG_CLOEXEC)` — 1 when a datagram is there; one
    /// blocking `recvmsg(MSG_TRUNC|MSG_CMSG_CLOEXEC)` in steady state.
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_into`](UdpSocket::recv_into), with op `recvmsg`.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// use std::io::IoSliceMut;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"headbody", &socket.addr()?, 1)?;
    /// let (mut head, mut body) = ([0; 4], [0; 8]);
    /// let n = socket.recv_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)], 1)?;
    /// assert_eq!((n, &head, &body[..4]), (8, b"head", &b"body"[..]));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        self.recv_from_vectored(bufs, timeout).map(|(len, _)| len)
    }

    /// [`recv_vectored`](UdpSocket::recv_vectored) with the sender. socket2's
    /// `recv_from_vectored`, with a timeout.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocket-vectored-io)): as
    /// [`recv_vectored`](UdpSocket::recv_vectored) (whose `recvmsg` asks for the sender in
    /// either case).
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// As [`recv_vectored`](UdpSocket::recv_vectored); a truncated datagram's error names its
    /// sender.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// use std::io::{ErrorKind, IoSliceMut};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.send(b"0123456789", &socket.addr()?, 1)?;
    /// let (mut a, mut b) = ([0; 2], [0; 2]);
    /// let err = socket.recv_from_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)], 1).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidData);
    /// assert_eq!((&a, &b), (b"01", b"23"));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_from_vectored(
        &self,
        bufs: &mut [std::io::IoSliceMut<'_>],
        timeout: impl Into<Timeout>,
    ) -> Result<(usize, IpAddr)> {
        let fd = self.sock.fd(Op::RecvMsg)?;
        let capacity = vectored_capacity(bufs);
        let got = with_timeout(fd, Waits::Recv(&self.sock.timer), timeout.into(), |flags| {
            sys::msg::recv_datagram_vectored(fd, bufs, &mut [], flags)
        })
        .map_err(|cause| self.error(Op::RecvMsg, None, cause))?;
        let from = self.sender(got.from)?;
        if got.truncated || got.len > capacity {
            return Err(self.error(Op::RecvMsg, Some(from), Cause::Truncated { len: Some(got.len), capacity }));
        }
        Ok((got.len, from))
    }
}

/// How many bytes `bufs` hold together, of the buffers one vectored call uses (the first
/// 1,024): what a datagram scattered over them can fill.
pub(crate) fn vectored_capacity(bufs: &[std::io::IoSliceMut<'_>]) -> usize {
    bufs.iter().take(sys::msg::MAX_IOV).map(|b| b.len()).sum()
}
