//! The socket syscalls themselves: one safe function per call, each making exactly that one
//! call (the syscall contract in `docs/SYSCALLS.md` is built from these).

use std::io;
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::addr::{KernelAddr, RawAddr, SockAddr, returning_addr, to_socket_addr};
use super::fd::own;
use super::{Domain, MsgFlags, SockType, cvt};

/// Added to every send (here and in `msg.rs`: `sendmsg`, `sendmmsg`) so a closed peer is `EPIPE`,
/// never SIGPIPE.
#[cfg(has_msg_nosignal)]
pub(super) const NOSIGNAL: libc::c_int = libc::MSG_NOSIGNAL;
/// Where `MSG_NOSIGNAL` is missing, `SO_NOSIGPIPE` is set on the socket instead.
#[cfg(not(has_msg_nosignal))]
pub(super) const NOSIGNAL: libc::c_int = 0;

/// The most one send or receive asks the kernel for. Its answer is an `ssize_t`; Linux cuts
/// each call at `MAX_RW_COUNT` (just under 2 GiB) by itself, while macOS refuses a length
/// above `INT_MAX` with `EINVAL`. Asking for at most `INT_MAX - 1` makes a huge buffer a
/// short read or write everywhere, never an error, which callers of `Read`/`Write` expect.
pub(super) const MAX_IO: usize = libc::c_int::MAX as usize - 1;

/// `sendto(2)` itself, the call under every plain send. Where Linux numbers it
/// (`has_direct_io`) it goes to the kernel through `syscall(2)`: glibc's `send`/`sendto` add
/// pthread-cancellation bookkeeping around it (two atomic read-modify-writes, about 45
/// instructions a call) for `pthread_cancel`, which no Rust thread can be given through std
/// and whose unwinding through Rust frames is undefined anyway. The kernel sees the same call,
/// argument for argument (`strace` prints it the same). Elsewhere it is libc's `sendto`.
///
/// # Safety
/// `buf` is valid for reads of `len` bytes; `addr` is null with `addr_len` 0, or points to a
/// socket address of `addr_len` bytes.
#[inline(always)]
unsafe fn sendto(
    fd: BorrowedFd<'_>,
    buf: *const u8,
    len: usize,
    flags: libc::c_int,
    addr: *const libc::sockaddr,
    addr_len: libc::socklen_t,
) -> io::Result<usize> {
    let fd = fd.as_raw_fd();
    #[cfg(has_direct_io)]
    // SAFETY: this function's contract; every argument is widened to the `long` the kernel's
    // calling convention takes (the kernel reads `fd`, `flags` and `addr_len` back as ints).
    let n = unsafe {
        libc::syscall(
            libc::SYS_sendto,
            libc::c_long::from(fd),
            buf,
            len,
            libc::c_long::from(flags),
            addr,
            libc::c_long::from(addr_len),
        )
    } as isize;
    #[cfg(not(has_direct_io))]
    // SAFETY: this function's contract.
    let n = unsafe { libc::sendto(fd, buf.cast(), len, flags, addr, addr_len) };
    cvt(n).map(|n| n as usize)
}

/// `recvfrom(2)` itself, the call under every plain receive: to the kernel directly where
/// Linux numbers it, as [`sendto`] (and for the same reason), else libc's `recvfrom`.
///
/// # Safety
/// `buf` is valid for writes of `len` bytes (initialised or not); `addr` and `addr_len` are
/// both null, or `addr_len` points to the length of the room `addr` points to.
#[inline(always)]
unsafe fn recvfrom(
    fd: BorrowedFd<'_>,
    buf: *mut u8,
    len: usize,
    flags: libc::c_int,
    addr: *mut libc::sockaddr,
    addr_len: *mut libc::socklen_t,
) -> io::Result<usize> {
    let fd = fd.as_raw_fd();
    #[cfg(has_direct_io)]
    // SAFETY: this function's contract; `fd` and `flags` widened as in `sendto`.
    let n = unsafe {
        libc::syscall(libc::SYS_recvfrom, libc::c_long::from(fd), buf, len, libc::c_long::from(flags), addr, addr_len)
    } as isize;
    #[cfg(not(has_direct_io))]
    // SAFETY: this function's contract.
    let n = unsafe { libc::recvfrom(fd, buf.cast(), len, flags, addr, addr_len) };
    cvt(n).map(|n| n as usize)
}

