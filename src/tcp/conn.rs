//! [`TcpConn`], a connected TCP stream.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use crate::addr::IpAddr;
use crate::error::{Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::sys;
use crate::sys::MsgFlags;
use crate::timeout::Timeout;
use crate::wait::{Waits, with_timeout};

/// Chapel's `tcpConn`: a connected TCP stream, from [`connect`](crate::connect),
/// [`connect_host`](crate::connect_host) or [`TcpListener::accept`](crate::TcpListener::accept).
///
/// Chapel's `tcpConn` is a file with reader and writer channels; this one is a stream:
/// [`Read`] and [`Write`] (on `TcpConn` and `&TcpConn`) wait as long as it takes, and
/// [`recv`](TcpConn::recv) / [`send`](TcpConn::send) take a timeout per call, so no caller
/// needs `SO_RCVTIMEO`. Writes never raise SIGPIPE: a closed peer is an `EPIPE` error. The
/// descriptor is close-on-exec and blocking; dropping the connection closes it.
///
/// ```
/// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
/// use std::io::{Read, Write};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let mut client = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// let mut peer = server.accept(INDEFINITE_TIMEOUT)?;
/// client.write_all(b"ping")?;
/// let mut got = [0; 4];
/// peer.read_exact(&mut got)?;
/// assert_eq!(&got, b"ping");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpConn {
    pub(crate) sock: Sock,
    /// The peer, when the call that made the connection learnt it.
    peer: Option<IpAddr>,
}

crate::socket::socket_types!(TcpConn);

impl TcpConn {
    pub(crate) fn new(sock: Sock, peer: Option<IpAddr>) -> TcpConn {
        TcpConn { sock, peer }
    }

    fn target(&self) -> Target {
        self.peer.map_or(Target::None, Target::Addr)
    }

