//! The socket syscalls themselves: one safe function per call, each making exactly that one
//! call (the syscall contract in `docs/SYSCALLS.md` is built from these).

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::addr::RawAddr;
use super::cvt;
use super::fd::own;

/// Flags every send carries so a closed peer is `EPIPE`, never SIGPIPE.
#[cfg(has_msg_nosignal)]
const NOSIGNAL: libc::c_int = libc::MSG_NOSIGNAL;
/// Where `MSG_NOSIGNAL` is missing, `SO_NOSIGPIPE` is set on the socket instead.
#[cfg(not(has_msg_nosignal))]
const NOSIGNAL: libc::c_int = 0;

/// `socket(domain, ty | SOCK_CLOEXEC [| SOCK_NONBLOCK], 0)`: one syscall where the platform
/// has the type flags.
pub fn socket(domain: libc::c_int, ty: libc::c_int, nonblocking: bool) -> io::Result<OwnedFd> {
    #[cfg(has_accept4)]
    {
        let ty = ty | libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
        // SAFETY: plain integer arguments; the result is checked before it is owned.
        cvt(unsafe { libc::socket(domain, ty, 0) }).map(own)
    }
    #[cfg(not(has_accept4))]
    {
        use std::os::fd::AsFd;
        // SAFETY: plain integer arguments; the result is checked before it is owned.
        let fd = cvt(unsafe { libc::socket(domain, ty, 0) }).map(own)?;
        super::fd::set_cloexec(fd.as_fd())?;
        if nonblocking {
            super::fd::set_nonblocking(fd.as_fd(), true)?;
        }
        #[cfg(has_so_nosigpipe)]
        super::opt::set_int(fd.as_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;
        Ok(fd)
    }
}

pub fn bind(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let raw = RawAddr::new(addr);
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes for the duration of the call.
    cvt(unsafe { libc::bind(fd.as_raw_fd(), raw.as_ptr(), raw.len) }).map(drop)
}

pub fn listen(fd: BorrowedFd<'_>, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// `accept4(fd, &addr, &len, SOCK_CLOEXEC)`: the new socket is blocking whatever the
/// listener's mode, and the peer's address comes back without a `getpeername`.
pub fn accept(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, Option<SocketAddr>)> {
    let mut raw = RawAddr::empty();
    #[cfg(has_accept4)]
    // SAFETY: `raw` has room for any address and `raw.len` says how much.
    let ret = unsafe { libc::accept4(fd.as_raw_fd(), raw.as_mut_ptr(), &mut raw.len, libc::SOCK_CLOEXEC) };
    #[cfg(not(has_accept4))]
    // SAFETY: `raw` has room for any address and `raw.len` says how much.
    let ret = unsafe { libc::accept(fd.as_raw_fd(), raw.as_mut_ptr(), &mut raw.len) };
    let conn = cvt(ret).map(own)?;
    #[cfg(not(has_accept4))]
    {
        use std::os::fd::AsFd;
        super::fd::set_cloexec(conn.as_fd())?;
        super::fd::set_nonblocking(conn.as_fd(), false)?;
    }
    Ok((conn, raw.to_socket_addr()))
}

pub fn connect(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let raw = RawAddr::new(addr);
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes for the duration of the call.
    cvt(unsafe { libc::connect(fd.as_raw_fd(), raw.as_ptr(), raw.len) }).map(drop)
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, NULL, 0)`.
pub fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes.
    let n = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags | NOSIGNAL) };
    cvt(n).map(|n| n as usize)
}

/// `sendto(fd, buf, len, flags | MSG_NOSIGNAL, addr, addrlen)`.
pub fn send_to(fd: BorrowedFd<'_>, buf: &[u8], addr: &SocketAddr, flags: libc::c_int) -> io::Result<usize> {
    let raw = RawAddr::new(addr);
    // SAFETY: `buf` is valid for reads of its length; `raw` is a valid sockaddr of `raw.len`.
    let n = unsafe {
        libc::sendto(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags | NOSIGNAL, raw.as_ptr(), raw.len)
    };
    cvt(n).map(|n| n as usize)
}

/// `recvfrom(fd, buf, len, flags, NULL, NULL)`. With `MSG_TRUNC` (Linux, datagrams) the
/// result is the datagram's full length, which may exceed `buf.len()`.
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
    cvt(n).map(|n| n as usize)
}

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)`; the sender is `None` when the kernel
/// gave no IPv4/IPv6 address.
pub fn recv_from(fd: BorrowedFd<'_>, buf: &mut [u8], flags: libc::c_int) -> io::Result<(usize, Option<SocketAddr>)> {
    let mut raw = RawAddr::empty();
    // SAFETY: `buf` is valid for writes of its length; `raw` has room for any address.
    let n = unsafe {
        libc::recvfrom(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags, raw.as_mut_ptr(), &mut raw.len)
    };
    cvt(n).map(|n| (n as usize, raw.to_socket_addr()))
}

pub fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: plain integer arguments.
    cvt(unsafe { libc::shutdown(fd.as_raw_fd(), how) }).map(drop)
}

/// `getsockname(2)`; `None` when the socket's address is not IPv4/IPv6.
pub fn sock_name(fd: BorrowedFd<'_>) -> io::Result<Option<SocketAddr>> {
    let mut raw = RawAddr::empty();
    // SAFETY: `raw` has room for any address and `raw.len` says how much.
    cvt(unsafe { libc::getsockname(fd.as_raw_fd(), raw.as_mut_ptr(), &mut raw.len) })?;
    Ok(raw.to_socket_addr())
}

/// `getpeername(2)`; `None` when the peer's address is not IPv4/IPv6.
pub fn peer_name(fd: BorrowedFd<'_>) -> io::Result<Option<SocketAddr>> {
    let mut raw = RawAddr::empty();
    // SAFETY: `raw` has room for any address and `raw.len` says how much.
    cvt(unsafe { libc::getpeername(fd.as_raw_fd(), raw.as_mut_ptr(), &mut raw.len) })?;
    Ok(raw.to_socket_addr())
}