/// `socket(domain, ty | SOCK_CLOEXEC [| SOCK_NONBLOCK], 0)`: one syscall where the platform
/// has the type flags.
pub(crate) fn socket(domain: Domain, ty: SockType, nonblocking: bool) -> io::Result<OwnedFd> {
    #[cfg(has_accept4)]
    {
        let ty = ty.raw() | libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
        // SAFETY: plain integer arguments; the result is checked before it is owned.
        let fd = cvt(unsafe { libc::socket(domain.raw(), ty, 0) });
        audit!("socket", &fd, |a| a.socket(domain.raw(), ty, 0));
        fd.map(own)
    }
    #[cfg(not(has_accept4))]
    {
        use std::os::fd::AsFd;
        // SAFETY: plain integer arguments; the result is checked before it is owned.
        let fd = cvt(unsafe { libc::socket(domain.raw(), ty.raw(), 0) });
        audit!("socket", &fd, |a| a.socket(domain.raw(), ty.raw(), 0));
        let fd = fd.map(own)?;
        super::fd::set_cloexec(fd.as_fd())?;
        if nonblocking {
            super::fd::set_nonblocking(fd.as_fd(), true)?;
        }
        #[cfg(has_so_nosigpipe)]
        super::opt::set_int(fd.as_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;
        Ok(fd)
    }
}

/// `socketpair(AF_UNIX, ty | SOCK_CLOEXEC, 0)`: two connected, unnamed, blocking sockets.
pub(crate) fn socketpair(ty: SockType) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    #[cfg(has_accept4)]
    let ty = ty.raw() | libc::SOCK_CLOEXEC;
    #[cfg(not(has_accept4))]
    let ty = ty.raw();
    // SAFETY: `fds` has room for the two descriptors the call writes; each is owned at once.
    let made = cvt(unsafe { libc::socketpair(libc::AF_UNIX, ty, 0, fds.as_mut_ptr()) });
    audit!("socketpair", &made, |a| {
        let a = a.socket(libc::AF_UNIX, ty, 0);
        if made.is_ok() { a.raw(format_args!("[{}, {}]", fds[0], fds[1])) } else { a.ptr(fds.as_ptr()) }
    });
    made?;
    let pair = (own(fds[0]), own(fds[1]));
    #[cfg(not(has_accept4))]
    {
        use std::os::fd::AsFd;
        for fd in [pair.0.as_fd(), pair.1.as_fd()] {
            super::fd::set_cloexec(fd)?;
            #[cfg(has_so_nosigpipe)]
            super::opt::set_int(fd, libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;
        }
    }
    Ok(pair)
}

pub(crate) fn bind<A: KernelAddr>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<()> {
    let raw = addr.to_raw()?;
    // SAFETY: `raw` holds a valid sockaddr of `raw.len()` bytes for the duration of the call.
    let bound = cvt(unsafe { libc::bind(fd.as_raw_fd(), raw.as_ptr(), raw.len()) });
    audit!("bind", &bound, |a| a.raw(fd.as_raw_fd()).addr_in(raw.bytes()));
    bound.map(drop)
}

pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: i32) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    let listening = cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) });
    audit!("listen", &listening, |a| a.raw(fd.as_raw_fd()).raw(backlog));
    listening.map(drop)
}

/// `accept4(fd, &addr, &len, SOCK_CLOEXEC)`: the new socket is blocking whatever the
/// listener's mode, and the peer's address comes back without a `getpeername`.
pub(crate) fn accept<A: KernelAddr>(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, Option<A>)> {
    let (conn, peer) = returning_addr(|addr, len| {
        // Straight to the kernel where Linux numbers it, as `sendto` (and for the same reason).
        #[cfg(all(has_accept4, has_direct_io))]
        // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises; the integers
        // are widened to the kernel's `long`.
        let ret = cvt(unsafe {
            libc::syscall(
                libc::SYS_accept4,
                libc::c_long::from(fd.as_raw_fd()),
                addr,
                len,
                libc::c_long::from(libc::SOCK_CLOEXEC),
            )
        })
        .map(|fd| fd as libc::c_int);
        #[cfg(all(has_accept4, not(has_direct_io)))]
        // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
        let ret = cvt(unsafe { libc::accept4(fd.as_raw_fd(), addr, len, libc::SOCK_CLOEXEC) });
        #[cfg(has_accept4)]
        audit!("accept4", &ret, |a| {
            // SAFETY: the kernel wrote `*len` bytes of address at `addr` (cut to its room),
            // and `len` is the helper's live length.
            unsafe { a.raw(fd.as_raw_fd()).addr_out(ret.is_ok(), addr, *len) }
                .raw(super::audit::accept_flags(libc::SOCK_CLOEXEC))
        });
        #[cfg(not(has_accept4))]
        // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
        let ret = cvt(unsafe { libc::accept(fd.as_raw_fd(), addr, len) });
        #[cfg(not(has_accept4))]
        // SAFETY: the kernel wrote `*len` bytes of address at `addr` (cut to its room), and
        // `len` is the helper's live length.
        audit!("accept", &ret, |a| unsafe { a.raw(fd.as_raw_fd()).addr_out(ret.is_ok(), addr, *len) });
        ret.map(own)
    })?;
    #[cfg(not(has_accept4))]
    {
        use std::os::fd::AsFd;
        super::fd::set_cloexec(conn.as_fd())?;
        super::fd::set_nonblocking(conn.as_fd(), false)?;
    }
    Ok((conn, peer))
}

/// How far a `connect(2)` got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Connected.
    Done,
    /// The handshake goes on without the caller: the socket is non-blocking
    /// (`EINPROGRESS`, or `EALREADY` when asked again), or a signal interrupted a blocking
    /// connect (`EINTR`). Wait for writability, then ask
    /// [`take_error`](super::opt::take_error).
    Pending,
}