    /// Chapel's `tcpConn.addr`: the peer's address, the one the kernel connected to (after a
    /// connect to `0.0.0.0:P`, `127.0.0.1:P`). Known from `connect`/`accept` without a
    /// syscall; a connection adopted from a descriptor asks `getpeername` (1 syscall).
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconnaddr)): none from `connect`/`accept`.
    ///
    #[doc = man_links!(getpeername(2))]
    ///
    /// # Errors
    /// A closed connection; for an adopted descriptor, the kernel's error from `getpeername`
    /// (`ENOTCONN` when it is not connected).
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// assert_eq!(connect(&server.addr()?, INDEFINITE_TIMEOUT)?.addr()?, server.addr()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn addr(&self) -> Result<IpAddr> {
        self.sock.fd(Op::GetPeerName)?;
        match self.peer {
            Some(peer) => Ok(peer),
            None => get_peer_name(self),
        }
    }

    /// Chapel's `tcpConn.socketFd`: the descriptor, or -1 once closed (see
    /// [descriptors](crate#descriptors)).
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// assert!(connect(&server.addr()?, INDEFINITE_TIMEOUT)?.socket_fd() >= 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn socket_fd(&self) -> RawFd {
        self.sock.raw()
    }

    /// A second handle to this connection, as std's `try_clone`, sharing its record of the
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
    /// let server = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let socket = chapel_socket::connect(&server.addr()?, 4)?;
    /// let clone = socket.try_clone()?;
    /// assert_ne!(clone.socket_fd(), socket.socket_fd());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<TcpConn> {
        Ok(TcpConn { sock: self.sock.try_clone()?, peer: self.peer })
    }

    /// Reads what has arrived, up to `buf.len()` bytes, waiting at most `timeout` for the
    /// first byte; `Ok(0)` is end of stream.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconnrecv)): in steady state (the timeout of
    /// the last call that waited, or close to it) one blocking `recvfrom`, timed by the
    /// `SO_RCVTIMEO` the crate armed; with a new timeout, `recvfrom(MSG_DONTWAIT)` — 1 when
    /// data is there — else `setsockopt(SO_RCVTIMEO)` and the blocking `recvfrom`. A wait
    /// the kernel ends short of the deadline is finished by `ppoll` and
    /// `recvfrom(MSG_DONTWAIT)`. While another thread receives on the same connection:
    /// `recvfrom(MSG_DONTWAIT) → EAGAIN`, `ppoll`, `recvfrom`. Indefinite: one blocking
    /// `recvfrom` (after a `setsockopt` that puts your own `SO_RCVTIMEO` back, if a timed call
    /// had armed the crate's).
    ///
    /// An indefinite wait blocks in the kernel, so an `SO_RCVTIMEO` you set through
    /// [`set_sock_opt`](crate::set_sock_opt) ends it with `EAGAIN` (kind `WouldBlock`), as in
    /// C; timed calls keep their own timeout whatever you set.
    ///
    #[doc = man_links!(recv(2), ppoll(2), setsockopt(2), socket(7))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when nothing arrived
    /// within `timeout`; a closed connection; the kernel's error
    /// (`ECONNRESET` for a reset peer); `WouldBlock` from an indefinite wait bounded by your own
    /// `SO_RCVTIMEO`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// use std::io::ErrorKind;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(conn.recv(&mut buf, 0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv(Op::Recv, MsgFlags::NONE, buf, timeout.into(), || self.target())
    }

    /// Writes as much of `buf` as fits, waiting at most `timeout` for room; returns how much
    /// was written. A closed peer is an `EPIPE`/`ECONNRESET` error, never SIGPIPE.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconnsend)): room in the buffer —
    /// `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)`, 1; full — `sendto → EAGAIN`, `ppoll([POLLOUT])`,
    /// `sendto`; indefinite — one blocking `sendto(MSG_NOSIGNAL)`. (Sends do not use
    /// `SO_SNDTIMEO`: one that must wait is rare, and the try already costs one call.)
    ///
    /// An indefinite wait blocks in the kernel, so an `SO_SNDTIMEO` you set yourself ends it
    /// with `EAGAIN` (kind `WouldBlock`), as in C.
    ///
    #[doc = man_links!(send(2), ppoll(2))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when there was no room
    /// within `timeout`; a closed connection; the kernel's error
    /// (`EPIPE`/`ECONNRESET` for a closed peer); `WouldBlock` from an indefinite wait bounded by
    /// your own `SO_SNDTIMEO`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// assert_eq!(conn.send(b"hello", 1.0)?, 5);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send(&self, buf: &[u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send(Op::Send, MsgFlags::NONE, buf, timeout.into(), || self.target())
    }

    /// Shuts down reading, writing or both (`shutdown(2)`, 1 syscall); the descriptor stays
    /// open until `close` or drop.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconnshutdown)): `shutdown` — 1.
    ///
    #[doc = man_links!(shutdown(2))]
    ///
    /// # Errors
    /// A closed connection; the kernel's error (`ENOTCONN` once the peer is gone).
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// use std::net::Shutdown;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// conn.shutdown(Shutdown::Write)?;
    /// let mut peer = server.accept(INDEFINITE_TIMEOUT)?;
    /// assert_eq!(peer.recv(&mut [0; 8], 1.0)?, 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.sock.shutdown(how, || self.target())
    }

    /// Closes the descriptor (one `close`), reporting the kernel's answer; every later call
    /// is a "closed" error that makes no syscall (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#close-and-drop)): `close` — 1.
    ///
    #[doc = man_links!(close(2))]
    ///
    /// # Errors
    /// The connection was already closed; the kernel's error from `close` (the descriptor is
    /// released all the same).
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let mut conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// conn.close()?;
    /// assert!(conn.send(b"x", 1.0).unwrap_err().is_closed());
    /// assert!(conn.close().unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<()> {
        self.sock.close()
    }
}

