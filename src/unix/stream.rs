//! [`UnixStream`], a connected Unix-domain stream socket.

use std::io::{self, Read, Write};
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::addr::UnixAddr;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::sys;
use crate::sys::socket::Progress;
use crate::sys::wait::Pacer;
use crate::sys::{Domain, MsgFlags, SockType};
use crate::timeout::Timeout;
use crate::unix::{Credentials, ReceivedFds, name_of, peer_credentials, recv_fds, send_credentials, send_fds, target};
use crate::wait::arm_for;

/// A connected Unix-domain stream socket, from [`connect`](UnixStream::connect),
/// [`pair`](UnixStream::pair) or [`UnixListener::accept`](crate::UnixListener::accept): the
/// counterpart of [`TcpConn`](crate::TcpConn) and `std::os::unix::net::UnixStream`.
///
/// [`Read`] and [`Write`] (on `UnixStream` and `&UnixStream`) wait as long as it takes;
/// [`recv`](UnixStream::recv) and [`send`](UnixStream::send) take a timeout per call. Sends
/// never raise SIGPIPE: a closed peer is an `EPIPE` error. It can pass descriptors
/// ([`send_with_fds`](UnixStream::send_with_fds)) and tell who the peer is
/// ([`peer_credentials`](UnixStream::peer_credentials)). The descriptor is close-on-exec and
/// blocking; dropping the stream closes it.
///
/// ```
/// use chapel_socket::UnixStream;
/// use std::io::{Read, Write};
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hello")?;
/// let mut got = [0; 5];
/// b.read_exact(&mut got)?;
/// assert_eq!(&got, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UnixStream {
    pub(crate) sock: Sock,
    /// The peer's name, when the call that made the stream learnt it.
    peer: Option<UnixAddr>,
}

crate::socket::socket_types!(UnixStream);

impl UnixStream {
    pub(crate) fn new(sock: Sock, peer: Option<UnixAddr>) -> UnixStream {
        UnixStream { sock, peer }
    }

    fn target(&self) -> Target {
        target(self.peer.as_ref())
    }