/// `connect(2)`. Its usual failures — still going (`EINPROGRESS`, `EALREADY`), interrupted
/// (`EINTR`), already connected (`EISCONN`) — are read from `errno` as they are, not made
/// into an `io::Error` first; only a real error becomes one.
pub(crate) fn connect<A: KernelAddr>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<Progress> {
    let failed = addr.with_raw(|ptr, len| {
        // Straight to the kernel where Linux numbers it, as `sendto` (and for the same reason).
        #[cfg(has_direct_io)]
        // SAFETY: `ptr` points to a valid sockaddr of `len` bytes for the duration of the
        // call, as `with_raw` promises; the integers are widened to the kernel's `long`.
        let ret = unsafe {
            libc::syscall(libc::SYS_connect, libc::c_long::from(fd.as_raw_fd()), ptr, libc::c_long::from(len))
        };
        #[cfg(not(has_direct_io))]
        // SAFETY: `ptr` points to a valid sockaddr of `len` bytes for the duration of the call.
        let ret = unsafe { libc::connect(fd.as_raw_fd(), ptr, len) };
        let failed = (ret == -1).then(errno);
        audit!("connect", &failed.map_or(Ok(0), |e| Err(io::Error::from_raw_os_error(e))), |a| {
            // SAFETY: `ptr` points to `len` initialised bytes of address (`with_raw`).
            let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) };
            a.raw(fd.as_raw_fd()).addr_in(bytes)
        });
        failed
    })?;
    match failed {
        None => Ok(Progress::Done),
        // Asked again after a wait: already connected.
        Some(libc::EISCONN) => Ok(Progress::Done),
        Some(libc::EINPROGRESS | libc::EALREADY | libc::EINTR) => Ok(Progress::Pending),
        Some(e) => Err(io::Error::from_raw_os_error(e)),
    }
}

/// `errno`, as the last call left it.
#[inline]
fn errno() -> libc::c_int {
    #[cfg(target_os = "linux")]
    // SAFETY: the calling thread's `errno`, a live int for as long as the thread.
    let e = unsafe { *libc::__errno_location() };
    #[cfg(not(target_os = "linux"))]
    let e = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    e
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, NULL, 0)`.
#[inline]
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: MsgFlags) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for reads of `len <= buf.len()` bytes.
    let n = unsafe { sendto(fd, buf.as_ptr(), len, flags.0 | NOSIGNAL, std::ptr::null(), 0) };
    audit!("sendto", &n, |a| a
        .raw(fd.as_raw_fd())
        .bytes(&buf[..len])
        .raw(len)
        .msg_flags(flags.0 | NOSIGNAL)
        .raw("NULL")
        .raw(0));
    n
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, addr, addrlen)`.
#[inline]
pub(crate) fn send_to<A: KernelAddr>(fd: BorrowedFd<'_>, buf: &[u8], addr: &A, flags: MsgFlags) -> io::Result<usize> {
    let raw = addr.to_raw()?;
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for reads of `len` bytes; `raw` is a valid sockaddr of `raw.len()`.
    let n = unsafe { sendto(fd, buf.as_ptr(), len, flags.0 | NOSIGNAL, raw.as_ptr(), raw.len()) };
    audit!("sendto", &n, |a| {
        a.raw(fd.as_raw_fd()).bytes(&buf[..len]).raw(len).msg_flags(flags.0 | NOSIGNAL).addr_in(raw.bytes())
    });
    n
}

/// [`send_to`] an IPv4 or IPv6 address, which always fits: the address is built in place,
/// not returned through a `Result`.
#[inline]
pub(crate) fn send_to_ip(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    addr: &std::net::SocketAddr,
    flags: MsgFlags,
) -> io::Result<usize> {
    let raw = RawAddr::new(addr);
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for reads of `len` bytes; `raw` is a valid sockaddr of `raw.len()`.
    let n = unsafe { sendto(fd, buf.as_ptr(), len, flags.0 | NOSIGNAL, raw.as_ptr(), raw.len()) };
    audit!("sendto", &n, |a| {
        a.raw(fd.as_raw_fd()).bytes(&buf[..len]).raw(len).msg_flags(flags.0 | NOSIGNAL).addr_in(raw.bytes())
    });
    n
}

/// `recvfrom(fd, buf, len, flags, NULL, NULL)`. With `MsgFlags::TRUNC` (datagrams) the
/// result is the datagram's full length, which may exceed `buf.len()`; it is then not a count
/// of the bytes written (see [`recv_appending`]), which `buf`, initialised memory, never needs.
#[inline]
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for writes of `len <= buf.len()` bytes.
    unsafe { recv_raw(fd, buf.as_mut_ptr(), len, flags) }
}

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)`; the sender is `None` when the kernel
/// gave no address of type `A`. The count is the kernel's, as for [`recv`].
#[inline]
pub(crate) fn recv_from<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: MsgFlags,
) -> io::Result<(usize, Option<A>)> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for writes of `len <= buf.len()` bytes.
    unsafe { recv_from_raw(fd, buf.as_mut_ptr(), len, flags) }
}

/// Where [`recv_from_ip`] has the kernel write a datagram's sender: room for any address,
/// as [`recv_from`] gives it, made once for all the tries of one receive and read once,
/// after the last ([`Sender::ip`]), so a retry costs nothing and the count the wait carries
/// is a plain `usize`.
pub(crate) struct Sender {
    addr: SockAddr,
    len: libc::socklen_t,
}

impl Sender {
    /// Zeroed room for any address.
    #[inline]
    pub(crate) fn new() -> Sender {
        // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
        Sender { addr: unsafe { std::mem::zeroed() }, len: ROOM }
    }

    /// The IPv4 or IPv6 address the last successful [`recv_from_ip`] wrote; `None` when it
    /// wrote none of those.
    #[inline]
    pub(crate) fn ip(&self) -> Option<std::net::SocketAddr> {
        to_socket_addr(&self.addr, self.len)
    }
}

/// The room a returned address is given, as `returning_addr` gives it.
const ROOM: libc::socklen_t = std::mem::size_of::<SockAddr>() as libc::socklen_t;

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)` into `from`'s room, as [`recv_from`]
/// makes it (the same arguments: the whole room each try); the count is the kernel's, as for
/// [`recv`], and the sender is read from `from` once the receive is done.
#[inline]
pub(crate) fn recv_from_ip(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    from: &mut Sender,
    flags: MsgFlags,
) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    let buf = buf.as_mut_ptr();
    from.len = ROOM;
    let (addr, addr_len) = ((&raw mut from.addr).cast::<libc::sockaddr>(), &raw mut from.len);
    // SAFETY: `buf` is valid for writes of `len <= buf.len()` bytes; `addr` has room for
    // `ROOM` bytes, which `addr_len` says; both live as long as `from`'s borrow.
    unsafe { recvfrom_named(fd, buf, len, flags, addr, addr_len) }
}