/// Beyond Chapel: the descriptor in the mode an event loop drives, looking at data without
/// taking it, and I/O over several buffers at once.
impl TcpConn {
    /// Switches the connection to non-blocking mode (`true`) or back, for an event loop:
    /// indefinite calls (and `Read`/`Write`) then answer `WouldBlock` at once when nothing is
    /// ready, timed ones still wait their timeout (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ioctl(FIONBIO)` — 1.
    ///
    #[doc = man_links!(ioctl(2))]
    ///
    /// # Errors
    /// A closed connection; the kernel's error from `ioctl`.
    ///
    /// ```
    /// use chapel_socket::INDEFINITE_TIMEOUT;
    /// use std::io::ErrorKind;
    /// let server = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = chapel_socket::connect(&server.addr()?, 4)?;
    /// conn.set_nonblocking(true)?;
    /// assert_eq!(conn.recv(&mut [0; 8], INDEFINITE_TIMEOUT).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// conn.set_nonblocking(false)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.sock.set_nonblocking(nonblocking)
    }

    /// The live descriptor, borrowed, for any API that takes `impl AsFd`, in safe code; the
    /// borrow keeps the connection open (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// A closed connection (the "closed" error), never a panic.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let server = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = chapel_socket::connect(&server.addr()?, 4)?;
    /// assert_eq!(conn.try_as_fd()?.as_raw_fd(), conn.socket_fd());
    /// // Any std API that takes a descriptor: a duplicate, here.
    /// let copy = conn.try_as_fd()?.try_clone_to_owned()?;
    /// assert_ne!(copy.as_raw_fd(), conn.socket_fd());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
        self.sock.fd(Op::AsFd)
    }

    /// Reads what has arrived into `buf` like [`recv`](TcpConn::recv), waiting at most
    /// `timeout` for the first byte, but leaves it queued (`MSG_PEEK`): the next read returns
    /// the same bytes. `Ok(0)` is end of stream.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconnpeek)): as [`recv`](TcpConn::recv), each
    /// `recvfrom` with `MSG_PEEK` added: 1 when data is there
    /// (`recvfrom(MSG_PEEK|MSG_DONTWAIT)`), one blocking `recvfrom(MSG_PEEK)` in steady state.
    ///
    #[doc = man_links!(recv(2), ppoll(2), setsockopt(2))]
    ///
    /// # Errors
    /// As [`recv`](TcpConn::recv): `InvalidInput` for a NaN timeout, `TimedOut`, a closed
    /// connection, the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let client = connect(&server.addr()?, 4)?;
    /// let peer = server.accept(4)?;
    /// client.send(b"hello", 1)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(peer.peek(&mut buf, 1)?, 5);
    /// assert_eq!(peer.recv(&mut buf, 1)?, 5); // still there
    /// assert_eq!(&buf[..5], b"hello");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv(Op::Peek, MsgFlags::PEEK, buf, timeout.into(), || self.target())
    }

    /// Reads what has arrived into `bufs`, filling each in turn, with one `recvmsg`, waiting
    /// at most `timeout` for the first byte; returns the bytes read, `Ok(0)` at end of stream.
    /// `Read::read_vectored` is this with an indefinite wait. At most 1,024 buffers are used
    /// (`IOV_MAX`).
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconn-vectored-io)): as [`recv`](TcpConn::recv),
    /// with `recvmsg` in place of `recvfrom`: `recvmsg(MSG_DONTWAIT)` — 1 when data is there;
    /// one blocking `recvmsg` in steady state and for `read_vectored`.
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), setsockopt(2))]
    ///
    /// # Errors
    /// As [`recv`](TcpConn::recv), with op `recvmsg`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// use std::io::IoSliceMut;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let client = connect(&server.addr()?, 4)?;
    /// let peer = server.accept(4)?;
    /// client.send(b"headbody", 1)?;
    /// let (mut head, mut body) = ([0; 4], [0; 4]);
    /// let n = peer.recv_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)], 1)?;
    /// assert_eq!((n, &head, &body), (8, b"head", b"body"));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_vectored(&self, bufs: &mut [io::IoSliceMut<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv_vectored(bufs, timeout.into(), || self.target())
    }

    /// Writes as much of `bufs`, in order, as fits, with one `sendmsg` (`MSG_NOSIGNAL`: a
    /// closed peer is `EPIPE`, never SIGPIPE), waiting at most `timeout` for room; returns the
    /// bytes written. `Write::write_vectored` is this with an indefinite wait. At most 1,024
    /// buffers go in one call (`IOV_MAX`); the rest is a short write.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconn-vectored-io)): as [`send`](TcpConn::send),
    /// with `sendmsg` in place of `sendto`: `sendmsg(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there
    /// is room, however many buffers; indefinite: one blocking `sendmsg(MSG_NOSIGNAL)`.
    ///
    #[doc = man_links!(sendmsg(2), ppoll(2))]
    ///
    /// # Errors
    /// As [`send`](TcpConn::send), with op `sendmsg`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// use std::io::IoSlice;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let client = connect(&server.addr()?, 4)?;
    /// let peer = server.accept(4)?;
    /// let parts = [IoSlice::new(b"GET "), IoSlice::new(b"/ "), IoSlice::new(b"HTTP/1.0\r\n")];
    /// assert_eq!(client.send_vectored(&parts, 1)?, 16);
    /// let mut buf = [0; 16];
    /// assert_eq!(peer.recv(&mut buf, 1)?, 16);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_vectored(&self, bufs: &[io::IoSlice<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send_vectored(bufs, None, timeout.into(), || self.target())
    }

    /// Writes all of `data`, waiting as it needs to for room, all within `timeout` from the
    /// call: one deadline for the whole, however many sends it takes (where a loop over
    /// [`send`](TcpConn::send) would give each its own). A zero timeout sends what fits now
    /// and never waits; a signal never cuts a wait short nor starts it over. `Ok(())` once
    /// every byte is sent.
    ///
    /// When it fails after the first send, some bytes may have gone: the error's message
    /// says how many (`send to 127.0.0.1:8080: timed out after 1 s; 2621440 of 4194304 bytes
    /// were sent`); the error's kind and errno are the failed send's.
    ///
    /// Syscalls ([contract](crate::syscalls#send_all)): room for all of it —
    /// `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)`, 1; a short send — another `sendto` for the rest,
    /// and while the buffer is full `ppoll([POLLOUT])` for what is left of the deadline;
    /// indefinite: blocking `sendto(MSG_NOSIGNAL)`s (one, unless a signal interrupts it).
    /// Empty `data`: none.
    ///
    #[doc = man_links!(send(2), ppoll(2))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when the deadline
    /// passed before all was sent; a closed connection; the kernel's error (`EPIPE`/`ECONNRESET`
    /// for a closed peer); `WouldBlock` from an indefinite wait bounded by your own
    /// `SO_SNDTIMEO`, or on a non-blocking connection.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// use std::io::Read;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let client = connect(&server.addr()?, 4)?;
    /// let mut peer = server.accept(4)?;
    /// let data = vec![7u8; 4 << 20]; // more than the socket buffers hold
    /// let reader = std::thread::spawn(move || {
    ///     let mut got = Vec::new();
    ///     peer.read_to_end(&mut got).map(|_| got.len())
    /// });
    /// client.send_all(&data, 10)?;
    /// drop(client);
    /// assert_eq!(reader.join().unwrap()?, 4 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_all(&self, data: &[u8], timeout: impl Into<Timeout>) -> Result<()> {
        self.sock.send_all(data, timeout.into(), || self.target())
    }

    /// Sends `data` as urgent, out-of-band data (`MSG_OOB`), waiting at most `timeout` for
    /// room; returns the bytes sent. TCP has one urgent byte: the last byte of `data`
    /// becomes the peer's out-of-band byte ([`recv_out_of_band`](TcpConn::recv_out_of_band)),
    /// the rest joins the stream. socket2's name, with a timeout.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconn-out-of-band-data)): as
    /// [`send`](TcpConn::send), with `MSG_OOB`: `sendto(MSG_OOB|MSG_DONTWAIT|MSG_NOSIGNAL)` — 1
    /// when there is room.
    ///
    #[doc = man_links!(send(2), tcp(7))]
    ///
    /// # Errors
    /// As [`send`](TcpConn::send), with op `send(MSG_OOB)`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let client = connect(&server.addr()?, 4)?;
    /// let peer = server.accept(4)?;
    /// client.send(b"data", 1)?;
    /// assert_eq!(client.send_out_of_band(b"!", 1)?, 1);
    /// let mut urgent = [0; 1];
    /// assert_eq!(peer.recv_out_of_band(&mut urgent, 1)?, 1);
    /// assert_eq!(&urgent, b"!");
    /// let mut buf = [0; 16];
    /// assert_eq!(peer.recv(&mut buf, 1)?, 4); // the stream, without the urgent byte
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_out_of_band(&self, data: &[u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send(Op::SendOob, MsgFlags::OOB, data, timeout.into(), || self.target())
    }

    /// Receives the urgent (out-of-band) byte the peer sent with `MSG_OOB`, into `buf`;
    /// returns 1 (0 for an empty `buf`, or once the stream has ended). socket2's name.
    ///
    /// The kernel's `MSG_OOB` receive never blocks. With no urgent byte announced — none was
    /// sent, it was already read, or [`SO_OOBINLINE`](crate::SO_OOBINLINE) keeps it in the stream —
    /// it fails at once with `EINVAL` (kind `InvalidInput`), whatever `timeout`. The one wait
    /// there is: a byte the peer announced that has not arrived yet (`EAGAIN`), which this
    /// waits for, at most `timeout`, polling for `POLLPRI`; an indefinite call answers
    /// `WouldBlock` then instead.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpconn-out-of-band-data)):
    /// `recvfrom(MSG_OOB|MSG_DONTWAIT)` — 1 (indefinite: `recvfrom(MSG_OOB)`); a byte announced
    /// but not arrived: `recvfrom → EAGAIN`, `ppoll([POLLPRI])`, `recvfrom`.
    ///
    #[doc = man_links!(recv(2), tcp(7), ppoll(2))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall, and (`EINVAL`) when no urgent
    /// byte is there; `TimedOut` when an announced one did not arrive within `timeout`; a
    /// closed connection; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// use std::io::ErrorKind;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let client = connect(&server.addr()?, 4)?;
    /// let peer = server.accept(4)?;
    /// // Nothing urgent was sent: an error at once, not a wait.
    /// let err = peer.recv_out_of_band(&mut [0; 1], 10).unwrap_err();
    /// assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::InvalidInput, Some(chapel_socket::EINVAL)));
    /// # drop(client);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_out_of_band(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::RecvOob)?;
        with_timeout(fd, Waits::Urgent, timeout.into(), |flags| sys::socket::recv(fd, buf, flags.with(MsgFlags::OOB)))
            .map_err(|cause| Error::new(Op::RecvOob, self.target(), cause))
    }
}