    /// A stream connected to the listener at `addr`. A Unix connect is local: it succeeds or
    /// fails at once unless the listener's queue is full, and only that case waits, at most
    /// `timeout`.
    ///
    /// A signal never cuts the wait short nor starts it over: it goes on for what is left. A
    /// timeout too long for the clock (`Duration::MAX`) waits as long as it takes, as an
    /// indefinite one does.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstreamconnect)): indefinite —
    /// `socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)`, `connect`: 2 (as `std`). With a timeout
    /// — `socket(…|SOCK_NONBLOCK)`, `connect`, `ioctl(FIONBIO, 0)`: 3. When the listener's
    /// queue is full (`connect → EAGAIN`), the socket is made blocking and the kernel waits in
    /// `connect` itself, bounded by `SO_SNDTIMEO` armed a margin short of the time left
    /// (`poll` cannot wait for this: an unconnected Unix socket always polls writable), and
    /// re-armed with what is left after a signal; the last few milliseconds are non-blocking
    /// `connect`s 1 ms apart (after one `ioctl(FIONBIO, 1)`), the last at the deadline.
    /// `SO_SNDTIMEO` is cleared again once connected.
    ///
    #[doc = man_links!(socket(2), connect(2), ioctl(2), setsockopt(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when the listener's
    /// queue stayed full for `timeout`; the kernel's error, naming the address: `NotFound` for a path with no socket file, `ConnectionRefused` for a file
    /// nobody listens on (a stale one) or an abstract name nobody has. The socket is closed on
    /// every error.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixStream};
    /// use std::io::ErrorKind;
    /// let nobody = UnixAddr::from_abstract(format!("chapel-doc-nobody-{}", std::process::id()))?;
    /// let err = UnixStream::connect(&nobody, 1.0).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    /// assert!(err.to_string().starts_with("connect to @chapel-doc-nobody-"), "{err}");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn connect(addr: &UnixAddr, timeout: impl Into<Timeout>) -> Result<UnixStream> {
        let at = Target::Unix(addr.clone());
        let timeout = timeout.into().check().map_err(|nan| Error::at(Op::Connect, &at, nan.into()))?;
        let deadline = timeout.deadline();
        let sock = Sock::new(
            sys::socket::socket(Domain::Unix, SockType::Stream, deadline.is_some())
                .map_err(Error::os(Op::Socket, &at))?,
        );
        let fd = sock.fd(Op::Connect)?;
        connect_bounded(fd, addr, timeout, deadline).map_err(|cause| Error::new(Op::Connect, at, cause))?;
        Ok(UnixStream::new(sock, Some(addr.clone())))
    }

    /// Two streams connected to each other, unnamed (Linux's `socketpair`).
    ///
    /// Syscalls ([contract](crate::syscalls#unixstreampair)):
    /// `socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)` — 1.
    ///
    #[doc = man_links!(socketpair(2))]
    ///
    /// # Errors
    /// The kernel's error from `socketpair` (such as `EMFILE`).
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// let (a, b) = UnixStream::pair()?;
    /// a.send(b"x", 1.0)?;
    /// assert_eq!(b.recv(&mut [0; 4], 1.0)?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn pair() -> Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::socket::socketpair(SockType::Stream).map_err(Error::os(Op::SocketPair, &Target::None))?;
        let unnamed = || Some(UnixAddr::unnamed());
        Ok((UnixStream::new(Sock::new(a), unnamed()), UnixStream::new(Sock::new(b), unnamed())))
    }

    /// A second handle to this stream, as std's `try_clone`, sharing its record of the socket
    /// (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#one-socket-many-holders)): `fcntl(F_DUPFD_CLOEXEC)` — 1.
    ///
    #[doc = man_links!(fcntl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error (`EMFILE` when the descriptor table is full).
    ///
    /// ```
    /// let (socket, _peer) = chapel_socket::UnixStream::pair()?;
    /// let clone = socket.try_clone()?;
    /// assert_ne!(clone.socket_fd(), socket.socket_fd());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<UnixStream> {
        Ok(UnixStream { sock: self.sock.try_clone()?, peer: self.peer.clone() })
    }

    /// Reads what has arrived, up to `buf.len()` bytes, waiting at most `timeout` for the
    /// first byte; `Ok(0)` is end of stream.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstreamrecv)): as
    /// [`TcpConn::recv`](crate::TcpConn::recv), the same wait: one blocking `recvfrom` in
    /// steady state, timed by the `SO_RCVTIMEO` the crate arms; data ready with a new timeout:
    /// `recvfrom(MSG_DONTWAIT)`, 1; else `setsockopt(SO_RCVTIMEO)` and the blocking
    /// `recvfrom`; any remainder by `ppoll`.
    ///
    #[doc = man_links!(recv(2), ppoll(2))]
    ///
    /// # Errors
    /// `TimedOut` when nothing arrived within `timeout`; a closed stream; the kernel's error
    /// (`ECONNRESET` when the peer closed with unread data); `WouldBlock` from an indefinite
    /// wait bounded by your own `SO_RCVTIMEO`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::ErrorKind;
    /// let (a, _b) = UnixStream::pair()?;
    /// assert_eq!(a.recv(&mut [0; 8], 0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv(Op::Recv, MsgFlags::NONE, buf, timeout.into(), || self.target())
    }

    /// Writes as much of `buf` as fits, waiting at most `timeout` for room; returns how much
    /// was written. A closed peer is an `EPIPE` error, never SIGPIPE.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstreamsend)): as
    /// [`TcpConn::send`](crate::TcpConn::send) — room: `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)`, 1;
    /// full: `sendto → EAGAIN`, `poll([POLLOUT], ms)`, `sendto`; indefinite: one blocking
    /// `sendto(MSG_NOSIGNAL)`.
    ///
    #[doc = man_links!(send(2), ppoll(2))]
    ///
    /// # Errors
    /// `TimedOut` when there was no room within `timeout`; a closed stream; the kernel's error
    /// (`EPIPE` for a closed peer); `WouldBlock` from an indefinite wait bounded by your own
    /// `SO_SNDTIMEO`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::ErrorKind;
    /// let (a, b) = UnixStream::pair()?;
    /// drop(b);
    /// assert_eq!(a.send(b"x", 1.0).unwrap_err().kind(), ErrorKind::BrokenPipe);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send(&self, buf: &[u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send(Op::Send, MsgFlags::NONE, buf, timeout.into(), || self.target())
    }

    /// Reads what has arrived into `buf` like [`recv`](UnixStream::recv), waiting at most
    /// `timeout` for the first byte, but leaves it queued (`MSG_PEEK`): the next read returns
    /// the same bytes. `Ok(0)` is end of stream. std's `peek` (unstable on `UnixStream`), with
    /// a timeout.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstream-peek-and-vectored-io)): as
    /// [`recv`](UnixStream::recv), each `recvfrom` with `MSG_PEEK` added:
    /// `recvfrom(MSG_PEEK|MSG_DONTWAIT)` — 1 when data is there.
    ///
    #[doc = man_links!(recv(2), ppoll(2))]
    ///
    /// # Errors
    /// As [`recv`](UnixStream::recv), with op `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// let (a, b) = UnixStream::pair()?;
    /// a.send(b"hello", 1)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(b.peek(&mut buf, 1)?, 5);
    /// assert_eq!(b.recv(&mut buf, 1)?, 5); // still there
    /// assert_eq!(&buf[..5], b"hello");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv(Op::Peek, MsgFlags::PEEK, buf, timeout.into(), || self.target())
    }

    /// [`TcpConn::recv_vectored`](crate::TcpConn::recv_vectored) on a Unix stream: what has
    /// arrived, scattered over `bufs` by one `recvmsg`, waiting at most `timeout` for the
    /// first byte; `Ok(0)` at end of stream. `Read::read_vectored` waits as long as it takes.
    /// socket2's `recv_vectored`, with a timeout.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstream-peek-and-vectored-io)): as
    /// [`recv`](UnixStream::recv), with `recvmsg` in place of `recvfrom` (1 when data is
    /// there).
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2))]
    ///
    /// # Errors
    /// As [`recv`](UnixStream::recv), with op `recvmsg`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::IoSliceMut;
    /// let (a, b) = UnixStream::pair()?;
    /// a.send(b"headbody", 1)?;
    /// let (mut head, mut body) = ([0; 4], [0; 4]);
    /// let n = b.recv_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)], 1)?;
    /// assert_eq!((n, &head, &body), (8, b"head", b"body"));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_vectored(&self, bufs: &mut [io::IoSliceMut<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv_vectored(bufs, timeout.into(), || self.target())
    }

    /// [`TcpConn::send_vectored`](crate::TcpConn::send_vectored) on a Unix stream: as much of
    /// `bufs`, in order, as fits, in one `sendmsg` (never SIGPIPE), waiting at most `timeout`
    /// for room. `Write::write_vectored` waits as long as it takes, and writes every buffer,
    /// not only the first. socket2's `send_vectored`, with a timeout.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstream-peek-and-vectored-io)): as
    /// [`send`](UnixStream::send), with `sendmsg` in place of `sendto` (1 when there is
    /// room, however many buffers).
    ///
    #[doc = man_links!(sendmsg(2), ppoll(2))]
    ///
    /// # Errors
    /// As [`send`](UnixStream::send), with op `sendmsg`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::{IoSlice, Write};
    /// let (mut a, b) = UnixStream::pair()?;
    /// assert_eq!(a.write_vectored(&[IoSlice::new(b"hello"), IoSlice::new(b" "), IoSlice::new(b"world!")])?, 12);
    /// assert_eq!(a.send_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"c")], 1)?, 3);
    /// let mut buf = [0; 32];
    /// assert_eq!(b.recv(&mut buf, 1)?, 15);
    /// assert_eq!(&buf[..15], b"hello world!abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_vectored(&self, bufs: &[io::IoSlice<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send_vectored(bufs, None, timeout.into(), || self.target())
    }

    /// Writes all of `data`, waiting as it needs to for room, all within `timeout` from the
    /// call: one deadline for the whole, however many sends it takes. A zero timeout sends
    /// what fits now and never waits. `Ok(())` once every byte is sent; an error after the
    /// first send says in its message how many bytes went, as
    /// [`TcpConn::send_all`](crate::TcpConn::send_all), which shows it.
    ///
    /// Syscalls ([contract](crate::syscalls#send_all)): as
    /// [`TcpConn::send_all`](crate::TcpConn::send_all): `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)` —
    /// 1 when all of it fits; another `sendto` after each short one, and `ppoll([POLLOUT])`
    /// for what is left of the deadline while the buffer is full.
    ///
    #[doc = man_links!(send(2), ppoll(2))]
    ///
    /// # Errors
    /// As [`TcpConn::send_all`](crate::TcpConn::send_all): `TimedOut` (its message with the
    /// bytes sent), a closed stream, the kernel's error (`EPIPE` for a closed peer).
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::ErrorKind;
    /// let (a, _b) = UnixStream::pair()?;
    /// // Nobody reads: what fits goes, then the deadline passes.
    /// let err = a.send_all(&vec![0; 8 << 20], 0.05).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// assert!(err.to_string().ends_with(" of 8388608 bytes were sent"), "{err}");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_all(&self, data: &[u8], timeout: impl Into<Timeout>) -> Result<()> {
        self.sock.send_all(data, timeout.into(), || self.target())
    }

    /// Sends `buf` with the descriptors `fds` (`SCM_RIGHTS`): the peer receives its own
    /// duplicates with [`recv_with_fds`](UnixStream::recv_with_fds); this process keeps its
    /// descriptors. Waits at most `timeout` for room; returns the bytes sent (the
    /// descriptors go with the first of them, so send at least one byte).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-descriptor-passing)): room —
    /// `sendmsg(MSG_DONTWAIT|MSG_NOSIGNAL)` with one `SCM_RIGHTS` message, 1; full — `sendmsg →
    /// EAGAIN`, `poll([POLLOUT], ms)`, `sendmsg`; indefinite — one blocking `sendmsg`.
    ///
    #[doc = man_links!(sendmsg(2), unix(7), cmsg(3))]
    ///
    /// # Errors
    /// `InvalidInput` for more than [`MAX_FDS`](crate::MAX_FDS) descriptors; `TimedOut`; a closed
    /// stream; the kernel's error (`EBADF` for a descriptor that is not open, `ETOOMANYREFS`
    /// beyond the kernel's nesting limit, `EPIPE` for a closed peer).
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::{Read, Write};
    /// use std::os::fd::{AsFd, OwnedFd};
    /// let (a, b) = UnixStream::pair()?;
    /// let (mut mine, theirs) = UnixStream::pair()?;
    /// // Pass one end of a second pair over the first (the socket types have no `AsFd`,
    /// // since they can be closed: hand the descriptor over first).
    /// let theirs = OwnedFd::try_from(theirs)?;
    /// a.send_with_fds(b"take this", &[theirs.as_fd()], 1.0)?;
    /// drop(theirs);
    /// let mut buf = [0; 16];
    /// let got = b.recv_with_fds(&mut buf, 4, 1.0)?;
    /// assert_eq!((&buf[..got.len], got.fds.len()), (&b"take this"[..], 1));
    /// let mut passed = UnixStream::try_from(got.fds.into_iter().next().unwrap())?;
    /// passed.write_all(b"via the passed fd")?;
    /// let mut echo = [0; 17];
    /// mine.read_exact(&mut echo)?;
    /// assert_eq!(&echo, b"via the passed fd");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_with_fds(&self, buf: &[u8], fds: &[BorrowedFd<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::SendMsg)?;
        send_fds(fd, buf, fds, None, timeout.into()).map_err(|cause| Error::new(Op::SendMsg, self.target(), cause))
    }

    /// Sends `buf` with credentials of your choosing (`SCM_CREDENTIALS`), waiting at most
    /// `timeout` for room; returns the bytes sent. The kernel checks the claim: `creds` must
    /// be this process's own pid and one of its user and group ids (real, effective or saved),
    /// unless the process has the privilege to claim others (`CAP_SYS_ADMIN` for the pid,
    /// `CAP_SETUID`/`CAP_SETGID` for the ids). A peer that set
    /// [`SO_PASSCRED`](crate::SO_PASSCRED) reads them in
    /// [`ReceivedFds::credentials`] from [`recv_with_fds`](UnixStream::recv_with_fds);
    /// without this call such a peer gets the kernel's own record of the sender. std's
    /// `SocketAncillary::add_creds` (unstable). Linux.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-credentials-passing)): room —
    /// `sendmsg(MSG_DONTWAIT|MSG_NOSIGNAL)` with one `SCM_CREDENTIALS` message, 1; full —
    /// `sendmsg → EAGAIN`, `ppoll([POLLOUT])`, `sendmsg`; indefinite — one blocking `sendmsg`.
    ///
    #[doc = man_links!(sendmsg(2), unix(7), cmsg(3))]
    ///
    /// # Errors
    /// `EPERM` (`PermissionDenied`) for ids this process may not claim; `EINVAL` for an id
    /// that is no id (`u32::MAX`); `TimedOut`; a closed stream; the kernel's error (`EPIPE`
    /// for a closed peer); `Unsupported` where the platform has no `SCM_CREDENTIALS`.
    ///
    /// ```
    /// use chapel_socket::{set_sock_opt, UnixStream, SOL_SOCKET, SO_PASSCRED};
    /// let (a, b) = UnixStream::pair()?;
    /// set_sock_opt(&b, SOL_SOCKET, SO_PASSCRED, 1)?;
    /// let me = a.peer_credentials()?; // the other end of a pair is this process
    /// a.send_with_credentials(b"who", &me, 1)?;
    /// let got = b.recv_with_fds(&mut [0; 8], 0, 1)?;
    /// assert_eq!(got.credentials, Some(me));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_with_credentials(&self, buf: &[u8], creds: &Credentials, timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::SendMsg)?;
        send_credentials(fd, buf, creds, None, timeout.into())
            .map_err(|cause| Error::new(Op::SendMsg, self.target(), cause))
    }

    /// Receives bytes and the descriptors sent with them, with room for up to `max_fds`
    /// descriptors (at most [`MAX_FDS`](crate::MAX_FDS)), waiting at most `timeout`. Every
    /// descriptor is owned by the result (an `OwnedFd`, close-on-exec from the receiving
    /// call): dropping it closes it, once. When more came than `max_fds`, the kernel closes
    /// the rest and [`fds_truncated`](ReceivedFds::fds_truncated) says so.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-descriptor-passing)): data ready —
    /// `recvmsg(MSG_DONTWAIT|MSG_CMSG_CLOEXEC)`, 1; nothing yet — `recvmsg → EAGAIN`,
    /// `poll([POLLIN], ms)`, `recvmsg`; indefinite — one blocking `recvmsg(MSG_CMSG_CLOEXEC)`.
    ///
    #[doc = man_links!(recvmsg(2), unix(7), cmsg(3))]
    ///
    /// # Errors
    /// As [`recv`](UnixStream::recv), with op `recvmsg`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// let (a, b) = UnixStream::pair()?;
    /// a.send(b"no fds", 1.0)?;
    /// let got = b.recv_with_fds(&mut [0; 16], 4, 1.0)?;
    /// assert_eq!((got.len, got.fds.len(), got.fds_truncated), (6, 0, false));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_with_fds(&self, buf: &mut [u8], max_fds: usize, timeout: impl Into<Timeout>) -> Result<ReceivedFds> {
        let fd = self.sock.fd(Op::RecvMsg)?;
        recv_fds(fd, &self.sock.timer, buf, max_fds, timeout.into(), false)
            .map(|(got, _)| got)
            .map_err(|cause| Error::new(Op::RecvMsg, self.target(), cause))
    }

    /// The process, user and group at the other end, as the kernel recorded them when the
    /// stream was connected (`SO_PEERCRED`).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-peer-credentials)):
    /// `getsockopt(SOL_SOCKET, SO_PEERCRED)` — 1.
    ///
    #[doc = man_links!(getsockopt(2), unix(7))]
    ///
    /// # Errors
    /// A closed stream; the kernel's error; `ENOPROTOOPT` where the platform has no
    /// `SO_PEERCRED`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// let (a, _b) = UnixStream::pair()?;
    /// assert_eq!(a.peer_credentials()?.pid, std::process::id() as i32);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peer_credentials(&self) -> Result<Credentials> {
        peer_credentials(self.sock.fd(Op::GetPeerCred)?, self.target())
    }

    /// This stream's own name (`getsockname`): unnamed unless it was bound; a stream accepted
    /// by a listener has the listener's name.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-addresses)): `getsockname` — 1.
    ///
    #[doc = man_links!(getsockname(2))]
    ///
    /// # Errors
    /// A closed stream; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// let (a, _b) = UnixStream::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn local_addr(&self) -> Result<UnixAddr> {
        name_of(&self.sock, Op::GetSockName)
    }

    /// The connected peer's name (`getpeername`): the listener's for a stream that connected
    /// to one; unnamed for the other end of a pair, and for most accepted streams (clients
    /// rarely bind).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-addresses)): `getpeername` — 1.
    ///
    #[doc = man_links!(getpeername(2))]
    ///
    /// # Errors
    /// A closed stream; `ENOTCONN` when it is not connected.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener, UnixStream};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-peer-{}", std::process::id()))?;
    /// let server = UnixListener::bind(&name, 4)?;
    /// assert_eq!(UnixStream::connect(&name, 1)?.peer_addr()?, name);
    /// assert!(server.accept(1)?.peer_addr()?.is_unnamed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peer_addr(&self) -> Result<UnixAddr> {
        name_of(&self.sock, Op::GetPeerName)
    }

    /// Shuts down receiving, sending or both (`shutdown(2)`); the descriptor stays open until
    /// `close` or drop.
    ///
    /// Syscalls ([contract](crate::syscalls#unixstreamshutdown)): `shutdown` — 1.
    ///
    #[doc = man_links!(shutdown(2))]
    ///
    /// # Errors
    /// A closed stream; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::net::Shutdown;
    /// let (a, b) = UnixStream::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// assert_eq!(a.send(b"x", 1.0).unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    /// assert_eq!(b.recv(&mut [0; 8], 1.0)?, 0); // end of stream
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn shutdown(&self, how: std::net::Shutdown) -> Result<()> {
        self.sock.shutdown(how, || self.target())
    }

    /// The descriptor, or -1 once closed.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// assert!(UnixStream::pair()?.0.socket_fd() >= 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn socket_fd(&self) -> RawFd {
        self.sock.raw()
    }

    /// The live descriptor, borrowed, for any API that takes `impl AsFd`, in safe code; the
    /// borrow keeps the stream open (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// A closed stream (the "closed" error), never a panic.
    ///
    /// ```
    /// use chapel_socket::{wait_readable, UnixStream};
    /// let (a, b) = UnixStream::pair()?;
    /// b.send(b"x", 1)?;
    /// wait_readable(a.try_as_fd()?, 1)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
        self.sock.fd(Op::AsFd)
    }

    /// Switches the stream to non-blocking mode (`true`) or back, for an event loop:
    /// indefinite calls (and `Read`/`Write`) then answer `WouldBlock` at once when nothing is
    /// ready, timed ones still wait their timeout (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ioctl(FIONBIO)` — 1.
    ///
    #[doc = man_links!(ioctl(2))]
    ///
    /// # Errors
    /// A closed stream; the kernel's error from `ioctl`.
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// use std::io::{ErrorKind, Read};
    /// let (mut a, _b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// assert_eq!(a.read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// a.set_nonblocking(false)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.sock.set_nonblocking(nonblocking)
    }

    /// Closes the descriptor (one `close`); every later call is a "closed" error that makes
    /// no syscall (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-close-and-drop)): `close` — 1.
    ///
    #[doc = man_links!(close(2))]
    ///
    /// # Errors
    /// The stream was already closed; the kernel's error from `close` (the descriptor is
    /// released all the same).
    ///
    /// ```
    /// use chapel_socket::UnixStream;
    /// let (mut a, _b) = UnixStream::pair()?;
    /// a.close()?;
    /// assert!(a.close().unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<()> {
        self.sock.close()
    }
}

