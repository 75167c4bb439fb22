//! The socket syscalls themselves: one safe function per call, each making exactly that one
//! call (the syscall contract in `docs/SYSCALLS.md` is built from these).

use std::io;
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::addr::{KernelAddr, returning_addr};
use super::fd::own;
use super::{Domain, MsgFlags, SockType, cvt};

/// Added to every send (here and in `ancillary`'s `sendmsg`) so a closed peer is `EPIPE`, never SIGPIPE.
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

/// `socket(domain, ty | SOCK_CLOEXEC [| SOCK_NONBLOCK], 0)`: one syscall where the platform
/// has the type flags.
pub(crate) fn socket(domain: Domain, ty: SockType, nonblocking: bool) -> io::Result<OwnedFd> {
    #[cfg(has_accept4)]
    {
        let ty = ty.raw() | libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
        // SAFETY: plain integer arguments; the result is checked before it is owned.
        cvt(unsafe { libc::socket(domain.raw(), ty, 0) }).map(own)
    }
    #[cfg(not(has_accept4))]
    {
        use std::os::fd::AsFd;
        // SAFETY: plain integer arguments; the result is checked before it is owned.
        let fd = cvt(unsafe { libc::socket(domain.raw(), ty.raw(), 0) }).map(own)?;
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
    cvt(unsafe { libc::socketpair(libc::AF_UNIX, ty, 0, fds.as_mut_ptr()) })?;
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
    cvt(unsafe { libc::bind(fd.as_raw_fd(), raw.as_ptr(), raw.len()) }).map(drop)
}

pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: i32) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// `accept4(fd, &addr, &len, SOCK_CLOEXEC)`: the new socket is blocking whatever the
/// listener's mode, and the peer's address comes back without a `getpeername`.
pub(crate) fn accept<A: KernelAddr>(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, Option<A>)> {
    let (conn, peer) = returning_addr(|addr, len| {
        #[cfg(has_accept4)]
        // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
        let ret = unsafe { libc::accept4(fd.as_raw_fd(), addr, len, libc::SOCK_CLOEXEC) };
        #[cfg(not(has_accept4))]
        // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
        let ret = unsafe { libc::accept(fd.as_raw_fd(), addr, len) };
        cvt(ret).map(own)
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

pub(crate) fn connect<A: KernelAddr>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<Progress> {
    let raw = addr.to_raw()?;
    // SAFETY: `raw` holds a valid sockaddr of `raw.len()` bytes for the duration of the call.
    match cvt(unsafe { libc::connect(fd.as_raw_fd(), raw.as_ptr(), raw.len()) }) {
        Ok(_) => Ok(Progress::Done),
        // Asked again after a wait: already connected.
        Err(e) if e.raw_os_error() == Some(libc::EISCONN) => Ok(Progress::Done),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EALREADY | libc::EINTR)) => {
            Ok(Progress::Pending)
        }
        Err(e) => Err(e),
    }
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, NULL, 0)`.
#[inline]
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: MsgFlags) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for reads of `len <= buf.len()` bytes.
    let n = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), len, flags.0 | NOSIGNAL) };
    cvt(n).map(|n| n as usize)
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, addr, addrlen)`.
#[inline]
pub(crate) fn send_to<A: KernelAddr>(fd: BorrowedFd<'_>, buf: &[u8], addr: &A, flags: MsgFlags) -> io::Result<usize> {
    let raw = addr.to_raw()?;
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for reads of `len` bytes; `raw` is a valid sockaddr of `raw.len()`.
    let n =
        unsafe { libc::sendto(fd.as_raw_fd(), buf.as_ptr().cast(), len, flags.0 | NOSIGNAL, raw.as_ptr(), raw.len()) };
    cvt(n).map(|n| n as usize)
}

/// `recvfrom(fd, buf, len, flags, NULL, NULL)`. With `MsgFlags::TRUNC` (datagrams) the
/// result is the datagram's full length, which may exceed `buf.len()`.
#[inline]
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for writes of `len <= buf.len()` bytes.
    unsafe { recv_raw(fd, buf.as_mut_ptr(), len, flags) }
}

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)`; the sender is `None` when the kernel
/// gave no address of type `A`.
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

/// As [`recv`], into the unused capacity of `buf` (at most `max` bytes), appending what the
/// kernel wrote; nothing is zero-filled first. Returns what `recv` returns (with
/// `MsgFlags::TRUNC`, the datagram's full length, which may exceed what was appended).
pub(crate) fn recv_appending(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, max: usize, flags: MsgFlags) -> io::Result<usize> {
    let room = room(buf, max);
    let len = room.len();
    // SAFETY: `room` is valid for writes of `len` bytes; the kernel writes plain bytes there.
    let n = unsafe { recv_raw(fd, room.as_mut_ptr().cast(), len, flags) }?;
    appended(buf, n, len);
    Ok(n)
}

/// As [`recv_from`], into the unused capacity of `buf` (at most `max` bytes), appending what
/// the kernel wrote, as [`recv_appending`] does.
pub(crate) fn recv_from_appending<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    max: usize,
    flags: MsgFlags,
) -> io::Result<(usize, Option<A>)> {
    let room = room(buf, max);
    let len = room.len();
    // SAFETY: `room` is valid for writes of `len` bytes; the kernel writes plain bytes there.
    let (n, from) = unsafe { recv_from_raw(fd, room.as_mut_ptr().cast(), len, flags) }?;
    appended(buf, n, len);
    Ok((n, from))
}

/// `recvfrom(fd, buf, len, flags, NULL, NULL)`: the one receive call of the plain forms.
///
/// # Safety
/// `buf` is valid for writes of `len` bytes (initialised or not) for the call.
#[inline]
unsafe fn recv_raw(fd: BorrowedFd<'_>, buf: *mut u8, len: usize, flags: MsgFlags) -> io::Result<usize> {
    // SAFETY: forwarded from this function's contract.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.cast(), len, flags.0) };
    cvt(n).map(|n| n as usize)
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
        // has room for `*addr_len` bytes, as `returning_addr` promises.
        let n = unsafe { libc::recvfrom(fd.as_raw_fd(), buf.cast(), len, flags.0, addr, addr_len) };
        cvt(n).map(|n| n as usize)
    })
}

/// The unused capacity of `buf`, at most `max` bytes (and at most `MAX_IO`) of it: where a
/// receive writes without anything being zero-filled first.
fn room(buf: &mut Vec<u8>, max: usize) -> &mut [MaybeUninit<u8>] {
    let spare = buf.spare_capacity_mut();
    let len = spare.len().min(max).min(MAX_IO);
    &mut spare[..len]
}

/// Marks the bytes a receive wrote at the end of `buf` as its own: `n` as the kernel
/// answered, of which at most `room` (the length it was given) were written.
fn appended(buf: &mut Vec<u8>, n: usize, room: usize) {
    let new_len = buf.len() + n.min(room);
    // SAFETY: the receive was given the first `room` bytes of the spare capacity and wrote
    // the first `min(n, room)` of them (`n` may be larger under `MSG_TRUNC`, but the kernel
    // never writes past the length it was given), so `new_len <= capacity` and every byte
    // below it is initialised.
    unsafe { buf.set_len(new_len) };
}

pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: plain integer arguments.
    cvt(unsafe { libc::shutdown(fd.as_raw_fd(), how) }).map(drop)
}

/// `getsockname(2)`; `None` when the socket's address is not of type `A`.
pub(crate) fn sock_name<A: KernelAddr>(fd: BorrowedFd<'_>) -> io::Result<Option<A>> {
    // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
    returning_addr(|addr, len| cvt(unsafe { libc::getsockname(fd.as_raw_fd(), addr, len) })).map(|(_, a)| a)
}

/// `getpeername(2)`; `None` when the peer's address is not of type `A`.
pub(crate) fn peer_name<A: KernelAddr>(fd: BorrowedFd<'_>) -> io::Result<Option<A>> {
    // SAFETY: `addr` has room for `*len` bytes, as `returning_addr` promises.
    returning_addr(|addr, len| cvt(unsafe { libc::getpeername(fd.as_raw_fd(), addr, len) })).map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

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
        let flags = MsgFlags::DONTWAIT.with(MsgFlags::TRUNC);
        send_to(fd, b"0123456789", &at, MsgFlags::NONE).unwrap();
        // Room for 4 of the 10 bytes: 4 appended, the full length reported.
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(b"ab");
        assert_eq!(recv_appending(fd, &mut buf, 4, flags).unwrap(), 10);
        assert_eq!(buf, b"ab0123");
        send_to(fd, b"hello", &at, MsgFlags::NONE).unwrap();
        let mut buf = Vec::with_capacity(3);
        let (n, from) = recv_from_appending(fd, &mut buf, usize::MAX, flags).unwrap();
        assert_eq!((n, from, buf.as_slice()), (5, Some(at), &b"hel"[..]));
        // Nothing queued: an error, and nothing appended.
        let mut buf = Vec::with_capacity(8);
        let e = recv_appending(fd, &mut buf, 8, flags).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert!(buf.is_empty());
        // No room at all: the datagram is consumed and reported, nothing written.
        send_to(fd, b"x", &at, MsgFlags::NONE).unwrap();
        assert_eq!(recv_from_appending::<std::net::SocketAddr>(fd, &mut Vec::new(), 8, flags).unwrap().0, 1);
    }
}
