//! The socket syscalls themselves: one safe function per call, each making exactly that one
//! call (the syscall contract in `docs/SYSCALLS.md` is built from these).

use std::io;
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
    /// (`EINPROGRESS`), or a signal interrupted a blocking connect (`EINTR`, after which
    /// connecting again would fail with `EALREADY`). Wait for writability, then ask
    /// [`take_error`](super::opt::take_error).
    Pending,
}

pub(crate) fn connect<A: KernelAddr>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<Progress> {
    let raw = addr.to_raw()?;
    // SAFETY: `raw` holds a valid sockaddr of `raw.len()` bytes for the duration of the call.
    match cvt(unsafe { libc::connect(fd.as_raw_fd(), raw.as_ptr(), raw.len()) }) {
        Ok(_) => Ok(Progress::Done),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => Ok(Progress::Pending),
        Err(e) => Err(e),
    }
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, NULL, 0)`.
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: MsgFlags) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for reads of `len <= buf.len()` bytes.
    let n = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), len, flags.0 | NOSIGNAL) };
    cvt(n).map(|n| n as usize)
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, addr, addrlen)`.
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
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
    let len = buf.len().min(MAX_IO);
    // SAFETY: `buf` is valid for writes of `len <= buf.len()` bytes.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len, flags.0) };
    cvt(n).map(|n| n as usize)
}

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)`; the sender is `None` when the kernel
/// gave no address of type `A`.
pub(crate) fn recv_from<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: MsgFlags,
) -> io::Result<(usize, Option<A>)> {
    let len = buf.len().min(MAX_IO);
    returning_addr(|addr, addr_len| {
        // SAFETY: `buf` is valid for writes of `len` bytes; `addr` has room for `*addr_len`.
        let n = unsafe { libc::recvfrom(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len, flags.0, addr, addr_len) };
        cvt(n).map(|n| n as usize)
    })
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