/// The connect of [`UnixStream::connect`] on its fresh socket, until `deadline` (of
/// `timeout`, for the error). The socket blocks when there is no deadline (an indefinite
/// timeout, or one past the clock's reach: both wait as long as it takes) and otherwise does
/// not, so a full queue answers `EAGAIN` at once.
///
/// Then the kernel's own wait: the socket blocks, with `SO_SNDTIMEO` armed a margin short of
/// what is left ([`arm_for`], the same margin as `SO_RCVTIMEO`'s: the kernel keeps the value in
/// ticks and its timer wheel fires late by up to a step), so that wait never ends late. A
/// signal (`EINTR`, even under `SA_RESTART`: a timed connect is not restarted) or the timer
/// ends it; the deadline is checked and `SO_SNDTIMEO` re-armed to what is left then, never
/// to the whole timeout again. The last stretch, too short to arm (less than the margin and a
/// tick), is finished exactly: non-blocking tries [`STEP`] apart, the last at the deadline,
/// since `poll` cannot wait for room in the listener's queue.
fn connect_bounded(
    fd: BorrowedFd<'_>,
    addr: &UnixAddr,
    timeout: Timeout,
    deadline: Option<Instant>,
) -> std::result::Result<(), Cause> {
    let mut blocking = deadline.is_none();
    let mut armed = false;
    let mut pacer = Pacer::new();
    loop {
        match sys::socket::connect(fd, addr.name()) {
            Ok(Progress::Done) => break,
            // EINTR: a Unix connect is not under way after a signal; it is simply made again.
            Ok(Progress::Pending) => pacer.before_retry(deadline),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && deadline.is_some() => {}
            Err(e) => return Err(Cause::Os(e)),
        }
        let Some(deadline) = deadline else { continue };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Cause::TimedOut(timeout));
        }
        match arm_for(left.min(CHUNK)) {
            Some(arm) => {
                if !blocking {
                    sys::fd::set_nonblocking(fd, false).map_err(Cause::Os)?;
                    blocking = true;
                }
                sys::opt::set_send_timeout(fd, arm).map_err(Cause::Os)?;
                armed = true;
            }
            None => {
                if blocking {
                    sys::fd::set_nonblocking(fd, true).map_err(Cause::Os)?;
                    blocking = false;
                }
                sys::wait::pause(left.min(STEP));
            }
        }
    }
    if armed {
        sys::opt::set_send_timeout(fd, Duration::ZERO).map_err(Cause::Os)?;
    }
    if !blocking {
        sys::fd::set_nonblocking(fd, false).map_err(Cause::Os)?;
    }
    Ok(())
}