/// [`recvfrom`] with room for the sender, reported to the audit with what the kernel wrote.
///
/// # Safety
/// `buf` is valid for writes of `len` bytes, `addr` for writes of `*addr_len` bytes, and
/// `addr_len` for reads and writes, for the call.
#[inline]
unsafe fn recvfrom_named(
    fd: BorrowedFd<'_>,
    buf: *mut u8,
    len: usize,
    flags: MsgFlags,
    addr: *mut libc::sockaddr,
    addr_len: *mut libc::socklen_t,
) -> io::Result<usize> {
    // SAFETY: this function's contract.
    let n = unsafe { recvfrom(fd, buf, len, flags.0, addr, addr_len) };
    audit!("recvfrom", &n, |a| {
        let a = a.raw(fd.as_raw_fd());
        match n {
            // SAFETY: the kernel wrote the first `n` bytes of `buf` (at most `len`).
            Ok(n) => a.bytes(unsafe { std::slice::from_raw_parts(buf, n.min(len)) }),
            Err(_) => a.ptr(buf),
        };
        // SAFETY: the kernel wrote `*addr_len` bytes of address at `addr` (cut to its room),
        // and `addr_len` is live (this function's contract).
        unsafe { a.raw(len).msg_flags(flags.0).addr_out(n.is_ok(), addr, *addr_len) }
    });
    n
}

/// As [`recv`], into the unused capacity of `buf`, appending what the kernel wrote (at most
/// `max` bytes); nothing is zero-filled first. Returns whether the datagram was longer than
/// `max` bytes and was cut (the rest is lost or, under `MSG_PEEK`, still queued).
///
/// The count of bytes written is the call's result only without `MSG_TRUNC`: with it, UDP
/// returns the datagram's full length even when a peek offset (`SO_PEEK_OFF`) made it copy
/// fewer bytes, and TCP discards the data without copying any. So `MSG_TRUNC` is taken out
/// of `flags`, and the kernel is given room for `max + 1` bytes (reserved here if `buf` lacks
/// it): it writes `max + 1` exactly when the datagram (from the peek offset on) is longer than
/// `max`, which is then reported and the probe byte dropped.
pub(crate) fn recv_appending(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, max: usize, flags: MsgFlags) -> io::Result<bool> {
    let room = room(buf, max)?;
    let len = room.len();
    // SAFETY: `room` is valid for writes of `len` bytes; the kernel writes plain bytes there.
    let n = unsafe { recv_raw(fd, room.as_mut_ptr().cast(), len, flags.without_trunc()) }?;
    Ok(appended(buf, n, len))
}

/// As [`recv_from`], into the unused capacity of `buf`, appending what the kernel wrote, as
/// [`recv_appending`] does (and for the same reason without `MSG_TRUNC`).
pub(crate) fn recv_from_appending<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    max: usize,
    flags: MsgFlags,
) -> io::Result<(bool, Option<A>)> {
    let room = room(buf, max)?;
    let len = room.len();
    // SAFETY: `room` is valid for writes of `len` bytes; the kernel writes plain bytes there.
    let (n, from) = unsafe { recv_from_raw(fd, room.as_mut_ptr().cast(), len, flags.without_trunc()) }?;
    Ok((appended(buf, n, len), from))
}

/// `recvmsg(fd, {&addr, [buf, one probe byte]}, flags without MSG_TRUNC)`: as
/// [`recv_from`], for a receive whose count must be of the bytes written into `buf` (a peek
/// at a socket that may have a peek offset, where `MSG_TRUNC`'s result says more than was
/// copied), into a buffer that cannot be made longer: the byte past `buf` goes to a second
/// `iovec`, and it comes exactly when the datagram (from the offset on) is longer than
/// `buf`. Returns the bytes written into `buf`, whether there were more, and the sender.
pub(crate) fn recv_from_probing<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: MsgFlags,
) -> io::Result<(usize, bool, Option<A>)> {
    let len = buf.len().min(MAX_IO - 1);
    let mut probe = [0u8; 1];
    let mut iov = [
        libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: len },
        libc::iovec { iov_base: probe.as_mut_ptr().cast(), iov_len: 1 },
    ];
    let ((n, cut), from) = returning_addr(|addr, addr_len| {
        // SAFETY: `msghdr` is integers and pointers, for which all zeroes (null) is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = addr.cast();
        // SAFETY: `addr_len` points at the helper's live length.
        msg.msg_namelen = unsafe { *addr_len };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = 2;
        // SAFETY: `msg` points at the address room (`*addr_len` bytes, as `returning_addr`
        // promises) and two iovecs over live, exclusively borrowed memory of the lengths they
        // state (`len <= buf.len()`, the probe byte); there is no control space.
        let n = cvt(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags.without_trunc().0) });
        audit!("recvmsg", &n, |a| {
            // SAFETY: `msg` points at the address room and the two iovecs over live,
            // initialised memory, as above.
            unsafe { a.raw(fd.as_raw_fd()).msghdr(&msg, n.as_ref().ok().map(|&n| n as usize), false) }
                .msg_flags(flags.without_trunc().0)
        });
        let n = n? as usize;
        // SAFETY: as above.
        unsafe { *addr_len = msg.msg_namelen };
        // Without MSG_TRUNC the result counts the bytes written, `buf`'s first.
        Ok((n.min(len), n > len))
    })?;
    Ok((n, cut, from))
}

