//! `setsockopt(2)` / `getsockopt(2)` marshalling: an `int`, raw bytes, or a null pointer in;
//! an `int` or exactly the bytes the kernel wrote out.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::cvt;

pub(crate) fn set_int(fd: BorrowedFd<'_>, level: i32, name: i32, value: i32) -> io::Result<()> {
    set_bytes(fd, level, name, &value.to_ne_bytes())
}

pub(crate) fn set_bytes(fd: BorrowedFd<'_>, level: i32, name: i32, value: &[u8]) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `value` is valid for reads of `len` bytes; the kernel copies them and keeps no
    // pointer.
    cvt(unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, value.as_ptr().cast(), len) }).map(drop)
}

/// `setsockopt(fd, level, name, NULL, optlen)`: the kernel must not read through the null
/// pointer unless `optlen` asks it to, in which case it answers `EFAULT`.
pub(crate) fn set_null(fd: BorrowedFd<'_>, level: i32, name: i32, optlen: u32) -> io::Result<()> {
    // SAFETY: a null option pointer is checked by the kernel, which never dereferences it in
    // user space; a non-zero `optlen` yields EFAULT rather than undefined behaviour.
    cvt(unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, std::ptr::null(), optlen) }).map(drop)
}

/// `SO_ERROR`: the socket's pending error, which reading clears; `None` when there is none
/// (how a non-blocking connect reports its outcome).
pub(crate) fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let pending = get_int(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((pending != 0).then(|| io::Error::from_raw_os_error(pending)))
}

/// The error of an option the platform does not have (`ENOPROTOOPT`).
#[cfg(not(has_tcp_quickack))]
pub(crate) fn unsupported() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOPROTOOPT)
}

/// An `int` option. A kernel that answers with a single byte (some IP options do) is read
/// as that byte; any other length is `EINVAL`, never a misread.
pub(crate) fn get_int(fd: BorrowedFd<'_>, level: i32, name: i32) -> io::Result<i32> {
    let bytes = get_bytes(fd, level, name, mem::size_of::<libc::c_int>())?;
    match bytes.len() {
        1 => Ok(libc::c_int::from(bytes[0])),
        _ => bytes.try_into().map(libc::c_int::from_ne_bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL)),
    }
}

/// Up to `buflen` bytes of an option, cut to the length the kernel reports it wrote.
pub(crate) fn get_bytes(fd: BorrowedFd<'_>, level: i32, name: i32, buflen: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; buflen];
    let mut len = libc::socklen_t::try_from(buflen).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `buf` is valid for writes of `len` bytes and `len` is a live local.
    cvt(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, buf.as_mut_ptr().cast(), &mut len) })?;
    buf.truncate(len as usize);
    Ok(buf)
}

/// `SO_PEERCRED`: who is at the other end of a Unix socket (the process that connected, or
/// made the pair), as the kernel recorded it then.
#[cfg(has_so_peercred)]
pub(crate) fn peer_credentials(fd: BorrowedFd<'_>) -> io::Result<crate::unix::Credentials> {
    let bytes = get_bytes(fd, libc::SOL_SOCKET, libc::SO_PEERCRED, mem::size_of::<libc::ucred>())?;
    if bytes.len() != mem::size_of::<libc::ucred>() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: `bytes` holds a whole `ucred` the kernel wrote, which is plain integers.
    let c = unsafe { bytes.as_ptr().cast::<libc::ucred>().read_unaligned() };
    Ok(crate::unix::Credentials { pid: c.pid, uid: c.uid, gid: c.gid })
}

/// Where the platform has no `SO_PEERCRED`.
#[cfg(not(has_so_peercred))]
pub(crate) fn peer_credentials(_fd: BorrowedFd<'_>) -> io::Result<crate::unix::Credentials> {
    Err(io::Error::from_raw_os_error(libc::ENOPROTOOPT))
}

/// `SO_SNDTIMEO` set to `timeout`, rounded up to whole microseconds (zero: no timeout, as
/// the kernel reads it).
pub(crate) fn set_send_timeout(fd: BorrowedFd<'_>, timeout: std::time::Duration) -> io::Result<()> {
    let mut secs = timeout.as_secs();
    let mut micros = timeout.subsec_nanos().div_ceil(1000);
    if micros == 1_000_000 {
        (secs, micros) = (secs.saturating_add(1), 0);
    }
    let tv = libc::timeval {
        tv_sec: secs.min(libc::time_t::MAX as u64) as libc::time_t,
        tv_usec: micros as libc::suseconds_t,
    };
    // SAFETY: `timeval` is plain integers with no padding on the platforms with SO_SNDTIMEO.
    let bytes = unsafe { std::slice::from_raw_parts((&raw const tv).cast::<u8>(), mem::size_of::<libc::timeval>()) };
    set_bytes(fd, libc::SOL_SOCKET, libc::SO_SNDTIMEO, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn int_bytes_and_lengths() {
        let sock = crate::sys::socket::socket(crate::sys::Domain::Ipv4, crate::sys::SockType::Datagram, false).unwrap();
        let fd = sock.as_fd();
        set_int(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 1).unwrap();
        assert_eq!(get_int(fd, libc::SOL_SOCKET, libc::SO_BROADCAST).unwrap(), 1);
        set_bytes(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, &0i32.to_ne_bytes()).unwrap();
        assert_eq!(get_bytes(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 64).unwrap(), 0i32.to_ne_bytes());
        assert_eq!(get_bytes(fd, libc::SOL_SOCKET, libc::SO_LINGER, 3).unwrap().len(), 3);
        assert!(get_bytes(fd, libc::SOL_SOCKET, libc::SO_LINGER, 0).unwrap().is_empty());
        // IP_TTL answers with one byte when asked for less than an int; get_int asks for an int.
        assert!(get_int(fd, libc::IPPROTO_IP, libc::IP_TTL).unwrap() > 0);
        let err = set_null(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 4).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EFAULT));
        let err = get_int(fd, libc::SOL_SOCKET, 12345).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT));
    }
}