/// The time between the tries that finish a Unix connect's last stretch: room that opens in
/// the listener's queue meanwhile is taken within it, at a few dozen tries at most (the
/// stretch is at most the margin and a tick: 16 ms below a quarter of a second at HZ=250, 44
/// ms up to two seconds).
const STEP: Duration = Duration::from_millis(1);

/// The longest `SO_SNDTIMEO` wait armed at once: within the kernel timer wheel's reach at
/// any HZ (a day and a half at HZ=1000), where the margin holds. A longer wait is armed
/// again for what is left each time this much runs out.
const CHUNK: Duration = Duration::from_secs(24 * 60 * 60);

impl Read for &UnixStream {
    /// Waits as long as it takes (one blocking `recvfrom`).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv(buf, Timeout::INDEFINITE).map_err(io::Error::from)
    }

    /// One blocking `recvmsg` over all the buffers (see [`UnixStream::recv_vectored`]).
    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.recv_vectored(bufs, Timeout::INDEFINITE).map_err(io::Error::from)
    }
}

impl Write for &UnixStream {
    /// Waits as long as it takes (one blocking `sendto(MSG_NOSIGNAL)`).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(buf, Timeout::INDEFINITE).map_err(io::Error::from)
    }

    /// One blocking `sendmsg(MSG_NOSIGNAL)` over all the buffers (see
    /// [`UnixStream::send_vectored`]).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.send_vectored(bufs, Timeout::INDEFINITE).map_err(io::Error::from)
    }

    /// Nothing to do: writes go straight to the kernel.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for UnixStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for UnixStream {
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