/// Chapel's `getPeerName`: the address of the connection's other end. An unconnected socket
/// is an `ENOTCONN` error. Syscalls ([contract](crate::syscalls#get_peer_name)): `getpeername` — 1.
///
#[doc = man_links!(getpeername(2))]
///
/// # Errors
/// A closed connection; `ENOTCONN` when it is not connected.
///
/// ```
/// use chapel_socket::{connect, get_peer_name, listen, INDEFINITE_TIMEOUT};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// assert_eq!(get_peer_name(&conn)?, server.addr()?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_peer_name(socket: &TcpConn) -> Result<IpAddr> {
    let fd = crate::socket::fd_of(socket, Op::GetPeerName)?;
    crate::socket::named(sys::socket::peer_name(fd), Op::GetPeerName)
}

/// `Read` and `Write` errors are the crate's [`Error`] inside an `io::Error` of the same kind
/// and message, reachable by downcasting (see the `From<Error> for io::Error` impl on
/// [`Error`]).
impl Read for &TcpConn {
    /// Waits as long as it takes (one blocking `recvfrom`).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv(buf, Timeout::INDEFINITE).map_err(io::Error::from)
    }

    /// One blocking `recvmsg` over all the buffers (see [`TcpConn::recv_vectored`]).
    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.recv_vectored(bufs, Timeout::INDEFINITE).map_err(io::Error::from)
    }
}

