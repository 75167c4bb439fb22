//! File-descriptor ownership. Every descriptor the crate creates is wrapped in an `OwnedFd`
//! by the syscall wrapper that made it, so it is closed exactly once: by [`close`] when the
//! caller wants the kernel's answer, or by `OwnedFd`'s drop otherwise.

use std::io;
use std::os::fd::{BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use super::cvt;

/// Wraps a descriptor a syscall has just returned.
#[inline]
pub(super) fn own(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful socket/accept call, so it is open and
    // nothing else in the process owns it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Closes `fd` and reports what the kernel said (a drop would discard it). `EINTR` counts as
/// closed: Linux releases the descriptor before it can be interrupted, and retrying could
/// close a number another thread has just been given.
///
/// Where Linux numbers the calls (`has_direct_io`) it goes to the kernel through `syscall(2)`,
/// as the plain sends and receives do: glibc's `close` wraps it in pthread-cancellation
/// bookkeeping (about 35 instructions a call) that no Rust thread can use. The kernel sees
/// the same call.
pub(crate) fn close(fd: OwnedFd) -> io::Result<()> {
    let raw = fd.into_raw_fd();
    #[cfg(has_direct_io)]
    // SAFETY: `raw` came out of an `OwnedFd`, so it is open and ours; after this call nothing
    // refers to it again. The argument is widened to the `long` the kernel's convention takes.
    let closed = cvt(unsafe { libc::syscall(libc::SYS_close, libc::c_long::from(raw)) });
    #[cfg(not(has_direct_io))]
    // SAFETY: `raw` came out of an `OwnedFd`, so it is open and ours; after this call nothing
    // refers to it again.
    let closed = cvt(unsafe { libc::close(raw) });
    audit!("close", &closed, |a| a.raw(raw));
    match closed {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
        other => other.map(drop),
    }
}

/// Sets or clears `O_NONBLOCK` with one `ioctl(FIONBIO)`, where `fcntl` would need two calls.
/// Through `syscall(2)` where Linux numbers the calls (`has_direct_io`), as [`close`]: the
/// kernel sees the same call, without glibc's wrapper around it.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut value: libc::c_int = on.into();
    #[cfg(has_direct_io)]
    // SAFETY: FIONBIO reads one `int` through the pointer, which points at a live local; the
    // integers are widened to the kernel's `long` (it reads the descriptor and the request
    // back as unsigned ints; the request is a `c_ulong` or, on musl, a `c_int`).
    #[allow(clippy::unnecessary_cast)]
    let set = cvt(unsafe {
        libc::syscall(
            libc::SYS_ioctl,
            libc::c_long::from(fd.as_raw_fd()),
            libc::FIONBIO as libc::c_ulong,
            &raw mut value,
        )
    });
    #[cfg(not(has_direct_io))]
    // SAFETY: FIONBIO reads one `int` through the pointer, which points at a live local.
    let set = cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONBIO, &mut value) });
    audit!("ioctl", &set, |a| a.raw(fd.as_raw_fd()).raw("FIONBIO").raw(format_args!("[{value}]")));
    set.map(drop)
}

/// A second descriptor for the same open socket, close-on-exec (one
/// `fcntl(F_DUPFD_CLOEXEC)`): what `try_clone` hands out.
pub(crate) fn duplicate(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    // SAFETY: F_DUPFD_CLOEXEC only reads the descriptor and returns a new one, or -1.
    let new = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) });
    audit!("fcntl", &new, |a| a.raw(fd.as_raw_fd()).raw("F_DUPFD_CLOEXEC").raw(0));
    let new = new?;
    Ok(own(new))
}

/// Marks `fd` close-on-exec where the platform cannot do it in the creating syscall.
#[cfg(not(has_accept4))]
pub(super) fn set_cloexec(fd: BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: FIOCLEX takes no argument and only changes the descriptor's flags.
    let set = cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIOCLEX) });
    audit!("ioctl", &set, |a| a.raw(fd.as_raw_fd()).raw("FIOCLEX"));
    set.map(drop)
}