/// `recvfrom(fd, buf, len, flags, NULL, NULL)`: the one receive call of the plain forms.
///
/// # Safety
/// `buf` is valid for writes of `len` bytes (initialised or not) for the call.
#[inline]
unsafe fn recv_raw(fd: BorrowedFd<'_>, buf: *mut u8, len: usize, flags: MsgFlags) -> io::Result<usize> {
    // SAFETY: forwarded from this function's contract.
    let n = unsafe { recvfrom(fd, buf, len, flags.0, std::ptr::null_mut(), std::ptr::null_mut()) };
    audit!("recvfrom", &n, |a| {
        let a = a.raw(fd.as_raw_fd());
        match n {
            // SAFETY: the kernel wrote the first `n` bytes of `buf` (at most `len`).
            Ok(n) => a.bytes(unsafe { std::slice::from_raw_parts(buf, n.min(len)) }),
            Err(_) => a.ptr(buf),
        }
        .raw(len)
        .msg_flags(flags.0)
        .raw("NULL")
        .raw("NULL")
    });
    n
}

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)`: the one receive call that learns the
/// sender.
///
/// # Safety
/// `buf` is valid for writes of `len` bytes (initialised or not) for the call.
#[inline]
unsafe fn recv_from_raw<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: *mut u8,
    len: usize,
    flags: MsgFlags,
) -> io::Result<(usize, Option<A>)> {
    returning_addr(|addr, addr_len| {
        // SAFETY: `buf` is valid for writes of `len` bytes (this function's contract); `addr`
        // has room for `*addr_len` bytes, and `addr_len` is live, as `returning_addr` promises.
        unsafe { recvfrom_named(fd, buf, len, flags, addr, addr_len) }
    })
}

/// The unused capacity of `buf` where a receive of at most `max` bytes writes, with one probe
/// byte more (`max` is cut to `MAX_IO - 1` first), reserved when `buf` lacks it: an error
/// (not an abort) when that cannot be allocated.
fn room(buf: &mut Vec<u8>, max: usize) -> io::Result<&mut [MaybeUninit<u8>]> {
    let want = max.min(MAX_IO - 1) + 1;
    buf.try_reserve_exact(want).map_err(|_| {
        io::Error::new(io::ErrorKind::OutOfMemory, format!("cannot allocate a {want}-byte receive buffer"))
    })?;
    Ok(&mut buf.spare_capacity_mut()[..want])
}

/// Marks the bytes a receive given `room` bytes wrote at the end of `buf` as its own and
/// drops the probe byte: `n` is the call's result made without `MSG_TRUNC`, so the count of
/// bytes it wrote, and the last of the `room` bytes is the probe. Returns whether it came:
/// the datagram was longer than `room - 1` bytes (`max`, or `MAX_IO - 1` when that is less).
fn appended(buf: &mut Vec<u8>, n: usize, room: usize) -> bool {
    // The kernel never reports more than it was given without MSG_TRUNC; `min` keeps that
    // out of the unsafe block's premises all the same.
    let written = n.min(room);
    // SAFETY: the rule for every `set_len` in `sys/`: what is marked initialised is what the
    // kernel copied. The receive was made without `MSG_TRUNC` (`recv_appending` takes it out),
    // so its result is the count of bytes it wrote into the first `room` bytes of the spare
    // capacity (`room` was reserved, so `len + written <= capacity`), from the start: with a
    // peek offset too, where the kernel copies `len - off` bytes and says so.
    unsafe { buf.set_len(buf.len() + written) };
    let cut = written == room;
    if cut {
        buf.truncate(buf.len() - 1);
    }
    cut
}

/// What a descriptor is, as the kernel reports it: `SO_DOMAIN`, `SO_TYPE` and (where the
/// platform has it) `SO_PROTOCOL`, so adopting one can check it is the kind of socket it is
/// adopted as before any receive relies on that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    family: libc::c_int,
    ty: libc::c_int,
    protocol: Option<libc::c_int>,
}

/// The kinds of socket a descriptor can be adopted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// TCP: `SOCK_STREAM` in `AF_INET`/`AF_INET6`, protocol TCP (or MPTCP, which is TCP on
    /// the wire and to its socket calls).
    Tcp,
    /// UDP: `SOCK_DGRAM` in `AF_INET`/`AF_INET6`, protocol UDP.
    Udp,
    /// A Unix socket of this type.
    Unix(SockType),
}

impl Want {
    /// The name used in the refusal: "a TCP socket"…
    fn name(self) -> &'static str {
        match self {
            Want::Tcp => "a TCP socket",
            Want::Udp => "a UDP socket",
            Want::Unix(SockType::Stream) => "a Unix stream socket",
            Want::Unix(SockType::Datagram) => "a Unix datagram socket",
        }
    }
}

impl Kind {
    /// Whether this is the kind `want` names (a protocol the platform cannot report passes).
    fn is(self, want: Want) -> bool {
        let inet = matches!(self.family, libc::AF_INET | libc::AF_INET6);
        let protocol = |p: &[libc::c_int]| self.protocol.is_none_or(|have| p.contains(&have));
        match want {
            Want::Tcp => inet && self.ty == libc::SOCK_STREAM && protocol(&[libc::IPPROTO_TCP, IPPROTO_MPTCP]),
            Want::Udp => inet && self.ty == libc::SOCK_DGRAM && protocol(&[libc::IPPROTO_UDP]),
            Want::Unix(ty) => self.family == libc::AF_UNIX && self.ty == ty.raw(),
        }
    }
}

/// `IPPROTO_MPTCP` (Linux 5.6), named here as libc has it only on Linux.
const IPPROTO_MPTCP: libc::c_int = 262;

impl std::fmt::Display for Kind {
    /// "a socket of family AF_INET, type SOCK_STREAM, protocol 6 (IPPROTO_TCP)".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let family = match self.family {
            libc::AF_INET => "AF_INET".to_owned(),
            libc::AF_INET6 => "AF_INET6".to_owned(),
            libc::AF_UNIX => "AF_UNIX".to_owned(),
            other => other.to_string(),
        };
        let ty = match self.ty {
            libc::SOCK_STREAM => "SOCK_STREAM".to_owned(),
            libc::SOCK_DGRAM => "SOCK_DGRAM".to_owned(),
            libc::SOCK_SEQPACKET => "SOCK_SEQPACKET".to_owned(),
            libc::SOCK_RAW => "SOCK_RAW".to_owned(),
            other => other.to_string(),
        };
        write!(f, "a socket of family {family}, type {ty}")?;
        match self.protocol {
            Some(libc::IPPROTO_TCP) if self.family != libc::AF_UNIX => f.write_str(", protocol IPPROTO_TCP"),
            Some(libc::IPPROTO_UDP) if self.family != libc::AF_UNIX => f.write_str(", protocol IPPROTO_UDP"),
            Some(p) => write!(f, ", protocol {p}"),
            None => Ok(()),
        }
    }
}

/// Checks that `fd` is `want`'s kind of socket, from what the kernel says it is: one
/// `getsockopt` each of `SO_DOMAIN`, `SO_TYPE` and `SO_PROTOCOL` (the last only where the
/// platform has it). Anything else, a descriptor that is no socket included, is an
/// `InvalidInput` error (no OS error) naming what it is.
pub(crate) fn check_kind(fd: BorrowedFd<'_>, want: Want) -> io::Result<()> {
    let refuse = |what: String| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}, not {}", want.name()));
    let get = |name| match super::opt::get_int(fd, libc::SOL_SOCKET, name) {
        Err(e) if e.raw_os_error() == Some(libc::ENOTSOCK) => Err(refuse("the descriptor is no socket at all".into())),
        other => other,
    };
    let kind = Kind { family: family(fd, get)?, ty: get(libc::SO_TYPE)?, protocol: protocol(fd)? };
    if kind.is(want) { Ok(()) } else { Err(refuse(format!("the descriptor is {kind}"))) }
}

/// The socket's family: `SO_DOMAIN`, on Linux.
#[cfg(has_linux_sockopts)]
fn family(_fd: BorrowedFd<'_>, get: impl Fn(libc::c_int) -> io::Result<libc::c_int>) -> io::Result<libc::c_int> {
    get(libc::SO_DOMAIN)
}

/// The socket's family where there is no `SO_DOMAIN`: the family of its own address
/// (`getsockname` answers it for an unbound socket too).
#[cfg(not(has_linux_sockopts))]
fn family(fd: BorrowedFd<'_>, _get: impl Fn(libc::c_int) -> io::Result<libc::c_int>) -> io::Result<libc::c_int> {
    super::addr::family_of(fd)
}

/// `SO_PROTOCOL`, on Linux.
#[cfg(has_linux_sockopts)]
fn protocol(fd: BorrowedFd<'_>) -> io::Result<Option<libc::c_int>> {
    super::opt::get_int(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL).map(Some)
}

/// Where the platform does not report a socket's protocol, the family and type decide.
#[cfg(not(has_linux_sockopts))]
fn protocol(_fd: BorrowedFd<'_>) -> io::Result<Option<libc::c_int>> {
    Ok(None)
}

pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: plain integer arguments.
    let done = cvt(unsafe { libc::shutdown(fd.as_raw_fd(), how) });
    audit!("shutdown", &done, |a| {
        a.raw(fd.as_raw_fd()).raw(match how {
            libc::SHUT_RD => "SHUT_RD",
            libc::SHUT_WR => "SHUT_WR",
            _ => "SHUT_RDWR",
        })
    });
    done.map(drop)
}

/// `getsockname(2)`; `None` when the socket's address is not of type `A`.
pub(crate) fn sock_name<A: KernelAddr>(fd: BorrowedFd<'_>) -> io::Result<Option<A>> {
    // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
    returning_addr(|addr, len| {
        let named = cvt(unsafe { libc::getsockname(fd.as_raw_fd(), addr, len) });
        // SAFETY: the kernel wrote `*len` bytes of address at `addr` (cut to its room), and
        // `len` is the helper's live length.
        audit!("getsockname", &named, |a| unsafe { a.raw(fd.as_raw_fd()).addr_out(named.is_ok(), addr, *len) });
        named
    })
    .map(|(_, a)| a)
}

/// `getpeername(2)`; `None` when the peer's address is not of type `A`.
pub(crate) fn peer_name<A: KernelAddr>(fd: BorrowedFd<'_>) -> io::Result<Option<A>> {
    // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
    returning_addr(|addr, len| {
        let named = cvt(unsafe { libc::getpeername(fd.as_raw_fd(), addr, len) });
        // SAFETY: the kernel wrote `*len` bytes of address at `addr` (cut to its room), and
        // `len` is the helper's live length.
        audit!("getpeername", &named, |a| unsafe { a.raw(fd.as_raw_fd()).addr_out(named.is_ok(), addr, *len) });
        named
    })
    .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn fd_flags(fd: BorrowedFd<'_>) -> (libc::c_int, libc::c_int) {
        // SAFETY: F_GETFL/F_GETFD only read the descriptor's flags.
        unsafe { (libc::fcntl(fd.as_raw_fd(), libc::F_GETFL), libc::fcntl(fd.as_raw_fd(), libc::F_GETFD)) }
    }

    #[test]
    fn nonblocking_toggles_and_cloexec_is_set() {
        let sock = socket(super::super::Domain::Ipv4, super::super::SockType::Stream, false).unwrap();
        let (fl, fd_bits) = fd_flags(sock.as_fd());
        assert_eq!((fl & libc::O_NONBLOCK, fd_bits & libc::FD_CLOEXEC), (0, libc::FD_CLOEXEC));
        super::super::fd::set_nonblocking(sock.as_fd(), true).unwrap();
        assert_ne!(fd_flags(sock.as_fd()).0 & libc::O_NONBLOCK, 0);
        super::super::fd::set_nonblocking(sock.as_fd(), false).unwrap();
        assert_eq!(fd_flags(sock.as_fd()).0 & libc::O_NONBLOCK, 0);
        super::super::fd::close(sock).unwrap();
    }

    /// A UDP socket bound to a free loopback port, and that address.
    fn udp() -> (OwnedFd, std::net::SocketAddr) {
        let fd = socket(Domain::Ipv4, SockType::Datagram, false).unwrap();
        bind(fd.as_fd(), &"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap()).unwrap();
        let at = sock_name(fd.as_fd()).unwrap().unwrap();
        (fd, at)
    }

    #[test]
    fn receives_append_only_what_the_kernel_wrote() {
        let (fd, at) = udp();
        let fd = fd.as_fd();
        // MSG_TRUNC among the flags is taken out: the count must be of bytes written.
        let flags = MsgFlags::DONTWAIT.with(MsgFlags::TRUNC);
        send_to(fd, b"0123456789", &at, MsgFlags::NONE).unwrap();
        // Room for 4 of the 10 bytes: 4 appended, the cut reported.
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(b"ab");
        assert!(recv_appending(fd, &mut buf, 4, flags).unwrap());
        assert_eq!(buf, b"ab0123");
        // A datagram of exactly the room: not cut, and the probe byte is not kept.
        send_to(fd, b"hello", &at, MsgFlags::NONE).unwrap();
        let mut buf = Vec::new();
        let (cut, from) = recv_from_appending(fd, &mut buf, 5, flags).unwrap();
        assert_eq!((cut, from, buf.as_slice()), (false, Some(at), &b"hello"[..]));
        assert!(buf.capacity() >= 6, "room for the probe byte was reserved");
        send_to(fd, b"hello", &at, MsgFlags::NONE).unwrap();
        let mut buf = Vec::with_capacity(3);
        let (cut, _) = recv_from_appending::<std::net::SocketAddr>(fd, &mut buf, 3, flags).unwrap();
        assert_eq!((cut, buf.as_slice()), (true, &b"hel"[..]));
        // Nothing queued: an error, and nothing appended.
        let mut buf = Vec::with_capacity(8);
        let e = recv_appending(fd, &mut buf, 8, flags).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert!(buf.is_empty());
        // No room at all: the datagram is consumed and reported as cut, nothing kept.
        send_to(fd, b"x", &at, MsgFlags::NONE).unwrap();
        let mut buf = Vec::new();
        assert!(recv_from_appending::<std::net::SocketAddr>(fd, &mut buf, 0, flags).unwrap().0);
        assert!(buf.is_empty());
    }

    /// With a peek offset, `MSG_PEEK|MSG_TRUNC` returns the datagram's full length but copies
    /// only what lies past the offset: the appended length is the copied one.
    #[test]
    fn a_peek_offset_appends_only_the_bytes_past_it() {
        let (fd, at) = udp();
        let fd = fd.as_fd();
        super::super::opt::set_int(fd, libc::SOL_SOCKET, libc::SO_PEEK_OFF, 32).unwrap();
        send_to(fd, &[0x11; 64], &at, MsgFlags::NONE).unwrap();
        let peek = MsgFlags::DONTWAIT.with(MsgFlags::PEEK).with(MsgFlags::TRUNC);
        let mut buf = Vec::new();
        assert!(!recv_appending(fd, &mut buf, 64, peek).unwrap());
        assert_eq!(buf, [0x11; 32]);
    }

    #[test]
    fn kinds_are_read_from_the_kernel() {
        let (dgram, _) = udp();
        let stream = socket(Domain::Ipv6, SockType::Stream, false).unwrap();
        let (unix, _) = socketpair(SockType::Datagram).unwrap();
        let cases = [
            (dgram.as_fd(), Want::Udp, true),
            (dgram.as_fd(), Want::Tcp, false),
            (stream.as_fd(), Want::Tcp, true),
            (stream.as_fd(), Want::Udp, false),
            (stream.as_fd(), Want::Unix(SockType::Stream), false),
            (unix.as_fd(), Want::Unix(SockType::Datagram), true),
            (unix.as_fd(), Want::Unix(SockType::Stream), false),
            (unix.as_fd(), Want::Udp, false),
        ];
        for (fd, want, ok) in cases {
            match check_kind(fd, want) {
                Ok(()) => assert!(ok, "{want:?}"),
                Err(e) => {
                    assert!(!ok, "{want:?}: {e}");
                    assert_eq!((e.kind(), e.raw_os_error()), (io::ErrorKind::InvalidInput, None));
                    assert!(e.to_string().ends_with(&format!("not {}", want.name())), "{e}");
                }
            }
        }
        let e = check_kind(dgram.as_fd(), Want::Tcp).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the descriptor is a socket of family AF_INET, type SOCK_DGRAM, protocol IPPROTO_UDP, not a TCP socket"
        );
        // Not a socket at all.
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        let e = check_kind(file.as_fd(), Want::Udp).unwrap_err();
        assert_eq!(e.to_string(), "the descriptor is no socket at all, not a UDP socket");
    }

    /// A bound UDP socket with a datagram of `len` bytes (none of them 0x5a) queued to
    /// itself, and with the peek offset `peek_off` when there is one: (socket, its address,
    /// the datagram).
    fn queued(len: usize, peek_off: Option<usize>) -> (OwnedFd, std::net::SocketAddr, Vec<u8>) {
        let (socket, at) = udp();
        if let Some(off) = peek_off {
            let off = i32::try_from(off).unwrap();
            super::super::opt::set_int(socket.as_fd(), libc::SOL_SOCKET, libc::SO_PEEK_OFF, off).unwrap();
        }
        let datagram: Vec<u8> = (0..len).map(|i| (i % 89) as u8 + 1).collect();
        send_to(socket.as_fd(), &datagram, &at, MsgFlags::NONE).unwrap();
        (socket, at, datagram)
    }

    /// `MSG_DONTWAIT`, with `MSG_PEEK` and `MSG_TRUNC` as asked.
    fn receive_flags(peek: bool, trunc: bool) -> MsgFlags {
        let mut flags = MsgFlags::DONTWAIT;
        if peek {
            flags = flags.with(MsgFlags::PEEK);
        }
        if trunc {
            flags = flags.with(MsgFlags::TRUNC);
        }
        flags
    }

    proptest::proptest! {
        /// Any datagram, room, peek offset and flags: what is appended is exactly the bytes
        /// the kernel copied (the datagram from the offset on, cut to the room), never a
        /// byte of the memory that was there before (filled with 0x5a first), and `cut` says
        /// exactly whether there was more.
        #[test]
        fn appended_bytes_are_exactly_the_copied_ones(
            len in 0..300usize,
            max in 0..300usize,
            peek_off in proptest::option::of(0..300usize),
            trunc in proptest::prelude::any::<bool>(),
        ) {
            let (socket, _, datagram) = queued(len, peek_off);
            let fd = socket.as_fd();
            let flags = receive_flags(peek_off.is_some(), trunc);
            // Stale bytes where the receive writes: initialised, but not the datagram's.
            let mut buf = vec![0x5a_u8; max + 1];
            buf.clear();
            let off = peek_off.unwrap_or(0);
            match recv_appending(fd, &mut buf, max, flags) {
                Ok(cut) => {
                    // A peek offset at or past the end of the only datagram would look at
                    // the next one, and there is none: only an empty datagram reaches here.
                    let avail = &datagram[off.min(len)..];
                    proptest::prop_assert_eq!(&buf[..], &avail[..avail.len().min(max)]);
                    proptest::prop_assert_eq!(cut, avail.len() > max);
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                    proptest::prop_assert!(peek_off.is_some() && off >= len);
                    proptest::prop_assert!(buf.is_empty());
                }
            }
        }

        /// The same for a receive into a caller's initialised buffer under `MSG_PEEK`: the
        /// count returned is of bytes written (the rest of the buffer keeps its 0x5a), and
        /// the probe byte tells a longer datagram exactly.
        #[test]
        fn a_probing_peek_counts_exactly_the_copied_bytes(
            len in 0..300usize,
            room in 0..300usize,
            peek_off in proptest::option::of(0..300usize),
            trunc in proptest::prelude::any::<bool>(),
        ) {
            let (socket, at, datagram) = queued(len, peek_off);
            let fd = socket.as_fd();
            let flags = receive_flags(true, trunc);
            let mut buf = vec![0x5a_u8; room];
            let off = peek_off.unwrap_or(0);
            match recv_from_probing::<std::net::SocketAddr>(fd, &mut buf, flags) {
                Ok((n, cut, from)) => {
                    let avail = &datagram[off.min(len)..];
                    proptest::prop_assert_eq!(n, avail.len().min(room));
                    proptest::prop_assert_eq!(&buf[..n], &avail[..n]);
                    proptest::prop_assert!(buf[n..].iter().all(|&b| b == 0x5a));
                    proptest::prop_assert_eq!(cut, avail.len() > room);
                    proptest::prop_assert_eq!(from, Some(at));
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                    proptest::prop_assert!(peek_off.is_some() && off >= len);
                }
            }
        }
    }
}