impl Write for &TcpConn {
    /// Waits as long as it takes (one blocking `sendto(MSG_NOSIGNAL)`).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(buf, Timeout::INDEFINITE).map_err(io::Error::from)
    }

    /// One blocking `sendmsg(MSG_NOSIGNAL)` over all the buffers (see
    /// [`TcpConn::send_vectored`]).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.send_vectored(bufs, Timeout::INDEFINITE).map_err(io::Error::from)
    }

    /// Nothing to do: writes go straight to the kernel.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpConn {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpConn {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TryFrom<OwnedFd> for TcpConn {
    type Error = Error;

    /// Adopts a connected TCP socket as it is, once the kernel says it is one (`SOCK_STREAM`
    /// in `AF_INET`/`AF_INET6`, protocol TCP: three `getsockopt`s; anything else is an
    /// `InvalidInput` error naming what it is, the descriptor closed); [`addr`](TcpConn::addr)
    /// then asks `getpeername`. A non-blocking one answers indefinite reads and writes with
    /// `EAGAIN` (`WouldBlock`) instead of waiting; bounded ones work in either mode.
    fn try_from(fd: OwnedFd) -> Result<TcpConn> {
        Ok(TcpConn::new(Sock::adopt(fd, Want::Tcp)?, None))
    }
}

impl TryFrom<std::net::TcpStream> for TcpConn {
    type Error = Error;

    /// See `TryFrom<OwnedFd>`: std's own `From<OwnedFd>` takes any descriptor.
    fn try_from(stream: std::net::TcpStream) -> Result<TcpConn> {
        TcpConn::try_from(OwnedFd::from(stream))
    }
}

impl TryFrom<TcpConn> for OwnedFd {
    type Error = Error;

    /// The descriptor, unless the connection was closed.
    fn try_from(mut conn: TcpConn) -> Result<OwnedFd> {
        conn.sock.take()
    }
}

impl TryFrom<TcpConn> for std::net::TcpStream {
    type Error = Error;

    fn try_from(conn: TcpConn) -> Result<std::net::TcpStream> {
        OwnedFd::try_from(conn).map(std::net::TcpStream::from)
    }
}