impl TryFrom<OwnedFd> for UnixStream {
    type Error = Error;

    /// Adopts a connected Unix stream socket as it is (a passed one, say), once the kernel
    /// says it is one (`SOCK_STREAM` in `AF_UNIX`: two `getsockopt`s and `SO_PROTOCOL`'s;
    /// anything else is an `InvalidInput` error naming what it is, the descriptor closed). A
    /// non-blocking one answers indefinite reads and writes with `WouldBlock` instead of
    /// waiting.
    fn try_from(fd: OwnedFd) -> Result<UnixStream> {
        Ok(UnixStream::new(Sock::adopt(fd, Want::Unix(SockType::Stream))?, None))
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = Error;

    /// See `TryFrom<OwnedFd>`: std's own `From<OwnedFd>` takes any descriptor.
    fn try_from(stream: std::os::unix::net::UnixStream) -> Result<UnixStream> {
        UnixStream::try_from(OwnedFd::from(stream))
    }
}

impl TryFrom<UnixStream> for OwnedFd {
    type Error = Error;

    /// The descriptor, unless the stream was closed.
    fn try_from(mut stream: UnixStream) -> Result<OwnedFd> {
        stream.sock.take()
    }
}

impl TryFrom<UnixStream> for std::os::unix::net::UnixStream {
    type Error = Error;

    fn try_from(stream: UnixStream) -> Result<std::os::unix::net::UnixStream> {
        OwnedFd::try_from(stream).map(std::os::unix::net::UnixStream::from)
    }
}
